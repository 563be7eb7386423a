import datetime as dt
import hashlib
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import OnlineDBSLevel, Organisation, User
from children.models import Child, Guardian
from children.services import guardians_with_responsibility
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from common.private_files import DOCUMENT_MAX_BYTES
from common.uploads import UploadRefused, pdf_check
from consent.models import Channel
from practice.models import (
    PlannedSession,
    Platform,
    PlatformKind,
    PracticeSettings,
    With,
    WorkDevice,
)


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
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_file = forms.FileField(
        label="Evidence file (optional)",
        required=False,
        help_text="A PDF, a PNG or JPEG image, or a Word document (.docx), up to 10 MB. "
        "Kept privately with this record.",
    )

    def clean_evidence_file(self) -> UploadedFile | None:
        """Refused from its declared size before anything reads it; its content
        is checked where it is stored (services.task_complete)."""
        upload = self.cleaned_data.get("evidence_file")
        if upload and upload.size is not None and upload.size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload or None


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=200)
    description = forms.CharField(
        label="What the policy asks for, and why",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_expected = forms.CharField(
        label="What counts as evidence",
        required=False,
        max_length=300,
        help_text="For example: the monitoring log for the month, signed by both monitors.",
    )
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=User.objects.none(),
        help_text="Reminded when it falls due.",
        error_messages={"required": "Choose who owns the task."},
    )
    cycle_months = forms.IntegerField(
        label="How often, in months",
        min_value=1,
        max_value=36,
        help_text="1 for monthly, 4 for each term, 12 for yearly.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
    )
    next_due = forms.DateField(label="First due on", widget=DateInput())

    def __init__(
        self, *args: Any, organisation: Organisation, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = User.objects.filter(
            organisation=organisation, is_active=True, is_superuser=False
        ).order_by("full_name")
        if editing:
            self.fields["next_due"].label = "Next due on"


class TaskRetireForm(forms.Form):
    reason = forms.CharField(
        label="Why it is no longer needed (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# A copy of a message: what it really is, from its first bytes, whatever its name says.
MESSAGE_FILE_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}
MESSAGE_FILE_MAX_BYTES = 5_000_000
MESSAGE_FILE_MAX_PAGES = 50
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
EARLIEST_YEAR = 2000


def _when_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT],
    )


def _tick(label: str, help_text: str = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, help_text=help_text)


class ContactForm(forms.Form):
    """A session or contact with a child, or with a parent about the child, as it
    happened. Nothing here refuses a contact for breaking a rule: the contact
    log saves it with each breach named (practice.contact_log)."""

    # Fieldsets of the page, in order: (legend, field names, channels it is for or None).
    GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
        (
            "The contact",
            ("happened_at", "channel", "with_whom", "guardian", "plan", "purpose"),
            None,
        ),
        ("How it was made", ("approved_platform", "device"), None),
        (
            "Who else was there",
            ("parent_present", "parent_contacted_start", "parent_contacted_end", "second_staff"),
            ("video", "chat", "voice", "phone"),
        ),
        (
            "The video meeting",
            ("single_use_link", "passcode", "waiting_room", "camera_verified", "camera_refused"),
            ("video",),
        ),
        (
            "Copied in, and a copy of the message",
            ("copied_staff", "copied_guardians", "message_text", "message_file"),
            ("chat", "email", "voice"),
        ),
        (
            "A parent's permission for this occasion",
            ("permission_from", "permission_at", "permission_for"),
            ("chat", "email", "voice", "phone"),
        ),
        (
            "What else happened",
            ("unsolicited", "participant_removed", "removal_reason", "notes", "override_reason"),
            None,
        ),
    )

    happened_at = _when_field("When")
    channel = forms.ChoiceField(
        label="Kind of contact",
        choices=Channel.choices,
        help_text="Video sessions need a parent or carer close by, a second member of staff and "
        "the meeting safeguards; messages copy in another adult; phone calls and voice "
        "messages come from your registered work device.",
    )
    with_whom = forms.ChoiceField(
        label="With whom",
        choices=With.choices,
        initial=With.CHILD,
    )
    guardian = forms.ModelChoiceField(
        label="Which parent or carer",
        queryset=Guardian.objects.none(),
        required=False,
        help_text="Only when the contact was with a parent or carer.",
    )
    plan = forms.ModelChoiceField(
        label="The planned session it belongs to",
        queryset=PlannedSession.objects.none(),
        required=False,
        empty_label="Find it for me (the same kind of contact that day)",
        help_text="Contact outside any planned session is flagged as outside scheduled "
        "appointments.",
    )
    purpose = forms.CharField(
        label="Purpose of the contact",
        max_length=300,
        required=False,
        help_text="For example: weekly music therapy session.",
    )
    approved_platform = forms.ModelChoiceField(
        label="Platform",
        queryset=Platform.objects.none(),
        required=False,
        help_text="Video, chat and voice messages: only approved platforms with a current "
        "risk assessment are listed.",
    )
    device = forms.ModelChoiceField(
        label="Work device used",
        queryset=WorkDevice.objects.none(),
        required=False,
        help_text="Phone calls, voice messages and chat: your registered work device.",
    )
    parent_present = forms.ModelChoiceField(
        label="Parent or carer close by",
        queryset=Guardian.objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="Who was physically close by and aware during the contact.",
    )
    parent_contacted_start = _tick("Video: a parent or carer was contacted at the start")
    parent_contacted_end = _tick("Video: a parent or carer was contacted at the end")
    second_staff = forms.ModelChoiceField(
        label="Second member of staff present",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
    )
    single_use_link = _tick("The meeting link was made for this session only")
    passcode = _tick("The meeting had a passcode")
    waiting_room = _tick("The meeting had a waiting room")
    camera_verified = _tick("Everyone's camera was checked at introductions")
    camera_refused = _tick(
        "The child would not switch the camera on",
        "It is recorded, and a follow-up is set: talk with the parent or carer before the "
        "next session.",
    )
    copied_staff = ModelMultipleChoiceField(
        label="Colleagues copied in",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    copied_guardians = ModelMultipleChoiceField(
        label="Parents or carers copied in (with parental responsibility)",
        queryset=Guardian.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    message_text = forms.CharField(
        label="A copy of the message (paste it)",
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Chat and email: the message as sent, kept with this record.",
    )
    message_file = forms.FileField(
        label="Or a file of the message",
        required=False,
        help_text="A PDF, PNG, JPEG or plain text file, up to 5 MB. Stored privately.",
    )
    permission_from = forms.ModelChoiceField(
        label="Permission given by",
        queryset=Guardian.objects.none(),
        required=False,
        empty_label="Nobody",
        help_text="Where the organisation asks for it: the parent or carer with parental "
        "responsibility who agreed to this direct message.",
    )
    permission_at = _when_field("Permission given at", required=False)
    permission_for = forms.CharField(
        label="What the permission was for",
        max_length=300,
        required=False,
    )
    unsolicited = _tick(
        "The child contacted me without being asked (unsolicited)",
        "Log it, do not reply from a personal account; the DSL is told.",
    )
    participant_removed = _tick("A participant was removed")
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
        label="Why it went ahead",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="Only if the contact broke one of the organisation's rules (consent "
        "included). It is saved either way, with each breach named, and the DSL is told.",
    )

    def __init__(self, *args: Any, staff: User, child: Child, **kwargs: Any) -> None:
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
        colleagues = User.objects.filter(
            organisation_id=staff.organisation_id, is_superuser=False
        ).exclude(pk=staff.pk)
        # A session logged late may have had a colleague who has since left.
        model_choice_field(self, "second_staff").queryset = colleagues.order_by(
            "-is_active", "full_name"
        )
        model_choice_field(self, "copied_staff").queryset = colleagues.filter(is_active=True)
        guardians = Guardian.objects.filter(child_links__child=child).distinct()
        with_pr = guardians_with_responsibility(child)
        model_choice_field(self, "guardian").queryset = guardians
        model_choice_field(self, "parent_present").queryset = guardians
        model_choice_field(self, "permission_from").queryset = with_pr
        model_choice_field(self, "copied_guardians").queryset = with_pr
        # Recent and today's: a session is logged soon after it happens.
        now = timezone.now()
        model_choice_field(self, "plan").queryset = PlannedSession.objects.filter(
            child=child,
            staff=staff,
            cancelled_at__isnull=True,
            planned_for__range=(now - dt.timedelta(days=14), now + dt.timedelta(days=1)),
        ).order_by("-planned_for")

    def groups(self) -> list[dict[str, Any]]:
        """The fields in their fieldsets, for the template."""
        return [
            {
                "legend": legend,
                "fields": [self[name] for name in names],
                "channels": " ".join(channels) if channels else "",
                "for_label": ", ".join(Channel(c).label.lower() for c in channels)
                if channels
                else "",
            }
            for legend, names, channels in self.GROUPS
        ]

    def clean_happened_at(self) -> dt.datetime:
        value = self.cleaned_data["happened_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("A contact cannot be in the future.")
        # The rules count days either side of it: a year no calendar reaches would overflow.
        if value.year < EARLIEST_YEAR:
            raise forms.ValidationError(f"Enter a date from {EARLIEST_YEAR} onwards.")
        return value

    def clean_permission_at(self) -> dt.datetime | None:
        value = self.cleaned_data.get("permission_at")
        if value is not None and value.year < EARLIEST_YEAR:
            raise forms.ValidationError(f"Enter a date from {EARLIEST_YEAR} onwards.")
        return value

    def clean_message_file(self) -> UploadedFile | None:
        """A copy kept for years and opened by the DSL: checked for what it really
        is, and stored under a name of our making, not the sender's."""
        upload = self.cleaned_data.get("message_file")
        if not upload:
            return None
        if upload.size is not None and upload.size > MESSAGE_FILE_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        data = upload.read(MESSAGE_FILE_MAX_BYTES + 1)
        if len(data) > MESSAGE_FILE_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        if not data:
            raise forms.ValidationError("The file is empty.")
        kind = next((k for magic, k in MESSAGE_FILE_TYPES.items() if data.startswith(magic)), None)
        if kind is None and _plain_text(data):
            kind = "txt"
        if kind is None:
            raise forms.ValidationError("Upload the message as a PDF, PNG, JPEG or text file.")
        if kind == "pdf":
            try:
                pdf_check(data, max_pages=MESSAGE_FILE_MAX_PAGES)
            except UploadRefused as error:
                raise forms.ValidationError(str(error)) from error
        digest = hashlib.sha256(data).hexdigest()[:16]
        return SimpleUploadedFile(
            f"message-{digest}.{kind}", data, content_type=MESSAGE_CONTENT_TYPES[kind]
        )


MESSAGE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "txt": "text/plain; charset=utf-8",
}


def _plain_text(data: bytes) -> bool:
    """UTF-8 text with no control characters but line breaks and tabs."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\r\n\t" for c in text)


class FollowUpDoneForm(forms.Form):
    outcome = forms.CharField(
        label="What was done, and what was agreed",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what was done and what was agreed."},
    )
