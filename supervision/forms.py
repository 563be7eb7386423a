"""Supervision forms. The session form has a fixed number of rows for children
and for actions (no script needed to add one): a row left empty is ignored, a
row half filled in is an error beside the part missing."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from children.models import Child
from common.forms import DateInput
from supervision.services import ActionAgreed, Discussion

CHILD_ROWS = 5
ACTION_ROWS = 3
TEXT_MAX = 10_000


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.get_role_display()})"


class ChildChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} (born {obj.date_of_birth:%-d %b %Y})"


def _text(
    label: str, *, required: bool = False, rows: int = 3, help_text: str = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class SessionForm(forms.Form):
    supervisor = StaffChoice(queryset=User.objects.none(), label="Supervisor")
    supervisee = StaffChoice(queryset=User.objects.none(), label="Member of staff supervised")
    held_on = forms.DateField(label="Date held", widget=DateInput())
    notes = _text(
        "General notes",
        rows=5,
        help_text="Wellbeing, workload, training and anything not about one child. "
        "Do not name children here: use the rows below, so each child's record shows "
        "only what was said about them.",
    )

    def __init__(
        self,
        *args: Any,
        leads: QuerySet[User],
        staff: QuerySet[User],
        children: QuerySet[Child],
        owners: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = leads  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["supervisee"].queryset = staff  # type: ignore[attr-defined]  # a ModelChoiceField
        for n in range(1, CHILD_ROWS + 1):
            self.fields[f"child_{n}"] = ChildChoice(
                queryset=children, required=False, label="Child", empty_label="No child"
            )
            self.fields[f"discussed_{n}"] = _text("What was discussed about this child")
            self.fields[f"agreed_{n}"] = _text("What was agreed", rows=2)
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"owner_{n}"] = StaffChoice(
                queryset=owners, required=False, label="Who will do it", empty_label="No action"
            )
            self.fields[f"what_{n}"] = forms.CharField(label="What", required=False, max_length=300)
            self.fields[f"due_{n}"] = forms.DateField(
                label="Due by", required=False, widget=DateInput()
            )

    def child_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (n, [self[f"child_{n}"], self[f"discussed_{n}"], self[f"agreed_{n}"]])
            for n in range(1, CHILD_ROWS + 1)
        ]

    def action_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (n, [self[f"owner_{n}"], self[f"what_{n}"], self[f"due_{n}"]])
            for n in range(1, ACTION_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        seen: set[int] = set()
        for n in range(1, CHILD_ROWS + 1):
            child = data.get(f"child_{n}")
            discussed = (data.get(f"discussed_{n}") or "").strip()
            agreed = (data.get(f"agreed_{n}") or "").strip()
            if child is None and (discussed or agreed):
                self.add_error(f"child_{n}", "Choose the child this row is about.")
            elif child is not None and not discussed:
                self.add_error(f"discussed_{n}", "Say what was discussed about this child.")
            elif child is not None and child.pk in seen:
                self.add_error(f"child_{n}", "This child is in another row: put it all in one.")
            if child is not None:
                seen.add(child.pk)
        for n in range(1, ACTION_ROWS + 1):
            owner, what, due = (data.get(f"{k}_{n}") for k in ("owner", "what", "due"))
            what = (what or "").strip()
            if owner is None and not what and due is None:
                continue
            if owner is None:
                self.add_error(f"owner_{n}", "Choose who will do this action.")
            if not what:
                self.add_error(f"what_{n}", "Say what the action is.")
            if due is None and f"due_{n}" not in self.errors:
                self.add_error(f"due_{n}", "Give the date it is due by.")
        return data

    def discussions(self) -> list[Discussion]:
        data = self.cleaned_data
        return [
            Discussion(
                child=data[f"child_{n}"],
                discussed=data[f"discussed_{n}"],
                agreed=data.get(f"agreed_{n}") or "",
            )
            for n in range(1, CHILD_ROWS + 1)
            if data.get(f"child_{n}") is not None
        ]

    def actions(self) -> list[ActionAgreed]:
        data = self.cleaned_data
        return [
            ActionAgreed(owner=data[f"owner_{n}"], what=data[f"what_{n}"], due_on=data[f"due_{n}"])
            for n in range(1, ACTION_ROWS + 1)
            if data.get(f"owner_{n}") is not None
        ]


class ActionDoneForm(forms.Form):
    done_on = forms.DateField(label="Date done", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"done_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


def _weeks_field(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=1,
        max_value=52,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
    )


class CadenceForm(forms.Form):
    every_weeks = _weeks_field(
        "Weeks between supervision sessions",
        "For example 4 for someone new in post or working with complex cases.",
    )


class SettingsForm(forms.Form):
    default_every_weeks = _weeks_field(
        "Weeks between supervision sessions, unless set for a person",
        "Six weeks is common; set a different number for one person on their page.",
    )
