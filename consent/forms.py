from typing import Any

from django import forms

from children.models import Child, Guardian
from children.services import guardians_with_responsibility
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from consent.models import ConsentType, MediaUseKind, MediaUsePlace

SIGNATURE_MAX = 200_000


class ConsentAnswersForm(forms.Form):
    """The parent's form: a yes or no for each item, then who is signing."""

    typed_name = forms.CharField(
        label="Your full name", max_length=200, help_text="Typing your name is your signature."
    )
    relationship = forms.CharField(label="Your relationship to the child", max_length=60)
    confirms_responsibility = forms.BooleanField(
        label="I have parental responsibility for this child",
        error_messages={"required": "Confirm that you have parental responsibility."},
    )
    signature_png = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-signature-field": ""}),
        max_length=SIGNATURE_MAX,
    )

    def __init__(self, *args: Any, items: list, policy_versions: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for version in items:
            self.fields[f"item_{version.pk}"] = forms.ChoiceField(
                label=version.consent_type.name,
                choices=[("granted", "Yes, I agree"), ("refused", "No, I do not agree")],
                widget=forms.RadioSelect,
                help_text=version.explanation,
                error_messages={"required": f"Choose yes or no for {version.consent_type}."},
            )
        for policy in policy_versions:
            self.fields[f"policy_{policy.pk}"] = forms.BooleanField(
                label=f"I have read and agree to the {policy.policy.title} ({policy.label})",
                error_messages={
                    "required": f"Confirm you have read and agree to the {policy.policy.title}."
                },
            )

    def clean_signature_png(self) -> str:
        value = self.cleaned_data["signature_png"]
        if value and not value.startswith("data:image/png;base64,"):
            raise forms.ValidationError(
                "The drawn signature could not be read; type your name instead."
            )
        return value

    def answers(self) -> dict[int, str]:
        return {v.pk: self.cleaned_data[f"item_{v.pk}"] for v in self.items}


class ConsentRequestForm(forms.Form):
    guardians = ModelMultipleChoiceField(
        label="Send to",
        queryset=Guardian.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who to ask."},
    )
    consent_types = ModelMultipleChoiceField(
        label="Ask about",
        queryset=ConsentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of consent."},
    )

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guardians = model_choice_field(self, "guardians")
        guardians.queryset = guardians_with_responsibility(child).exclude(email="")
        consent_types = model_choice_field(self, "consent_types")
        consent_types.queryset = ConsentType.objects.filter(
            organisation=child.organisation, active=True
        )
        if not self.is_bound:
            # The organisation's usual set starts ticked. Every parent or carer with
            # parental responsibility we can email is ticked too: each of them may give
            # or refuse consent (a refusal wins), so asking them all is the usual choice
            # and leaving one out has to be a deliberate untick.
            self.initial.setdefault(
                "consent_types",
                [t.pk for t in consent_types.queryset if t.asked_by_default],
            )
            self.initial.setdefault("guardians", [g.pk for g in guardians.queryset])


class VerbalConsentForm(forms.Form):
    guardian = forms.ModelChoiceField(label="Who gave consent", queryset=Guardian.objects.none())
    consent_type = forms.ModelChoiceField(label="Consent to", queryset=ConsentType.objects.none())
    notes = forms.CharField(label="How and when it was given", max_length=500)

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "guardian").queryset = guardians_with_responsibility(child)
        model_choice_field(self, "consent_type").queryset = ConsentType.objects.filter(
            organisation=child.organisation, active=True
        )


class ManageLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class PaperConsentForm(forms.Form):
    guardian = forms.ModelChoiceField(label="Who signed", queryset=Guardian.objects.none())
    consent_types = ModelMultipleChoiceField(
        label="Consent the form gives",
        queryset=ConsentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    signed_on = forms.DateField(label="Date signed", widget=DateInput())
    signed_by = forms.CharField(label="Name as signed on the form", max_length=200)
    scan = forms.FileField(
        label="Scan or photo of the signed form", help_text="PDF, PNG or JPEG, up to 5 MB."
    )

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "guardian").queryset = guardians_with_responsibility(child)
        model_choice_field(self, "consent_types").queryset = ConsentType.objects.filter(
            organisation=child.organisation, active=True
        )


class ConsentTypeForm(forms.Form):
    explanation = forms.CharField(
        label="What parents are told",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        help_text="Plain words. Changing them makes a new version; earlier answers keep the "
        "words those parents saw.",
    )
    validity_months = forms.IntegerField(
        label="Valid for (months)",
        min_value=1,
        max_value=60,
        required=False,
        help_text="Leave empty for: until the child is discharged.",
    )
    active = forms.BooleanField(label="Ask for this consent", required=False)


class MediaUseForm(forms.Form):
    kind = forms.ChoiceField(label="What was used", choices=MediaUseKind.choices)
    where = forms.ChoiceField(label="Where it was used", choices=MediaUsePlace.choices)
    description = forms.CharField(
        label="What and where, exactly",
        max_length=300,
        help_text="For example: the spring newsletter, page 2; or the link to the post.",
    )
    used_on = forms.DateField(label="Date used", widget=DateInput())
    reason_if_not_allowed = forms.CharField(
        label="Why it was used without consent, if consent was not in force that day",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed only when consent was not in force: the use is still logged, "
        "and the DSL is told.",
    )
