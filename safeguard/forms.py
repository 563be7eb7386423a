import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm, TOTPDeviceForm

from safeguard import audit
from safeguard.models import (
    Child,
    ContactPreference,
    DBSCheck,
    Organisation,
    Role,
    TrainingRecord,
    User,
)


def authenticator_label(device: TOTPDevice) -> str:
    """The first authenticator is called "default" by django-two-factor-auth."""
    return "Authenticator app" if device.name == "default" else device.name


class SignInForm(AuthenticationForm):
    """Django's sign-in form, labelled and autocompleted for an email login."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # Same words whether the email is unknown or the password wrong, so the
        # form does not reveal who has an account.
        "invalid_login": "Enter a correct email address and password.",
        "no_authenticator": (
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


class _AuditedSecondFactorMixin:
    """Record every failed second-factor attempt: a stolen password being tried."""

    request: HttpRequest | None
    user: User

    def clean(self) -> dict[str, object]:
        try:
            return super().clean()
        except ValidationError as error:
            audit.record(
                action="auth.second_factor_failed",
                actor=self.user,
                obj=self.user,
                request=self.request,
                details={"step": self.step_name},
            )
            # Shown beside the code field, where the person is looking.
            raise ValidationError({"otp_token": error.messages}) from error


class SecondFactorForm(_AuditedSecondFactorMixin, AuthenticationTokenForm):
    step_name = "authenticator"
    otp_token = forms.RegexField(
        label="Code from your authenticator app",
        help_text="The 6-digit code your authenticator app shows for Safeguard.",
        regex=r"^[0-9]{6}$",
        error_messages={"invalid": "Enter the 6-digit code, numbers only."},
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
        "invalid_token": "That code is not right. Check the time on your phone and try again.",
    }

    def __init__(
        self,
        user: User,
        initial_device: object,
        request: HttpRequest | None = None,
        **kwargs: object,
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
                label="Which authenticator are you using?",
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
            TOTPDevice.objects.select_for_update().filter(pk=device.pk).first() if device else None
        )


class BackupCodeForm(_AuditedSecondFactorMixin, BackupTokenForm):
    step_name = "backup code"
    otp_token = forms.CharField(
        label="Backup code",
        help_text="One of the backup codes you saved when you set up your authenticator.",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "invalid_token": "That backup code is not right, or it has been used already.",
    }

    def __init__(
        self,
        user: User,
        initial_device: object,
        request: HttpRequest | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(user, initial_device, **kwargs)
        self.request = request

    def _chosen_device(self, user: User) -> StaticDevice | None:
        # Locked, so one backup code cannot sign in two browsers at the same moment.
        return StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()


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
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


# --- children and guardians --------------------------------------------------------------


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing an id no database column could hold before it
    reaches the query (SQLite raises OverflowError on pk__in with 2**63)."""

    def _check_values(self, value: object) -> object:
        if self.to_field_name in (None, "pk", "id"):
            for item in value or ():
                try:
                    number = int(str(item))
                except (TypeError, ValueError):
                    continue  # Django's own check explains it
                if not -(2**63) <= number < 2**63:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super()._check_values(value)


class DateInput(forms.DateInput):
    """A browser date picker; its value must be ISO 8601 whatever the locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def validate_phone(phone: str) -> None:
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{7,30}", phone):
        raise ValidationError("Enter a phone number using digits, spaces and + only.")


def not_in_future(value: object) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError("The date cannot be in the future.")


def require_contact_details(form: forms.Form, *, email_field: str, phone_field: str) -> None:
    """The guardian's preferred way of being contacted needs its details.

    Used by the guardian form and by each row of the onboarding import. A value
    that is present but invalid already has its own message, so only what is
    missing is flagged.
    """
    data = form.cleaned_data
    contact = data.get("preferred_contact")
    needed = {
        ContactPreference.EMAIL: (
            email_field,
            "Enter an email address, or choose another contact.",
        ),
        ContactPreference.PHONE: (phone_field, "Enter a phone number for phone or text contact."),
        ContactPreference.TEXT: (phone_field, "Enter a phone number for phone or text contact."),
    }
    if contact in needed:
        field, message = needed[contact]
        if not data.get(field) and field not in form.errors:
            form.add_error(field, message)


class ChildForm(forms.ModelForm):
    class Meta:
        model = Child
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "active_from",
            "discharged_on",
            "communication_needs",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "active_from": DateInput(),
            "discharged_on": DateInput(),
            "communication_needs": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"discharged_on": "Discharged on (leave empty while still seen)"}

    def clean(self) -> dict[str, object]:
        data = super().clean()
        born, active, discharged = (
            data.get("date_of_birth"),
            data.get("active_from"),
            data.get("discharged_on"),
        )
        if born and born > timezone.localdate():
            self.add_error("date_of_birth", "The date of birth cannot be in the future.")
        if active and discharged and discharged < active:
            self.add_error("discharged_on", "The discharge date must be after the start date.")
        return data


class GuardianForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email address", max_length=254, required=False)
    phone = forms.CharField(label="Phone number", max_length=30, required=False)
    preferred_contact = forms.ChoiceField(
        label="Preferred contact", choices=ContactPreference.choices
    )
    relationship = forms.CharField(
        label="Relationship to the child",
        max_length=60,
        help_text="For example: mother, father, foster carer, grandparent.",
    )
    parental_responsibility = forms.BooleanField(
        label="Has parental responsibility",
        required=False,
        help_text="Only someone with parental responsibility can give consent.",
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        validate_phone(phone)
        return phone

    def clean(self) -> dict[str, object]:
        data = super().clean()
        require_contact_details(self, email_field="email", phone_field="phone")
        return data


class AllocationForm(forms.Form):
    staff = forms.ModelChoiceField(label="Member of staff", queryset=User.objects.none())
    starts_on = forms.DateField(label="Start date", widget=DateInput())

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = User.objects.filter(
            organisation=organisation, is_active=True, is_superuser=False
        ).order_by("full_name")
        self.fields["starts_on"].initial = timezone.localdate()


IMPORT_MAX_BYTES = 1_000_000


class ChildImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Saved from a spreadsheet as CSV UTF-8, with the column names in the first row.",
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError("Choose a file ending in .csv.")
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(f"The file is larger than {IMPORT_MAX_BYTES // 1_000_000} MB.")
        return upload


# --- staff compliance -------------------------------------------------------------------------


class DBSCheckForm(forms.ModelForm):
    class Meta:
        model = DBSCheck
        fields = ["level", "issued_on", "update_service"]
        widgets = {"issued_on": DateInput()}
        labels = {"level": "Level of check", "issued_on": "Certificate issue date"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].validators.append(not_in_future)


class TrainingForm(forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["kind", "level", "completed_on"]
        widgets = {"completed_on": DateInput()}
        labels = {"kind": "Training", "completed_on": "Date completed"}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].validators.append(not_in_future)
