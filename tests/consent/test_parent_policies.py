"""The parent-facing policies reach every parent they bind: agreed to with each
consent request (whatever order the policies and consent types were made in),
on the parent's own link, emailed about when they change, and listed for the
leads while someone has yet to agree."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from children import services as caseload
from consent import parent_policies, services
from consent.models import ConsentRequest, GuardianAccess
from outbox.models import OutboundMessage
from policies import reach
from policies import services as policy_services
from policies.models import Acknowledgement, PolicyVersion
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask
from tests.factories import ChildFactory, GuardianFactory

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

CODE = "Be kind to staff and other families. Keep session links private."
MANAGE_LINK = re.compile(r"http://testserver(/m/\S+/)")


def approve(draft: PolicyVersion, by, capture=None) -> PolicyVersion:
    def run() -> PolicyVersion:
        return policy_services.version_approve(
            draft=draft, by=by, approved_on=timezone.localdate(), approved_by_name="The trustees"
        )

    if capture is None:
        return run()
    with capture(execute=True):
        return run()


def parents_code(organisation, by, capture=None, title="Code of conduct for parents and carers"):
    draft = policy_services.policy_create(
        organisation=organisation,
        by=by,
        title=title,
        category="conduct_parents",
        body=CODE,
        audience_parents=True,
    )
    return approve(draft, by, capture)


def new_version(version: PolicyVersion, by, *, kind: str, capture=None) -> PolicyVersion:
    draft = policy_services.draft_start(policy=version.policy, by=by)
    policy_services.draft_update(
        draft=draft, by=by, body=version.body + "\n\nNo filming in sessions.", change_summary="x"
    )
    PolicyVersion.objects.filter(pk=draft.pk).update(change_kind=kind)
    draft.refresh_from_db()
    return approve(draft, by, capture)


def guardian(child, email="huda@example.test"):
    return child.guardian_links.get(guardian__email=email).guardian


def manage_browser(child, by, capture) -> tuple[Client, str]:
    """Huda answers a request (so holds a manage link) and continues from it."""
    answer(
        Client(),
        ask(child, by, "photos_online", capture=capture),
        {"photos_online": "granted"},
        capture=capture,
    )
    link = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    browser = Client()
    browser.get(link)
    assert browser.post("/consent/manage/continue/")["Location"] == "/consent/manage/"
    return browser, link


# --- agreed to with a consent request ----------------------------------------------------------


def test_consent_types_made_before_the_policy_still_ask_the_parent_to_agree_to_it(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # The consent types (the child fixture) came first; the policy was approved after.
    code = parents_code(organisation, bob)
    assert all(
        version.policy_version_id is None
        for request in ConsentRequest.objects.all()
        for version in request.items.all()
    )
    link = ask(child, alice, "online_sessions", capture=capture)
    assert list(ConsentRequest.objects.get().policy_versions.all()) == [code]

    page = Client().get(link, follow=True).content.decode()
    # The text is on the page itself: a parent reads it on a phone, with no sign-in.
    assert CODE in page
    assert "I have read and agree to the Code of conduct for parents and carers (v1)" in page

    response = answer(Client(), link, {"online_sessions": "granted"}, capture=capture)
    assert response.status_code == 302
    huda = guardian(child)
    assert Acknowledgement.objects.filter(version=code, guardian=huda).exists()
    assert reach.guardian_unread(huda) == []
    event = AuditEvent.objects.get(action="policy.acknowledged")
    assert event.actor_label == f"guardian:{huda.pk}"
    assert event.details["version"] == "v1"

    receipt = mail.outbox[-1]
    assert "Code of conduct for parents and carers (v1" in receipt.body
    assert code.content_sha256[:12] in receipt.body
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(_pdf(receipt.attachments[0][1])).pages
    )
    assert "Code of conduct for parents and carers" in pdf_text
    assert code.content_sha256[:12] in pdf_text


def _pdf(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)


def test_the_receipt_page_lists_the_policies_and_its_hash_covers_them(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    code = parents_code(organisation, bob)
    parent = Client()
    answer(
        parent,
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    html = parent.get("/consent/receipt/").content.decode()
    assert "Policies you read and agreed to" in html
    assert "Code of conduct for parents and carers (v1)" in html
    assert code.content_sha256[:12] in html
    records = list(child.consent_records.all())
    content = services.receipt_content(records, policies=[code])
    assert services._sha256(content) == records[0].receipt_sha256
    assert services._sha256(services.receipt_content(records)) != records[0].receipt_sha256
    # The records alone find what was agreed to: a subject access copy names it too.
    stored = parent_policies.policies_of_receipt(records)
    assert services._sha256(services.receipt_content(records, policies=stored)) == (
        records[0].receipt_sha256
    )


def test_a_request_sent_before_a_new_version_asks_for_the_new_one(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    """Agreeing to v1 after v2 was approved would leave the parent outstanding
    while they believe they are done: the form asks for what is current."""
    capture = django_capture_on_commit_callbacks
    v1 = parents_code(organisation, bob)
    request_link = ask(child, alice, "online_sessions", capture=capture)
    v2 = new_version(v1, bob, kind="substantive", capture=capture)
    answer(Client(), request_link, {"online_sessions": "granted"}, capture=capture)
    huda = guardian(child)
    assert Acknowledgement.objects.filter(guardian=huda, version=v2).exists()
    assert not Acknowledgement.objects.filter(guardian=huda, version=v1).exists()
    assert reach.guardian_unread(huda) == []
    signed = ConsentRequest.objects.get(guardian=huda, status="signed")
    assert list(signed.policy_versions.all()) == [v2]


def test_signing_without_ticking_the_policy_records_nothing(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    code = parents_code(organisation, bob)
    link = ask(child, alice, "online_sessions", capture=capture)
    parent = Client()
    parent.get(link, follow=True)
    version = ConsentRequest.objects.get().items.get()
    response = parent.post(
        "/consent/sign/",
        {
            "typed_name": "Huda Hassan",
            "relationship": "mother",
            "confirms_responsibility": "on",
            f"item_{version.pk}": "granted",
        },
    )
    assert response.status_code == 200
    assert "Tick to confirm you have read Code of conduct" in response.content.decode()
    assert not child.consent_records.exists()
    assert not Acknowledgement.objects.filter(version=code).exists()


# --- on the parent's own link -----------------------------------------------------------------


def test_a_parent_reads_and_agrees_on_their_own_link(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    browser, _ = manage_browser(child, alice, capture)
    # Approved after Huda last signed: hers to read on her link.
    code = parents_code(organisation, bob)
    huda = guardian(child)
    page = browser.get("/consent/manage/").content.decode()
    assert "Policies to read" in page
    url = f"/consent/manage/policies/{code.pk}/"
    assert url in page

    reading = browser.get(url)
    assert reading.status_code == 200
    assert CODE in reading.content.decode()
    assert "I have read and agree to the Code of conduct" in reading.content.decode()
    assert not Acknowledgement.objects.filter(guardian=huda, version=code).exists()

    agreed = browser.post(url)
    assert agreed["Location"] == "/consent/manage/"
    assert Acknowledgement.objects.filter(guardian=huda, version=code).exists()
    event = AuditEvent.objects.get(action="policy.acknowledged")
    assert event.actor_label == f"guardian:{huda.pk}"
    page = browser.get("/consent/manage/").content.decode()
    assert "you have agreed to the Code of conduct for parents and carers (v1)" in page
    assert "Policies to read" not in page
    # A second press changes nothing.
    assert browser.post(url)["Location"] == "/consent/manage/"
    assert Acknowledgement.objects.filter(guardian=huda, version=code).count() == 1
    assert AuditEvent.objects.filter(action="policy.acknowledged").count() == 1


def test_only_a_current_parent_facing_version_of_their_own_organisation_opens(
    child, alice, bob, charlie, organisation, other_organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    browser, _ = manage_browser(child, alice, capture)
    v1 = parents_code(organisation, bob)
    v2 = new_version(v1, bob, kind="substantive")
    staff_only = policy_services.policy_create(
        organisation=organisation, by=bob, title="Staff handbook", category="other", body="x"
    )
    staff_only = approve(staff_only, bob)
    elsewhere = parents_code(other_organisation, charlie)
    for version in (v1, staff_only, elsewhere):
        url = f"/consent/manage/policies/{version.pk}/"
        assert browser.get(url).status_code == 404
        assert browser.post(url).status_code == 404
    assert browser.get("/consent/manage/policies/999999/").status_code == 404
    assert (
        not Acknowledgement.objects.filter(guardian=guardian(child))
        .exclude(version__policy__audience_parents=False)
        .exists()
    )
    assert browser.get(f"/consent/manage/policies/{v2.pk}/").status_code == 200
    # Without the parent's session, nothing opens.
    assert Client().get(f"/consent/manage/policies/{v2.pk}/").status_code == 404


# --- told when a policy changes ---------------------------------------------------------------


def test_a_substantive_change_emails_each_parent_a_fresh_link(
    child, alice, bob, dana, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    v1 = parents_code(organisation, bob)
    for email in ("huda@example.test", "sami@example.test"):
        Acknowledgement.objects.create(version=v1, guardian=guardian(child, email))
    # Who is not told: no parental responsibility, no email, a discharged child's parent.
    caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Gran Hassan",
        email="gran@example.test",
        phone="",
        preferred_contact="email",
        relationship="grandmother",
        parental_responsibility=False,
    )
    left = ChildFactory(
        organisation=organisation, discharged_on=timezone.localdate() - dt.timedelta(days=3)
    )
    caseload.guardian_add(
        child=left,
        by=dana,
        full_name="Former Parent",
        email="former@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    mail.outbox.clear()
    new_version(v1, bob, kind="substantive", capture=capture)

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"huda@example.test", "sami@example.test"}
    email = sent["huda@example.test"]
    assert email.subject == "A policy you agreed to has changed"
    assert "Code of conduct for parents and carers (v2)" in email.body
    # Who to tell about a worry, at the foot of this email as of every parent's email.
    assert "Dana Douglas" in email.body
    assert "call 999" in email.body.lower()
    link = MANAGE_LINK.search(email.body).group(1)
    token = link.split("/")[2]
    # The token is only in the email: the outbox row and the link row hold none of it.
    for message in OutboundMessage.objects.all():
        assert token not in f"{message.subject}{message.body}"
    assert GuardianAccess.objects.filter(token_sha256=services.token_hash(token)).exists()
    assert not GuardianAccess.objects.filter(token_sha256=token).exists()

    browser = Client()
    browser.get(link)
    browser.post("/consent/manage/continue/")
    page = browser.get("/consent/manage/").content.decode()
    assert "Read the Code of conduct for parents and carers (v2)" in page


def test_an_editorial_change_tells_nobody_and_keeps_what_they_agreed(
    child, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    v1 = parents_code(organisation, bob)
    huda = guardian(child)
    Acknowledgement.objects.create(version=v1, guardian=huda)
    mail.outbox.clear()
    new_version(v1, bob, kind="editorial", capture=capture)
    assert mail.outbox == []
    assert reach.guardian_unread(huda) == []


def test_a_first_version_asks_every_parent_to_read_it(
    child, bob, organisation, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    parents_code(organisation, bob, capture=django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["huda@example.test", "sami@example.test"]
    assert all(m.subject.startswith("Please read: a policy for parents") for m in mail.outbox)


def test_a_staff_only_policy_emails_no_parent(
    child, bob, organisation, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    draft = policy_services.policy_create(
        organisation=organisation, by=bob, title="Staff handbook", category="other", body="x"
    )
    approve(draft, bob, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_parent_who_agreed_before_the_email_went_is_not_sent_it(
    child, bob, organisation, django_capture_on_commit_callbacks
):
    from consent import emails
    from outbox.services import message_send

    v1 = parents_code(organisation, bob)
    huda = guardian(child)
    message = OutboundMessage.objects.create(
        organisation=organisation,
        kind=emails.POLICY_CHANGED_KIND,
        purpose=huda,
        to=huda.email,
    )
    Acknowledgement.objects.create(version=v1, guardian=huda)
    mail.outbox.clear()
    message_send(message_id=message.pk, last_try=True)
    assert mail.outbox == []
    assert not GuardianAccess.objects.filter(guardian=huda).exists()


def test_a_welsh_services_parents_get_the_policy_email_in_welsh(
    child, bob, organisation, django_capture_on_commit_callbacks
):
    from consent import emails
    from outbox.services import message_send

    organisation.parent_language = "cy"
    organisation.save(update_fields=["parent_language"])
    parents_code(organisation, bob)
    huda = guardian(child)
    message = OutboundMessage.objects.create(
        organisation=organisation, kind=emails.POLICY_CHANGED_KIND, purpose=huda, to=huda.email
    )
    mail.outbox.clear()
    message_send(message_id=message.pk, last_try=True)
    (email,) = mail.outbox
    assert email.subject == f"Darllenwch: polisi i rieni a gofalwyr yn {organisation.name}"
    assert "Darllenwch ef a dywedwch eich bod yn cytuno" in email.body
    assert "Please read it" not in email.body
    html = email.alternatives[0][0]
    assert '<html lang="cy">' in html
    assert "Darllenwch ef a chytuno" in html


# --- the leads' list ----------------------------------------------------------------------------


def test_the_leads_list_names_who_has_yet_to_agree(
    child, alice, bob, dana, charlie, organisation, client_for
):
    code = parents_code(organisation, bob)
    Acknowledgement.objects.create(version=code, guardian=guardian(child, "sami@example.test"))
    html = client_for(dana).get("/consent/policies-outstanding/").content.decode()
    assert "Huda Hassan" in html
    assert "Sami Hassan" not in html
    assert f"/children/{child.pk}/" in html
    assert "Code of conduct for parents and carers (v1)" in html
    assert client_for(bob).get("/consent/policies-outstanding/").status_code == 200
    assert client_for(alice).get("/consent/policies-outstanding/").status_code == 403
    # Another organisation's lead sees their own (empty) list, never Alder's parents.
    elsewhere = client_for(charlie).get("/consent/policies-outstanding/")
    assert elsewhere.status_code == 200
    assert "Huda Hassan" not in elsewhere.content.decode()
    # Linked from the consent pages leads use.
    assert "/consent/policies-outstanding/" in (
        client_for(dana).get("/consent/do-not-use/").content.decode()
    )


def test_the_list_leaves_out_parents_without_responsibility_and_of_children_who_left(
    bob, dana, organisation, client_for
):
    parents_code(organisation, bob)
    left = ChildFactory(
        organisation=organisation, discharged_on=timezone.localdate() - dt.timedelta(days=1)
    )
    caseload.guardian_add(
        child=left,
        by=dana,
        full_name="Former Parent",
        email="",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    GuardianFactory(organisation=organisation, full_name="Nobody's Parent")
    html = client_for(dana).get("/consent/policies-outstanding/").content.decode()
    assert "Former Parent" not in html
    assert "Nobody&#x27;s Parent" not in html
