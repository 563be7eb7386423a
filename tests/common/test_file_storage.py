"""Uploaded files go through Django's storage API, so a bucket can hold them.

The tests with ``s3_storage`` run against a real S3-compatible server (moto's
server mode on 127.0.0.1, tests/storage_fixtures.py): each upload travels to it
over HTTP and each download streams back from it through the permission-checked,
audited view. MEDIA_ROOT is the test's own empty folder, and stays absent.
"""

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import boto3
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone
from storages.backends.s3 import S3Storage

from audit.models import AuditEvent
from children import services as caseload
from consent import records as consent_records
from incidents import services as incident_services
from incidents.models import Evidence
from ops.management.commands.backup import media_copy
from policies import staging
from policies.models import Policy
from practice.models import RecurringTask, TaskCompletion
from records import subject_access
from safeguard.celery import app as celery_app
from tests.factories import ChildFactory, ChildGuardianFactory, ConsentTypeFactory
from tests.hostile_files import plain_pdf
from tests.storage_fixtures import BUCKET, CREDENTIALS, REGION

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def bucket_keys(storage: S3Storage, endpoint: str) -> set[str]:
    """What the bucket holds under this test's prefix, asked of the server itself."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{storage.location}/")
    return {item["Key"].removeprefix(f"{storage.location}/") for item in listed.get("Contents", [])}


def assert_nothing_on_disk(settings) -> None:
    assert not Path(settings.MEDIA_ROOT).exists(), list(Path(settings.MEDIA_ROOT).rglob("*"))


@pytest.fixture
def child(organisation, dana, alice):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(child=child, staff=alice, starts_on=timezone.localdate(), by=dana)
    return child


def raise_with_evidence(alice, child):
    return incident_services.incident_raise(
        reporter=alice,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        what_happened="Asked to move to a private app by A. Stranger.",
        initial_risk="high",
        evidence=("screenshot.png", PNG),
    )


def test_the_bucket_replaces_the_default_storage_for_every_file_field(s3_storage) -> None:
    assert isinstance(s3_storage, S3Storage)
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.fields
        if isinstance(field, models.FileField)
    ]
    assert fields
    for field in fields:
        assert isinstance(field.storage, S3Storage), field


def test_evidence_goes_to_the_bucket_and_comes_back_only_through_the_check(
    s3_storage, s3_endpoint, alice, dana, child, client_for, settings
) -> None:
    raise_with_evidence(alice, child)
    evidence = Evidence.objects.get()
    assert bucket_keys(s3_storage, s3_endpoint) == {evidence.file.name}
    response = client_for(dana).get(f"/incidents/evidence/{evidence.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert AuditEvent.objects.filter(action="incident.evidence_downloaded", actor=dana).exists()
    # The reporter sees their summary, not the stored file.
    assert client_for(alice).get(f"/incidents/evidence/{evidence.pk}/download/").status_code == 404
    assert_nothing_on_disk(settings)


def test_task_evidence_is_uploaded_to_the_bucket_and_downloaded(
    s3_storage, s3_endpoint, alice, bob, client_for, settings
) -> None:
    as_bob = client_for(bob)
    response = as_bob.post(
        "/practice/tasks/new/",
        {
            "title": "Monitoring of adult-only groups",
            "description": "No child joins the groups for adults.",
            "evidence_expected": "The month's membership check, initialled.",
            "owner": alice.pk,
            "cycle_months": "1",
            "next_due": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302
    task = RecurringTask.objects.get(owner=alice)
    content = plain_pdf(("Membership check", "No children in the group"))
    response = client_for(alice).post(
        f"/practice/tasks/{task.pk}/done/",
        {
            "done_on": timezone.localdate().isoformat(),
            "evidence": "",
            "evidence_file": SimpleUploadedFile("check.pdf", content),
        },
    )
    assert response.status_code == 302
    completion = TaskCompletion.objects.get(task=task)
    assert bucket_keys(s3_storage, s3_endpoint) == {completion.evidence_file.name}
    download = as_bob.get(f"/practice/tasks/evidence/{completion.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="practice.task_evidence_viewed", actor=bob).exists()
    assert_nothing_on_disk(settings)


CONFIRM = {
    "title": "Data Protection Policy",
    "category": "data_protection",
    "label": "v4",
    "approved_on": "2024-04-03",
    "approved_by_name": "",
    "review_due": "2025-04-03",
    "review_interval_months": "12",
}


def test_a_policy_import_is_staged_in_the_bucket_and_used_once(
    s3_storage, s3_endpoint, bob, client_for, settings
) -> None:
    as_bob = client_for(bob)
    text = b"Data Protection Policy\nWe hold only what we need.\nVersion 4\nLast updated: 3/4/24\n"
    page = as_bob.post(
        "/policies/import/",
        {"file": SimpleUploadedFile("data.txt", text), "category": "data_protection"},
    ).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    (staged,) = bucket_keys(s3_storage, s3_endpoint)
    assert staged.startswith(f"{staging.PENDING_DIR}/")
    assert s3_storage.open(staged).read() == text

    response = as_bob.post("/policies/import/", {"token": token, **CONFIRM})
    policy = Policy.objects.get()
    assert response["Location"] == f"/policies/{policy.pk}/"
    source = policy.versions.get().source_file
    # The upload was used: gone from staging, kept as the version's source.
    assert bucket_keys(s3_storage, s3_endpoint) == {source.name}
    assert source.open("rb").read() == text
    again = as_bob.post("/policies/import/", {"token": token, **CONFIRM}, follow=True)
    assert "already been saved or has expired" in again.content.decode()
    assert Policy.objects.count() == 1
    assert_nothing_on_disk(settings)


def test_a_staged_upload_is_used_at_most_once_and_kept_when_refused(bob) -> None:
    name = staging.staged_import_save(data=b"Policy", suffix=".txt")

    def refuse(content: bytes) -> None:
        raise ValidationError("Correct the form.")

    with pytest.raises(ValidationError, match="Correct the form"):
        staging.staged_import_use(name=name, by=bob, save=refuse)
    assert staging.staged_import_read(name) == b"Policy"  # kept for the corrected form
    used: list[bytes] = []
    assert staging.staged_import_use(name=name, by=bob, save=used.append) is None
    assert used == [b"Policy"]
    assert staging.staged_import_read(name) is None
    assert staging.staged_import_use(name=name, by=bob, save=used.append) is None
    assert used == [b"Policy"]


@pytest.mark.parametrize("where", ["filesystem", "bucket"])
def test_unconfirmed_imports_are_deleted_by_the_scheduled_task_after_a_day(
    where, request, settings
) -> None:
    if where == "bucket":
        request.getfixturevalue("s3_storage")
    staged = staging.staged_import_save(data=b"Never confirmed", suffix=".txt")
    kept = default_storage.save("incident_evidence/2026/shot.png", ContentFile(PNG))
    now = timezone.now()
    assert staging.stale_staged_imports_delete(now=now + dt.timedelta(hours=23)) == 0
    assert staging.staged_import_read(staged) == b"Never confirmed"
    assert staging.stale_staged_imports_delete(now=now + dt.timedelta(hours=25)) == 1
    assert staging.staged_import_read(staged) is None
    assert default_storage.exists(kept)  # only the staging area is swept
    assert staging.stale_staged_imports_delete(now=now + dt.timedelta(hours=25)) == 0
    # Beat runs it; a request never does.
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert "policies.tasks.forget_unconfirmed_imports" in scheduled


def test_a_subject_access_export_carries_the_stored_files_from_the_bucket(
    s3_storage, organisation, alice, bob, dana, child, client_for, settings
) -> None:
    raise_with_evidence(alice, child)
    guardian = ChildGuardianFactory(child=child).guardian
    scan = plain_pdf()
    (record,) = consent_records.paper_consent_record(
        child=child,
        guardian=guardian,
        consent_types=[ConsentTypeFactory(organisation=organisation)],
        signed_on=timezone.localdate(),
        signed_by="Huda Hassan",
        scan_name="form.pdf",
        scan=scan,
        by=dana,
    )
    sar = subject_access.sar_record(
        organisation=organisation,
        requester="Huda Hassan, mother",
        child=child,
        received_on=timezone.localdate(),
        by=bob,
    )
    response = client_for(dana).get(f"/subject-access/{sar.pk}/export.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read(f"records/files/{record.evidence_file.name}") == scan
    evidence = Evidence.objects.get()
    assert archive.read(f"{subject_access.REVIEW_FOLDER}/files/{evidence.file.name}") == PNG
    assert not any(name.endswith(".missing.txt") for name in archive.namelist())
    index = json.loads(archive.read("index.json"))
    assert index["request"] == sar.pk
    assert_nothing_on_disk(settings)


def test_a_backup_copies_the_bucket_into_a_folder(s3_storage, tmp_path, settings) -> None:
    names = [
        default_storage.save("incident_evidence/2026/shot.png", ContentFile(PNG)),
        default_storage.save("consent_forms/2026/form.pdf", ContentFile(b"%PDF-scan")),
        default_storage.save("notes.txt", ContentFile(b"top level")),
    ]
    copy = tmp_path / "media-backup"
    assert media_copy(default_storage, copy) == 3
    for name in names:
        assert (copy / name).read_bytes() == default_storage.open(name).read()
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()) == sorted(names)
    assert_nothing_on_disk(settings)


# --- no code writes uploads outside the storage API

# Every app, and the project package; not tests, the virtualenv or the load test.
APP_DIRS = [*sorted(path.parent.name for path in ROOT.glob("*/apps.py")), "safeguard"]


def _file_field_names() -> set[str]:
    return {
        field.name
        for model in apps.get_models()
        for field in model._meta.fields
        if isinstance(field, models.FileField)
    }


def _forbidden() -> dict[str, re.Pattern[str]]:
    fields = "|".join(sorted(_file_field_names()))
    return {
        # A stored file's place on this server's disk (there is none in a bucket).
        "a FileField's .path": re.compile(rf"\.({fields})\.path\b"),
        "storage.path()": re.compile(r"storage\.path\("),
        "MEDIA_ROOT": re.compile(r"\bMEDIA_ROOT\b"),
        "write_bytes": re.compile(r"\.write_bytes\("),
        "shutil copying or moving": re.compile(r"shutil\.(copy|copy2|copyfile|copytree|move)\("),
        "a FileSystemStorage of its own": re.compile(r"FileSystemStorage\("),
    }


# Settings say where the embedded default keeps files; that is the one place.
ALLOWED = {("safeguard/settings.py", "MEDIA_ROOT")}


def test_no_application_code_writes_uploaded_files_outside_the_storage_api() -> None:
    forbidden = _forbidden()
    found = []
    for folder in APP_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            relative = str(path.relative_to(ROOT))
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for what, pattern in forbidden.items():
                    if pattern.search(line) and (relative, what) not in ALLOWED:
                        found.append(f"{relative}:{number}: {what}: {line.strip()}")
    assert found == []


def test_the_scan_would_catch_a_write_to_disk() -> None:
    forbidden = _forbidden()
    assert len(APP_DIRS) > 10
    for line in (
        "Path(settings.MEDIA_ROOT) / name",
        "staged.write_bytes(data)",
        "shutil.copytree(media_root, target)",
        "open(evidence.file.path)",
        "default_storage.path(name)",
    ):
        assert any(p.search(line) for p in forbidden.values()), line
