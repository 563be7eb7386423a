from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from children.models import Child
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from incidents.models import (
    CATEGORY_REQUIRED,
    EVIDENCE_MAX_BYTES,
    NUDE_IMAGERY_REFUSAL,
    Agency,
    Category,
    ChronologyEntry,
    Decision,
    EntryKind,
    FamilyConsent,
    IcoDecision,
    Incident,
    IncidentType,
    LawfulBasis,
    Referral,
    Risk,
    SignoffRule,
    SpecialCategoryCondition,
)

TEXT_MAX = 10_000


def when_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


def text_field(
    label: str,
    *,
    required: bool = True,
    help_text: str = "",
    rows: int = 4,
    max_length: int = TEXT_MAX,
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NamedErrorsForm(forms.Form):
    """A required field left empty says which field, in the error summary too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = forms.Field.default_error_messages["required"]
        for field in self.fields.values():
            if field.error_messages.get("required") != default:
                continue  # the field says it better itself
            label = str(field.label or "this").lower()
            verb = (
                "Choose"
                if isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
                else ("Enter")
            )
            field.error_messages["required"] = f"{verb} {label}."


def _small_enough(upload: UploadedFile | None) -> UploadedFile | None:
    """Refused from its declared size, before it is read into memory."""
    if upload is not None and upload.size is not None and upload.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError("The file is larger than 10 MB.")
    return upload


def _blank(choices: list[tuple[str, str]], prompt: str = "Choose") -> list[tuple[str, str]]:
    return [("", prompt), *choices]


class ConcernForm(NamedErrorsForm):
    """Raising a concern: short enough to finish in two minutes on a phone."""

    children = ModelMultipleChoiceField(
        label="Children involved",
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others_involved = text_field(
        "Anyone else involved",
        required=False,
        rows=2,
        max_length=2000,
        help_text="Children not on your list, or adults involved, as far as you know them.",
    )
    occurred_at = when_field("When it happened", "Your best estimate if you are not sure.")
    disclosed_at = when_field("When it was disclosed or discovered")
    # The type first: it says whether the kind of risk is asked at all.
    incident_type = forms.ChoiceField(
        label="Type of concern",
        choices=_blank(IncidentType.choices),
        help_text="Nude or semi-nude images, or sextortion: read what to do below before "
        "you go on, and do not upload the image.",
    )
    category = forms.ChoiceField(
        label="Kind of risk",
        choices=_blank(Category.choices),
        required=False,
        help_text="Leave blank for a personal data breach.",
    )
    platform = forms.CharField(label="Platform or app", max_length=120, required=False)
    what_happened = text_field("What happened", rows=5)
    childs_words = text_field(
        "What the child said, in their own words",
        required=False,
        help_text="Write their words as they said them, without interpreting them.",
    )
    immediate_action = text_field("What you did straight away", required=False, rows=3)
    online_identifiers = text_field(
        "Usernames, links and other identifiers",
        required=False,
        rows=3,
        max_length=4000,
        help_text="Do not copy or forward indecent images: describe them instead.",
    )
    initial_risk = forms.ChoiceField(
        label="Risk as you see it now",
        choices=_blank(Risk.choices),
        help_text="If a child is in immediate danger, call 999 first.",
    )
    evidence = forms.FileField(
        label="Screenshot or file (optional)",
        required=False,
        help_text="PNG, JPEG, GIF, WebP or PDF, up to 10 MB. Stored privately.",
    )

    def clean_evidence(self) -> UploadedFile | None:
        return _small_enough(self.cleaned_data["evidence"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        incident_type = data.get("incident_type")
        if incident_type == IncidentType.DATA_BREACH:
            data["category"] = ""  # not asked of a breach, whatever was sent
        elif incident_type and not data.get("category"):
            self.add_error("category", CATEGORY_REQUIRED)
        return data

    def __init__(self, *args: Any, children: QuerySet[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if children.exists():
            model_choice_field(self, "children").queryset = children
        else:
            del self.fields["children"]  # someone with no caseload describes them instead
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["occurred_at"].initial = now
        self.fields["disclosed_at"].initial = now


class TriageForm(NamedErrorsForm):
    risk = forms.ChoiceField(label="Risk", choices=_blank(Risk.choices))
    decision = text_field("Triage decision", help_text="What you decided, and why.")
    next_action = forms.CharField(label="Next action", max_length=300, required=False)
    next_action_due = forms.DateField(label="Next action due", required=False, widget=DateInput())


class ActionForm(NamedErrorsForm):
    next_action = forms.CharField(label="Next action", max_length=300)
    next_action_due = forms.DateField(label="Due", required=False, widget=DateInput())
    risk = forms.ChoiceField(label="Risk as it stands now", choices=Risk.choices)


class _EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ChronologyEntry) -> str:
        return f"{timezone.localtime(obj.happened_at):%-d %b %Y %H:%M}: {obj.text[:60]}"


class EntryForm(NamedErrorsForm):
    kind = forms.ChoiceField(label="Kind of entry", choices=_blank(EntryKind.choices))
    happened_at = when_field("When it happened")
    text = text_field("Entry", rows=5)
    corrects = _EntryChoiceField(
        label="Corrects an earlier entry",
        queryset=ChronologyEntry.objects.none(),
        required=False,
        help_text="The earlier entry is kept; both are shown together.",
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "corrects").queryset = incident.chronology.filter(
            corrects__isnull=True
        )
        self.fields["happened_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ReferralForm(NamedErrorsForm):
    agency = forms.ChoiceField(label="Agency", choices=_blank(Agency.choices))
    agency_other = forms.CharField(label="Other agency (if other)", max_length=120, required=False)
    referred_on = forms.DateField(label="Date referred", widget=DateInput())
    reference = forms.CharField(label="Their reference", max_length=80, required=False)
    contact = forms.CharField(label="Contact at the agency", max_length=200, required=False)
    chase_on = forms.DateField(
        label="Chase on",
        required=False,
        widget=DateInput(),
        help_text="You are reminded from this date until an outcome is recorded.",
    )
    family_consent = forms.ChoiceField(
        label="Did the family consent to this referral?",
        choices=_blank(FamilyConsent.choices),
        help_text="The referral is recorded whatever the answer: consent is not needed to "
        "refer when a child is at risk. Without it, you are asked next to record why.",
        error_messages={"required": "Say whether the family consented, refused or was not asked."},
    )


class ReferralOutcomeForm(NamedErrorsForm):
    outcome = text_field("What the agency decided")
    outcome_on = forms.DateField(label="Date of the outcome", widget=DateInput())


class ReferralChaseForm(NamedErrorsForm):
    note = forms.CharField(label="What you did and heard", max_length=500)
    chase_on = forms.DateField(label="Chase again on", widget=DateInput())


class CloseForm(NamedErrorsForm):
    outcome = text_field("Outcome")
    no_referral_rationale = text_field(
        "Why no referral was needed",
        required=False,
        help_text="Required when nothing was referred.",
    )
    parents_informed = forms.TypedChoiceField(
        label="Were parents or carers informed?",
        choices=[("", "Choose"), ("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        error_messages={"required": "Say whether parents or carers were informed."},
    )
    parents_not_informed_reason = text_field(
        "Why parents or carers were not informed",
        required=False,
        rows=3,
        help_text="Required when they were not informed (for example, it would put the child "
        "at risk).",
    )


class SignoffDeclineForm(NamedErrorsForm):
    reason = text_field("Why the incident should stay open", rows=3)


class IcoForm(NamedErrorsForm):
    decision = forms.ChoiceField(label="Decision", choices=_blank(IcoDecision.choices))
    reference = forms.CharField(label="ICO reference (if reported)", max_length=60, required=False)
    reason = text_field(
        "Not reported because …",
        required=False,
        rows=3,
        help_text="Required when it is not reported: why the breach is unlikely to put "
        "anyone's rights and freedoms at risk.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        not_reported = data.get("decision") == IcoDecision.NOT_REPORTABLE
        if not_reported and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the breach is not reported to the ICO.")
        return data


class EvidenceForm(NamedErrorsForm):
    evidence = forms.FileField(
        label="Screenshot or file", help_text="PNG, JPEG, GIF, WebP or PDF, up to 10 MB."
    )
    description = forms.CharField(label="What it shows", max_length=300, required=False)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        if incident.is_nude_imagery:
            self.fields[
                "evidence"
            ].help_text = (
                "No file is kept for a nude or semi-nude image incident: describe it instead."
            )

    def clean_evidence(self) -> UploadedFile | None:
        if self.incident.is_nude_imagery:
            # Any file at all: a PDF or a document can carry the imagery too.
            raise forms.ValidationError(NUDE_IMAGERY_REFUSAL)
        return _small_enough(self.cleaned_data["evidence"])


class ImageryViewDecisionForm(NamedErrorsForm):
    reason = text_field(
        "Why the imagery had to be viewed",
        help_text="For example, to judge an immediate risk to a child that could not be "
        "judged from what was described.",
    )
    others_present = forms.CharField(
        label="Who else was present",
        max_length=300,
        required=False,
        help_text="Their names and roles. Another member of staff should be in the room, "
        "though they need not see the imagery.",
    )
    viewed_at = when_field("When it was viewed")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["viewed_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class AccessForm(NamedErrorsForm):
    staff = forms.ModelChoiceField(label="Member of staff", queryset=User.objects.none())

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "staff").queryset = staff


class IncidentSettingsForm(NamedErrorsForm):
    second_signoff = forms.ChoiceField(
        label="Ask a second DSL or deputy to sign off before an incident closes",
        choices=SignoffRule.choices,
    )


class _ReferralChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Referral) -> str:
        return f"{obj.agency_name}, referred {obj.referred_on:%-d %b %Y}"


class SharingDecisionForm(NamedErrorsForm):
    """A decision to share information, or not to, and why (Working Together 2023)."""

    decision = forms.ChoiceField(label="Your decision", choices=_blank(Decision.choices))
    shared_with = forms.CharField(
        label="With whom",
        max_length=200,
        help_text="The agency, and the person there if you know them.",
    )
    what = text_field("What was shared, or would have been", rows=3)
    consent = forms.ChoiceField(label="The family's consent", choices=_blank(FamilyConsent.choices))
    consent_note = text_field(
        "Why consent was not sought, or what the family said",
        required=False,
        rows=3,
        help_text="Required when consent was refused or not sought: for example, asking "
        "would put the child at risk.",
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis (UK GDPR Article 6)",
        choices=_blank(LawfulBasis.choices),
        help_text="Sharing to protect a child usually rests on public task or a legal "
        "obligation. Consent is not needed to share when a child is at risk.",
    )
    special_category = forms.ChoiceField(
        label="Special category data (UK GDPR Article 9)",
        choices=SpecialCategoryCondition.choices,
        required=False,
        help_text="Health, sex life, ethnicity, religion and the like. For safeguarding: "
        "DPA 2018 Schedule 1 paragraph 18.",
    )
    reason = text_field("The reason for your decision")
    decided_at = when_field("When the decision was made")
    referral = _ReferralChoiceField(
        label="The referral this records (if any)",
        queryset=Referral.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        referrals = incident.referrals.all()
        if referrals.exists():
            model_choice_field(self, "referral").queryset = referrals
        else:
            del self.fields["referral"]
        self.fields["decided_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
