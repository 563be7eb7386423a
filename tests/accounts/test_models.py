import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Role, User
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_lower_case_and_unique_whatever_the_case(organisation) -> None:
    user = User.objects.create_user("Sam.Okafor@Example.TEST", "pw", organisation=organisation)
    assert user.email == "sam.okafor@example.test"
    with pytest.raises(IntegrityError):
        User.objects.create(email="SAM.OKAFOR@example.test", organisation=organisation)


def test_superuser_is_an_organisation_admin(organisation) -> None:
    user = User.objects.create_superuser(
        "root@example.test", "pw", full_name="Root", organisation=organisation
    )
    assert user.is_superuser
    assert user.is_staff
    assert user.role == Role.ADMIN


def test_new_staff_are_plain_staff_without_admin_site_access(organisation) -> None:
    user = User.objects.create_user("t@example.test", "pw", organisation=organisation)
    assert user.role == Role.STAFF
    assert not user.is_staff
    assert not user.is_superuser


def test_organisation_timezone_must_be_real() -> None:
    organisation = OrganisationFactory.build(timezone="Europe/Londres")
    with pytest.raises(ValidationError, match="timezone"):
        organisation.full_clean()
    organisation.timezone = "Europe/London"
    organisation.full_clean()
