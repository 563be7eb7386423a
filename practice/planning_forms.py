"""The form a member of staff fills in to plan a session or contact and ask
"may I?" before it (practice.planning answers)."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import User
from children.models import Child, Guardian
from children.services import guardians_with_responsibility
from common.forms import model_choice_field
from consent.models import Channel
from practice import services as practice
from practice.models import Platform, With, WorkDevice

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_field(label: str, *, required: bool, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL],
        error_messages={
            "required": "Enter the date and time of the session.",
            "invalid": "Enter a date and time, for example 14/05/2026 10:00.",
        },
    )


class PlanForm(forms.Form):
    """A session or contact to come, as it is planned. The rules it is checked
    against are practice.contact_rules'; this form only refuses input that
    cannot be true, so "no" comes back as reasons, not as field errors."""

    planned_for = _datetime_field("When", required=True)
    channel = forms.ChoiceField(label="Kind of session or contact", choices=Channel.choices)
    with_whom = forms.ChoiceField(label="With whom", choices=With.choices, initial=With.CHILD)
    guardian = forms.ModelChoiceField(
        label="Which parent or carer",
        queryset=Guardian.objects.none(),
        required=False,
        help_text="Only if the contact is with a parent or carer.",
    )
    purpose = forms.CharField(
        label="Purpose",
        max_length=300,
        required=False,
        help_text="For example: weekly music therapy session.",
    )
    approved_platform = forms.ModelChoiceField(
        label="Platform",
        queryset=Platform.objects.none(),
        required=False,
        help_text="For video, chat and voice messages. Only approved platforms with a "
        "current risk assessment are listed.",
    )
    device = forms.ModelChoiceField(
        label="Work device",
        queryset=WorkDevice.objects.none(),
        required=False,
        help_text="For phone calls, voice messages and chat: your registered work device, "
        "attested this year.",
    )
    second_staff = forms.ModelChoiceField(
        label="Second member of staff", queryset=User.objects.none(), required=False
    )
    parent_present = forms.ModelChoiceField(
        label="Parent or carer who will be close by",
        queryset=Guardian.objects.none(),
        required=False,
    )
    permission_from = forms.ModelChoiceField(
        label="Direct message: permission for this occasion from",
        queryset=Guardian.objects.none(),
        required=False,
        help_text="A parent or carer with parental responsibility.",
    )
    permission_at = _datetime_field("Direct message: when they gave permission", required=False)
    permission_for = forms.CharField(
        label="Direct message: what the permission is for",
        max_length=300,
        required=False,
    )

    def __init__(self, *args: Any, child: Child, staff: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["planned_for"].initial = _next_hour()
        guardians = Guardian.objects.filter(child_links__child=child).order_by("full_name")
        model_choice_field(self, "guardian").queryset = guardians
        model_choice_field(self, "parent_present").queryset = guardians
        model_choice_field(self, "permission_from").queryset = guardians_with_responsibility(
            child
        ).order_by("full_name")
        # Usable today; "may I?" checks them again for the day of the session.
        usable = practice.usable_platforms(staff.organisation)
        model_choice_field(self, "approved_platform").queryset = Platform.objects.filter(
            pk__in=[p.pk for p in usable]
        ).order_by("name")
        model_choice_field(self, "device").queryset = WorkDevice.objects.filter(
            pk__in=[d.pk for d in practice.devices_for(staff)]
        ).order_by("description")
        model_choice_field(self, "second_staff").queryset = (
            User.objects.filter(
                organisation_id=staff.organisation_id, is_active=True, is_superuser=False
            )
            .exclude(pk=staff.pk)
            .order_by("full_name")
        )

    def clean_planned_for(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["planned_for"]
        # The same allowance practice.planning.session_plan gives, asked of "Check" too.
        if value < timezone.now() - dt.timedelta(minutes=5):
            raise forms.ValidationError("A plan is for a time to come: log a past session instead.")
        return value


def _next_hour() -> dt.datetime:
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
