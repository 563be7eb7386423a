from typing import Any

from django import forms

from common.forms import DateInput, not_in_future
from compliance.models import DBSCheck, TrainingRecord


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
    class Meta:
        model = TrainingRecord
        fields = ["kind", "level", "completed_on"]
        widgets = {"completed_on": DateInput()}
        labels = {"kind": "Training", "completed_on": "Date completed"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].validators.append(not_in_future)
