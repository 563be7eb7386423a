"""How long supervision records are kept, what a reviewer's decision does to
them (see records.retention), and what a subject access export takes from them.

What was said about a child in supervision is part of that child's
safeguarding record: kept as long as the incident log keeps a child's
records (until they are 25) and reviewed by the DSL. The rest of a session
(the general notes about the member of staff, the actions) is a staff record,
kept six years from the session and then anonymised; the session itself stays,
as the frame of the children's discussions it holds.
"""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta

from accounts.models import Organisation
from audit.seals import reseal
from common.registry import RECORD_KINDS, SUBJECT_ACCESS_SOURCES
from records.retention import ANONYMISED, Due, RecordKind, object_locator
from records.subject_access import Source
from supervision.models import ChildDiscussed, SupervisionAction, SupervisionSession


def _discussions_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    born_by = today - relativedelta(months=months)
    discussions = ChildDiscussed.objects.filter(
        organisation=organisation, child__date_of_birth__lte=born_by
    ).select_related("child", "session")
    for discussion in discussions:
        yield Due(
            obj=discussion,
            due_on=discussion.child.date_of_birth + relativedelta(months=months),
            child=discussion.child,
            description=f"Supervision discussion #{discussion.pk} "
            f"({discussion.session.held_on:%b %Y})",
        )


def _discussion_anonymise(discussion: ChildDiscussed) -> None:
    rows = ChildDiscussed.objects.filter(pk=discussion.pk)
    rows.update(discussed=ANONYMISED, agreed=ANONYMISED if discussion.agreed else "")
    reseal(rows)  # a bulk update sends no signal to seal it again


def _discussion_delete(discussion: ChildDiscussed) -> str:
    what = f"supervision discussion #{discussion.pk}"
    discussion.delete()
    return what


def _child_discussed(discussion: ChildDiscussed) -> tuple[list[int], int | None]:
    return [discussion.child_id], None


SUPERVISION_DISCUSSIONS = RecordKind(
    code="supervision_discussions",
    label="Children discussed in supervision",
    basis="What was said about a child in staff supervision is part of their safeguarding "
    "record, kept like the incident log until the child is 25.",
    period="from the child's date of birth",
    default_months=300,
    safeguarding=True,
    due=_discussions_due,
    anonymise=_discussion_anonymise,
    delete=_discussion_delete,
    locate=object_locator(ChildDiscussed),
    subjects=_child_discussed,
)


def _sessions_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    cutoff = today - relativedelta(months=months)
    sessions = SupervisionSession.objects.filter(
        organisation=organisation, held_on__lte=cutoff
    ).exclude(notes=ANONYMISED)
    for session in sessions:
        yield Due(
            obj=session,
            due_on=session.held_on + relativedelta(months=months),
            description=f"Supervision notes #{session.pk} ({session.held_on:%-d %b %Y})",
        )


def _session_anonymise(session: SupervisionSession) -> None:
    """The notes and the actions' wording go; who met, when, and what was
    agreed to whom by when stay."""
    rows = SupervisionSession.objects.filter(pk=session.pk)
    rows.update(notes=ANONYMISED)
    reseal(rows)
    actions = SupervisionAction.objects.filter(session=session)
    action_ids = list(actions.values_list("pk", flat=True))
    actions.update(what=ANONYMISED)
    # A bulk update writes no history: the history rows' copies go too.
    SupervisionAction.history.filter(id__in=action_ids).update(what=ANONYMISED)


SUPERVISION_NOTES = RecordKind(
    code="supervision_notes",
    label="Supervision notes",
    basis="Notes of staff supervision and the actions agreed are staff records, kept six "
    "years from the session; what was said about each child is kept with the child's record.",
    period="from the session",
    default_months=72,
    safeguarding=True,
    due=_sessions_due,
    anonymise=_session_anonymise,
    locate=object_locator(SupervisionSession),
)


RECORD_KINDS.register(SUPERVISION_DISCUSSIONS)
RECORD_KINDS.register(SUPERVISION_NOTES)
# Discussions of a child are safeguarding records: a subject access export puts
# them in its review folder, for a person to redact before release.
SUBJECT_ACCESS_SOURCES.register(Source("supervision", safeguarding=True))
