"""A name is one line: child, guardian and staff names refuse line breaks and
other control characters, with the reason beside the field, and nothing is saved."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role, User
from children.models import Child, Guardian
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

MESSAGE = "A name must be on one line, without line breaks, tabs or other control characters."


def _error_beside(page: str, field_id: str) -> bool:
    return f'id="{field_id}-error-1" class="govuk-error-message"' in page and MESSAGE in page


@pytest.mark.parametrize("name", ["Huda\nHassan", "Huda\r\nHassan", "Huda\tHassan", "Huda\x00"])
def test_a_guardian_name_with_a_line_break_is_refused_beside_the_field(
    organisation, dana, client_for, name
) -> None:
    child = ChildFactory(organisation=organisation)
    response = client_for(dana).post(
        reverse("guardian_add", args=[child.pk]),
        {
            "full_name": name,
            "email": "huda@example.test",
            "phone": "",
            "preferred_contact": "email",
            "relationship": "mother",
            "parental_responsibility": "on",
        },
    )
    assert response.status_code == 200
    assert _error_beside(response.content.decode(), "id_full_name")
    assert not Guardian.objects.exists()


def test_a_child_name_with_a_line_break_is_refused_and_the_saved_one_kept(
    organisation, dana, client_for
) -> None:
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    response = client_for(dana).post(
        reverse("child_edit", args=[child.pk]),
        {
            "first_name": "Noor\nAmina",
            "last_name": "Hassan",
            "preferred_name": "No\u2028no",
            "date_of_birth": child.date_of_birth.isoformat(),
            "active_from": child.active_from.isoformat(),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert _error_beside(page, "id_first_name")
    assert _error_beside(page, "id_preferred_name")
    child.refresh_from_db()
    assert child.first_name == "Noor"


def test_a_staff_name_with_a_line_break_cannot_be_invited(bob, client_for) -> None:
    response = client_for(bob).post(
        reverse("staff_invite"),
        {"full_name": "Ina\nInvitee", "email": "ina@alder.test", "role": Role.STAFF},
    )
    assert response.status_code == 200
    assert _error_beside(response.content.decode(), "id_full_name")
    assert not User.objects.filter(email="ina@alder.test").exists()


def test_the_models_refuse_it_too(organisation) -> None:
    child = ChildFactory.build(organisation=organisation, first_name="Noor\n")
    with pytest.raises(ValidationError) as refused:
        child.full_clean()
    assert refused.value.message_dict["first_name"] == [MESSAGE]
    staff = User(email="x@alder.test", full_name="X\x1bY", organisation=organisation)
    with pytest.raises(ValidationError) as refused:
        staff.full_clean()
    assert refused.value.message_dict["full_name"] == [MESSAGE]


def test_names_in_other_scripts_and_with_apostrophes_are_fine(organisation) -> None:
    for name in ("Siân O'Neill-Jones", "نور", "José María", "Zoë  van der Berg"):
        ChildFactory.build(organisation=organisation, first_name=name).full_clean(
            exclude=["organisation"]
        )
    assert not Child.objects.exists()


def test_an_imported_row_with_a_line_break_in_a_name_is_named_and_nothing_saved(
    dana, client_for
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "child_first_name,child_last_name,preferred_name,date_of_birth,active_from,"
        "communication_needs,guardian_name,guardian_email,guardian_phone,relationship,"
        "parental_responsibility,preferred_contact\n"
        'Mia,Khan,,2016-05-01,,,"Aisha\nKhan",aisha@example.test,,mother,yes,email\n'
    )
    response = client_for(dana).post(
        reverse("child_import"), {"file": SimpleUploadedFile("children.csv", csv.encode())}
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Child.objects.exists()
