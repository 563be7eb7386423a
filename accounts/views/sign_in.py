"""Signing in, second factors, backup codes, invitations and one's own profile."""

from base64 import b32encode
from binascii import unhexlify
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import LogoutView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from two_factor.utils import get_otpauth_url
from two_factor.views import LoginView, QRGeneratorView

from accounts import services
from accounts.forms import (
    AuthenticatorForm,
    BackupCodeForm,
    BackupCodesSavedForm,
    ConfirmIdentityForm,
    PasskeyForm,
    SecondFactorForm,
    SignInForm,
    authenticator_label,
)
from accounts.http import AuthedRequest
from accounts.middleware import (
    SESSION_BACKUP_CODES_UNSAVED,
    reachable_before_backup_codes_saved,
    second_factor_not_required,
)
from accounts.models import User
from accounts.passkeys import passkey_challenge_start, passkey_label, passkeys_of
from accounts.recent_auth import (
    identity_confirmed,
    identity_confirmed_recently,
    recent_auth_required,
    recent_auth_required_then,
)
from accounts.tokens import invitation_tokens
from accounts.views.passkeys import passkey_script_config
from audit import services as audit

# The session key django-two-factor-auth's QR view reads the pending secret from.
PENDING_SECRET = QRGeneratorView.session_key_name
FRESH_BACKUP_CODES = "safeguard_fresh_backup_codes"
ISSUER = "Safeguard"


def _confirmed_authenticators(user: User) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))


class SignInView(LoginView):
    """Password, then a code from an authenticator app or a backup code.

    django-two-factor-auth's wizard, with our forms and template. Django's own
    login() runs only after the second step, and cycles the session key.
    """

    template_name = "accounts/signin.html"
    PASSKEY_STEP = "passkey"
    # Someone with a passkey is offered it first; the code and backup steps
    # stay one button away, and drop out once the passkey has been accepted.
    form_list = (
        (LoginView.AUTH_STEP, SignInForm),
        (PASSKEY_STEP, PasskeyForm),
        (LoginView.TOKEN_STEP, SecondFactorForm),
        (LoginView.BACKUP_STEP, BackupCodeForm),
    )

    def has_passkey_step(self) -> bool:
        user = self.get_user()
        return bool(user) and passkeys_of(user).exists()

    def has_token_step(self) -> bool:
        # Any confirmed authenticator counts, not only the one named "default".
        user = self.get_user()
        return (
            bool(user)
            and self.PASSKEY_STEP not in self.storage.validated_step_data
            and TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        )

    def has_backup_step(self) -> bool:
        return self.has_token_step() and self.TOKEN_STEP not in self.storage.validated_step_data

    condition_dict = {
        PASSKEY_STEP: has_passkey_step,
        LoginView.TOKEN_STEP: has_token_step,
        LoginView.BACKUP_STEP: has_backup_step,
    }

    def get_form_step_files(self, form: object) -> dict[str, object]:
        # No step of signing in takes a file; the wizard would try to keep any file
        # posted with a step and fail (it has no file storage) with a 500.
        return {}

    def get_redirect_url(self) -> str:
        """Where to go after signing in: only a path on this site. Django's check
        passes a bare word such as "0", which redirect() would then try, and
        fail, to reverse as a view name."""
        url = super().get_redirect_url()
        return url if url.startswith("/") and not url.startswith("//") else ""

    def get_form(self, step: str | None = None, **kwargs: Any) -> object:
        # Skip LoginView.get_form: it swaps in the library's own token form by
        # device type, and we have one kind of device and our own form for it.
        form = super(LoginView, self).get_form(step=step, **kwargs)
        if self.show_timeout_error:
            form.cleaned_data = getattr(form, "cleaned_data", {})
            form.add_error(
                None, "Sign-in took too long. Enter your email address and password again."
            )
        return form

    def get_device(self, step: str | None = None) -> object:
        device = super().get_device(step)
        if device is None and self.get_user():
            device = (
                TOTPDevice.objects.filter(user=self.get_user(), confirmed=True)
                .order_by("pk")
                .first()
            )
            self.device_cache = device
        return device

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # OTPMiddleware adds is_verified() to request.user; django-otp has no types.
        if request.user.is_authenticated and request.user.is_verified():  # type: ignore[attr-defined]
            return redirect(settings.LOGIN_REDIRECT_URL)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form: object, **kwargs: Any) -> dict[str, object]:
        context = super().get_context_data(form, **kwargs)
        user = self.get_user()
        context["has_backup_codes"] = (
            bool(user)
            and StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
        )
        if self.steps.current == self.PASSKEY_STEP and user:
            context["passkey_options"] = passkey_challenge_start(request=self.request, user=user)
        return context


sign_in = login_not_required(SignInView.as_view())


@second_factor_not_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponseBase:
    return LogoutView.as_view()(request)


class SafeguardQRView(QRGeneratorView):
    def get_issuer(self) -> str:
        return ISSUER


qr_code = second_factor_not_required(never_cache(SafeguardQRView.as_view()))


def _pending_secret(request: HttpRequest) -> str:
    if PENDING_SECRET not in request.session:
        request.session[PENDING_SECRET] = random_hex(20)
    return request.session[PENDING_SECRET]


def _authenticator_page(request: AuthedRequest, *, first: bool) -> HttpResponse:
    """Show a new secret as a QR code and as text; save it once a code proves it."""
    user = request.user
    key = _pending_secret(request)
    form = AuthenticatorForm(key=key, user=user, data=request.POST or None)
    if first:
        form.fields.pop("name")
    if request.method == "POST" and form.is_valid():
        device = form.save()
        if not first:
            device.name = form.cleaned_data["name"] or f"Authenticator {device.pk}"
            device.save(update_fields=["name"])
        del request.session[PENDING_SECRET]
        audit.record(
            action="two_factor.enrolled",
            actor=user,
            obj=user,
            details={"device": authenticator_label(device), "first": first},
        )
        if not first:
            services.security_notice_queue(user=user, change="authenticator_added")
        if first:
            django_otp.login(request, device)
            # The session now carries more privilege than before: give it a new
            # key, so a key seen before verification is worth nothing after.
            request.session.cycle_key()
            # They have just chosen a password and proved a code: their backup
            # codes, next, need no third proof.
            identity_confirmed(request)
            # The codes are made now, not on a button they could walk past, and
            # nothing else opens until they say they have saved them.
            _fresh_backup_codes(request)
            messages.success(request, "Your authenticator is set up.")
            return redirect("backup_codes")
        messages.success(request, f"{authenticator_label(device)} has been added.")
        return redirect("account_security")
    secret = b32encode(unhexlify(key)).decode()
    return render(
        request,
        "accounts/authenticator_add.html",
        {
            "form": form,
            "first": first,
            "secret": secret,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "otpauth_url": get_otpauth_url(accountname=user.email, secret=key, issuer=ISSUER),
        },
    )


@second_factor_not_required
@never_cache
def two_factor_setup(request: AuthedRequest) -> HttpResponse:
    """First enrolment, straight after the password: nothing else is reachable until done."""
    if any(devices_for_user(request.user, confirmed=True)):
        # Already enrolled: adding another device needs a verified session.
        return redirect("authenticator_add")
    return _authenticator_page(request, first=True)


@never_cache
@recent_auth_required
def authenticator_add(request: AuthedRequest) -> HttpResponse:
    return _authenticator_page(request, first=False)


def account_security(request: AuthedRequest) -> HttpResponse:
    user = request.user
    # Unsaved codes sign in too (see services.backup_codes_generate): counting
    # only saved ones would tell someone who still has codes that they have none.
    backup_codes_left = StaticToken.objects.filter(
        device__user=user,
        device__confirmed=True,
        device__name__in=[services.BACKUP_SAVED, services.BACKUP_UNSAVED],
    ).count()
    return render(
        request,
        "accounts/account_security.html",
        {
            "authenticators": [
                (device, authenticator_label(device)) for device in _confirmed_authenticators(user)
            ],
            "backup_codes_left": backup_codes_left,
            "passkeys": [(c, passkey_label(c)) for c in passkeys_of(user)],
            "passkey_script_config": passkey_script_config(request),
            # Adding a passkey needs a recent confirmation, as adding an
            # authenticator does; without one the page offers that first.
            "identity_confirmed_recently": identity_confirmed_recently(request),
        },
    )


@require_POST
@recent_auth_required_then("account_security")
def authenticator_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    # Only the user's own devices: someone else's id is simply not found.
    device = TOTPDevice.objects.filter(user=request.user, pk=pk, confirmed=True).first()
    if device is None:
        raise Http404
    try:
        services.two_factor_device_remove(
            user=request.user,
            device=device,
            # Set on request.user by OTPMiddleware; django-otp has no types.
            signed_in_with=request.user.otp_device,  # type: ignore[attr-defined]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{authenticator_label(device)} has been removed.")
    return redirect("account_security")


def _fresh_backup_codes(request: AuthedRequest) -> None:
    codes = services.backup_codes_generate(user=request.user, count=settings.BACKUP_CODE_COUNT)
    request.session[FRESH_BACKUP_CODES] = codes
    request.session[SESSION_BACKUP_CODES_UNSAVED] = True


@reachable_before_backup_codes_saved
@never_cache
@recent_auth_required
def backup_codes(request: AuthedRequest) -> HttpResponse:
    """Create codes on POST; show them until the user ticks that they have saved
    them, and never again. Until then every other page sends them back here."""
    user = request.user
    codes = request.session.get(FRESH_BACKUP_CODES)
    # Two forms post here: "I have saved them" (its box unticked posts no field
    # of its own, so the button names the form) and "create new codes".
    confirming = request.method == "POST" and request.POST.get("action") == "saved"
    saved_form = BackupCodesSavedForm(request.POST if confirming else None)
    if request.method == "POST" and saved_form.is_bound:
        if saved_form.is_valid():
            services.backup_codes_saved(user=user)
            request.session.pop(FRESH_BACKUP_CODES, None)
            request.session[SESSION_BACKUP_CODES_UNSAVED] = False
            messages.success(request, "Your backup codes are saved and ready to use.")
            return redirect("home")
    elif request.method == "POST":
        _fresh_backup_codes(request)
        return redirect("backup_codes")
    unsaved = services.backup_codes_unsaved(user)
    # The session forgets codes it did not make (another browser, a new sign-in):
    # those cannot be shown again, so new ones are the way on.
    codes = codes if unsaved else None
    backup = StaticDevice.objects.filter(user=user, name=services.BACKUP_SAVED).first()
    return render(
        request,
        "accounts/backup_codes.html",
        {
            "codes": codes,
            "unsaved": unsaved,
            "saved_form": saved_form,
            "codes_left": backup.token_set.count() if backup else 0,
        },
    )


def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html")


class AuditedPasswordChangeView(PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")
    request: AuthedRequest

    def form_valid(self, form: object) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(
            action="auth.password_changed",
            actor=self.request.user,
            obj=self.request.user,
        )
        services.security_notice_queue(user=self.request.user, change="password_changed")
        # Django keeps this session (with a new key, recorded by the middleware);
        # sessions started with the old password end.
        messages.success(self.request, "Your password has been changed.")
        return response


password_change = recent_auth_required(AuditedPasswordChangeView.as_view())


def _next_page(request: HttpRequest) -> str:
    """Only a path on this site; anything else goes to one's security page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/"):
        return target
    return reverse("account_security")


@reachable_before_backup_codes_saved
@sensitive_post_parameters("password", "code")
@never_cache
def reauthenticate(request: AuthedRequest) -> HttpResponse:
    """Confirm it is still you: the password, or a code, before changing how you sign in."""
    form = ConfirmIdentityForm(
        data=request.POST or None,
        user=request.user,
        request=request,
        # Set on request.user by OTPMiddleware; django-otp has no types.
        signed_in_with=request.user.otp_device,  # type: ignore[attr-defined]
    )
    if request.method == "POST":
        # Devices are locked while a code is checked (see the form).
        with transaction.atomic():
            confirmed = form.is_valid()
        if confirmed:
            identity_confirmed(request)
            audit.record(
                action="auth.identity_confirmed",
                actor=request.user,
                obj=request.user,
                details={"with": form.confirmed_with},
            )
            return redirect(_next_page(request))
    return render(
        request, "accounts/reauthenticate.html", {"form": form, "next": _next_page(request)}
    )


def _invited_user(uidb64: str, token: str) -> User | None:
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = User.objects.select_related("organisation").get(pk=pk, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    if not user.invitation_pending or not invitation_tokens.check_token(user, token):
        return None
    return user


@login_not_required
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Choose a first password from an emailed invitation, then set up 2FA.

    GET only shows the form (mail scanners fetch links); POST does the work.
    """
    user = _invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, data=request.POST or None)
    form.fields[
        "new_password1"
    ].help_text = (
        "At least 12 characters. A few unrelated words is easy to remember and hard to guess."
    )
    if request.method == "POST" and form.is_valid():
        services.staff_invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(reverse("two_factor_setup"))
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitee": user})
