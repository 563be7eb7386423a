"""The DSL's incident log through its pages and services: who sees what, the
workflow, the append-only chronology, referrals, evidence and data breaches."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role, User
from audit.models import AuditEvent
from children import services as caseload
from common.models import AppendOnlyError
from incidents import reminders as incident_reminders
from incidents import services
from incidents.models import (
    ChronologyEntry,
    Evidence,
    Incident,
    IncidentSettings,
    Referral,
    SignoffRule,
    Status,
)
from notices import engine as reminders
from notices.models import Notice
from tests.factories import ChildFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def raise_concern(reporter, children, **overrides):
    fields = {
        "occurred_at": ago(hours=3),
        "disclosed_at": ago(hours=2),
        "category": "contact",
        "incident_type": "grooming",
        "platform": "A game's chat",
        "what_happened": "An adult asked Noor to move to a private app.",
        "childs_words": "He said not to tell my mum.",
        "initial_risk": "medium",
    }
    fields.update(overrides)
    return services.incident_raise(reporter=reporter, children=children, **fields)


def concern_post(child, **overrides):
    now = timezone.localtime()
    data = {
        "children": [child.pk],
        "occurred_at": (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "disclosed_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "category": "conduct",
        "incident_type": "cyberbullying",
        "platform": "Group chat",
        "what_happened": "Messages mocking Noor were shared in a group.",
        "childs_words": "Everyone is laughing at me.",
        "immediate_action": "Told the DSL.",
        "online_identifiers": "@someone",
        "initial_risk": "low",
    }
    data.update(overrides)
    return data


# --- raising a concern


def test_a_therapist_raises_a_concern_and_gets_a_reference(alice, dana, deputy, child, client_for):
    response = client_for(alice).post("/incidents/new/", concern_post(child))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/raised/"
    year = timezone.now().year
    assert incident.reference == f"OS-{year}-0001"
    assert incident.reporter == alice
    assert list(incident.children.all()) == [child]
    assert incident.status == Status.NEW
    assert incident.risk == "low"
    page = client_for(alice).get(response["Location"])
    assert f"OS-{year}-0001" in page.content.decode()
    # The DSL and the deputy are told at once, in the portal.
    told = Notice.objects.filter(ledger__kind="incidents.raised")
    assert {notice.recipient for notice in told} == {dana, deputy}
    assert AuditEvent.objects.filter(action="incident.raised", object_id=str(incident.pk)).exists()
    first = incident.chronology.get()
    assert "Concern raised by" in first.text
    assert "Cyberbullying" in first.text


def test_references_run_on_per_organisation(alice, charlie, child):
    first = raise_concern(alice, [child])
    second = raise_concern(alice, [child])
    elsewhere = raise_concern(charlie, [], others_involved="A child at a partner club")
    year = timezone.now().year
    assert (first.reference, second.reference) == (f"OS-{year}-0001", f"OS-{year}-0002")
    assert elsewhere.reference == f"OS-{year}-0001"


def test_only_a_high_risk_concern_is_emailed_at_once(
    alice, dana, child, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        raise_concern(alice, [child], initial_risk="medium")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        raise_concern(alice, [child], initial_risk="immediate")
    assert [message.to for message in mail.outbox] == [[dana.email]]
    subject = mail.outbox[0].subject
    # Urgent, once: the title's own "URGENT:" is not said twice.
    assert subject.startswith("Urgent: Alder Play Therapy: New online-safety concern OS-")
    assert subject.lower().count("urgent") == 1
    assert "immediate danger" in subject
    # The email carries the reference, never the child's name or what happened.
    body = mail.outbox[0].body
    assert "Noor" not in subject + body
    assert "private app" not in body


def test_an_organisation_with_no_dsl_tells_its_admins(alice, bob, dana, child):
    # No active DSL or deputy: a concern must not go unheard.
    dana.is_active = False
    dana.save()
    incident = raise_concern(alice, [child])
    assert list(User.objects.of(incident.organisation).leads()) == [bob]
    assert Notice.objects.filter(recipient=bob, ledger__kind="incidents.raised").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "cannot be in the future"),
        ({"children": [], "others_involved": ""}, "others_involved", "Choose the children"),
        ({"category": "mystery"}, "category", "Select a valid choice"),
        ({"what_happened": ""}, "what_happened", "Enter what happened."),
        ({"initial_risk": ""}, "initial_risk", "Choose risk as you see it now."),
    ],
)
def test_bad_concerns_are_refused_beside_the_field(
    alice, dana, child, overrides, field, message, client_for
):
    data = concern_post(child, **overrides)
    response = client_for(alice).post("/incidents/new/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Incident.objects.count() == 0


def test_disclosure_before_the_event_is_refused(alice, dana, child, client_for):
    now = timezone.localtime()
    data = concern_post(
        child,
        occurred_at=(now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        disclosed_at=(now - dt.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
    )
    response = client_for(alice).post("/incidents/new/", data)
    assert "disclosed before it happened" in " ".join(
        response.context["form"].errors["disclosed_at"]
    )


def test_a_child_not_visible_to_the_reporter_cannot_be_chosen(
    alice, organisation, dana, child, client_for
):
    stranger = ChildFactory(organisation=organisation)
    response = client_for(alice).post("/incidents/new/", concern_post(stranger))
    assert response.status_code == 200
    assert "children" in response.context["form"].errors
    assert Incident.objects.count() == 0


# --- evidence


def test_evidence_is_stored_privately_and_downloaded_with_an_audit(
    alice, dana, child, settings, client_for
):
    upload = io.BytesIO(PNG)
    upload.name = "screenshot.png"
    client_for(alice).post("/incidents/new/", {**concern_post(child), "evidence": upload})
    evidence = Evidence.objects.get()
    assert evidence.kind == "png"
    assert evidence.size == len(PNG)
    # Stored under MEDIA_ROOT with a name that says nothing, and no URL serves it.
    assert evidence.file.path.startswith(str(settings.MEDIA_ROOT))
    assert "screenshot" not in evidence.file.name
    assert Client().get(f"/media/{evidence.file.name}").status_code == 404
    response = client_for(dana).get(f"/incidents/evidence/{evidence.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="incident.evidence_downloaded", actor=dana).count() == 1
    # The reporter sees their summary, not the stored files; others get 404.
    assert client_for(alice).get(f"/incidents/evidence/{evidence.pk}/download/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("holiday.png", b"MZ\x90\x00" + b"\x00" * 100, "PNG, JPEG, GIF, WebP or PDF"),
        ("notes.txt", b"just text", "PNG, JPEG, GIF, WebP or PDF"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10_000_001, "larger than 10 MB"),
    ],
)
def test_wrong_or_oversized_evidence_is_refused_and_nothing_is_saved(
    alice, dana, child, name, content, message, client_for
):
    upload = io.BytesIO(content)
    upload.name = name
    response = client_for(alice).post(
        "/incidents/new/", {**concern_post(child), "evidence": upload}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["evidence"])
    assert Incident.objects.count() == 0
    assert Evidence.objects.count() == 0


# --- who sees what


def test_the_reporter_sees_their_report_but_nothing_added_later(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_triage(
        incident=incident, by=dana, decision="Speak to the family.", risk="high"
    )
    services.chronology_add(
        incident=incident,
        by=dana,
        kind="parent_contact",
        text="Mother says the account has been blocked.",
        happened_at=timezone.now(),
    )
    page = client_for(alice).get(f"/incidents/{incident.pk}/").content.decode()
    assert "What you reported" in page
    assert "An adult asked Noor to move to a private app." in page
    assert "blocked" not in page
    assert "Speak to the family" not in page
    assert "High" not in page  # the risk the DSL set later
    assert AuditEvent.objects.filter(action="incident.summary_viewed", actor=alice).count() == 1


@pytest.mark.parametrize("persona", ["dana", "deputy"])
def test_dsl_and_deputies_see_everything(request, alice, child, persona, client_for):
    lead = request.getfixturevalue(persona)
    incident = raise_concern(alice, [child])
    services.chronology_add(
        incident=incident, by=lead, kind="note", text="Checked the app.", happened_at=timezone.now()
    )
    response = client_for(lead).get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200
    assert "Checked the app." in response.content.decode()


def test_everyone_else_gets_404(
    alice, bob, dana, director, charlie, organisation, child, client_for
):
    incident = raise_concern(alice, [child])
    other_therapist = UserFactory(organisation=organisation, role=Role.STAFF)
    other_dsl = UserFactory(organisation=charlie.organisation, role=Role.DSL)
    for person in (bob, director, other_therapist, charlie, other_dsl):
        client = client_for(person)
        for url in (
            f"/incidents/{incident.pk}/",
            f"/incidents/{incident.pk}/triage/",
            f"/incidents/{incident.pk}/entries/new/",
            f"/incidents/children/{child.pk}/chronology.pdf",
        ):
            assert client.get(url).status_code in {403, 404}, (person.role, url)
        assert client.get(f"/incidents/{incident.pk}/").status_code == 404


def test_directors_see_counts_not_cases(alice, dana, director, child, client_for):
    incident = raise_concern(alice, [child], initial_risk="high", category="contact")
    response = client_for(director).get("/incidents/counts/")
    assert response.status_code == 200
    page = response.content.decode()
    assert incident.reference not in page
    assert "Noor" not in page
    assert dict(response.context["risk_rows"])["High"] == 1
    assert dict(response.context["status_rows"])["New"] == 1
    assert response.context["ages"]["recent"] == 1
    assert client_for(alice).get("/incidents/counts/").status_code == 403


def test_counts_add_up_by_status_kind_risk_and_age_in_one_query(
    organisation, other_organisation, director, client_for, django_assert_num_queries
):
    def incident(status, category, risk, days_ago, where=organisation):
        return IncidentFactory(
            organisation=where,
            status=status,
            category=category,
            risk=risk,
            reported_at=timezone.now() - dt.timedelta(days=days_ago, hours=1),
        )

    incident("new", "contact", "high", 0)
    incident("triaged", "content", "low", 10)
    incident("closed", "content", "low", 40)
    incident("referred", "commerce", "medium", 40)
    incident("new", "contact", "high", 0, where=other_organisation)
    client = client_for(director)
    client.get("/incidents/counts/")  # warm caches
    with CaptureQueriesContext(connection) as few:
        page = client.get("/incidents/counts/")
    assert dict(page.context["status_rows"]) == {
        "New": 1,
        "Triaged": 1,
        "Action under way": 0,
        "Referred": 1,
        "Closed": 1,
    }
    # Closed incidents count by status only; every other figure is of open ones.
    kinds = {label.split(":")[0]: n for label, n in page.context["kind_rows"]}
    assert kinds == {
        "Content": 1,
        "Contact": 1,
        "Conduct": 0,
        "Commerce": 1,
        "Personal data breaches": 0,
    }
    risks = dict(page.context["risk_rows"])
    assert risks == {"Low": 1, "Medium": 1, "High": 1, "Immediate danger": 0}
    assert page.context["ages"] == {"recent": 1, "month": 1, "older": 1}
    assert page.context["open_total"] == 3
    for n in range(10):
        incident("action", "conduct", "immediate", n)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/incidents/counts/").context["open_total"] == 13


def test_a_dsl_shares_one_incident_with_a_named_member_of_staff(
    alice, dana, organisation, child, client_for
):
    colleague = UserFactory(organisation=organisation, role=Role.STAFF, full_name="Cal Colleague")
    incident = raise_concern(alice, [child])
    other = raise_concern(alice, [child])
    client = client_for(colleague)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    response = client_for(dana).post(f"/incidents/{incident.pk}/access/", {"staff": colleague.pk})
    assert response.status_code == 302
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    assert client.get(f"/incidents/{other.pk}/").status_code == 404
    # They may add to the chronology, not triage or close.
    assert client.get(f"/incidents/{incident.pk}/triage/").status_code == 403
    client.post(
        f"/incidents/{incident.pk}/entries/new/",
        {
            "kind": "information",
            "text": "Noor mentioned it again today.",
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert incident.chronology.filter(author=colleague).count() == 1
    client_for(dana).post(f"/incidents/{incident.pk}/access/{colleague.pk}/revoke/")
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"incident.access_granted", "incident.access_revoked"} <= actions


def test_every_read_is_audited(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    evidence = services.evidence_add(incident=incident, by=dana, name="shot.png", data=PNG)
    client = client_for(dana)
    reads = {
        f"/incidents/{incident.pk}/": "incident.viewed",
        f"/incidents/{incident.pk}/triage/": "incident.viewed",
        f"/incidents/{incident.pk}/entries/new/": "incident.viewed",
        "/incidents/": "incident.list_viewed",
        "/incidents/counts/": "incident.counts_viewed",
        f"/incidents/evidence/{evidence.pk}/download/": "incident.evidence_downloaded",
        f"/incidents/children/{child.pk}/chronology/": "child.chronology_viewed",
        f"/incidents/children/{child.pk}/chronology.pdf": "child.chronology_exported",
        f"/children/{child.pk}/": "child.incidents_listed",
    }
    for url, action in reads.items():
        before = AuditEvent.objects.filter(action=action, actor=dana).count()
        assert client.get(url).status_code == 200, url
        assert AuditEvent.objects.filter(action=action, actor=dana).count() == before + 1, url


def test_the_child_page_shows_incidents_to_leads_only(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    as_therapist = client_for(alice).get(f"/children/{child.pk}/").content.decode()
    assert incident.reference not in as_therapist
    assert f"/incidents/new/?child={child.pk}" in as_therapist
    assert incident.reference in client_for(dana).get(f"/children/{child.pk}/").content.decode()


# --- the workflow


def test_triage_action_referral_and_close(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    client = client_for(dana)
    today = timezone.localdate()
    client.post(
        f"/incidents/{incident.pk}/triage/",
        {
            "risk": "high",
            "decision": "Refer to children's social care.",
            "next_action": "Call the family",
            "next_action_due": today.isoformat(),
        },
    )
    incident.refresh_from_db()
    assert (incident.status, incident.risk, incident.triaged_by) == ("triaged", "high", dana)
    client.post(
        f"/incidents/{incident.pk}/action/",
        {
            "next_action": "Meet the school DSL",
            "risk": "high",
            "next_action_due": (today + dt.timedelta(days=2)).isoformat(),
        },
    )
    incident.refresh_from_db()
    assert incident.status == "action"
    assert incident.next_action == "Meet the school DSL"
    client.post(
        f"/incidents/{incident.pk}/referrals/new/",
        {
            "agency": "social_care",
            "referred_on": today.isoformat(),
            "reference": "MASH-77123",
            "contact": "Duty desk",
            "chase_on": (today + dt.timedelta(days=3)).isoformat(),
            "family_consent": "given",
        },
    )
    referral = Referral.objects.get()
    incident.refresh_from_db()
    assert incident.status == "referred"
    assert referral.reference == "MASH-77123"
    client.post(
        f"/incidents/referrals/{referral.pk}/outcome/",
        {
            "outcome": "Early help assessment offered.",
            "outcome_on": today.isoformat(),
        },
    )
    response = client.post(
        f"/incidents/{incident.pk}/close/",
        {
            "outcome": "Family supported; account blocked.",
            "parents_informed": "yes",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.closed_at is not None
    kinds = list(incident.chronology.values_list("kind", flat=True))
    assert kinds == ["information", "decision", "action", "referral", "referral", "decision"]
    history = list(incident.history.order_by("history_date").values_list("status", flat=True))
    assert history == ["new", "triaged", "action", "referred", "closed"]


def test_closing_without_a_rationale_for_not_referring_is_refused(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="Low level.", risk="low")
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/close/",
        {
            "outcome": "Advice given.",
            "parents_informed": "yes",
        },
    )
    assert response.status_code == 200
    assert "why no referral was needed" in " ".join(
        response.context["form"].errors["no_referral_rationale"]
    )
    incident.refresh_from_db()
    assert incident.status == "triaged"
    assert incident.outcome == ""
    client_for(dana).post(
        f"/incidents/{incident.pk}/close/",
        {
            "outcome": "Advice given.",
            "parents_informed": "yes",
            "no_referral_rationale": "No harm; handled by advice to the family.",
        },
    )
    incident.refresh_from_db()
    assert incident.status == "closed"


def test_parents_not_informed_needs_a_reason(alice, dana, child):
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    with pytest.raises(ValidationError) as error:
        services.incident_close(
            incident=incident,
            by=dana,
            outcome="Done.",
            no_referral_rationale="Low.",
            parents_informed=False,
        )
    assert "parents_not_informed_reason" in error.value.error_dict


def test_a_new_incident_must_be_triaged_before_closing(alice, dana, child):
    incident = raise_concern(alice, [child])
    with pytest.raises(ValidationError, match="Triage"):
        services.incident_close(
            incident=incident,
            by=dana,
            outcome="x",
            no_referral_rationale="y",
            parents_informed=True,
        )


def test_second_signoff_when_the_organisation_asks(
    alice, dana, deputy, organisation, child, client_for
):
    IncidentSettings.objects.create(organisation=organisation, second_signoff=SignoffRule.ALWAYS)
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    services.incident_close(
        incident=incident,
        by=dana,
        outcome="Resolved.",
        no_referral_rationale="Low level.",
        parents_informed=True,
    )
    incident.refresh_from_db()
    assert incident.awaiting_signoff
    assert incident.status != "closed"
    assert Notice.objects.filter(recipient=deputy, ledger__kind="incidents.signoff").exists()
    # The proposer cannot sign off their own closure.
    response = client_for(dana).post(f"/incidents/{incident.pk}/sign-off/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status != "closed"
    client_for(deputy).post(f"/incidents/{incident.pk}/sign-off/")
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.signed_off_by == deputy


def test_when_needed_rule_asks_for_signoff_when_the_dsl_reported_it(
    dana, deputy, organisation, child
):
    IncidentSettings.objects.create(
        organisation=organisation, second_signoff=SignoffRule.WHEN_NEEDED
    )
    incident = raise_concern(dana, [child])  # a sole DSL raising their own concern
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    services.incident_close(
        incident=incident,
        by=dana,
        outcome="Resolved.",
        no_referral_rationale="Low.",
        parents_informed=True,
    )
    incident.refresh_from_db()
    assert incident.awaiting_signoff


def test_a_declined_signoff_keeps_the_incident_open(
    alice, dana, deputy, organisation, child, client_for
):
    IncidentSettings.objects.create(organisation=organisation, second_signoff=SignoffRule.ALWAYS)
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    services.incident_close(
        incident=incident,
        by=dana,
        outcome="Resolved.",
        no_referral_rationale="Low.",
        parents_informed=True,
    )
    client_for(deputy).post(
        f"/incidents/{incident.pk}/sign-off/decline/", {"reason": "Speak to the school first."}
    )
    incident.refresh_from_db()
    assert not incident.awaiting_signoff
    assert incident.status == "triaged"
    assert "Speak to the school first." in incident.chronology.last().text


# --- the chronology is append-only


def test_chronology_entries_cannot_be_changed_or_deleted(alice, dana, child):
    incident = raise_concern(alice, [child])
    entry = services.chronology_add(
        incident=incident, by=dana, kind="note", text="First note.", happened_at=timezone.now()
    )
    entry.text = "Rewritten."
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ChronologyEntry.objects.filter(pk=entry.pk).update(text="Rewritten.")
    with pytest.raises(AppendOnlyError):
        ChronologyEntry.objects.filter(pk=entry.pk).delete()
    assert ChronologyEntry.objects.get(pk=entry.pk).text == "First note."


def test_no_admin_page_reaches_the_incident_log(dana, alice, child, client_for):
    incident = raise_concern(alice, [child])
    entry = incident.chronology.first()
    operator = UserFactory(
        organisation=dana.organisation, role=Role.ADMIN, is_superuser=True, is_staff=True
    )
    client = client_for(operator)
    for model in ("incident", "chronologyentry", "evidence", "referral"):
        assert client.get(f"/admin/incidents/{model}/").status_code == 404
    assert client.get(f"/admin/incidents/chronologyentry/{entry.pk}/change/").status_code == 404


def test_a_correction_keeps_both_entries_shown_together(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    original = services.chronology_add(
        incident=incident,
        by=dana,
        kind="parent_contact",
        text="Spoke to father.",
        happened_at=ago(hours=1),
    )
    services.chronology_add(
        incident=incident, by=dana, kind="note", text="Call was later.", happened_at=timezone.now()
    )
    response = client_for(dana).post(
        f"/incidents/{incident.pk}/entries/new/",
        {
            "kind": "parent_contact",
            "text": "It was the mother, not the father.",
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "corrects": original.pk,
        },
    )
    assert response.status_code == 302
    original.refresh_from_db()
    assert original.text == "Spoke to father."
    correction = original.corrections.get()
    assert correction.text == "It was the mother, not the father."
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    # The correction sits directly under the entry it corrects, before the later note.
    assert (
        page.index("Spoke to father.")
        < page.index("It was the mother")
        < page.index("Call was later.")
    )


def test_a_correction_must_belong_to_the_same_incident(alice, dana, child):
    one, two = raise_concern(alice, [child]), raise_concern(alice, [child])
    with pytest.raises(ValidationError):
        services.chronology_add(
            incident=two,
            by=dana,
            kind="note",
            text="x",
            happened_at=timezone.now(),
            corrects=one.chronology.first(),
        )


def test_postgres_refuses_changes_to_chronology_and_evidence(postgres, alice, dana, child):
    incident = raise_concern(alice, [child])
    services.evidence_add(incident=incident, by=dana, name="shot.png", data=PNG)
    statements = [
        "UPDATE incidents_chronologyentry SET organisation_id = organisation_id",
        "DELETE FROM incidents_chronologyentry",
        "UPDATE incidents_evidence SET organisation_id = organisation_id",
        "DELETE FROM incidents_evidence",
    ]
    for statement in statements:
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            with pytest.raises(Exception, match="append-only"):
                cursor.execute(statement)
            cursor.execute("ROLLBACK TO SAVEPOINT s")
    assert ChronologyEntry.objects.filter(incident=incident).count() == 2


# --- referrals and data breaches: reminders


def notices(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notice.objects.filter(ledger__kind=kind).values_list("ledger__stage", "recipient__email")
    )


def test_referral_chases_stop_once_an_outcome_is_recorded(alice, dana, child):
    incident = raise_concern(alice, [child])
    today = timezone.localdate()
    referral = services.referral_add(
        incident=incident,
        by=dana,
        agency="police",
        referred_on=today,
        family_consent="given",
        reference="CAD 123",
        chase_on=today + dt.timedelta(days=2),
    )
    reminders.sweep(now=timezone.now())
    assert notices("incidents.chase") == []
    reminders.sweep(now=timezone.now() + dt.timedelta(days=2, hours=1))
    assert notices("incidents.chase") == [("due", dana.email)]
    reminders.sweep(now=timezone.now() + dt.timedelta(days=2, hours=2))  # again: no duplicate
    assert len(notices("incidents.chase")) == 1
    services.referral_outcome_record(
        referral=referral, by=dana, outcome="No further action.", outcome_on=today
    )
    reminders.sweep(now=timezone.now() + dt.timedelta(days=10))
    assert len(notices("incidents.chase")) == 1


def test_data_breach_reminders_at_24_48_66_hours_stop_once_reported(alice, dana, child):
    aware = timezone.now() - dt.timedelta(hours=1)
    incident = raise_concern(
        alice,
        [],
        others_involved="Parents' email list",
        category="commerce",
        incident_type="data_breach",
        occurred_at=aware - dt.timedelta(hours=1),
        disclosed_at=aware,
    )
    assert incident.ico_deadline == aware + dt.timedelta(hours=72)
    for hours in (5, 24.5, 30, 48.5, 66.5):
        reminders.sweep(now=aware + dt.timedelta(hours=hours))
    assert notices("incidents.ico") == [
        ("24h", dana.email),
        ("48h", dana.email),
        ("66h", dana.email),
    ]
    assert all(n.urgent for n in Notice.objects.filter(ledger__kind="incidents.ico"))
    services.ico_decision_record(
        incident=incident, by=dana, decision="reported", reference="ICO-00112233"
    )
    reminders.sweep(now=aware + dt.timedelta(hours=73))
    assert len(notices("incidents.ico")) == 3
    assert "ICO-00112233" in incident.chronology.last().text


def test_a_breach_left_undecided_is_reminded_when_the_deadline_passes(alice, dana):
    aware = timezone.now() - dt.timedelta(hours=80)
    raise_concern(
        alice,
        [],
        others_involved="Staff laptop",
        category="commerce",
        incident_type="data_breach",
        occurred_at=aware,
        disclosed_at=aware,
    )
    reminders.sweep(now=timezone.now())
    # A late sweep raises the most pressing reminder only, not a stack of stale ones.
    assert notices("incidents.ico") == [("72h", dana.email)]


def test_ico_decision_needs_a_reference_or_a_reason(alice, dana):
    incident = raise_concern(alice, [], others_involved="x", incident_type="data_breach")
    with pytest.raises(ValidationError) as error:
        services.ico_decision_record(incident=incident, by=dana, decision="reported")
    assert "reference" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        services.ico_decision_record(incident=incident, by=dana, decision="not_reportable")
    assert "reason" in error.value.error_dict
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    with pytest.raises(ValidationError, match="ICO"):
        services.incident_close(
            incident=incident,
            by=dana,
            outcome="x",
            no_referral_rationale="y",
            parents_informed=True,
        )


def test_the_detail_page_counts_down_to_the_ico_deadline(alice, dana, client_for):
    aware = timezone.now() - dt.timedelta(hours=30)
    incident = raise_concern(
        alice,
        [],
        others_involved="x",
        incident_type="data_breach",
        occurred_at=aware,
        disclosed_at=aware,
    )
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    # 42 hours, give or take the seconds the test takes.
    assert re.search(r"4[12] hours \d+ minutes? left", page)
    # One countdown on the page: the banner, not a second line beside it.
    assert page.count("data-ico-countdown") == 1
    assert "hours left</strong>" not in page


# --- lists


def test_the_list_puts_untriaged_then_overdue_first_and_filters(alice, dana, child, client_for):
    fresh = raise_concern(
        alice, [child], initial_risk="low", category="content", incident_type="harmful_content"
    )
    overdue = raise_concern(alice, [child], initial_risk="high")
    services.incident_triage(
        incident=overdue,
        by=dana,
        decision="x",
        risk="high",
        next_action="Call",
        next_action_due=timezone.localdate() - dt.timedelta(days=1),
    )
    closed = raise_concern(alice, [child])
    services.incident_triage(incident=closed, by=dana, decision="x", risk="low")
    services.incident_close(
        incident=closed, by=dana, outcome="x", no_referral_rationale="y", parents_informed=True
    )
    client = client_for(dana)
    listed = list(client.get("/incidents/").context["incidents"])
    assert listed == [fresh, overdue]  # open only, untriaged first, then overdue
    assert list(client.get("/incidents/?risk=low").context["incidents"]) == [fresh]
    assert list(client.get("/incidents/?category=content").context["incidents"]) == [fresh]
    assert list(client.get("/incidents/?status=closed").context["incidents"]) == [closed]
    assert list(client.get("/incidents/?age=old").context["incidents"]) == []
    assert client.get("/incidents/?risk=nonsense").status_code == 200
    # A therapist's list is their own concerns.
    page = client_for(alice).get("/incidents/")
    assert set(page.context["reported"]) == {fresh, overdue, closed}


def test_the_list_costs_the_same_queries_for_5_or_25_incidents_and_never_loads_accounts(
    organisation, dana, client_for, django_assert_num_queries
):
    client = client_for(dana)

    def add_incidents(n: int) -> None:
        for _ in range(n):
            incident = IncidentFactory(
                organisation=organisation, what_happened="The account itself " * 50
            )
            incident.children.set(ChildFactory.create_batch(2, organisation=organisation))

    add_incidents(5)
    client.get("/incidents/")  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/incidents/").status_code == 200
    add_incidents(20)
    with django_assert_num_queries(len(small.captured_queries)) as large:
        page = client.get("/incidents/")
    assert page.content.decode().count('href="/incidents/') >= 25
    # What happened (up to a page of text) is read on the incident, not the list.
    assert not any("what_happened" in query["sql"] for query in large.captured_queries)


# --- the child's chronology PDF


def test_the_chronology_pdf_lists_entries_in_order(alice, dana, child, client_for):
    incident = raise_concern(alice, [child], occurred_at=ago(days=3), disclosed_at=ago(days=3))
    services.chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text="Second thing happened.",
        happened_at=ago(days=1),
    )
    first = services.chronology_add(
        incident=incident,
        by=dana,
        kind="parent_contact",
        text="First thing happened.",
        happened_at=ago(days=2),
    )
    services.chronology_add(
        incident=incident,
        by=dana,
        kind="parent_contact",
        text="Correction: it was the aunt.",
        happened_at=timezone.now(),
        corrects=first,
    )
    for n in range(60):  # enough to run onto more pages
        services.chronology_add(
            incident=incident,
            by=dana,
            kind="note",
            text=f"Routine check {n:02d}.",
            happened_at=ago(hours=20 - n / 10),
        )
    response = client_for(dana).get(f"/incidents/children/{child.pk}/chronology.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert "Confidential: safeguarding" in page
        assert f"Page {number} of {len(pages)}" in page
        assert f"Exported by {dana.full_name}" in page
    order = [
        "An adult asked Noor",
        "First thing happened.",
        "Correction: it was the aunt.",
        "Second thing happened.",
        "Routine check 00.",
        "Routine check 59.",
        "Concern raised",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_the_childs_timeline_includes_consent_and_contacts(alice, dana, child, client_for):
    from consent import services as consent_services

    consent_services.consent_types_ensure(organisation=child.organisation)
    guardian_link = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    )
    from consent import records
    from consent.models import ConsentType

    records.verbal_consent_record(
        child=child,
        guardian=guardian_link.guardian,
        consent_type=ConsentType.objects.get(code="online_sessions"),
        by=dana,
        notes="On phone",
    )
    raise_concern(alice, [child])
    response = client_for(dana).get(f"/incidents/children/{child.pk}/chronology/")
    sources = [item.source for item in response.context["items"]]
    assert "Consent" in sources
    assert any(s.startswith("Incident OS-") for s in sources)


def test_a_referral_before_triage_still_leaves_triage_to_do(alice, dana, child, client_for):
    # Immediate danger: the DSL calls the police first and triages afterwards.
    incident = raise_concern(alice, [child], initial_risk="immediate")
    services.referral_add(
        incident=incident,
        by=dana,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent="given",
    )
    with pytest.raises(ValidationError, match="Triage"):
        services.incident_close(incident=incident, by=dana, outcome="x", parents_informed=True)
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/incidents/{incident.pk}/triage/" in page
    services.incident_triage(incident=incident, by=dana, decision="Police attending.", risk="high")
    incident.refresh_from_db()
    assert incident.status == "referred"
    assert incident.triaged_by == dana
    with pytest.raises(ValidationError, match="triaged already"):
        services.incident_triage(incident=incident, by=dana, decision="again", risk="low")


def test_two_people_acting_at_once_do_not_undo_each_other(alice, dana, deputy):
    incident = raise_concern(alice, [], others_involved="x", incident_type="data_breach")
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    stale = Incident.objects.get(pk=incident.pk)  # loaded before the ICO decision
    services.ico_decision_record(
        incident=Incident.objects.get(pk=incident.pk),
        by=dana,
        decision="reported",
        reference="ICO-1",
    )
    services.incident_action_set(
        incident=stale, by=deputy, next_action="Tell parents", next_action_due=None, risk="low"
    )
    incident.refresh_from_db()
    assert incident.ico_decision == "reported"
    assert incident.next_action == "Tell parents"


def test_a_referral_outcome_is_recorded_once_even_from_a_stale_page(alice, dana, child):
    incident = raise_concern(alice, [child])
    referral = services.referral_add(
        incident=incident,
        by=dana,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent="given",
    )
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_outcome_record(
        referral=referral, by=dana, outcome="NFA", outcome_on=timezone.localdate()
    )
    with pytest.raises(ValidationError, match="recorded already"):
        services.referral_outcome_record(
            referral=stale, by=dana, outcome="Other", outcome_on=timezone.localdate()
        )
    referral.refresh_from_db()
    assert referral.outcome == "NFA"


def test_a_correction_cannot_itself_be_corrected(alice, dana, child):
    incident = raise_concern(alice, [child])
    original = incident.chronology.get()
    correction = services.chronology_add(
        incident=incident,
        by=dana,
        kind="note",
        text="Fix.",
        happened_at=timezone.now(),
        corrects=original,
    )
    with pytest.raises(ValidationError):
        services.chronology_add(
            incident=incident,
            by=dana,
            kind="note",
            text="Fix the fix.",
            happened_at=timezone.now(),
            corrects=correction,
        )


def test_a_sole_dsl_cannot_propose_a_closure_nobody_can_sign_off(alice, dana, organisation, child):
    IncidentSettings.objects.create(organisation=organisation, second_signoff=SignoffRule.ALWAYS)
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    with pytest.raises(ValidationError, match="nobody else to ask"):
        services.incident_close(
            incident=incident,
            by=dana,
            outcome="x",
            no_referral_rationale="y",
            parents_informed=True,
        )


def test_access_goes_only_to_staff_and_ending_none_writes_nothing(
    alice, dana, director, organisation, child, client_for
):
    incident = raise_concern(alice, [child])
    with pytest.raises(ValidationError):
        services.incident_access_grant(incident=incident, staff=director, by=dana)
    entries = incident.chronology.count()
    response = client_for(dana).post(f"/incidents/{incident.pk}/access/{alice.pk}/revoke/")
    assert response.status_code == 302
    assert incident.chronology.count() == entries


def test_closing_stops_chases_and_overdue_flags(alice, dana, child, client_for):
    incident = raise_concern(alice, [child])
    services.incident_triage(incident=incident, by=dana, decision="x", risk="low")
    services.referral_add(
        incident=incident,
        by=dana,
        agency="police",
        referred_on=timezone.localdate(),
        family_consent="given",
        chase_on=timezone.localdate(),
    )
    services.incident_close(incident=incident, by=dana, outcome="Done.", parents_informed=True)
    reminders.sweep(now=timezone.now() + dt.timedelta(days=8))
    assert notices("incidents.chase") == []
    listed = client_for(dana).get("/incidents/?status=closed").context["incidents"]
    assert [row.overdue for row in listed] == [False]


def test_odd_child_parameters_are_ignored(alice, organisation, child, client_for):
    # Not on Alice's caseload: naming it in the link must not put it on her form.
    stranger = ChildFactory(organisation=organisation, first_name="Zara", last_name="Stranger")
    as_alice = client_for(alice)

    def ticked(html: str) -> list[str]:
        return re.findall(r'name="children" type="checkbox" value="(\d+)" checked', html)

    chosen = as_alice.get(f"/incidents/new/?child={child.pk}")
    assert ticked(chosen.content.decode()) == [str(child.pk)]
    for value in ("²", "-1", "abc", "99999999999999999999", str(stranger.pk)):
        page = as_alice.get(f"/incidents/new/?child={value}")
        assert page.status_code == 200
        html = page.content.decode()
        assert f'name="children" type="checkbox" value="{child.pk}"' in html
        assert ticked(html) == []
        assert "Stranger" not in html


def test_postgres_refuses_changes_to_what_the_reporter_submitted(postgres, alice, dana, child):
    incident = raise_concern(alice, [child])
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT s")
        with pytest.raises(Exception, match="kept as submitted"):
            cursor.execute(
                "UPDATE incidents_incident SET what_happened = 'rewritten' WHERE id = %s",
                [incident.pk],
            )
        cursor.execute("ROLLBACK TO SAVEPOINT s")
    # The DSL's workflow columns still change as they should.
    services.incident_triage(incident=incident, by=dana, decision="ok", risk="high")
    incident.refresh_from_db()
    assert incident.risk == "high"


def test_a_new_concern_tells_the_dsl_and_the_deputies_only(
    alice, bob, dana, deputy, director, child
):
    raise_concern(alice, [child])
    told = {n.recipient for n in Notice.objects.filter(ledger__kind="incidents.raised")}
    assert told == {dana, deputy}


def test_a_next_action_is_chased_with_the_leads_or_the_admins_when_there_are_none(
    alice, bob, dana, deputy, child
):
    incident = raise_concern(alice, [child])
    Incident.objects.filter(pk=incident.pk).update(next_action_due=timezone.localdate())
    organisation, now = incident.organisation, timezone.now()
    [item] = incident_reminders.next_actions(organisation=organisation, now=now)
    assert set(item.recipients) == {dana, deputy}
    User.objects.filter(pk__in=[dana.pk, deputy.pk]).update(is_active=False)
    [item] = incident_reminders.next_actions(organisation=organisation, now=now)
    assert item.recipients == [bob]
