"""A parent-facing policy says parents and carers agree to it before services
start: "may I?" says no while one of them has not, names who and what, and says
yes once they have; a contact is still logged, flagged."""

import pytest
from django.utils import timezone

from children import services as caseload
from policies import services as policy_services
from policies.models import Acknowledgement
from practice.contact_rules import BREACH_NAMES, breach_name
from practice.models import PlannedSession
from tests.factories import parents_agreed
from tests.practice import test_planning
from tests.practice.test_planning import (
    alice_client,  # noqa: F401 - a fixture
    give_video_consent,
    plan_url,
    reasons_in,
    video_form,
)

world = test_planning.world

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(organisation, bob):
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Code of conduct for parents and carers",
        category="conduct_parents",
        body="Be kind.",
        audience_parents=True,
    )
    draft = policy_services.version_approve(
        draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="The trustees"
    )
    second = policy_services.draft_start(policy=draft.policy, by=bob)
    return policy_services.version_approve(
        draft=second, by=bob, approved_on=timezone.localdate(), approved_by_name="The trustees"
    )


def test_a_plan_is_no_until_the_parent_agrees_then_the_same_plan_is_yes(
    world,
    code,
    alice_client,  # noqa: F811
):
    give_video_consent(world)
    response = alice_client.post(plan_url(world), video_form(world, "check"))
    html = response.content.decode()
    assert "No, not as planned" in html
    assert reasons_in(html) == [
        "Huda Hassan has not agreed to Code of conduct for parents and carers (v2)."
    ]

    Acknowledgement.objects.create(version=code, guardian=world["mother"])
    response = alice_client.post(plan_url(world), video_form(world, "check"))
    assert "Yes, you may" in response.content.decode()


def test_every_parent_with_responsibility_must_agree(world, code, dana, alice_client):  # noqa: F811
    give_video_consent(world)
    caseload.guardian_add(
        child=world["child"],
        by=dana,
        full_name="Sami Hassan",
        email="sami@example.test",
        phone="",
        preferred_contact="email",
        relationship="father",
        parental_responsibility=True,
    )
    Acknowledgement.objects.create(version=code, guardian=world["mother"])
    response = alice_client.post(plan_url(world), video_form(world, "plan"))
    plan = PlannedSession.objects.get()
    assert response.status_code == 302
    assert plan.allowed is False
    assert [reason["code"] for reason in plan.reasons] == ["parents_not_agreed"]
    assert "Sami Hassan" in plan.reasons[0]["message"]

    parents_agreed(world["child"])
    page = alice_client.post(plan_url(world), video_form(world, "check")).content.decode()
    assert "Yes, you may" in page


def test_the_rule_has_a_name_for_the_dashboard():
    assert "parents_not_agreed" in BREACH_NAMES
    assert breach_name("parents_not_agreed") == "Parent or carer has not agreed to the policies"
