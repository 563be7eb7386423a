"""Forms for sending, receiving and importing a child protection file."""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from common.forms import DateInput
from incidents.forms import NamedErrorsForm, text_field
from incidents.transfer_models import PACKAGE_MAX_BYTES, PassphraseRoute


class TransferForm(NamedErrorsForm):
    left_on = forms.DateField(
        label="The day the child left",
        help_text="The file is due 5 school days after this. A child with no leaving "
        "date yet gets this one.",
        widget=DateInput(),
    )
    recipient_name = forms.CharField(label="Recipient's name", max_length=200)
    recipient_role = forms.CharField(
        label="Their role", max_length=120, help_text="For example: Designated Safeguarding Lead"
    )
    recipient_setting = forms.CharField(label="Their school or service", max_length=200)
    recipient_email = forms.EmailField(
        label="Their email address",
        help_text="The link to collect the file goes here. Use a work address.",
    )
    passphrase_route = forms.ChoiceField(
        label="How the passphrase will reach them",
        choices=[("", "Choose"), *PassphraseRoute.choices],
        help_text="Never in the same email as the link.",
    )


class TransferNotNeededForm(NamedErrorsForm):
    reason = text_field("Why no child protection file needs to go", max_length=2_000)


class ReceiptForm(NamedErrorsForm):
    name = forms.CharField(label="Your name", max_length=200)
    role = forms.CharField(label="Your role", max_length=120)
    setting = forms.CharField(label="Your school or service", max_length=200)
    note = text_field("Anything the sender should know", required=False, max_length=2_000)


class ImportForm(NamedErrorsForm):
    package = forms.FileField(
        label="The child protection file (PDF)",
        help_text=f"The encrypted PDF you were sent, up to {PACKAGE_MAX_BYTES // 1_000_000} MB.",
    )
    passphrase = forms.CharField(
        label="Passphrase",
        max_length=100,
        help_text="As the sender gave it to you; spaces and capitals do not matter.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def clean_package(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["package"]
        if upload.size is not None and upload.size > PACKAGE_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {PACKAGE_MAX_BYTES // 1_000_000} MB."
            )
        return upload
