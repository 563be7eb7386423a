"""Demonstration consent for the demo organisation's children (invented data)."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.models import Organisation, User
from children.models import Child, ChildGuardian, Guardian
from consent.models import ConsentRecord, ConsentType, Decision, Method
from consent.services import _sha256, consent_types_ensure
from policies import reach
from policies.models import Acknowledgement

# Left yet to agree to the parent-facing policies, so the leads' list shows someone.
DEMO_NOT_AGREED = "Yusuf Saleh"


def seed_parents_agreed(organisation: Organisation) -> None:
    """Every demo parent agreed to the current parent-facing policies a month
    ago, whichever policies the demo has, except one still to agree."""
    found = reach.parent_bindings(organisation)
    guardians = Guardian.objects.filter(
        organisation=organisation,
        child_links__parental_responsibility=True,
    ).exclude(full_name=DEMO_NOT_AGREED)
    agreed_at = timezone.now() - dt.timedelta(days=30)
    for guardian in guardians.distinct():
        for binding in found:
            if binding.current.approved_on and binding.current.approved_on > agreed_at.date():
                when = timezone.now()  # approved since: agreed since
            else:
                when = agreed_at
            if not Acknowledgement.objects.filter(
                guardian=guardian, version_id__in=binding.counts
            ).exists():
                Acknowledgement.objects.create(
                    version=binding.current, guardian=guardian, acknowledged_at=when
                )


def seed_consent(organisation: Organisation, recorded_by: User) -> None:
    """Maya's parents returned a paper form: sessions and chat yes, recording no."""
    consent_types_ensure(organisation=organisation)
    seed_parents_agreed(organisation)
    maya = Child.objects.filter(organisation=organisation, first_name="Maya").first()
    if maya is None or ConsentRecord.objects.filter(child=maya).exists():
        return
    link = ChildGuardian.objects.filter(child=maya, parental_responsibility=True).first()
    if link is None:
        return  # nobody who could have signed the form
    today = timezone.localdate()
    for code, decision in (
        ("online_sessions", Decision.GRANTED),
        ("messaging", Decision.GRANTED),
        ("recording", Decision.REFUSED),
    ):
        consent_type = ConsentType.objects.get(organisation=organisation, code=code)
        version = consent_type.current_version()
        if version is None:
            raise LookupError(f"{consent_type.name} has no wording; consent_types_ensure gives it")
        ConsentRecord(
            organisation=organisation,
            child=maya,
            consent_type=consent_type,
            type_version=version,
            guardian=link.guardian,
            decision=decision,
            method=Method.PAPER,
            valid_until=today + relativedelta(months=11) if decision == Decision.GRANTED else None,
            typed_name=link.guardian.full_name,
            relationship=link.relationship,
            shown_sha256=_sha256({"paper": version.explanation}),
            policy_version=version.policy_version,
            recorded_by=recorded_by,
            # Returned a month ago, so the demo's past sessions were covered when they happened.
            recorded_at=timezone.now() - dt.timedelta(days=30),
            notes="Demo: signed paper form",
        ).save()
