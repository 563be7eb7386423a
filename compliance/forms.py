import datetime as dt
from collections.abc import Sequence
from typing import Any

from dateutil.relativedelta import relativedelta
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import Role
from common.forms import DateInput, not_in_future
from common.private_files import DOCUMENT_MAX_BYTES
from compliance.models import TRAINING_VALID_MONTHS, DBSCheck, TrainingKind, TrainingRecord
from compliance.services import TRAINING_FLOOR
from policies.models import PolicyVersion


class DBSCheckForm(forms.ModelForm):
    class Meta:
        model = DBSCheck
        fields = ["level", "issued_on", "update_service"]
        widgets = {"issued_on": DateInput()}
        labels = {"level": "Level of check", "issued_on": "Certificate issue date"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].validators.append(not_in_future)


class TrainingForm(forms.ModelForm):
    # Not the model's field: the service checks the file's content before it is stored.
    certificate = forms.FileField(
        label="Certificate (optional)",
        required=False,
        help_text="A PDF, or a PNG or JPEG picture of it, up to 10 MB.",
    )

    class Meta:
        model = TrainingRecord
        fields = ["kind", "level", "completed_on", "delivery", "provider"]
        widgets = {"completed_on": DateInput()}
        labels = {
            "kind": "Training",
            "completed_on": "Date completed",
            "delivery": "Internal or external",
            "provider": "Provider (optional)",
        }
        help_texts = {"provider": "Who ran it: for example the local safeguarding partnership."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].validators.append(not_in_future)

    def clean_certificate(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("certificate")
        if upload and upload.size is not None and upload.size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload or None


ROLE_TRAINING_FIELD = "{role}__{kind}"


class RoleTrainingForm(forms.Form):
    """One box per role and kind of training: ticked when the role needs it."""

    def __init__(self, *args: Any, current: dict[tuple[str, str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, role_label in Role.choices:
            for kind, kind_label in TrainingKind.choices:
                floor = (role, kind) in TRAINING_FLOOR
                self.fields[ROLE_TRAINING_FIELD.format(role=role, kind=kind)] = forms.BooleanField(
                    label=f"{role_label} needs {kind_label}"
                    + (" (always required)" if floor else ""),
                    required=False,
                    initial=True if floor else current.get((role, kind), False),
                    # Shown ticked and fixed; a posted value is ignored.
                    disabled=floor,
                )

    @property
    def kinds(self) -> list[tuple[str, str]]:
        return [(str(kind), str(label)) for kind, label in TrainingKind.choices]

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Each role with its boxes, in the order of the kinds, for the table."""
        return [
            (
                str(role_label),
                [self[ROLE_TRAINING_FIELD.format(role=role, kind=kind)] for kind in TrainingKind],
            )
            for role, role_label in Role.choices
        ]

    def wanted(self) -> dict[tuple[str, str], bool]:
        return {
            (role, kind): bool(self.cleaned_data[ROLE_TRAINING_FIELD.format(role=role, kind=kind)])
            for role in Role.values
            for kind in TrainingKind.values
        }


class InductionForm(forms.Form):
    """A tick for each code of conduct still to accept, and the system training
    with the date it was done when it is missing or past its three years."""

    def __init__(
        self,
        *args: Any,
        versions: Sequence[PolicyVersion],
        training_due: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Where to go afterwards; the view checks it is a page of this site.
        self.fields["next"] = forms.CharField(
            required=False, max_length=2000, widget=forms.HiddenInput
        )
        self.versions = list(versions)
        for version in self.versions:
            name = f"{version.policy.title} ({version.label})"
            self.fields[f"accept_{version.pk}"] = forms.BooleanField(
                label=f"I have read and accept the {name}",
                error_messages={"required": f"Tick to confirm you accept the {name}."},
            )
        if training_due:
            self.fields["system_training"] = forms.BooleanField(
                label="I have completed training in using Safeguard",
                error_messages={
                    "required": "Tick to confirm you have completed training in using Safeguard."
                },
            )
            self.fields["system_training_on"] = forms.DateField(
                label="Date you completed it",
                widget=DateInput(),
                validators=[not_in_future, _within_validity],
                error_messages={
                    "required": "Enter the date you completed training in using Safeguard.",
                    "invalid": "Enter a real date.",
                },
            )

    def accept_fields(self) -> list[forms.BoundField]:
        return [self[f"accept_{version.pk}"] for version in self.versions]


def _within_validity(value: dt.date | None) -> None:
    months = TRAINING_VALID_MONTHS[TrainingKind.SYSTEM]
    if value is not None and value <= timezone.localdate() - relativedelta(months=months):
        raise ValidationError(
            ngettext(
                "Training in using Safeguard lasts %(years)d year, so this has expired. ",
                "Training in using Safeguard lasts %(years)d years, so this has expired. ",
                months // 12,
            )
            % {"years": months // 12}
            + "Complete it again, then enter that date."
        )
