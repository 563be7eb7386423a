"""Policies: versions, approval, reviews without changes, acknowledgement, PDFs."""

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role
from audit.models import AuditEvent
from common.models import AppendOnlyError
from policies import services
from policies.models import (
    Acknowledgement,
    Policy,
    PolicyVersion,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def policy(organisation, bob) -> Policy:
    draft = services.policy_create(
        organisation=organisation,
        by=bob,
        title="Online Safety Policy",
        category="online_safety",
        body="# Purpose\n\nWe keep children safe online.\n\n- Sessions use approved platforms.",
        audience_roles=["staff", "dsl"],
        owner=bob,
    )
    services.version_approve(
        draft=draft,
        by=bob,
        approved_on=TODAY() - dt.timedelta(days=10),
        approved_by_name="Helen Marsh",
    )
    return draft.policy


def test_writing_and_approving_a_policy_through_the_pages(bob, client_for) -> None:
    as_bob = client_for(bob)
    response = as_bob.post(
        "/policies/new/",
        {
            "title": "Photography Policy",
            "category": "photography",
            "audience_roles": ["staff"],
            "body": "Photos only with written consent.",
        },
    )
    policy = Policy.objects.get(title="Photography Policy")
    assert response["Location"] == f"/policies/{policy.pk}/"
    draft = policy.versions.get()
    approved_on = TODAY() - dt.timedelta(days=1)
    as_bob.post(
        f"/policies/versions/{draft.pk}/approve/",
        {"approved_on": approved_on.isoformat(), "approved_by_name": "The directors"},
    )
    draft.refresh_from_db()
    assert draft.status == "approved"
    assert draft.review_due == approved_on.replace(year=approved_on.year + 1)
    assert draft.content_sha256 == draft.content_hash()
    event = AuditEvent.objects.get(action="policy.approved")
    assert event.details["sha256"] == draft.content_sha256
    assert (
        "Photos only with written consent."
        in as_bob.get(f"/policies/{policy.pk}/").content.decode()
    )


def test_an_approved_version_never_changes(policy) -> None:
    version = policy.versions.get()
    version.body = "Something else"
    with pytest.raises(AppendOnlyError):
        version.save()
    with pytest.raises(AppendOnlyError):
        version.delete()


def test_a_new_version_supersedes_and_the_old_one_still_renders_as_approved(
    policy, bob, client_for
) -> None:
    old = policy.versions.get()
    old_hash = old.content_sha256
    draft = services.draft_start(policy=policy, by=bob)
    assert draft.label == "v2"
    assert draft.body == old.body
    services.draft_update(
        draft=draft,
        by=bob,
        body=old.body + "\n\nVoice notes need consent.",
        change_summary="Added voice notes",
    )
    services.version_approve(
        draft=draft, by=bob, approved_on=TODAY(), approved_by_name="Helen Marsh"
    )
    state = services.policy_state(Policy.objects.get(pk=policy.pk))
    assert state.current == draft
    old.refresh_from_db()
    assert old.content_sha256 == old_hash == old.content_hash()
    page = client_for(bob).get(f"/policies/versions/{old.pk}/").content.decode()
    assert "Voice notes" not in page
    assert old_hash in page
    detail = client_for(bob).get(f"/policies/{policy.pk}/").content.decode()
    assert "(superseded)" in detail


def test_reviewed_without_changes_moves_the_review_date_on(policy, bob, client_for) -> None:
    before = services.policy_state(policy).review_due
    response = client_for(bob).post(
        f"/policies/{policy.pk}/reviewed/",
        {"reviewed_on": TODAY().isoformat(), "notes": "Still right"},
    )
    assert response.status_code == 302
    after = services.policy_state(Policy.objects.get(pk=policy.pk))
    assert after.review_due == TODAY().replace(year=TODAY().year + 1)
    assert after.review_due > before
    assert after.current == policy.versions.get()  # no new version
    assert AuditEvent.objects.filter(action="policy.reviewed_no_changes", actor=bob).count() == 1


def test_statuses_are_derived(organisation, bob) -> None:
    def make(title: str, approved_days_ago: int, review_in_days: int) -> Policy:
        draft = services.policy_create(
            organisation=organisation, by=bob, title=title, category="other", body="Text"
        )
        services.version_approve(
            draft=draft,
            by=bob,
            approved_on=TODAY() - dt.timedelta(days=approved_days_ago),
            approved_by_name="X",
            review_due=TODAY() + dt.timedelta(days=review_in_days),
        )
        return Policy.objects.get(pk=draft.policy_id)

    assert services.policy_state(make("A", 400, -5)).status == "overdue"
    assert services.policy_state(make("B", 300, 45)).status == "due soon"
    assert services.policy_state(make("C", 10, 200)).status == "current"
    drafted = make("D", 10, 200)
    services.draft_start(policy=drafted, by=bob)
    assert services.policy_state(Policy.objects.get(pk=drafted.pk)).draft is not None


def test_staff_read_acknowledge_and_are_asked_again_for_a_new_version(
    policy, alice, bob, client_for
):
    as_alice = client_for(alice)
    assert "Policies to read" in as_alice.get("/policies/").content.decode()
    version = policy.versions.get()
    as_alice.post(f"/policies/versions/{version.pk}/acknowledge/")
    as_alice.post(f"/policies/versions/{version.pk}/acknowledge/")  # twice: recorded once
    ack = Acknowledgement.objects.get(user=alice)
    assert ack.version == version
    assert AuditEvent.objects.filter(action="policy.acknowledged", actor=alice).count() == 1
    assert "Policies to read" not in as_alice.get("/policies/").content.decode()

    draft = services.draft_start(policy=policy, by=bob)
    services.version_approve(draft=draft, by=bob, approved_on=TODAY(), approved_by_name="H")
    assert "Policies to read" in as_alice.get("/policies/").content.decode()


def test_coverage_shows_who_has_and_has_not_read_it(policy, alice, dana, bob, client_for) -> None:
    services.acknowledge(version=policy.versions.get(), user=alice)
    page = client_for(bob).get(f"/policies/{policy.pk}/coverage/").content.decode()
    assert "1 of 2 have acknowledged" in page
    assert "Dana Douglas" in page
    assert client_for(alice).get(f"/policies/{policy.pk}/coverage/").status_code == 403


def test_pdfs_read_back(policy, alice, bob, dana, client_for) -> None:
    version = policy.versions.get()
    response = client_for(alice).get(f"/policies/versions/{version.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Online Safety Policy" in text
    assert "Helen Marsh" in text
    assert version.content_sha256[:20] in text.replace("\n", "")
    assert "We keep children safe online." in text

    services.acknowledge(version=version, user=alice)
    report = client_for(bob).get(f"/policies/{policy.pk}/coverage.pdf")
    text = PdfReader(io.BytesIO(report.content)).pages[0].extract_text()
    assert "1 of 2 have acknowledged" in text
    assert "Alice Adeyemi" in text
    assert "Not yet" in text


def test_policy_text_is_rendered_safely(organisation, bob, client_for) -> None:
    draft = services.policy_create(
        organisation=organisation,
        by=bob,
        title="X",
        category="other",
        body="<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n**bold**",
    )
    page = client_for(bob).get(f"/policies/{draft.policy_id}/").content.decode()
    approve = client_for(bob).get(f"/policies/versions/{draft.pk}/approve/").content.decode()
    assert "<script>alert(1)</script>" not in approve
    assert "&lt;script&gt;" in approve
    assert 'href="javascript:' not in approve
    assert "<strong>bold</strong>" in approve
    assert page.count("<script") == page.count('<script type="module"')


def test_who_may_do_what(policy, alice, charlie, bob, client_for) -> None:
    version = policy.versions.get()
    draft = services.draft_start(policy=policy, by=bob)
    as_alice = client_for(alice)
    assert as_alice.get(f"/policies/{policy.pk}/").status_code == 200
    assert as_alice.get(f"/policies/versions/{draft.pk}/").status_code == 404  # drafts hidden
    assert as_alice.get(f"/policies/versions/{draft.pk}/approve/").status_code == 404
    assert (
        as_alice.post(f"/policies/{policy.pk}/reviewed/", {"reviewed_on": "2026-01-01"}).status_code
        == 403
    )
    assert as_alice.get("/policies/new/").status_code == 403
    as_charlie = client_for(charlie)
    for suffix in (
        f"{policy.pk}/",
        f"versions/{version.pk}/",
        f"versions/{version.pk}/pdf/",
        f"{policy.pk}/coverage/",
    ):
        url = f"/policies/{suffix}"
        assert as_charlie.get(url).status_code == 404, url
    assert as_charlie.post(f"/policies/versions/{version.pk}/acknowledge/").status_code == 404
    assert "Online Safety Policy" not in as_charlie.get("/policies/").content.decode()


def test_bad_approval_input_is_explained(policy, bob, client_for) -> None:
    draft = services.draft_start(policy=policy, by=bob)
    response = client_for(bob).post(
        f"/policies/versions/{draft.pk}/approve/",
        {"approved_on": "2099-01-01", "approved_by_name": ""},
    )
    html = response.content.decode()
    assert "The date cannot be in the future." in html
    assert "This field is required." in html
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_upload_shows_what_was_found_and_saves_only_when_confirmed(
    bob, organisation, client_for
) -> None:
    as_bob = client_for(bob)
    text = b"Data Protection Policy\nWe hold only what we need.\nVersion 4\nLast updated: 3/4/24\n"
    page = as_bob.post(
        "/policies/import/",
        {"file": SimpleUploadedFile("data.txt", text), "category": "data_protection"},
    ).content.decode()
    assert not Policy.objects.exists()
    assert 'value="Data Protection Policy"' in page
    assert 'value="v4"' in page
    assert 'value="2024-04-03"' in page
    assert "no review date" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = as_bob.post(
        "/policies/import/",
        {
            "token": token,
            "title": "Data Protection Policy",
            "category": "data_protection",
            "label": "v4",
            "approved_on": "2024-04-03",
            "approved_by_name": "",
            "review_due": "2025-04-03",
            "review_interval_months": "12",
        },
    )
    policy = Policy.objects.get()
    assert response["Location"] == f"/policies/{policy.pk}/"
    version = policy.versions.get()
    assert (version.label, version.status, version.approved_on) == (
        "v4",
        "approved",
        dt.date(2024, 4, 3),
    )
    assert "We hold only what we need." in version.body
    assert AuditEvent.objects.filter(action="policy.imported").exists()
    # The same confirmation cannot be replayed.
    again = as_bob.post("/policies/import/", {"token": token, "title": "Again"}, follow=True)
    assert "already been saved or has expired" in again.content.decode()
    assert Policy.objects.count() == 1


def test_a_confirmation_from_someone_else_is_refused(bob, organisation, client_for) -> None:
    other_admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    page = (
        client_for(bob)
        .post(
            "/policies/import/",
            {"file": SimpleUploadedFile("p.txt", b"Policy\nDate: 01.01.2025"), "category": "other"},
        )
        .content.decode()
    )
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client_for(other_admin).post("/policies/import/", {"token": token, "title": "X"})
    assert response.status_code == 403
    assert not PolicyVersion.objects.exists()


def test_approving_twice_or_a_changed_draft_is_explained_not_a_500(policy, bob, client_for) -> None:
    draft = services.draft_start(policy=policy, by=bob)
    as_bob = client_for(bob)
    page = as_bob.get(f"/policies/versions/{draft.pk}/approve/").content.decode()
    shown = re.search(r'name="shown_sha256" value="([0-9a-f]{64})"', page).group(1)
    services.draft_update(draft=draft, by=bob, body="Changed meanwhile", change_summary="")
    stale = as_bob.post(
        f"/policies/versions/{draft.pk}/approve/",
        {"approved_on": TODAY().isoformat(), "approved_by_name": "H", "shown_sha256": shown},
    )
    assert "The draft changed after you opened it" in stale.content.decode()
    services.version_approve(draft=draft, by=bob, approved_on=TODAY(), approved_by_name="H")
    with pytest.raises(ValidationError, match="already been approved"):
        services.version_approve(draft=draft, by=bob, approved_on=TODAY(), approved_by_name="H")
    with pytest.raises(ValidationError, match="already been approved"):
        services.draft_update(draft=draft, by=bob, body="x", change_summary="")


def test_backdated_approval_is_refused_and_labels_follow_imports(policy, bob) -> None:
    draft = services.draft_start(policy=policy, by=bob)
    with pytest.raises(ValidationError, match="on or after v1"):
        services.version_approve(
            draft=draft,
            by=bob,
            approved_by_name="H",
            approved_on=policy.versions.get(label="v1").approved_on - dt.timedelta(days=1),
        )
    draft.refresh_from_db()
    assert draft.status == "draft"
    PolicyVersion.objects.filter(pk=draft.pk).update(label="v2.1")
    services.version_approve(
        draft=PolicyVersion.objects.get(pk=draft.pk),
        by=bob,
        approved_on=TODAY(),
        approved_by_name="H",
    )
    assert services.draft_start(policy=policy, by=bob).label == "v3"


def test_pdf_prints_names_as_written(organisation, bob, client_for) -> None:
    draft = services.policy_create(
        organisation=organisation,
        by=bob,
        title="Smith & Jones <Care>",
        category="other",
        body="Text & more",
    )
    services.version_approve(draft=draft, by=bob, approved_on=TODAY(), approved_by_name="A & B")
    text = (
        PdfReader(io.BytesIO(client_for(bob).get(f"/policies/versions/{draft.pk}/pdf/").content))
        .pages[0]
        .extract_text()
    )
    assert "A & B" in text
    assert "&amp;" not in text


def test_a_draft_carries_welsh_text_into_the_next_version(policy, bob, client_for) -> None:
    draft = services.draft_start(policy=policy, by=bob)
    page = client_for(bob).get(f"/policies/versions/{draft.pk}/edit/").content.decode()
    assert 'name="body_cy"' in page
    response = client_for(bob).post(
        f"/policies/versions/{draft.pk}/edit/",
        {
            "body": draft.body,
            "body_cy": "Polisi diogelwch ar-lein.",
            "change_kind": "editorial",
            "change_summary": "Welsh text",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.body_cy == "Polisi diogelwch ar-lein."
    with_welsh = draft.content_hash()
    services.version_approve(draft=draft, by=bob, approved_on=TODAY(), approved_by_name="H M")
    draft.refresh_from_db()
    assert draft.content_sha256 == with_welsh
    # The hash covers the Welsh text: without it, it would differ.
    english_only = PolicyVersion(policy=policy, label=draft.label, body=draft.body)
    assert draft.content_sha256 != english_only.content_hash()
    # The next review starts from both texts.
    assert services.draft_start(policy=policy, by=bob).body_cy == "Polisi diogelwch ar-lein."
