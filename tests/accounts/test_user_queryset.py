"""The one answer to "who are the leads", "the admins" and "who has a second factor"."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OrganisationFactory()


def people(organisation, **roles: str) -> dict[str, User]:
    return {name: UserFactory(organisation=organisation, role=role) for name, role in roles.items()}


def test_the_leads_are_the_dsl_and_the_deputies_not_staff_nor_admins(organisation) -> None:
    team = people(
        organisation,
        dsl=Role.DSL,
        deputy=Role.DEPUTY_DSL,
        staff=Role.STAFF,
        admin=Role.ADMIN,
        director=Role.DIRECTOR,
    )
    leads = set(User.objects.of(organisation).leads())
    assert leads == {team["dsl"], team["deputy"]}


def test_a_deputy_alone_is_a_lead_and_keeps_the_admins_out(organisation) -> None:
    team = people(organisation, deputy=Role.DEPUTY_DSL, admin=Role.ADMIN)
    assert list(User.objects.of(organisation).leads()) == [team["deputy"]]


def test_admins_are_the_leads_only_when_there_is_no_active_dsl_or_deputy(organisation) -> None:
    team = people(organisation, dsl=Role.DSL, admin=Role.ADMIN, staff=Role.STAFF)
    team["dsl"].is_active = False
    team["dsl"].save()
    assert list(User.objects.of(organisation).leads()) == [team["admin"]]


def test_the_fallback_is_decided_per_organisation(organisation) -> None:
    # Another organisation's DSL must not silence this one's admins.
    admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    elsewhere = UserFactory(role=Role.DSL)
    assert set(User.objects.leads()) == {admin, elsewhere}
    assert list(User.objects.of(organisation).leads()) == [admin]


def test_inactive_admins_and_leads_are_nobody(organisation) -> None:
    team = people(organisation, deputy=Role.DEPUTY_DSL, admin=Role.ADMIN)
    User.objects.filter(pk__in=[team["deputy"].pk, team["admin"].pk]).update(is_active=False)
    assert not User.objects.of(organisation).leads().exists()
    assert not User.objects.of(organisation).admins().exists()


def test_the_admins_are_the_active_admins_of_the_organisation(organisation) -> None:
    team = people(organisation, admin=Role.ADMIN, dsl=Role.DSL, gone=Role.ADMIN)
    team["gone"].is_active = False
    team["gone"].save()
    UserFactory(role=Role.ADMIN)  # another organisation's
    assert list(User.objects.of(organisation).admins()) == [team["admin"]]


def test_dsl_and_deputies_has_no_admin_fallback(organisation) -> None:
    people(organisation, admin=Role.ADMIN)
    assert not User.objects.of(organisation).dsl_and_deputies().exists()


def test_second_factor_counts_only_a_confirmed_device(organisation) -> None:
    enrolled = UserFactory(organisation=organisation)
    half_way = UserFactory(organisation=organisation, authenticator=False)
    TOTPDevice.objects.create(user=half_way, name="default", confirmed=False)
    none = UserFactory(organisation=organisation, authenticator=False)
    assert list(User.objects.of(organisation).with_second_factor()) == [enrolled]
    assert set(User.objects.of(organisation).without_second_factor()) == {half_way, none}


def test_two_confirmed_devices_are_still_one_person(organisation) -> None:
    enrolled = UserFactory(organisation=organisation)
    TOTPDevice.objects.create(user=enrolled, name="spare", confirmed=True)
    assert list(User.objects.of(organisation).with_second_factor()) == [enrolled]


def test_the_manager_still_creates_users(organisation) -> None:
    user = User.objects.create_user("New.Person@Example.test", "pw", organisation=organisation)
    assert user.email == "new.person@example.test"
    assert User.objects.get_by_natural_key("NEW.PERSON@example.test") == user
