"""Recurring tasks the organisation adds itself: added, changed and retired by
the keepers of the registers, reminded to their owner, and done with evidence
kept as a file that only comes back through a permission check."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from notices import engine as reminders
from notices.models import Notice
from practice import services as practice
from practice.models import RecurringTask, TaskCompletion
from tests.factories import UserFactory
from tests.hostile_files import HOSTILE_PDFS, docx_bomb, plain_docx, plain_pdf

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def task_form(owner, **changes) -> dict[str, object]:
    return {
        "title": "Monitoring of adult-only groups",
        "description": "No child joins the groups for adults.",
        "evidence_expected": "The month's membership check, initialled.",
        "owner": owner.pk,
        "cycle_months": "1",
        "next_due": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        **changes,
    }


def add_task(client, owner, **changes) -> RecurringTask:
    response = client.post("/practice/tasks/new/", task_form(owner, **changes))
    assert response.status_code == 302, response.context["form"].errors
    return RecurringTask.objects.get(title=task_form(owner, **changes)["title"], active=True)


def test_an_admin_made_task_is_reminded_and_its_evidence_kept(
    organisation, alice, bob, dana, client_for
) -> None:
    as_bob = client_for(bob)
    task = add_task(as_bob, alice)
    assert (task.owner, task.cycle_months) == (alice, 1)
    assert AuditEvent.objects.filter(action="practice.task_added", actor=bob).count() == 1

    # Time passes: nothing three weeks ahead of the due date, then its owner is told.
    today = timezone.localdate()
    reminders.deliver(reminders.sweep(now=at(today)))
    assert not Notice.objects.filter(ledger__kind="practice.task", recipient=alice).exists()
    reminders.deliver(reminders.sweep(now=at(task.next_due - dt.timedelta(days=13))))
    reminders.deliver(reminders.sweep(now=at(task.next_due + dt.timedelta(days=8))))
    told = Notice.objects.filter(ledger__kind="practice.task", ledger__object_id=str(task.pk))
    assert set(told.filter(recipient=alice).values_list("ledger__stage", flat=True)) == {
        "14d",
        "overdue-1w",
    }
    assert (
        told.filter(recipient=alice)
        .first()
        .title.startswith("Monitoring of adult-only groups is due on")
    )

    # Its owner records it done with a PDF of the check.
    as_alice = client_for(alice)
    content = plain_pdf(("Membership check", "No children in the group"))
    response = as_alice.post(
        f"/practice/tasks/{task.pk}/done/",
        {
            "done_on": today.isoformat(),
            "evidence": "",
            "evidence_file": SimpleUploadedFile("check.exe.pdf", content),
        },
    )
    assert response.status_code == 302
    completion = TaskCompletion.objects.get(task=task)
    assert completion.evidence_file.name.startswith("task_evidence/")
    assert completion.evidence_file.name.endswith(".pdf")
    assert "check.exe" not in completion.evidence_file.name
    task.refresh_from_db()
    assert task.next_due == today + relativedelta(months=1)

    # The file comes back, whole, through the download view, typed from its content.
    download = as_bob.get(f"/practice/tasks/evidence/{completion.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="practice.task_evidence_viewed", actor=bob).exists()
    page = as_bob.get(f"/practice/tasks/{task.pk}/").content.decode()
    assert f"/practice/tasks/evidence/{completion.pk}/" in page


def test_evidence_is_words_or_a_file_and_only_a_kept_kind(alice, dana, client_for) -> None:
    task = practice.tasks_ensure(organisation=dana.organisation)[0]
    as_dana = client_for(dana)
    url = f"/practice/tasks/{task.pk}/done/"
    today = timezone.localdate().isoformat()
    nothing = as_dana.post(url, {"done_on": today, "evidence": ""})
    assert "attach the evidence" in " ".join(nothing.context["form"].errors["evidence"])
    refused = {
        "a program named .pdf": b"MZ\x90\x00" + b"\x00" * 200,
        "HTML": b"<html><script>alert(1)</script></html>",
        "a zip that is not a Word document": _zip_of({"notes.txt": b"hello"}),
        "a PDF with JavaScript": HOSTILE_PDFS["open action JavaScript"](),
        "a docx bomb": docx_bomb(),
    }
    for label, content in refused.items():
        response = as_dana.post(
            url,
            {"done_on": today, "evidence_file": SimpleUploadedFile("evidence.pdf", content)},
        )
        assert response.status_code == 200, label
        assert response.context["form"].errors["evidence_file"], label
    assert not TaskCompletion.objects.exists()
    for name, content in (("minutes.docx", plain_docx()), ("photo.png", PNG)):
        response = as_dana.post(
            url, {"done_on": today, "evidence_file": SimpleUploadedFile(name, content)}
        )
        assert response.status_code == 302, response.context["form"].errors
    kinds = {c.evidence_file.name.rsplit(".", 1)[-1] for c in TaskCompletion.objects.all()}
    assert kinds == {"docx", "png"}
    docx = TaskCompletion.objects.get(evidence_file__endswith=".docx")
    response = as_dana.get(f"/practice/tasks/evidence/{docx.pk}/")
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


def _zip_of(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_evidence_is_another_organisations_404_and_not_everyones(
    organisation, alice, bob, dana, charlie, client_for
) -> None:
    task = add_task(client_for(bob), dana)
    completion = practice.task_complete(
        task=task,
        by=dana,
        done_on=timezone.localdate(),
        evidence_file=SimpleUploadedFile("a.png", PNG),
    )
    url = f"/practice/tasks/evidence/{completion.pk}/"
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(alice).get(url).status_code == 404  # not hers, not a keeper
    assert client_for(dana).get(url).status_code == 200
    words = practice.task_complete(
        task=task, by=dana, done_on=timezone.localdate(), evidence="Checked; nothing found."
    )
    assert client_for(dana).get(f"/practice/tasks/evidence/{words.pk}/").status_code == 404
    assert client_for(dana).get("/practice/tasks/evidence/999999/").status_code == 404


def test_editing_a_task_audits_each_change_from_and_to(
    organisation, alice, bob, dana, client_for
) -> None:
    as_bob = client_for(bob)
    task = add_task(as_bob, alice)
    response = as_bob.post(
        f"/practice/tasks/{task.pk}/edit/",
        task_form(dana, cycle_months="4", next_due=task.next_due.isoformat()),
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.cycle_months) == (dana, 4)
    event = AuditEvent.objects.get(action="practice.task_changed")
    assert event.details["changed"] == {
        "owner": {
            "from": {"id": alice.pk, "name": "Alice Adeyemi"},
            "to": {"id": dana.pk, "name": "Dana Douglas"},
        },
        "cycle_months": {"from": 1, "to": 4},
    }


def test_a_task_form_refuses_bad_input_beside_the_field(
    organisation, other_organisation, bob, alice, client_for
) -> None:
    as_bob = client_for(bob)
    add_task(as_bob, alice)
    outsider = UserFactory(organisation=other_organisation)
    leaver = UserFactory(organisation=organisation, is_active=False)
    cases = {
        "title": task_form(alice, title="monitoring of ADULT-only groups"),
        "cycle_months": task_form(alice, cycle_months="37"),
        "next_due": task_form(alice, title="Other", next_due="2099-01-01"),
    }
    for field, data in cases.items():
        response = as_bob.post("/practice/tasks/new/", data)
        assert response.status_code == 200, field
        assert response.context["form"].errors[field], field
    for person in (outsider, leaver):
        response = as_bob.post("/practice/tasks/new/", task_form(person, title="Other"))
        assert response.context["form"].errors["owner"]
    assert RecurringTask.objects.count() == 1


def test_who_manages_tasks(organisation, alice, bob, dana, charlie, client_for) -> None:
    task = add_task(client_for(bob), alice)
    assert client_for(dana).get("/practice/tasks/new/").status_code == 200
    assert client_for(alice).get("/practice/tasks/new/").status_code == 403
    # Alice owns it and records it done, but changes and retires only what she keeps.
    assert client_for(alice).get(f"/practice/tasks/{task.pk}/").status_code == 200
    assert client_for(alice).get(f"/practice/tasks/{task.pk}/edit/").status_code == 403
    assert client_for(alice).post(f"/practice/tasks/{task.pk}/retire/").status_code == 403
    for url in ("", "edit/", "retire/", "done/"):
        assert client_for(charlie).get(f"/practice/tasks/{task.pk}/{url}").status_code == 404


def test_a_retired_task_is_kept_listed_apart_and_never_reminded(
    organisation, alice, bob, dana, client_for
) -> None:
    as_bob = client_for(bob)
    task = add_task(as_bob, alice)
    done = practice.task_complete(
        task=task,
        by=alice,
        done_on=timezone.localdate(),
        evidence="Checked.",
        evidence_file=SimpleUploadedFile("a.png", PNG),
    )
    response = as_bob.post(f"/practice/tasks/{task.pk}/retire/", {"reason": "Group closed."})
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.active
    assert TaskCompletion.objects.filter(task=task).exists()
    event = AuditEvent.objects.get(action="practice.task_retired")
    assert event.details["reason"] == "Group closed."
    home = as_bob.get("/practice/").content.decode()
    assert f'href="/practice/tasks/{task.pk}/"' not in home
    retired = as_bob.get("/practice/tasks/retired/").content.decode()
    assert "Monitoring of adult-only groups" in retired
    assert f"/practice/tasks/evidence/{done.pk}/" in retired
    assert as_bob.get(f"/practice/tasks/evidence/{done.pk}/").status_code == 200
    assert client_for(alice).get(f"/practice/tasks/{task.pk}/done/").status_code == 404
    for days in (0, 30, 60):
        reminders.sweep(now=at(timezone.localdate() + dt.timedelta(days=days)))
    assert not Notice.objects.filter(
        ledger__kind="practice.task", ledger__object_id=str(task.pk)
    ).exists()
    # The same title may be taken up again as a new task.
    again = add_task(as_bob, dana)
    assert again.pk != task.pk


def test_a_retired_default_task_stays_retired(organisation, bob, dana, client_for) -> None:
    first = practice.tasks_ensure(organisation=organisation)[0]
    practice.task_retire(task=first, by=bob)
    practice.task_create(
        organisation=organisation,
        by=bob,
        title=first.title,
        owner=dana,
        cycle_months=6,
        next_due=timezone.localdate(),
    )
    practice.tasks_ensure(organisation=organisation)  # the sweep's call: no error, no third
    assert RecurringTask.objects.filter(title=first.title).count() == 2
    reminders.sweep(now=at(timezone.localdate()))


def test_a_renamed_default_task_is_not_added_again(organisation, bob, dana) -> None:
    tasks = practice.tasks_ensure(organisation=organisation)
    first = tasks[0]
    practice.task_update(
        task=first,
        by=bob,
        title=f"Termly {first.title.lower()}",
        owner=dana,
        cycle_months=4,
        next_due=first.next_due,
    )
    again = practice.tasks_ensure(organisation=organisation)  # the next sweep
    assert len(again) == len(tasks)
    assert not RecurringTask.objects.filter(title=first.title).exists()


def test_the_demo_has_the_tasks_the_policies_ask_for(organisation, alice, bob, dana) -> None:
    from practice.demo import POLICY_TASKS, seed_policy_tasks

    seed_policy_tasks(organisation, dsl=dana, admin=bob, therapist=alice)
    seed_policy_tasks(organisation, dsl=dana, admin=bob, therapist=alice)
    cycles = dict(
        RecurringTask.objects.filter(organisation=organisation).values_list("title", "cycle_months")
    )
    assert cycles == {
        "Monitoring of adult-only groups": 1,
        "Online safety workshop or newsletter for parents and carers": 6,
        "Teaching online safety in sessions": 4,
    }
    assert all(
        task.evidence_expected for task in RecurringTask.objects.filter(organisation=organisation)
    )
    assert len(POLICY_TASKS) == 3
