import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Organisation, User
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from consent.models import Channel
from practice.models import Platform, PlatformKind, WorkDevice


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


class SettingsForm(forms.Form):
    working_day_starts = forms.TimeField(
        label="Working day starts", widget=forms.TimeInput(attrs={"type": "time"})
    )
    working_day_ends = forms.TimeField(
        label="Working day ends", widget=forms.TimeInput(attrs={"type": "time"})
    )
    require_purpose = forms.BooleanField(label="A contact must state its purpose", required=False)
    flag_out_of_hours = forms.BooleanField(
        label="Tell the DSL of contact outside working hours", required=False
    )
    require_copy = forms.BooleanField(
        label="Messages to a child must copy in another adult", required=False
    )
    video_safeguards = forms.BooleanField(
        label="Video sessions need a parent at both ends, a second member of staff, a single-use "
        "link and camera checks",
        required=False,
    )
    approved_platforms_only = forms.BooleanField(
        label="Only approved, risk-assessed platforms", required=False
    )
    registered_devices_only = forms.BooleanField(
        label="Phone-based contact only from a registered work device", required=False
    )
    require_dbs = forms.BooleanField(
        label="No online contact without a current DBS check", required=False
    )

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
