from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts.models import Organisation, Role, User
from common.forms import DateInput, not_in_future
from policies.importing import SUPPORTED
from policies.models import ChangeKind, Policy, PolicyCategory, PolicyVersion
from policies.services import CHILDREN_AGES


def _version_choice(version: PolicyVersion) -> str:
    if version.approved_on:
        return f"{version.label}, approved {version.approved_on:%-d %B %Y}"
    return f"{version.label} (draft)"


def _staff(organisation: Organisation) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(organisation=organisation, is_active=True).order_by(
            "full_name"
        ),
        required=False,
    )


class PolicyForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    category = forms.ChoiceField(label="Category", choices=PolicyCategory.choices)
    review_interval_months = forms.IntegerField(
        label="Review every (months)",
        min_value=1,
        max_value=60,
        required=False,
        help_text="Leave empty to use the organisation's default (usually 12).",
    )
    audience_roles = forms.MultipleChoiceField(
        label="Staff who must read it",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_parents = forms.BooleanField(
        label="Parents and carers agree to it before services start", required=False
    )
    body = forms.CharField(
        label="Text of the policy",
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=200_000,
        help_text="Plain text or Markdown: # for headings, - for lists.",
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _staff(organisation)
        self.fields["owner"].label = "Owner (who keeps it up to date)"


class DraftForm(forms.Form):
    body = forms.CharField(
        label="Text of the policy", widget=forms.Textarea(attrs={"rows": 20}), max_length=200_000
    )
    body_cy = forms.CharField(
        label="Text of the policy in Welsh (optional)",
        widget=forms.Textarea(attrs={"rows": 20, "lang": "cy"}),
        max_length=200_000,
        required=False,
        help_text="Parents who read in Welsh are shown this; left empty, they are shown the "
        "English. The version's SHA-256 covers both.",
    )
    change_kind = forms.ChoiceField(
        label="What kind of change is this?",
        choices=ChangeKind.choices,
        widget=forms.RadioSelect,
        help_text="A substantive change asks everyone the policy binds to read it again. "
        "An editorial change (a typo, a new phone number, a renamed role) keeps what "
        "they have already read: their earlier acknowledgement still counts.",
    )
    change_summary = forms.CharField(
        label="What changed",
        max_length=500,
        required=False,
        help_text="A sentence for the version history, for example: added guidance on "
        "voice messages.",
    )


def _age_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=CHILDREN_AGES.start,
        max_value=CHILDREN_AGES.stop - 1,
        required=False,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )


class PolicySettingsForm(forms.Form):
    """Who a policy binds and who looks after it; its title belongs to its versions."""

    category = forms.ChoiceField(label="Category", choices=PolicyCategory.choices)
    review_interval_months = forms.IntegerField(
        label="Review every (months)",
        min_value=1,
        max_value=60,
        required=False,
        help_text="Leave empty to use the organisation's default (usually 12).",
    )
    audience_roles = forms.MultipleChoiceField(
        label="Staff who must read it",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_parents = forms.BooleanField(
        label="Parents and carers agree to it before services start",
        required=False,
        help_text="They acknowledge it with every consent request; a session is not "
        "planned with a child whose parents have not.",
    )
    audience_children = forms.BooleanField(
        label="Children agree to it (an acceptable-use agreement)", required=False
    )
    children_age_from = _age_field("For children aged from")
    children_age_to = _age_field("To (age)")

    def __init__(self, *args: Any, policy: Policy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _staff(policy.organisation)
        self.fields["owner"].label = "Owner (who keeps it up to date)"
        self.fields["related"] = forms.ModelMultipleChoiceField(
            label="Related policies",
            queryset=Policy.objects.filter(organisation_id=policy.organisation_id)
            .exclude(pk=policy.pk)
            .order_by("title", "pk"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.order_fields(["category", "owner", "review_interval_months"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("children_age_from"), data.get("children_age_to")
        if data.get("audience_children") and low is not None and high is not None and low > high:
            self.add_error(
                "children_age_to", "The oldest age must be the same as or above the youngest."
            )
        return data


class ApproveForm(forms.Form):
    approved_on = forms.DateField(
        label="Approved on", widget=DateInput(), validators=[not_in_future]
    )
    approved_by_name = forms.CharField(
        label="Approved by",
        max_length=200,
        help_text="The named person or body who approved it, for example the director.",
    )
    effective_from = forms.DateField(label="In effect from", widget=DateInput(), required=False)
    review_due = forms.DateField(
        label="Review due",
        widget=DateInput(),
        required=False,
        help_text="Leave empty for the approval date plus the review interval.",
    )
    shown_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved_on"].initial = timezone.localdate()


class ReviewedForm(forms.Form):
    reviewed_on = forms.DateField(
        label="Reviewed on", widget=DateInput(), validators=[not_in_future]
    )
    notes = forms.CharField(label="Notes", max_length=500, required=False)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Policy document", help_text="A .txt, .md, .docx or .pdf file.")
    category = forms.ChoiceField(label="Category", choices=PolicyCategory.choices)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(SUPPORTED):
            raise forms.ValidationError("Choose a .txt, .md, .docx or .pdf file.")
        return upload


class ImportConfirmForm(forms.Form):
    """What was read from the document, for a person to check before saving, and
    who it binds: an imported policy is asked of its audience like any other."""

    title = forms.CharField(label="Title", max_length=200)
    category = forms.ChoiceField(label="Category", choices=PolicyCategory.choices)
    label = forms.RegexField(
        label="Version",
        regex=r"^v\d{1,3}(\.\d{1,3}){0,2}$",
        max_length=20,
        error_messages={"invalid": "Write the version as v1, v2 or v2.1."},
    )
    approved_on = forms.DateField(
        label="Approved or last updated on", widget=DateInput(), validators=[not_in_future]
    )
    approved_by_name = forms.CharField(label="Approved by", max_length=200, required=False)
    review_due = forms.DateField(label="Review due", widget=DateInput())
    review_interval_months = forms.IntegerField(
        label="Review every (months)", min_value=1, max_value=60, required=False
    )
    audience_roles = forms.MultipleChoiceField(
        label="Staff who must read it",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_parents = forms.BooleanField(
        label="Parents and carers agree to it before services start", required=False
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = _staff(organisation)
        self.fields["owner"].label = "Owner (who keeps it up to date)"
        self.order_fields(["title", "category", "owner"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        approved, due = data.get("approved_on"), data.get("review_due")
        if approved and due and due <= approved:
            self.add_error("review_due", "The review date must be after the approval date.")
        return data


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        return _version_choice(obj) if isinstance(obj, PolicyVersion) else str(obj)


class CompareForm(forms.Form):
    """Two versions of one policy, chosen from that policy's own versions only."""

    def __init__(self, *args: Any, versions: QuerySet[PolicyVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in (("from", "Compare"), ("to", "with")):
            self.fields[name] = VersionChoiceField(
                label=label,
                queryset=versions,
                empty_label=None,
                error_messages={"invalid_choice": "Choose one of this policy's versions."},
            )
