"""service_errors_onto: a service's refusal lands on the form, never lost, never a 500."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from common.forms import service_errors_onto


class GuardianContactForm(forms.Form):
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False)


def _valid_form() -> GuardianContactForm:
    form = GuardianContactForm({"email": "sam@example.test", "phone": "01234 567890"})
    assert form.is_valid()
    return form


def test_a_message_about_a_field_the_form_has_goes_beside_that_field() -> None:
    form = _valid_form()
    service_errors_onto(form, ValidationError({"email": "That email is already a guardian's."}))
    assert form.errors == {"email": ["That email is already a guardian's."]}
    assert "email" not in form.cleaned_data  # Django drops a field once it has an error
    assert form.cleaned_data["phone"] == "01234 567890"


def test_a_message_about_a_field_the_form_lacks_goes_above_the_form() -> None:
    form = _valid_form()
    service_errors_onto(
        form,
        ValidationError(
            {"organisation": "Another organisation's child.", "phone": "Not a mobile number."}
        ),
    )
    assert form.non_field_errors() == ["Another organisation's child."]
    assert form.errors["phone"] == ["Not a mobile number."]


def test_messages_about_the_whole_request_go_above_the_form() -> None:
    form = _valid_form()
    service_errors_onto(form, ValidationError(["Consent was withdrawn.", "The link has expired."]))
    assert form.non_field_errors() == ["Consent was withdrawn.", "The link has expired."]
    assert set(form.errors) == {NON_FIELD_ERRORS}


def test_a_single_message_goes_above_the_form() -> None:
    form = _valid_form()
    service_errors_onto(form, ValidationError("This child has been discharged."))
    assert form.non_field_errors() == ["This child has been discharged."]
    assert not form.is_valid()


def test_a_message_for_all_fields_by_name_goes_above_the_form() -> None:
    form = _valid_form()
    service_errors_onto(form, ValidationError({NON_FIELD_ERRORS: ["Nothing to change."]}))
    assert form.non_field_errors() == ["Nothing to change."]
