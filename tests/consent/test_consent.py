"""Written parental consent, end to end through the pages a parent and staff use."""

import base64
import datetime as dt
import hashlib
import io
import json
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from children import services as caseload
from common.models import AppendOnlyError
from consent import services
from consent.models import (
    ConsentRecord,
    ConsentRequest,
    ConsentType,
    ConsentTypeVersion,
    GuardianAccess,
    TakedownTask,
)
from consent.reminders import takedowns_open
from notices.models import Notice
from practice.contact_log import contact_log
from practice.models import ContactLog
from tests.factories import (
    ChildFactory,
    ConsentRecordFactory,
    OrganisationFactory,
    UserFactory,
    practice_rules_off,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def consent_only(organisation) -> None:
    # These tests are about the consent gate; the practice rules are tested apart.
    practice_rules_off(organisation)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    for name, email in (("Huda Hassan", "huda@example.test"), ("Sami Hassan", "sami@example.test")):
        caseload.guardian_add(
            child=child,
            by=dana,
            full_name=name,
            email=email,
            phone="",
            preferred_contact="email",
            relationship="parent",
            parental_responsibility=True,
        )
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    services.consent_types_ensure(organisation=organisation)
    return child


def drawn_signature(width: int = 300, height: int = 100) -> str:
    """A real PNG, as the signing page's canvas sends it: ink on a transparent canvas."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def types(*codes: str) -> list[ConsentType]:
    return [ConsentType.objects.get(code=code) for code in codes]


def ask(child, by, *codes, guardian_email="huda@example.test", capture=None) -> str:
    """Send a request and return the link path from the email, as a parent would click it."""
    guardian = child.guardian_links.get(guardian__email=guardian_email).guardian
    with capture(execute=True):
        services.consent_request_send(
            child=child, guardians=[guardian], consent_types=types(*codes), by=by
        )
    return re.search(r"http://testserver(/c/\S+/)", mail.outbox[-1].body).group(1)


def answer(parent: Client, link: str, answers: dict[str, str], capture=None, **extra):
    page = parent.get(link, follow=True)
    form = {
        "typed_name": "Huda Hassan",
        "relationship": "mother",
        "confirms_responsibility": "on",
        **extra,
    }
    html = page.content.decode()
    for code, decision in answers.items():
        consent_type = ConsentType.objects.get(code=code)
        version = consent_type.current_version()
        form[f"item_{version.pk}"] = decision
    for policy_field in re.findall(r'name="(policy_\d+)"', html):
        form[policy_field] = "on"
    answered = parent.post("/consent/sign/", form)
    if answered.status_code != 302:
        return answered
    # Nothing is recorded until the answers are checked and confirmed.
    assert answered["Location"] == "/consent/sign/check/"
    assert parent.get("/consent/sign/check/").status_code == 200
    with capture(execute=True):
        return parent.post("/consent/sign/check/")


def test_a_parent_answers_and_staff_see_the_state(
    child, dana, alice, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "online_sessions", "photos_online", capture=capture)
    parent = Client()
    opened = parent.get(link)
    # The token leaves the address bar at once and the page sends no Referer.
    assert opened.status_code == 302
    assert opened["Location"] == "/consent/sign/"
    assert opened["Referrer-Policy"] == "no-referrer"
    page = parent.get("/consent/sign/")
    assert page["Referrer-Policy"] == "same-origin"
    assert "Consent for Noor Hassan" in page.content.decode()
    assert not ConsentRecord.objects.exists()  # GET records nothing

    response = answer(
        parent, link, {"online_sessions": "granted", "photos_online": "refused"}, capture=capture
    )
    assert response["Location"] == "/consent/receipt/"
    receipt = parent.get("/consent/receipt/").content.decode()
    assert "Your answers are saved" in receipt

    state = {t.code: s for t, s in services.consent_matrix(child)}
    assert state["online_sessions"].state == "granted"
    assert state["photos_online"].state == "refused"
    page = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert re.search(
        r'data-consent="online_sessions"><strong class="govuk-tag govuk-tag--green">Granted until',
        page,
    )
    assert ConsentRequest.objects.get().status == "signed"
    assert AuditEvent.objects.filter(action="consent.signed").exists()

    receipt_mail = mail.outbox[-1]
    assert receipt_mail.to == ["huda@example.test"]
    _pdf_name, pdf_bytes, pdf_type = receipt_mail.attachments[0]
    assert pdf_type == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages).replace(
        "\n", " "
    )
    record = ConsentRecord.objects.filter(decision="granted").get()
    assert "Noor Hassan" in text
    assert "Online sessions and video calls" in text
    assert "Yes, I agree" in text  # the form's own words
    assert "Photos online and on social media" in text
    assert "No, I do not agree" in text
    assert record.receipt_sha256 in text.replace(" ", "")


def test_the_evidence_rehashes_to_the_receipt(child, alice, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "online_sessions", "recording", capture=capture)
    answer(Client(), link, {"online_sessions": "granted", "recording": "granted"}, capture=capture)
    records = list(ConsentRecord.objects.order_by("pk"))
    recomputed = hashlib.sha256(
        json.dumps(
            services.receipt_content(records),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode()
    ).hexdigest()
    assert all(r.receipt_sha256 == recomputed for r in records)
    shown = services.shown_content(ConsentRequest.objects.get(), records[0].type_version)
    assert (
        records[0].shown_sha256
        == hashlib.sha256(
            json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
        ).hexdigest()
    )
    assert records[0].ip_address == "127.0.0.1"
    with pytest.raises(AppendOnlyError):
        records[0].save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.all().delete()


def test_a_used_link_is_gone(child, alice, django_capture_on_commit_callbacks) -> None:
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "voice_messages", capture=capture)
    answer(Client(), link, {"voice_messages": "granted"}, capture=capture)
    again = Client().get(link)
    assert again.status_code == 404
    assert "This link no longer works" in again.content.decode()
    assert ConsentRecord.objects.count() == 1


def test_an_expired_link_is_gone(child, alice, django_capture_on_commit_callbacks) -> None:
    link = ask(child, alice, "voice_messages", capture=django_capture_on_commit_callbacks)
    ConsentRequest.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert Client().get(link).status_code == 404
    assert ConsentRequest.objects.get().display_status == "Expired"


@pytest.mark.parametrize("tamper", ["AAAA", "x" * 43, "../../etc", "x" * 500])
def test_a_tampered_token_is_gone(child, alice, tamper, django_capture_on_commit_callbacks):
    link = ask(child, alice, "voice_messages", capture=django_capture_on_commit_callbacks)
    real = link.split("/")[2]
    tampered = real[:-4] + tamper[:4] if len(tamper) == 4 else tamper
    response = Client().get(f"/c/{tampered}/")
    assert response.status_code == 404


def test_a_link_cannot_answer_another_request(child, alice, django_capture_on_commit_callbacks):
    """The session holds one request's token; posting answers for another's items fails."""
    capture = django_capture_on_commit_callbacks
    first = ask(child, alice, "voice_messages", capture=capture)
    ask(child, alice, "recording", guardian_email="sami@example.test", capture=capture)
    parent = Client()
    parent.get(first)
    other_item = ConsentType.objects.get(code="recording").versions.get()
    response = parent.post(
        "/consent/sign/",
        {
            f"item_{other_item.pk}": "granted",
            "typed_name": "Huda",
            "relationship": "mother",
            "confirms_responsibility": "on",
        },
    )
    assert response.status_code == 200
    assert not ConsentRecord.objects.exists()


def test_two_guardians_disagreeing_means_refused_and_is_shown(
    child, alice, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    answer(
        Client(),
        ask(child, alice, "online_sessions", guardian_email="sami@example.test", capture=capture),
        {"online_sessions": "refused"},
        capture=capture,
        typed_name="Sami Hassan",
    )
    online = ConsentType.objects.get(code="online_sessions")
    gate = services.consent_check(child=child, consent_type=online, on=timezone.localdate())
    assert not gate.allowed
    assert "disagree" in gate.reason
    page = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert "Parents disagree: treated as refused" in page


def test_verbal_consent_expires_after_seven_days_unless_confirmed(
    child, dana, django_capture_on_commit_callbacks, client_for
) -> None:
    huda = child.guardian_links.get(guardian__email="huda@example.test").guardian
    with django_capture_on_commit_callbacks(execute=True):
        client_for(dana).post(
            f"/children/{child.pk}/consent/verbal/",
            {
                "guardian": huda.pk,
                "consent_type": ConsentType.objects.get(code="messaging").pk,
                "notes": "Phoned mum at 10:00",
            },
        )
    messaging = ConsentType.objects.get(code="messaging")
    today = timezone.localdate()
    assert services.consent_check(child=child, consent_type=messaging, on=today).allowed
    in_eight_days = services.consent_check(
        child=child, consent_type=messaging, on=today + dt.timedelta(days=8)
    )
    assert not in_eight_days.allowed
    assert "expired" in in_eight_days.reason
    # The written confirmation was asked for at once.
    assert ConsentRequest.objects.filter(guardian=huda).count() == 1
    assert "/c/" in mail.outbox[-1].body


def test_the_gate_refuses_a_contact_without_consent(child, alice, dana, client_for) -> None:
    as_alice = client_for(alice)
    form = {
        "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "video",
        "with_whom": "child",
    }
    # Saved all the same once a reason is given: the form asks for it beside its field.
    refused = as_alice.post(f"/children/{child.pk}/contacts/new/", form)
    assert refused.status_code == 200
    assert (
        "Consent: Online sessions and video calls: no parent has given consent."
        in (refused.context["form"].errors["override_reason"][0])
    )
    assert not ContactLog.objects.exists()

    reason = "Child in crisis; parent asked us to call."
    forced = as_alice.post(
        f"/children/{child.pk}/contacts/new/", {**form, "override_reason": reason}
    )
    assert forced.status_code == 302
    contact = ContactLog.objects.get()
    assert not contact.consent_allowed
    assert Notice.objects.filter(recipient=dana, ledger__kind="contact.without_consent").exists()


def test_withdrawal_takes_two_clicks_tells_staff_and_creates_a_takedown(
    child, alice, dana, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "photos_online", "online_sessions", capture=capture)
    parent = Client()
    answer(
        parent, link, {"photos_online": "granted", "online_sessions": "granted"}, capture=capture
    )
    manage_link = re.search(r"http://testserver(/m/\S+/)", mail.outbox[-1].body).group(1)
    other_browser = Client()
    assert other_browser.get(manage_link)["Location"] == "/consent/manage/continue/"
    assert "Continue" in other_browser.get("/consent/manage/continue/").content.decode()
    assert other_browser.post("/consent/manage/continue/")["Location"] == "/consent/manage/"
    page = other_browser.get("/consent/manage/").content.decode()
    photos = ConsentType.objects.get(code="photos_online")
    withdraw_url = f"/consent/manage/withdraw/{child.pk}/{photos.pk}/"
    assert withdraw_url in page
    assert "Withdraw consent" in other_browser.get(withdraw_url).content.decode()
    with capture(execute=True):
        other_browser.post(withdraw_url)
    state = {t.code: s for t, s in services.consent_matrix(child)}
    assert state["photos_online"].state == "withdrawn"
    assert state["online_sessions"].state == "granted"
    task = TakedownTask.objects.get()
    assert task.assigned_to == alice
    notice = Notice.objects.get(recipient=alice, ledger__kind="consent.withdrawn")
    assert notice.urgent
    assert any(
        m.subject.startswith("Urgent: Alder Play Therapy: Consent withdrawn") for m in mail.outbox
    )
    client_for(alice).post(f"/consent/takedowns/{task.pk}/done/")
    task.refresh_from_db()
    assert task.done_by == alice


def test_resend_kills_the_old_link_and_cancel_kills_the_new(
    child, alice, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    old_link = ask(child, alice, "voice_messages", capture=capture)
    old = ConsentRequest.objects.get()
    with capture(execute=True):
        client_for(alice).post(f"/consent/requests/{old.pk}/resend/")
    new_link = re.search(r"http://testserver(/c/\S+/)", mail.outbox[-1].body).group(1)
    assert Client().get(old_link).status_code == 404
    assert Client().get(new_link).status_code == 302
    new = ConsentRequest.objects.exclude(pk=old.pk).get()
    client_for(alice).post(f"/consent/requests/{new.pk}/cancel/")
    assert Client().get(new_link).status_code == 404


def test_other_organisations_get_404(child, charlie, client_for) -> None:
    as_charlie = client_for(charlie)
    for url in (f"/children/{child.pk}/consent/request/", f"/children/{child.pk}/contacts/new/"):
        assert as_charlie.get(url).status_code == 404


# --- review findings, kept fixed ------------------------------------------------------------


def test_the_session_never_holds_a_raw_token(child, alice, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "voice_messages", capture=capture)
    token = link.split("/")[2]
    parent = Client()
    parent.get(link)
    assert token not in json.dumps(dict(parent.session))
    answer(parent, link, {"voice_messages": "granted"}, capture=capture)
    manage_token = re.search(r"/m/(\S+)/", mail.outbox[-1].body).group(1)
    assert manage_token not in json.dumps(dict(parent.session))


def test_a_guardian_who_lost_parental_responsibility_cannot_answer(
    child, alice, django_capture_on_commit_callbacks
) -> None:
    link = ask(child, alice, "voice_messages", capture=django_capture_on_commit_callbacks)
    child.guardian_links.filter(guardian__email="huda@example.test").update(
        parental_responsibility=False
    )
    assert Client().get(link).status_code == 404


def test_a_contact_is_judged_by_the_consent_in_place_when_it_happened(
    child, alice, django_capture_on_commit_callbacks
) -> None:
    before = timezone.now() - dt.timedelta(days=3)
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    with pytest.raises(ValidationError, match="no parent has given consent"):
        contact_log(child=child, staff=alice, channel="video", happened_at=before)
    assert contact_log(
        child=child, staff=alice, channel="video", happened_at=timezone.now()
    ).consent_allowed


def test_a_double_tap_withdraws_once(child, alice, django_capture_on_commit_callbacks) -> None:
    capture = django_capture_on_commit_callbacks
    parent = Client()
    answer(
        parent,
        ask(child, alice, "photos_print", capture=capture),
        {"photos_print": "granted"},
        capture=capture,
    )
    photos = ConsentType.objects.get(code="photos_print")
    url = f"/consent/manage/withdraw/{child.pk}/{photos.pk}/"
    with capture(execute=True):
        parent.post(url)
        second = parent.post(url, follow=True)
    assert "nothing to withdraw" in second.content.decode()
    assert ConsentRecord.objects.filter(decision="withdrawn").count() == 1
    assert TakedownTask.objects.count() == 1


def test_the_drawn_signature_is_covered_by_the_receipt_hash(
    child, alice, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    drawn = drawn_signature()
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
        signature_png=drawn,
    )
    record = ConsentRecord.objects.get()
    assert record.signature_png == drawn
    content = services.receipt_content([record])
    assert content["signature_sha256"] == hashlib.sha256(drawn.encode()).hexdigest()


def test_parents_acknowledge_the_policy_and_a_new_policy_version_gets_new_wording(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
) -> None:
    from policies import services as policy_services
    from policies.models import Acknowledgement

    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Online Safety Policy",
        category="online_safety",
        body="Version one.",
    )
    v1 = policy_services.version_approve(
        draft=draft, by=bob, approved_on=timezone.localdate(), approved_by_name="Board"
    )
    sessions = ConsentType.objects.get(code="online_sessions")
    # Wording never changes: resting it on the policy is a new version of it.
    ConsentTypeVersion.objects.create(
        consent_type=sessions,
        number=2,
        explanation=sessions.current_version().explanation,
        explanation_cy="Esboniad yr ydym ni wedi'i ysgrifennu.",
        policy_version=v1,
    )
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    huda = child.guardian_links.get(guardian__email="huda@example.test").guardian
    assert Acknowledgement.objects.filter(version=v1, guardian=huda).exists()

    v2 = policy_services.draft_start(policy=v1.policy, by=bob)
    policy_services.version_approve(
        draft=v2, by=bob, approved_on=timezone.localdate(), approved_by_name="Board"
    )
    newest = services.current_wording(sessions)
    assert newest.policy_version == v2
    assert sessions.versions.count() == 3
    # The organisation's Welsh is carried on with the English, not lost to the review.
    assert newest.explanation_cy == "Esboniad yr ydym ni wedi'i ysgrifennu."


def test_a_new_organisation_starts_with_welsh_wording_for_every_default_type() -> None:
    from consent.wording import DEFAULT_TYPES

    organisation = OrganisationFactory()
    types = services.consent_types_ensure(organisation=organisation)
    assert len(types) == len(DEFAULT_TYPES)
    for consent_type in types:
        assert consent_type.name_cy
        assert consent_type.name_cy != consent_type.name
        version = consent_type.current_version()
        assert version.explanation_cy
        assert version.explanation_cy != version.explanation


def test_link_tokens_are_masked_in_logs() -> None:
    import logging

    from safeguard.logging import MaskLinkTokens

    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/c/AbCdEfGhIjKlMnOp_123/",),
        None,
    )
    MaskLinkTokens().filter(record)
    assert record.getMessage() == "Not Found: /c/[token]/"


def test_a_discharged_child_shows_no_live_consent(child, alice, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    Child = type(child)
    Child.objects.filter(pk=child.pk).update(discharged_on=timezone.localdate())
    child.refresh_from_db()
    states = {t.code: s.state for t, s in services.consent_matrix(child)}
    assert states["online_sessions"] == "none"


# --- paper forms, renewals, fresh manage links, summary PDF --------------------------------


def test_a_paper_form_is_recorded_with_its_scan(child, dana, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    huda = child.guardian_links.get(guardian__email="huda@example.test").guardian
    sessions = ConsentType.objects.get(code="online_sessions")
    from tests.hostile_files import plain_pdf

    scan = plain_pdf()
    response = client_for(dana).post(
        f"/children/{child.pk}/consent/paper/",
        {
            "guardian": huda.pk,
            "consent_types": [sessions.pk],
            "signed_on": "2026-11-01",
            "signed_by": "Huda Hassan",
            "scan": SimpleUploadedFile("form.pdf", scan),
        },
    )
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.method, record.decision) == ("paper", "granted")
    assert record.valid_until == dt.date(2027, 11, 1)
    assert record.evidence_file.read() == scan
    assert record.recorded_by == dana


def test_a_renamed_executable_is_not_accepted_as_a_scan(child, dana, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    huda = child.guardian_links.get(guardian__email="huda@example.test").guardian
    response = client_for(dana).post(
        f"/children/{child.pk}/consent/paper/",
        {
            "guardian": huda.pk,
            "consent_types": [ConsentType.objects.get(code="recording").pk],
            "signed_on": "2026-11-01",
            "signed_by": "Huda",
            "scan": SimpleUploadedFile("form.pdf", b"MZ\\x90\\x00 not a pdf"),
        },
    )
    assert "Upload the scan as a PDF, PNG or JPEG file." in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_consent_about_to_run_out_is_asked_for_again_once(
    child, alice, django_capture_on_commit_callbacks
) -> None:
    from consent import records

    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    grant = ConsentRecord.objects.get()
    soon = grant.valid_until - dt.timedelta(days=20)
    with capture(execute=True):
        assert records.renewal_requests_send(today=soon) == 1
        assert records.renewal_requests_send(today=soon) == 0
    renewal = ConsentRequest.objects.order_by("-pk").first()
    assert renewal.sent_by is None
    assert "/c/" in mail.outbox[-1].body


def test_a_parent_can_get_a_fresh_manage_link_which_retires_the_old_when_used(
    child, alice, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    old = re.search(r"http://testserver(/m/\S+/)", mail.outbox[-1].body).group(1)
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    sent_before = len(mail.outbox)
    with capture(execute=True):
        page = Client().post("/consent/manage/new-link/", {"email": "HUDA@example.test"})
        # A second ask within 10 minutes sends nothing: no flooding a parent.
        Client().post("/consent/manage/new-link/", {"email": "huda@example.test"})
    assert "Check your email" in page.content.decode()
    assert len(mail.outbox) == sent_before + 1
    new = re.search(r"http://testserver(/m/\S+/)", mail.outbox[-1].body).group(1)
    assert Client().get(old).status_code == 302  # still works until the new one is used
    parent = Client()
    parent.get(new)
    assert parent.post("/consent/manage/continue/")["Location"] == "/consent/manage/"
    assert Client().get(old).status_code == 404
    unknown = Client().post("/consent/manage/new-link/", {"email": "nobody@example.test"})
    assert "Check your email" in unknown.content.decode()


def test_the_renewal_task_asks_again(child, alice, django_capture_on_commit_callbacks) -> None:
    from consent.tasks import send_renewal_requests

    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    huda, sami = (
        child.guardian_links.get(guardian__email=email).guardian
        for email in ("huda@example.test", "sami@example.test")
    )
    (messaging,) = types("messaging")
    today, now = timezone.localdate(), timezone.now()
    # Huda's paper consent to messages runs out within the renewal window;
    # Sami's has months left, and Huda's online answer above a whole year.
    ConsentRecordFactory(
        child=child,
        guardian=huda,
        consent_type=messaging,
        valid_until=today + dt.timedelta(days=20),
        recorded_at=now - dt.timedelta(days=345),
    )
    ConsentRecordFactory(
        child=child,
        guardian=sami,
        consent_type=messaging,
        valid_until=today + dt.timedelta(days=200),
        recorded_at=now - dt.timedelta(days=165),
    )
    earlier = list(ConsentRequest.objects.values_list("pk", flat=True))
    sent_before = len(mail.outbox)
    with capture(execute=True):
        assert send_renewal_requests() == 1
        # A retried task asks nobody twice.
        assert send_renewal_requests() == 0
    renewal = ConsentRequest.objects.exclude(pk__in=earlier).get()
    assert renewal.guardian == huda
    assert renewal.sent_by is None
    assert [item.consent_type for item in renewal.items.all()] == [messaging]
    assert len(mail.outbox) == sent_before + 1
    assert mail.outbox[-1].to == ["huda@example.test"]
    assert "/c/" in mail.outbox[-1].body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/children/{child}/consent/request/"),
        ("get", "/children/{child}/consent/verbal/"),
        ("get", "/children/{child}/consent/paper/"),
        ("get", "/children/{child}/consent/summary.pdf"),
        ("get", "/children/{child}/contacts/new/"),
        ("post", "/consent/requests/{request}/resend/"),
        ("post", "/consent/requests/{request}/cancel/"),
        ("post", "/consent/takedowns/{task}/done/"),
        ("get", "/consent/types/{type}/edit/"),
    ],
)
def test_another_organisation_gets_404_everywhere(
    child, alice, charlie, method, path, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    ask(child, alice, "photos_print", capture=capture)
    consent_request = ConsentRequest.objects.get()
    record = ConsentRecordFactory(
        child=child,
        consent_type=types("photos_print")[0],
        guardian=consent_request.guardian,
        decision="withdrawn",
        method="online",
        typed_name="x",
    )
    task = TakedownTask.objects.create(
        organisation=child.organisation,
        child=child,
        record=record,
        what="x",
        where="y",
        due_on=timezone.localdate(),
    )
    url = path.format(
        child=child.pk, request=consent_request.pk, task=task.pk, type=types("photos_print")[0].pk
    )
    response = getattr(client_for(charlie), method)(url)
    assert response.status_code == 404, url
    consent_request.refresh_from_db()
    assert consent_request.status == "sent"
    task.refresh_from_db()
    assert task.done_at is None


def test_the_child_consent_summary_pdf(
    child, alice, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    response = client_for(alice).get(f"/children/{child.pk}/consent/summary.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Consent summary: Noor Hassan" in text
    assert "Voice messages" in text
    assert "Huda Hassan" in text
    assert AuditEvent.objects.filter(action="consent.summary_downloaded").exists()


def test_new_wording_is_a_new_version_and_old_answers_keep_theirs(
    child, alice, bob, charlie, django_capture_on_commit_callbacks, client_for
) -> None:
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    voice = ConsentType.objects.get(code="voice_messages")
    response = client_for(bob).post(
        f"/consent/types/{voice.pk}/edit/",
        {
            "explanation": "New, clearer words about voice messages.",
            "validity_months": "6",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert voice.versions.count() == 2
    assert voice.current_version().explanation == "New, clearer words about voice messages."
    old_answer = ConsentRecord.objects.get()
    assert old_answer.type_version.number == 1
    assert client_for(alice).get("/consent/types/").status_code == 403
    assert client_for(charlie).get(f"/consent/types/{voice.pk}/edit/").status_code == 404


# --- who hears: the leads (DSL and deputies, admins only when there is neither) ----------


@pytest.fixture
def deputy(organisation):
    return UserFactory(organisation=organisation, role=Role.DEPUTY_DSL, full_name="Dev Patel")


@pytest.fixture
def colleague(organisation):
    """Staff not allocated to the child: hears nothing of it."""
    return UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Jones")


def withdraw_photos(child, by, capture) -> None:
    link = ask(child, by, "photos_online", capture=capture)
    parent = Client()
    answer(parent, link, {"photos_online": "granted"}, capture=capture)
    manage_link = re.search(r"http://testserver(/m/\S+/)", mail.outbox[-1].body).group(1)
    parent.get(manage_link)
    photos = ConsentType.objects.get(code="photos_online")
    with capture(execute=True):
        parent.post(f"/consent/manage/withdraw/{child.pk}/{photos.pk}/")


def told(kind: str) -> set:
    return {notice.recipient for notice in Notice.objects.filter(ledger__kind=kind)}


def test_a_withdrawal_tells_the_allocated_staff_the_dsl_and_the_deputies(
    child, alice, dana, deputy, bob, colleague, django_capture_on_commit_callbacks
) -> None:
    withdraw_photos(child, alice, django_capture_on_commit_callbacks)
    assert told("consent.withdrawn") == {alice, dana, deputy}


def test_a_withdrawal_tells_the_admins_when_there_is_no_lead(
    child, alice, dana, bob, colleague, django_capture_on_commit_callbacks
) -> None:
    dana.is_active = False
    dana.save()
    withdraw_photos(child, alice, django_capture_on_commit_callbacks)
    assert told("consent.withdrawn") == {alice, bob}


def test_an_open_takedown_is_chased_with_the_dsl_and_the_deputies(
    child, alice, dana, deputy, bob, colleague, django_capture_on_commit_callbacks
) -> None:
    withdraw_photos(child, alice, django_capture_on_commit_callbacks)
    task = TakedownTask.objects.get()
    now = timezone.now() + dt.timedelta(days=30)
    items = [i for i in takedowns_open(organisation=child.organisation, now=now) if i.obj == task]
    assert items
    assert set(items[0].recipients) == {alice, dana, deputy}


def test_an_open_takedown_goes_to_the_admins_when_there_is_no_lead(
    child, alice, dana, bob, django_capture_on_commit_callbacks
) -> None:
    withdraw_photos(child, alice, django_capture_on_commit_callbacks)
    dana.is_active = False
    dana.save()
    now = timezone.now() + dt.timedelta(days=30)
    items = list(takedowns_open(organisation=child.organisation, now=now))
    assert items
    assert set(items[0].recipients) == {alice, bob}


def log_without_consent(client, child) -> None:
    forced = client.post(
        f"/children/{child.pk}/contacts/new/",
        {
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "video",
            "with_whom": "child",
            "override_reason": "Child in crisis; parent asked us to call.",
        },
    )
    assert forced.status_code == 302


def test_a_flagged_contact_tells_the_dsl_and_the_deputies(
    child, alice, dana, deputy, bob, colleague, client_for
) -> None:
    log_without_consent(client_for(alice), child)
    assert told("contact.without_consent") == {dana, deputy}


def test_a_flagged_contact_tells_the_admins_when_there_is_no_lead(
    child, alice, dana, bob, client_for
):
    dana.is_active = False
    dana.save()
    log_without_consent(client_for(alice), child)
    assert told("contact.without_consent") == {bob}
