"""Children's acceptable-use agreements: a therapist reads one with the child in a
session, a parent reads it with them on their own link, the leads see who is yet
to agree, and only the current version written for the child's age can be agreed."""

import datetime as dt
import io
import secrets

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation, Role, User
from audit.models import AuditEvent
from children import services as caseload
from children.models import Child, Guardian
from common.models import AppendOnlyError
from consent import services as consent_services
from consent.models import GuardianAccess
from consent.views import ACCESS_TOKEN
from policies import reach, services
from policies.agreements import child_agreement_record, seed_child_agreements
from policies.models import AgreementWay, ChangeKind, ChildAgreement, Policy, PolicyVersion
from tests.factories import ChildFactory, ChildGuardianFactory, UserFactory

pytestmark = pytest.mark.django_db

AGREEMENT = "# Staying safe online\n\nI will tell a grown-up if something online worries me."


def born_aged(years: int) -> dt.date:
    """A birthday that makes a child this many years old today (and not for a while)."""
    return timezone.localdate() - relativedelta(years=years, months=3)


def agreement_policy(
    organisation: Organisation, by: User, *, ages: tuple[int | None, int | None], title: str
) -> Policy:
    draft = services.policy_create(
        organisation=organisation, by=by, title=title, category="acceptable_use", body=AGREEMENT
    )
    Policy.objects.filter(pk=draft.policy_id).update(
        audience_children=True, children_age_from=ages[0], children_age_to=ages[1]
    )
    services.version_approve(
        draft=draft,
        by=by,
        approved_on=timezone.localdate() - dt.timedelta(days=30),
        approved_by_name="The trustees",
    )
    return Policy.objects.get(pk=draft.policy_id)


def new_version(policy: Policy, by: User, kind: str) -> PolicyVersion:
    draft = services.draft_start(policy=policy, by=by)
    PolicyVersion.objects.filter(pk=draft.pk).update(change_kind=kind, body=AGREEMENT + "\n\nMore.")
    return services.version_approve(
        draft=PolicyVersion.objects.get(pk=draft.pk),
        by=by,
        approved_on=timezone.localdate(),
        approved_by_name="The trustees",
    )


@pytest.fixture
def juniors(organisation, bob) -> Policy:
    """Alder's agreement for children aged 8 to 12."""
    return agreement_policy(organisation, bob, ages=(8, 12), title="Our online promise (8-12)")


@pytest.fixture
def seniors(organisation, bob) -> Policy:
    return agreement_policy(organisation, bob, ages=(13, 17), title="Online agreement (13-17)")


@pytest.fixture
def noor(organisation, alice, dana) -> Child:
    """Ten years old, on Alice's caseload."""
    child = ChildFactory(
        organisation=organisation,
        first_name="Noor",
        last_name="Hassan",
        date_of_birth=born_aged(10),
    )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


@pytest.fixture
def huda(noor) -> Guardian:
    """Noor's mother, with parental responsibility."""
    return ChildGuardianFactory(child=noor, guardian__full_name="Huda Hassan").guardian


def manage_link(guardian: Guardian) -> Client:
    """A browser that has continued from the guardian's manage link."""
    token = secrets.token_urlsafe(32)
    GuardianAccess.objects.create(
        guardian=guardian, token_sha256=consent_services.token_hash(token)
    )
    browser = Client()
    session = browser.session
    session[ACCESS_TOKEN] = consent_services.token_hash(token)
    session.save()
    return browser


def record_path(child: Child, policy: Policy) -> str:
    return f"/policies/agreements/children/{child.pk}/{reach.bindings([policy])[0].current.pk}/"


def parent_path(child: Child, policy: Policy) -> str:
    return f"/consent/manage/agreement/{child.pk}/{reach.bindings([policy])[0].current.pk}/"


# --- in a session ----------------------------------------------------------------------------


def test_the_therapist_records_the_childs_agreement_in_a_session(
    noor, juniors, seniors, alice, client_for
) -> None:
    as_alice = client_for(alice)
    page = as_alice.get(f"/children/{noor.pk}/").content.decode()
    assert "Acceptable-use agreement" in page
    assert "Our online promise (8-12)" in page
    assert "Online agreement (13-17)" not in page  # written for older children
    assert "Not agreed yet" in page
    assert record_path(noor, juniors) in page

    form = as_alice.get(record_path(noor, juniors)).content.decode()
    assert "I will tell a grown-up" in form  # the agreement's text, to read with the child
    refused = as_alice.post(record_path(noor, juniors), {"child_name": "Noor"})
    assert "Confirm that you read the agreement with the child." in refused.content.decode()
    assert not ChildAgreement.objects.exists()

    response = as_alice.post(
        record_path(noor, juniors), {"child_name": "  noor  H ", "read_together": "on"}
    )
    assert response["Location"] == f"/children/{noor.pk}/"
    agreement = ChildAgreement.objects.get()
    assert agreement.way == AgreementWay.IN_SESSION
    assert agreement.witnessed_by == alice
    assert agreement.guardian is None
    assert agreement.child_name == "noor H"
    event = AuditEvent.objects.get(action="policy.child_agreed")
    assert event.actor == alice
    assert event.details["way"] == "in_session"

    page = as_alice.get(f"/children/{noor.pk}/").content.decode()
    assert "Not agreed yet" not in page
    assert "witnessed by Alice Adeyemi" in page
    assert record_path(noor, juniors) not in page
    assert reach.child_agreements_due(noor) == []


def test_recording_twice_keeps_the_first_agreement(noor, juniors, alice, dana) -> None:
    version = reach.bindings([juniors])[0].current
    first = child_agreement_record(
        version=version,
        child=noor,
        way=AgreementWay.IN_SESSION,
        child_name="Noor",
        witnessed_by=alice,
    )
    again = child_agreement_record(
        version=version, child=noor, way=AgreementWay.IN_SESSION, child_name="N", witnessed_by=dana
    )
    assert again == first
    assert ChildAgreement.objects.count() == 1
    assert AuditEvent.objects.filter(action="policy.child_agreed").count() == 1
    first.child_name = "Someone else"
    with pytest.raises(AppendOnlyError):
        first.save()


def test_the_form_for_an_agreement_already_made_says_so_instead(
    noor, juniors, alice, dana, client_for
) -> None:
    child_agreement_record(
        version=reach.bindings([juniors])[0].current,
        child=noor,
        way=AgreementWay.IN_SESSION,
        child_name="Noor",
        witnessed_by=alice,
    )
    as_dana = client_for(dana)
    response = as_dana.get(record_path(noor, juniors), follow=True)
    assert response.redirect_chain == [(f"/children/{noor.pk}/", 302)]
    assert "Noor already agreed to Our online promise (8-12) on" in response.content.decode()
    assert ChildAgreement.objects.count() == 1


def test_who_may_record_is_who_may_open_the_child(
    noor, juniors, dana, deputy, director, charlie, client_for, organisation
) -> None:
    path = record_path(noor, juniors)
    ticked = {"child_name": "Noor", "read_together": "on"}
    stranger = UserFactory(organisation=organisation, role=Role.STAFF)  # not on her caseload
    assert client_for(stranger).post(path, ticked).status_code == 404
    assert client_for(director).get(path).status_code == 404
    assert client_for(charlie).get(path).status_code == 404
    assert not ChildAgreement.objects.exists()
    assert client_for(deputy).post(path, ticked).status_code == 302
    assert ChildAgreement.objects.get().witnessed_by == deputy


def test_another_organisations_child_or_agreement_is_a_404(
    noor, juniors, other_organisation, charlie, dana, client_for
) -> None:
    theirs = agreement_policy(other_organisation, charlie, ages=(8, 12), title="Birch promise")
    birch_child = ChildFactory(organisation=other_organisation, date_of_birth=born_aged(10))
    as_dana = client_for(dana)
    assert as_dana.get(record_path(birch_child, theirs)).status_code == 404
    # Alder's child with Birch's agreement: not one of Alder's.
    assert as_dana.get(record_path(noor, theirs)).status_code == 404
    with pytest.raises(ValidationError, match="not one of the organisation's agreements"):
        child_agreement_record(
            version=reach.bindings([theirs])[0].current,
            child=noor,
            way=AgreementWay.IN_SESSION,
            child_name="Noor",
            witnessed_by=dana,
        )


def test_the_wrong_age_or_an_old_version_is_refused_with_a_message(
    noor, juniors, seniors, alice, bob, client_for
) -> None:
    as_alice = client_for(alice)
    wrong_age = as_alice.post(
        record_path(noor, seniors), {"child_name": "Noor", "read_together": "on"}
    ).content.decode()
    assert "is written for children aged 13 to 17; Noor is 10" in wrong_age
    old = record_path(noor, juniors)
    new_version(juniors, bob, ChangeKind.SUBSTANTIVE)
    stale = as_alice.post(old, {"child_name": "Noor", "read_together": "on"}).content.decode()
    assert "Our online promise (8-12) has changed: v2 is the current version" in stale
    assert not ChildAgreement.objects.exists()


def test_a_discharged_child_needs_no_agreement(noor, juniors, alice) -> None:
    Child.objects.filter(pk=noor.pk).update(discharged_on=timezone.localdate())
    noor.refresh_from_db()
    with pytest.raises(ValidationError, match="has been discharged"):
        child_agreement_record(
            version=reach.bindings([juniors])[0].current,
            child=noor,
            way=AgreementWay.IN_SESSION,
            child_name="Noor",
            witnessed_by=alice,
        )


# --- with a parent, on their link ------------------------------------------------------------


def test_a_parent_reads_the_agreement_with_their_child_on_their_link(
    noor, huda, juniors, alice, client_for
) -> None:
    browser = manage_link(huda)
    manage = browser.get("/consent/manage/").content.decode()
    assert "Agreements to read with your child" in manage
    assert parent_path(noor, juniors) in manage

    page = browser.get(parent_path(noor, juniors)).content.decode()
    assert "Read it together with Noor" in page
    assert "I will tell a grown-up" in page
    assert "Noor read this with me and agrees" in page
    refused = browser.post(parent_path(noor, juniors), {"read_together": "on"}).content.decode()
    assert "Type Noor&#x27;s name as they would write it." in refused

    response = browser.post(
        parent_path(noor, juniors), {"child_name": "NOOR", "read_together": "on"}
    )
    assert response["Location"] == "/consent/manage/"
    agreement = ChildAgreement.objects.get()
    assert (agreement.way, agreement.guardian, agreement.witnessed_by) == (
        AgreementWay.WITH_PARENT,
        huda,
        None,
    )
    assert agreement.child_name == "NOOR"
    event = AuditEvent.objects.get(action="policy.child_agreed")
    assert event.actor is None
    assert event.actor_label == f"guardian:{huda.pk}"

    after = browser.get("/consent/manage/")
    assert "Agreements to read with your child" not in after.content.decode()
    # Opening the page again says there is nothing to agree to, and records nothing.
    again = browser.get(parent_path(noor, juniors), follow=True).content.decode()
    assert "nothing at that address for Noor to agree to now" in again
    staff_page = client_for(alice).get(f"/children/{noor.pk}/").content.decode()
    assert "with Huda Hassan on their link" in staff_page


def test_a_parent_cannot_agree_for_a_child_they_have_no_responsibility_for(
    noor, huda, juniors, organisation, other_organisation, charlie
) -> None:
    browser = manage_link(huda)
    sibling = ChildFactory(organisation=organisation, date_of_birth=born_aged(9))
    ChildGuardianFactory(child=sibling, guardian=huda, parental_responsibility=False)
    stranger = ChildFactory(organisation=organisation, date_of_birth=born_aged(9))
    theirs = agreement_policy(other_organisation, charlie, ages=(8, 12), title="Birch promise")
    elsewhere = ChildFactory(organisation=other_organisation, date_of_birth=born_aged(9))
    ticked = {"child_name": "Me", "read_together": "on"}
    for child, policy in [(sibling, juniors), (stranger, juniors), (elsewhere, theirs)]:
        assert browser.get(parent_path(child, policy)).status_code == 404
        assert browser.post(parent_path(child, policy), ticked).status_code == 404
    assert browser.post(parent_path(noor, theirs), ticked).status_code == 404
    assert not ChildAgreement.objects.exists()
    # Without the link there is no page at all.
    assert Client().get(parent_path(noor, juniors)).status_code == 404
    with pytest.raises(ValidationError, match="parental responsibility"):
        child_agreement_record(
            version=reach.bindings([juniors])[0].current,
            child=sibling,
            way=AgreementWay.WITH_PARENT,
            child_name="Sam",
            guardian=huda,
        )


def test_a_parent_posting_an_old_version_is_told_it_changed(noor, huda, juniors, bob) -> None:
    browser = manage_link(huda)
    old = parent_path(noor, juniors)
    assert browser.get(old).status_code == 200
    new_version(juniors, bob, ChangeKind.SUBSTANTIVE)
    stale = browser.post(old, {"child_name": "Noor", "read_together": "on"}).content.decode()
    assert "has changed: v2 is the current version" in stale
    assert not ChildAgreement.objects.exists()


# --- who is yet to agree ---------------------------------------------------------------------


def test_the_leads_see_the_children_yet_to_agree(
    noor, juniors, seniors, alice, dana, bob, director, client_for, organisation
) -> None:
    sami = ChildFactory(
        organisation=organisation, first_name="Sami", last_name="Ali", date_of_birth=born_aged(14)
    )
    toddler = ChildFactory(
        organisation=organisation, first_name="Tia", last_name="Brown", date_of_birth=born_aged(4)
    )
    left = ChildFactory(
        organisation=organisation,
        first_name="Lee",
        last_name="Cole",
        date_of_birth=born_aged(9),
        discharged_on=timezone.localdate() - dt.timedelta(days=3),
    )
    child_agreement_record(
        version=reach.bindings([seniors])[0].current,
        child=sami,
        way=AgreementWay.IN_SESSION,
        child_name="Sami",
        witnessed_by=dana,
    )
    assert (
        "/policies/agreements/outstanding/" in client_for(dana).get("/children/").content.decode()
    )
    page = client_for(dana).get("/policies/agreements/outstanding/").content.decode()
    assert f'data-child="{noor.pk}"' in page
    assert f"/children/{noor.pk}/" in page
    assert "Our online promise (8-12) (v1)" in page
    assert f'data-child="{sami.pk}"' not in page  # agreed
    assert f'data-child="{toddler.pk}"' not in page  # no agreement written for a four-year-old
    assert f'data-child="{left.pk}"' not in page  # discharged
    assert client_for(bob).get("/policies/agreements/outstanding/").status_code == 200
    assert client_for(alice).get("/policies/agreements/outstanding/").status_code == 403
    assert client_for(director).get("/policies/agreements/outstanding/").status_code == 403


def test_a_substantive_change_asks_again_and_an_editorial_one_does_not(
    noor, juniors, alice, bob, organisation
) -> None:
    child_agreement_record(
        version=reach.bindings([juniors])[0].current,
        child=noor,
        way=AgreementWay.IN_SESSION,
        child_name="Noor",
        witnessed_by=alice,
    )
    assert reach.children_outstanding(organisation) == []
    new_version(juniors, bob, ChangeKind.EDITORIAL)
    assert reach.children_outstanding(organisation) == []
    assert reach.child_agreements_due(noor) == []
    new_version(juniors, bob, ChangeKind.SUBSTANTIVE)
    ((child, due),) = reach.children_outstanding(organisation)
    assert child == noor
    assert due[0].current.label == "v3"


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_child_agreement_is_recorded_in_a_session(
    noor, juniors, organisation, alice
) -> None:
    other = ChildFactory(organisation=organisation, date_of_birth=born_aged(11))
    agreement = seed_child_agreements(organisation, alice)
    assert agreement is not None
    assert agreement.child == noor  # on Alice's caseload
    assert agreement.way == AgreementWay.IN_SESSION
    assert [child for child, _ in reach.children_outstanding(organisation)] == [other]
    assert seed_child_agreements(organisation, alice) is None  # once


def test_seeding_the_demo_records_one_agreement_and_leaves_the_others_outstanding() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    organisation = Organisation.objects.get(slug="demo")
    if not reach.child_bindings(organisation):
        # Until the demo's own policies include one: an agreement for 8 to 12.
        admin = User.objects.get(organisation=organisation, role=Role.ADMIN)
        agreement_policy(organisation, admin, ages=(8, 12), title="Our online promise")
        call_command("seed_demo", stdout=io.StringIO())
    agreement = ChildAgreement.objects.get(child__organisation=organisation)
    assert agreement.way == AgreementWay.IN_SESSION
    assert agreement.witnessed_by.role == Role.STAFF
    assert reach.children_outstanding(organisation)
    call_command("seed_demo", stdout=io.StringIO())
    assert ChildAgreement.objects.filter(child__organisation=organisation).count() == 1
