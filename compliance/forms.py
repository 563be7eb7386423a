from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from accounts.models import Role
from common.forms import DateInput, not_in_future
from common.private_files import DOCUMENT_MAX_BYTES
from compliance.models import DBSCheck, TrainingKind, TrainingRecord


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
                self.fields[ROLE_TRAINING_FIELD.format(role=role, kind=kind)] = forms.BooleanField(
                    label=f"{role_label} needs {kind_label}",
                    required=False,
                    initial=current.get((role, kind), False),
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
