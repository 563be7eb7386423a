"""Forms for retention reviews, legal holds and subject access requests."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import User
from children.models import Child, Guardian
from common.forms import DateInput, StaffChoiceField, model_choice_field
from records.models import HoldScope


class RuleForm(forms.Form):
    months = forms.IntegerField(
        label="Keep for (months)",
        min_value=1,
        max_value=1200,
        error_messages={"required": "Enter how many months to keep these records."},
    )


class KeepForm(forms.Form):
    reason = forms.CharField(
        label="Why keep it",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the record is kept."},
    )
    keep_until = forms.DateField(
        label="Review again on",
        widget=DateInput(),
        error_messages={"required": "Enter when to review it again."},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason."},
    )


class HoldForm(forms.Form):
    scope = forms.ChoiceField(label="What the hold covers", choices=HoldScope.choices)
    child = forms.ModelChoiceField(
        label="Child (for a hold on one child)", queryset=Child.objects.none(), required=False
    )
    incident = forms.CharField(
        label="Incident reference (for a hold on one incident)",
        max_length=20,
        required=False,
        help_text="For example OS-2026-0042.",
    )
    reason = forms.CharField(
        label="Why the records must be kept",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: a police investigation, an inquiry or a claim.",
        error_messages={"required": "Say why the records must be kept."},
    )
    until = forms.DateField(
        label="Until (leave empty: until released)", required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, children: QuerySet[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "child").queryset = children


class SarForm(forms.Form):
    requester = forms.CharField(
        label="Who asked",
        max_length=200,
        help_text="Their name and relationship, for example: Grace Okoro, Maya's mother.",
        error_messages={"required": "Say who asked."},
    )
    child = forms.ModelChoiceField(
        label="About a child", queryset=Child.objects.none(), required=False
    )
    guardian = forms.ModelChoiceField(
        label="Or about a parent or carer", queryset=Guardian.objects.none(), required=False
    )
    staff = StaffChoiceField(
        label="Or about a member of staff", queryset=User.objects.none(), required=False
    )
    received_on = forms.DateField(
        label="Received on",
        widget=DateInput(),
        help_text="The reply is due one calendar month later, counting the day it arrived.",
        error_messages={"required": "Enter the date the request arrived."},
    )
    notes = forms.CharField(
        label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        children: QuerySet[Child],
        guardians: QuerySet[Guardian],
        staff: QuerySet[User],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "child").queryset = children
        model_choice_field(self, "guardian").queryset = guardians
        model_choice_field(self, "staff").queryset = staff
