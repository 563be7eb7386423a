from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from allegations.models import EntryKind, Kind, Outcome
from children.models import Child
from common.forms import DateInput, ModelMultipleChoiceField, StaffChoiceField, model_choice_field

TEXT_MAX = 10_000


def _text(label: str, *, required: bool = True, help_text: str = "", rows: int = 4) -> forms.Field:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _NamedErrors(forms.Form):
    """A required field left empty says which field, in the error summary too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = forms.Field.default_error_messages["required"]
        for field in self.fields.values():
            if field.error_messages.get("required") == default:
                verb = "Choose" if isinstance(field, forms.ChoiceField) else "Enter"
                field.error_messages["required"] = f"{verb} {str(field.label).lower()}."


class RaiseForm(_NamedErrors):
    kind = forms.ChoiceField(
        label="What is it",
        choices=[("", "Choose"), *Kind.choices],
        help_text="An allegation: a member of staff may have harmed a child, committed a "
        "crime against a child, or behaved in a way that shows they may pose a risk to "
        "children. A low-level concern: anything else that does not sit right with the "
        "code of conduct, however small.",
    )
    about = StaffChoiceField(label="The member of staff", queryset=User.objects.none())
    what_was_alleged = _text(
        "What was alleged or what you saw",
        rows=6,
        help_text="Write what was said or seen, in the words used, with dates and times. "
        "Do not investigate or speak to the member of staff about it.",
    )
    children = ModelMultipleChoiceField(
        label="Children involved (if any)",
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, staff: QuerySet[User], children: QuerySet[Child], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "about").queryset = staff
        model_choice_field(self, "children").queryset = children


class EntryForm(_NamedErrors):
    kind = forms.ChoiceField(label="Kind of entry", choices=[("", "Choose"), *EntryKind.choices])
    happened_at = forms.DateTimeField(
        label="When it happened",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    text = _text("What was done", rows=5)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["happened_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class LadoForm(_NamedErrors):
    referred_on = forms.DateField(label="Date referred to the LADO", widget=DateInput())
    reference = forms.CharField(label="The LADO's reference", max_length=80, required=False)
    advice = _text("The LADO's advice", required=False)


class OutcomeForm(_NamedErrors):
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose"), *Outcome.choices])
    outcome_on = forms.DateField(label="Date of the outcome", widget=DateInput())
    rationale = _text("Why this outcome", help_text="The reasons, and the evidence they rest on.")


class CloseForm(_NamedErrors):
    note = _text("Why it is closed", rows=3)


class CaseManagerForm(_NamedErrors):
    case_manager = StaffChoiceField(label="New case manager", queryset=User.objects.none())
    reason = _text("Why", rows=3)

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "case_manager").queryset = staff
