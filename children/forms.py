from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child, ContactPreference, FlagKind
from common.forms import DateInput, model_choice_field, require_contact_details, validate_phone
from common.validators import validate_person_name


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

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
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
    full_name = forms.CharField(
        label="Full name", max_length=200, validators=[validate_person_name]
    )
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        require_contact_details(self, email_field="email", phone_field="phone")
        return data


class AllocationForm(forms.Form):
    staff = forms.ModelChoiceField(label="Member of staff", queryset=User.objects.none())
    starts_on = forms.DateField(label="Start date", widget=DateInput())

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "staff").queryset = User.objects.filter(
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


class ChildFlagForm(forms.Form):
    kind = forms.ChoiceField(label="Flag", choices=FlagKind.choices)
    started_on = forms.DateField(label="Started on", widget=DateInput())
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the local authority's reference or the lead professional.",
    )


class ChildFlagEndForm(forms.Form):
    ended_on = forms.DateField(label="Ended on", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()
