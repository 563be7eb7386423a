import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from children.models import ContactPreference


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing an id no database column could hold before it
    reaches the query (SQLite raises OverflowError on pk__in with 2**63)."""

    def _check_values(self, value: Iterable[object] | None) -> QuerySet[Any]:
        if self.to_field_name in (None, "pk", "id"):
            for item in value or ():
                try:
                    number = int(str(item))
                except (TypeError, ValueError):
                    continue  # Django's own check explains it
                if not -(2**63) <= number < 2**63:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        # A private method of Django's, so django-stubs does not declare it.
        return super()._check_values(value)  # type: ignore[misc]


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's own copy of a model choice field, typed so its queryset can be narrowed."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    return field


class StaffChoiceField(forms.ModelChoiceField):
    """A member of staff, by name (their email where no name is recorded)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class DateInput(forms.DateInput):
    """A browser date picker; its value must be ISO 8601 whatever the locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def service_errors_onto(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's refusal on the form the person filled in.

    A message about a field the form has goes beside that field; anything else
    (a field this form does not show, or a message about the whole request)
    goes above the form, so no refusal is lost and none raises.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.error_list)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def validate_phone(phone: str) -> None:
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{7,30}", phone):
        raise ValidationError("Enter a phone number using digits, spaces and + only.")


def not_in_future(value: dt.date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError("The date cannot be in the future.")


def require_contact_details(form: forms.Form, *, email_field: str, phone_field: str) -> None:
    """The guardian's preferred way of being contacted needs its details.

    Used by the guardian form and by each row of the onboarding import. A value
    that is present but invalid already has its own message, so only what is
    missing is flagged.
    """
    data = form.cleaned_data
    contact = data.get("preferred_contact")
    needed = {
        ContactPreference.EMAIL: (
            email_field,
            "Enter an email address, or choose another contact.",
        ),
        ContactPreference.PHONE: (phone_field, "Enter a phone number for phone or text contact."),
        ContactPreference.TEXT: (phone_field, "Enter a phone number for phone or text contact."),
    }
    if contact in needed:
        field, message = needed[contact]
        if not data.get(field) and field not in form.errors:
            form.add_error(field, message)
