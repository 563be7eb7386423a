"""How long contact logs and planned sessions are kept, and how a reviewer's
decision anonymises or deletes one (see records.retention)."""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta

from accounts.models import Organisation
from common.registry import RECORD_KINDS, SUBJECT_ACCESS_SOURCES
from practice.models import ContactLog, FollowUp, PlannedSession
from records.retention import (
    ANONYMISED,
    Due,
    RecordKind,
    delete_file_after_commit,
    object_locator,
)
from records.subject_access import Source


def _contact_logs_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    cutoff = today - relativedelta(months=months)
    logs = ContactLog.objects.filter(organisation=organisation, happened_at__date__lte=cutoff)
    for log in logs.select_related("child"):
        yield Due(
            obj=log,
            due_on=log.happened_at.date() + relativedelta(months=months),
            child=log.child,
            description=f"Contact log #{log.pk}: {log.get_channel_display().lower()} on "
            f"{log.happened_at:%-d %b %Y}",
        )


def _contact_log_anonymise(log: ContactLog) -> None:
    log.notes = log.platform = log.message_text = log.permission_for = ""
    log.override_reason = ANONYMISED if log.override_reason else ""
    if log.message_file:
        # The stored copy goes too, once the decision is committed: a cleared field
        # over a file left on disk is not anonymised.
        delete_file_after_commit(log.message_file)
        log.message_file.name = ""
    follow_ups = list(log.follow_ups.values_list("pk", flat=True))
    FollowUp.objects.filter(pk__in=follow_ups).exclude(outcome="").update(outcome=ANONYMISED)
    # A bulk update writes no history: the history rows' copies of the outcome go too.
    FollowUp.history.filter(id__in=follow_ups).exclude(outcome="").update(outcome=ANONYMISED)
    log.save(
        update_fields=[
            "notes",
            "platform",
            "message_text",
            "permission_for",
            "override_reason",
            "message_file",
        ]
    )


def _contact_log_delete(log: ContactLog) -> str:
    what = f"contact log #{log.pk}"
    # Follow-ups hold the contact with PROTECT, and the copies' links go first.
    follow_up_ids = list(log.follow_ups.values_list("pk", flat=True))
    FollowUp.objects.filter(pk__in=follow_up_ids).delete()
    # Deleting writes a final history row holding every field: it goes after them.
    FollowUp.history.filter(id__in=follow_up_ids).delete()
    log.copied_staff.clear()
    log.copied_guardians.clear()
    if log.message_file:
        delete_file_after_commit(log.message_file)
    log.delete()
    return what


def _child_of(obj: ContactLog | PlannedSession) -> tuple[list[int], int | None]:
    return [obj.child_id], None


CONTACT_LOGS = RecordKind(
    code="contact_logs",
    label="Contact logs and messages",
    basis="Copies of contacts and messages with children are kept for three years from the "
    "contact, so that any concern raised later can be checked against them.",
    period="from the contact",
    default_months=36,
    safeguarding=False,
    due=_contact_logs_due,
    anonymise=_contact_log_anonymise,
    delete=_contact_log_delete,
    locate=object_locator(ContactLog),
    subjects=_child_of,
)


def _plans_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    cutoff = today - relativedelta(months=months)
    plans = PlannedSession.objects.filter(
        organisation=organisation, planned_for__date__lte=cutoff
    ).select_related("child")
    for plan in plans:
        yield Due(
            obj=plan,
            due_on=plan.planned_for.date() + relativedelta(months=months),
            child=plan.child,
            description=f"Planned session #{plan.pk}: {plan.get_channel_display().lower()} on "
            f"{plan.planned_for:%-d %b %Y}",
        )


def _plan_anonymise(plan: PlannedSession) -> None:
    plan.purpose = plan.permission_for = ""
    plan.save(update_fields=["purpose", "permission_for"])
    PlannedSession.history.filter(id=plan.pk).update(purpose="", permission_for="")


def _plan_delete(plan: PlannedSession) -> str:
    what = f"planned session #{plan.pk}"
    # A contact logged in it keeps its record (it was not outside a planned
    # session; that is judged and stored when it is logged) without the link.
    ContactLog.objects.filter(plan=plan).update(plan=None)
    pk = plan.pk
    plan.delete()
    PlannedSession.history.filter(id=pk).delete()
    return what


PLANNED_SESSIONS = RecordKind(
    code="planned_sessions",
    label="Planned sessions",
    basis="A plan and the answer it got before a session are kept as long as the contact log, "
    "so a contact can be read beside what was asked before it.",
    period="from the planned date",
    default_months=36,
    safeguarding=False,
    due=_plans_due,
    anonymise=_plan_anonymise,
    delete=_plan_delete,
    locate=object_locator(PlannedSession),
    subjects=_child_of,
)


RECORD_KINDS.register(CONTACT_LOGS)
RECORD_KINDS.register(PLANNED_SESSIONS)
# A contact log may be released; what it says about a safeguarding event may not
# without review: removing a participant opens an incident (its reference is
# stored here), and a reason for contact without consent is for the DSL.
SUBJECT_ACCESS_SOURCES.register(
    Source(
        "practice",
        review_fields={
            "practice.contactlog": (
                "participant_removed",
                "removal_reason",
                "incident_reference",
                "override_reason",
            )
        },
    )
)
