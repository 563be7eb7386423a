from typing import Any

from django import forms
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from children.models import Child, ChildFlag, Guardian
from children.services import guardians_with_responsibility
from common.forms import DateInput, ModelMultipleChoiceField, model_choice_field
from common.i18n import in_language
from common.validators import validate_person_name
from consent.models import ConsentType, ConsentTypeVersion, MediaUseKind, MediaUsePlace
from consent.signature import readable
from consent.wording import shown_name
from policies.models import PolicyVersion

SIGNATURE_MAX = 200_000

# The words of each answer: the form's, the check page's, the receipt's and the
# PDF's are the same, in the parent's language.
ANSWER_WORDS = {
    "granted": pgettext_lazy("consent signing", "Yes, I agree"),
    "refused": pgettext_lazy("consent signing", "No, I do not agree"),
}


class ConsentAnswersForm(forms.Form):
    """The parent's form: a yes or no for each item, then who is signing.

    Labels and errors are in the page's language (GOV.UK style: each error says
    what to do); the consent names, explanations and policy titles are the
    organisation's own words, in Welsh where it wrote them."""

    typed_name = forms.CharField(
        label=pgettext_lazy("consent signing", "Your full name"),
        max_length=200,
        help_text=pgettext_lazy("consent signing", "Typing your name is your signature."),
        # It goes on the receipt, its PDF and exports: one line, as every name.
        validators=[validate_person_name],
        error_messages={
            "required": pgettext_lazy("consent signing", "Enter your full name"),
            "max_length": pgettext_lazy(
                "consent signing", "Your full name must be 200 characters or fewer"
            ),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    relationship = forms.CharField(
        label=pgettext_lazy("consent signing", "Your relationship to the child"),
        max_length=60,
        help_text=pgettext_lazy(
            "consent signing", "For example, mother, father, grandparent or foster carer."
        ),
        error_messages={
            "required": pgettext_lazy("consent signing", "Enter your relationship to the child"),
            "max_length": pgettext_lazy(
                "consent signing", "Your relationship to the child must be 60 characters or fewer"
            ),
        },
    )
    confirms_responsibility = forms.BooleanField(
        label=pgettext_lazy("consent signing", "I have parental responsibility for this child"),
        error_messages={
            "required": pgettext_lazy(
                "consent signing", "Tick to confirm you have parental responsibility"
            )
        },
    )
    signature_png = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-signature-field": ""}),
        max_length=SIGNATURE_MAX,
        error_messages={
            "max_length": pgettext_lazy(
                "consent signing",
                "Your drawn signature is too large. Clear it and draw it again, "
                "or leave it empty: your typed name is your signature.",
            )
        },
    )

    def __init__(
        self,
        *args: Any,
        items: list[ConsentTypeVersion],
        policy_versions: list[PolicyVersion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.policy_versions = policy_versions
        for version in items:
            # The version's own Welsh name: what the evidence hash covers.
            name = shown_name(version)
            self.fields[f"item_{version.pk}"] = forms.ChoiceField(
                label=name,
                choices=list(ANSWER_WORDS.items()),
                widget=forms.RadioSelect,
                help_text=in_language(version, "explanation"),
                error_messages={
                    "required": pgettext(
                        "consent signing", "Select yes if you agree to %(consent)s"
                    )
                    % {"consent": name},
                    "invalid_choice": pgettext(
                        "consent signing", "Select yes if you agree to %(consent)s"
                    )
                    % {"consent": name},
                },
            )
        for policy in policy_versions:
            title = policy.policy.title
            self.fields[f"policy_{policy.pk}"] = forms.BooleanField(
                label=pgettext(
                    "consent signing", "I have read and agree to the %(policy)s (%(version)s)"
                )
                % {"policy": title, "version": policy.label},
                error_messages={
                    "required": pgettext(
                        "consent signing", "Tick to confirm you have read %(policy)s"
                    )
                    % {"policy": title}
                },
            )

        # The page's order, so the error summary lists problems top to bottom.
        questions = [name for name in self.fields if name.startswith(("item_", "policy_"))]
        self.order_fields(questions)

    def clean_signature_png(self) -> str:
        value: str = self.cleaned_data["signature_png"]
        if value and not readable(value):
            raise forms.ValidationError(
                pgettext(
                    "consent signing",
                    "Your drawn signature could not be read. Clear it and draw it again, "
                    "or leave it empty: your typed name is your signature.",
                )
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
            # The organisation's usual set starts ticked.
            self.initial.setdefault(
                "consent_types",
                [t.pk for t in consent_types.queryset if t.asked_by_default],
            )
            # Whom to email is never assumed where it could be wrong: with two or
            # more parents, or a child looked after or on a plan (any current
            # flag), one of them may be someone the child must be kept from, so
            # staff tick each on purpose. A lone parent of an unflagged child is ticked.
            eligible = [g.pk for g in guardians.queryset]
            flagged = ChildFlag.objects.current().filter(child=child).exists()
            self.initial.setdefault(
                "guardians", eligible if len(eligible) == 1 and not flagged else []
            )


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
        label=gettext_lazy("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class RegrantForm(forms.Form):
    """A parent gives, on their manage link, a consent they refused or withdrew."""

    typed_name = forms.CharField(
        label=gettext_lazy("Your full name"),
        max_length=200,
        validators=[validate_person_name],
        error_messages={"required": gettext_lazy("Type your full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have read this and I give my consent"),
        error_messages={"required": gettext_lazy("Tick to say you give your consent.")},
    )
    # The wording the page showed: a change since (a new policy) is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)


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
    name_cy = forms.CharField(
        label="Name in Welsh (optional)",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"lang": "cy"}),
        help_text="Parents who read in Welsh see this name; left empty, they see the English.",
    )
    explanation_cy = forms.CharField(
        label="What parents are told, in Welsh (optional)",
        widget=forms.Textarea(attrs={"rows": 5, "lang": "cy"}),
        max_length=2000,
        required=False,
        help_text="Left empty, parents who read in Welsh are shown the English. Changing it "
        "makes a new version too.",
    )
    validity_months = forms.IntegerField(
        label="Valid for (months)",
        min_value=1,
        max_value=60,
        required=False,
        help_text="Leave empty for: until the child is discharged.",
    )
    active = forms.BooleanField(label="Ask for this consent", required=False)
    asked_by_default = forms.BooleanField(
        label="Usually asked for",
        required=False,
        help_text="Ticked already when staff start a new consent request.",
    )


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
