from typing import TYPE_CHECKING, Any, TypeAlias

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm, TOTPDeviceForm

from accounts import logos
from accounts.logos import logo_clean
from accounts.models import Organisation, Role, SafeguardingTitle, User
from accounts.passkeys import passkey_answer_verify
from audit import services as audit
from common.forms import model_choice_field, validate_phone
from common.validators import validate_person_name


def authenticator_label(device: TOTPDevice) -> str:
    """The first authenticator is called "default" by django-two-factor-auth."""
    return "Authenticator app" if device.name == "default" else device.name


class SignInForm(AuthenticationForm):
    """Django's sign-in form, labelled and autocompleted for an email login."""

    username = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # Same words whether the email is unknown or the password wrong, so the
        # form does not reveal who has an account.
        "invalid_login": gettext_lazy("Enter a correct email address and password."),
        "no_authenticator": gettext_lazy(
            "You have not finished setting up your sign-in. Ask your organisation's admin "
            "to send you a new invitation."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        """A password alone never signs anyone in.

        Someone without an authenticator can only set one up from the session an
        emailed invitation link starts; otherwise whoever learnt the password
        could enrol their own phone.
        """
        super().confirm_login_allowed(user)
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(self.error_messages["no_authenticator"], code="no_authenticator")


if TYPE_CHECKING:
    # Mixed only into two_factor's token forms, whose clean() it calls on into.
    _TokenFormBase: TypeAlias = AuthenticationTokenForm
else:
    _TokenFormBase = object


class _AuditedSecondFactorMixin(_TokenFormBase):
    """Record every failed second-factor attempt: a stolen password being tried."""

    request: HttpRequest | None
    user: User
    step_name: str

    def clean(self) -> dict[str, Any] | None:
        try:
            return super().clean()
        except ValidationError as error:
            audit.record(
                action="auth.second_factor_failed",
                actor=self.user,
                obj=self.user,
                details={"step": self.step_name},
            )
            # Shown beside the code field, where the person is looking.
            raise ValidationError({"otp_token": error.messages}) from error


class SecondFactorForm(_AuditedSecondFactorMixin, AuthenticationTokenForm):
    step_name = "authenticator"
    otp_token = forms.RegexField(
        label=gettext_lazy("Code from your authenticator app"),
        help_text=gettext_lazy("The 6-digit code your authenticator app shows for Safeguard."),
        regex=r"^[0-9]{6}$",
        error_messages={"invalid": gettext_lazy("Enter the 6-digit code, numbers only.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "govuk-input--width-10",
            }
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "invalid_token": gettext_lazy(
            "That code is not right. Check the time on your phone and try again."
        ),
    }

    def __init__(
        self,
        user: User,
        initial_device: object,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(user, initial_device, **kwargs)
        self.request = request
        self.authenticators = (
            list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
            if user is not None
            else []
        )
        # django-otp verifies against one named device, never "whichever matches"
        # (that would count a failure against every other device), so someone
        # with two phones says which one they are reading the code from.
        if len(self.authenticators) > 1:
            self.fields["device"] = forms.ChoiceField(
                label=gettext("Which authenticator are you using?"),
                choices=[(d.persistent_id, authenticator_label(d)) for d in self.authenticators],
                initial=self.authenticators[0].persistent_id,
                widget=forms.RadioSelect,
            )

    def _chosen_device(self, user: User) -> TOTPDevice | None:
        chosen = self.cleaned_data.get("device")
        device = next(
            (d for d in self.authenticators if d.persistent_id == chosen),
            self.authenticators[0] if self.authenticators else None,
        )
        # clean_otp runs in a transaction: lock the row so parallel guesses queue
        # behind each other, each sees the throttle count the last one left, and a
        # code cannot be accepted twice.
        return (
            TOTPDevice.objects.select_for_update(no_key=True).filter(pk=device.pk).first()
            if device
            else None
        )


class BackupCodesSavedForm(forms.Form):
    saved = forms.BooleanField(
        label="I have saved my backup codes somewhere safe, away from my phone",
        error_messages={
            "required": "Tick to confirm you have saved your backup codes: they are shown only now."
        },
    )


class BackupCodeForm(_AuditedSecondFactorMixin, BackupTokenForm):
    step_name = "backup code"
    otp_token = forms.CharField(
        label=gettext_lazy("Backup code"),
        help_text=gettext_lazy(
            "One of the backup codes you saved when you set up your authenticator."
        ),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "invalid_token": gettext_lazy(
            "That backup code is not right, or it has been used already."
        ),
    }

    def __init__(
        self,
        user: User,
        initial_device: object,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(user, initial_device, **kwargs)
        self.request = request

    def _chosen_device(self, user: User) -> StaticDevice | None:
        # Locked, so one backup code cannot sign in two browsers at the same moment.
        return (
            StaticDevice.objects.select_for_update(no_key=True)
            .filter(user=user, confirmed=True)
            .first()
        )


class AuthenticatorForm(TOTPDeviceForm):
    """Confirm a new authenticator by a code it generated from the secret we showed."""

    name = forms.CharField(
        label="Name for this authenticator",
        help_text="So you can tell your devices apart, for example “Work phone”.",
        max_length=60,
        required=False,
    )
    token = forms.RegexField(
        label="Code from your authenticator app",
        regex=r"^[0-9]{6}$",
        error_messages={"invalid": "Enter the 6-digit code, numbers only."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "govuk-input--width-10",
            }
        ),
    )
    error_messages = {
        "invalid_token": "That code is not right. Check the time on your phone and try again.",
    }

    def clean_token(self) -> int:
        self.cleaned_data["token"] = int(self.cleaned_data["token"])
        return super().clean_token()


class InviteForm(forms.Form):
    full_name = forms.CharField(
        label="Full name", max_length=200, validators=[validate_person_name]
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class ConfirmIdentityForm(forms.Form):
    """The password, or a code from an authenticator app or a backup code, asked again.

    The password goes through authenticate(), so wrong ones count towards the
    sign-in lockout exactly as at sign-in; a code goes through the device, with
    its own throttle, and a backup code is used up.
    """

    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Or a code from your authenticator app, or a backup code"),
        help_text=gettext_lazy("Enter your password or a code. One of them is enough."),
        max_length=16,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        ),
    )

    def __init__(
        self, *args: Any, user: User, request: HttpRequest, signed_in_with: object, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request
        self.signed_in_with = signed_in_with
        self.confirmed_with = ""
        self.throttled = False

    def _authenticator(self) -> TOTPDevice | None:
        """The authenticator this session signed in with, else the first one; locked,
        so parallel guesses queue behind each other and see the throttle count."""
        devices = TOTPDevice.objects.select_for_update(no_key=True).filter(
            user=self.user, confirmed=True
        )
        persistent_id = getattr(self.signed_in_with, "persistent_id", None)
        chosen = next((d for d in devices.order_by("pk") if d.persistent_id == persistent_id), None)
        return chosen or devices.order_by("pk").first()

    def _code_is_right(self, code: str) -> bool:
        if code.isdigit() and len(code) == 6:
            device: TOTPDevice | StaticDevice | None = self._authenticator()
            self.confirmed_with = "authenticator"
        else:
            device = (
                StaticDevice.objects.select_for_update(no_key=True)
                .filter(user=self.user, confirmed=True)
                .first()
            )
            self.confirmed_with = "backup code"
        if device is None:
            return False
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            self.throttled = True
            return False
        return bool(device.verify_token(code))

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        password = cleaned.get("password") or ""
        code = "".join((cleaned.get("code") or "").split())
        if not password and not code:
            raise ValidationError(
                {"password": gettext("Enter your password, or a code from your authenticator app.")}
            )
        if password:
            signed_in = authenticate(self.request, username=self.user.email, password=password)
            if signed_in is None or signed_in.pk != self.user.pk:
                self.add_error("password", gettext("That password is not right."))
            else:
                self.confirmed_with = "password"
        if code and not self._code_is_right(code):
            audit.record(
                action="auth.identity_confirmation_failed",
                actor=self.user,
                obj=self.user,
                details={"with": self.confirmed_with},
            )
            self.add_error(
                "code",
                gettext("Too many wrong codes. Wait a minute, then try again.")
                if self.throttled
                else gettext("That code is not right, or it has been used already."),
            )
        return cleaned


class PasskeyForm(forms.Form):
    """The browser's signed answer to the passkey challenge its page was given.

    The challenge lives in the session (set when the page is shown, taken back
    here), so an answer counts once and only for the challenge this browser saw.
    """

    step_name = "passkey"
    # The wizard checks each step again when it finishes; a passkey answer is
    # good once, so, like django-two-factor's token forms, check it only once.
    idempotent = False
    assertion = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        user: User,
        initial_device: object = None,
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.request = request

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        try:
            credential = passkey_answer_verify(
                user=self.user,
                request=self.request,
                assertion=self.cleaned_data.get("assertion") or "",
            )
        except ValidationError:
            audit.record(
                action="auth.second_factor_failed",
                actor=self.user,
                obj=self.user,
                details={"step": self.step_name},
            )
            raise
        # What django_otp.login reads when the wizard signs the user in, exactly
        # as for a code from an authenticator app.
        self.user.otp_device = credential  # type: ignore[attr-defined]
        return cleaned_data


class WhoToTellForm(forms.Form):
    online_presence_lead = forms.ModelChoiceField(
        label="Online-presence lead",
        help_text=str(Organisation._meta.get_field("online_presence_lead").help_text),
        queryset=User.objects.none(),
        required=False,
        empty_label="No one named",
    )
    urgent_route = forms.CharField(
        label="How to raise an urgent worry",
        help_text=str(Organisation._meta.get_field("urgent_route").help_text),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "online_presence_lead").queryset = User.objects.filter(
            organisation=organisation, is_active=True
        ).order_by("full_name")


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Work phone",
        help_text="Shown in the who-to-tell directory when you are the DSL, a deputy or "
        "the online-presence lead. Leave blank for none.",
        max_length=40,
        required=False,
        validators=[validate_phone],
    )


class ParentPagesForm(forms.Form):
    """What parents see of the service: its logo, how to reach it, its language
    and what it calls its safeguarding lead."""

    logo = forms.FileField(
        label="Logo",
        help_text="A PNG or JPEG image, 1 MB or smaller, shown at the top of parents' pages. "
        "Leave empty to keep the current one.",
        required=False,
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    contact_phone = forms.CharField(
        label="Phone number for parents",
        max_length=40,
        required=False,
        validators=[validate_phone],
    )
    contact_email = forms.EmailField(label="Email address for parents", required=False)
    parent_language = forms.ChoiceField(
        label="Language parents see first",
        help_text="Parents can switch between English and Welsh on every page.",
        choices=settings.LANGUAGES,
    )
    safeguarding_title = forms.ChoiceField(
        label="Title of the safeguarding lead",
        help_text=str(Organisation._meta.get_field("safeguarding_title").help_text),
        choices=SafeguardingTitle.choices,
    )

    def clean_logo(self) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        # One byte past the limit is enough to know it is too big.
        return logo_clean(upload.read(logos.MAX_BYTES + 1))
