import datetime as dt
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import OnlineDBSLevel, Organisation, User
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from consent.models import Channel
from practice.models import Platform, PlatformKind, PracticeSettings, WorkDevice


class PlatformForm(forms.Form):
    name = forms.CharField(
        label="Platform name",
        max_length=120,
        error_messages={"required": "Enter the platform's name."},
    )
    kind = forms.ChoiceField(label="Kind", choices=PlatformKind.choices)
    notes = forms.CharField(
        label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label="Assessed on",
        widget=DateInput(),
        error_messages={"required": "Enter the assessment date."},
    )
    summary = forms.CharField(
        label="Risks and how they are managed",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Summarise the risks and how they are managed."},
    )
    review_due = forms.DateField(
        label="Review by (leave empty: in 12 months)", required=False, widget=DateInput()
    )


class DeviceForm(forms.Form):
    description = forms.CharField(
        label="Device",
        max_length=200,
        help_text="For example: work mobile, grey Samsung.",
        error_messages={"required": "Describe the device."},
    )


class AttestationForm(forms.Form):
    password_protected = forms.BooleanField(label="It is password or PIN protected", required=False)
    kept_from_others = forms.BooleanField(
        label="Nobody else uses it, and it is kept where others cannot", required=False
    )


# Every safeguard of PracticeSettings, grouped as a practitioner meets them.
# tests/practice/test_settings_page.py fails on a boolean left out, so a new
# rule cannot be added without a place on the page.
SETTING_GROUPS: list[tuple[str, list[str]]] = [
    ("Before a session", ["scheduled_only", "require_purpose"]),
    (
        "During a session",
        [
            "parent_present",
            "parent_contacted_start",
            "parent_contacted_end",
            "second_staff",
            "single_use_link",
            "passcode",
            "waiting_room",
            "camera_check",
        ],
    ),
    (
        "Phone calls and messages",
        ["never_phone_or_text_child", "occasion_permission", "require_copy"],
    ),
    (
        "Staff, platforms and devices",
        [
            "require_dbs",
            "online_dbs_level",
            "approved_platforms_only",
            "registered_devices_only",
            "work_device_chat",
        ],
    ),
    ("Hours", ["working_day_starts", "working_day_ends", "flag_out_of_hours"]),
]
RULE_FIELDS = {field.name: field for field in PracticeSettings._meta.get_fields()}
SAFEGUARDS = [
    name
    for _, names in SETTING_GROUPS
    for name in names
    if isinstance(RULE_FIELDS.get(name), models.BooleanField)
]


def _safeguard_field(name: str) -> forms.Field:
    """Labelled and explained by the model, so the page and the policy clause
    each rule carries never drift apart."""
    model_field = PracticeSettings._meta.get_field(name)
    if not isinstance(model_field, models.BooleanField):
        raise TypeError(f"{name} is not one of the practice safeguards")
    return forms.BooleanField(
        label=capfirst(str(model_field.verbose_name)),
        help_text=str(model_field.help_text),
        required=False,
    )


class SettingsForm(forms.Form):
    working_day_starts = forms.TimeField(
        label="Working day starts",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter when the working day starts."},
    )
    working_day_ends = forms.TimeField(
        label="Working day ends",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter when the working day ends."},
    )
    # The organisation's, not the practice settings': staff compliance reads it too.
    online_dbs_level = forms.ChoiceField(
        label=capfirst(str(Organisation._meta.get_field("online_dbs_level").verbose_name)),
        help_text=str(Organisation._meta.get_field("online_dbs_level").help_text),
        choices=OnlineDBSLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the DBS level online work needs."},
    )

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in SETTING_GROUPS]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (
            data.get("working_day_starts")
            and data.get("working_day_ends")
            and (data["working_day_ends"] <= data["working_day_starts"])
        ):
            self.add_error("working_day_ends", "The working day must end after it starts.")
        return data


SettingsForm.base_fields = {
    name: SettingsForm.base_fields.get(name) or _safeguard_field(name)
    for _, names in SETTING_GROUPS
    for name in names
}


class AccountForm(forms.Form):
    platform = forms.CharField(
        label="Platform", max_length=120, error_messages={"required": "Enter the platform."}
    )
    handle = forms.CharField(
        label="Account name or handle",
        max_length=120,
        error_messages={"required": "Enter the account's name or handle."},
    )
    privacy = forms.CharField(
        label="Privacy setting",
        max_length=200,
        error_messages={"required": "Enter the privacy setting."},
    )
    holders = ModelMultipleChoiceField(
        label="Staff who hold access (at least two)",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    monitors = ModelMultipleChoiceField(
        label="Appointed monitors (at least two)",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    advice_on = forms.DateField(
        label="Last safeguarding advice from the DSL", required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(organisation=organisation, is_active=True, is_superuser=False)
        model_choice_field(self, "holders").queryset = staff
        model_choice_field(self, "monitors").queryset = staff


class TaskDoneForm(forms.Form):
    done_on = forms.DateField(
        label="Done on",
        widget=DateInput(),
        error_messages={"required": "Enter the date it was done."},
    )
    evidence = forms.CharField(
        label="What was done, and where the evidence is",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was done and where the evidence is."},
    )


class ContactForm(forms.Form):
    """A session or contact with a child, with what the organisation's online
    practice rules ask of it (see practice.contact_rules)."""

    happened_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    channel = forms.ChoiceField(label="Kind of contact", choices=Channel.choices)
    purpose = forms.CharField(
        label="Purpose of the contact",
        max_length=300,
        required=False,
        help_text="For example: weekly music therapy session.",
    )
    unsolicited = forms.BooleanField(
        label="The child contacted me without being asked (unsolicited)",
        required=False,
        help_text="Log it, do not reply from a personal account; the DSL is told.",
    )
    approved_platform = forms.ModelChoiceField(
        label="Platform",
        queryset=Platform.objects.none(),
        required=False,
        help_text="Only approved platforms with a current risk assessment are listed.",
    )
    device = forms.ModelChoiceField(
        label="Work device used",
        queryset=WorkDevice.objects.none(),
        required=False,
        help_text="For phone calls and voice messages: your registered work device.",
    )
    copied_to = forms.CharField(
        label="Who was copied in",
        max_length=200,
        required=False,
        help_text="For email and messages: another member of staff or a parent.",
    )
    parent_contacted_start = forms.BooleanField(
        label="Video: a parent was contacted at the start", required=False
    )
    parent_contacted_end = forms.BooleanField(
        label="Video: a parent was contacted at the end", required=False
    )
    parent_present_start = forms.BooleanField(label="A parent was present", required=False)
    parent_present_end = forms.BooleanField(label="A parent was present at the end", required=False)
    second_staff = forms.ModelChoiceField(
        label="Second member of staff present", queryset=User.objects.none(), required=False
    )
    single_use_link = forms.BooleanField(
        label="Video: the meeting link was used only once", required=False
    )
    camera_verified = forms.BooleanField(
        label="Video: everyone's camera was checked at introductions", required=False
    )
    participant_removed = forms.BooleanField(label="A participant was removed", required=False)
    removal_reason = forms.CharField(
        label="Why the participant was removed",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Removing someone opens a draft incident for the DSL.",
    )
    notes = forms.CharField(
        label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    override_reason = forms.CharField(
        label="If consent was not in place: why the contact was necessary",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="Only if needed. The Designated Safeguarding Lead is told.",
    )

    def __init__(self, *args: Any, staff: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from practice import services as practice

        self.fields["happened_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        usable = practice.usable_platforms(staff.organisation)
        model_choice_field(self, "approved_platform").queryset = Platform.objects.filter(
            pk__in=[p.pk for p in usable]
        )
        model_choice_field(self, "device").queryset = WorkDevice.objects.filter(
            pk__in=[d.pk for d in practice.devices_for(staff)]
        )
        model_choice_field(self, "second_staff").queryset = User.objects.filter(
            organisation_id=staff.organisation_id, is_active=True, is_superuser=False
        ).exclude(pk=staff.pk)

    def clean_happened_at(self) -> dt.datetime:
        value = self.cleaned_data["happened_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("A contact cannot be in the future.")
        return value
