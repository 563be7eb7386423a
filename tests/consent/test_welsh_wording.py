"""The admin's Welsh wording of a consent lasts as long as its English does."""

import pytest
from django.utils import timezone

from consent import records, services
from consent.models import ConsentType
from policies import services as policy_services

pytestmark = pytest.mark.django_db


def test_a_new_online_safety_policy_keeps_the_welsh_wording(organisation, bob) -> None:
    """Regression: the version current_wording makes when the policy it rests on
    has a newer approved version copied the English explanation only, so Welsh
    readers were shown English from then on."""

    def approve(draft):
        return policy_services.version_approve(
            draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="Board"
        )

    v1 = approve(
        policy_services.policy_create(
            organisation=organisation,
            by=bob,
            title="Online Safety Policy",
            category="online_safety",
            body="Version one.",
        )
    )
    services.consent_types_ensure(organisation=organisation)
    sessions = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    assert sessions.current_version().policy_version == v1
    records.consent_type_update(
        consent_type=sessions,
        by=bob,
        explanation=sessions.current_version().explanation,
        validity_months=sessions.validity_months,
        active=True,
        name_cy="Sesiynau ar-lein",
        explanation_cy="Bydd y therapydd yn cwrdd â'ch plentyn dros alwad fideo.",
    )
    welsh = sessions.current_version()

    v2 = approve(policy_services.draft_start(policy=v1.policy, by=bob))
    newer = services.current_wording(sessions)
    assert newer.pk != welsh.pk
    assert newer.policy_version == v2
    assert (newer.explanation, newer.explanation_cy) == (welsh.explanation, welsh.explanation_cy)
