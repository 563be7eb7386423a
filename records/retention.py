"""Retention: what each kind of record is kept for, what has reached the end of
its period, and what a person decided about it.

Apps register the kinds of record they keep (``register``), each with its
default period, the sentence that says why, how to find records whose period
has ended, and how to anonymise or delete one. The daily sweep only queues
reviews; every anonymisation or deletion runs from a recorded decision, and a
safeguarding record is deleted only once a second person confirms.

Append-only records (consent, chronology, evidence) refuse changes everywhere
else; ``erasure`` is the one door through which a decided review may change
them, and it is opened only inside this module's services, for a review saved
as decided (in PostgreSQL, by a function that checks the review itself).
"""

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import LEAD_ROLES, Organisation, Role, User
from audit import services as audit
from children.models import Child
from common import erasure
from common.registry import RECORD_KINDS
from incidents.models import Incident
from notices.engine import DueItem, local_midnight, notify_now, stage_for
from records.models import Decision, HoldScope, LegalHold, RetentionReview, RetentionRule

# What an anonymised text field reads, in every kind of record.
ANONYMISED = "[anonymised]"

# --- the one door for changing append-only records ---------------------------------------


@contextlib.contextmanager
def _erasure(review: RetentionReview) -> Iterator[None]:
    """Let this decided review change append-only rows, in this transaction only.

    The review must be saved as decided (and, for a deletion, confirmed) and
    not yet done: on PostgreSQL ``safeguard_erasure_open`` checks that itself,
    owned by a role the application's cannot act as, so no statement the
    application could send opens the door without such a review, and each
    review opens it once (common/migrations/0001_erasure_door.py).
    """
    token = erasure.allow()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT safeguard_erasure_open(%s)", [review.pk])
            yield
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT safeguard_erasure_close()")
    finally:
        erasure.close(token)


# --- kinds of record -------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One record whose period has ended."""

    obj: models.Model
    due_on: dt.date
    description: str
    child: Child | None = None


M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class RecordKind(Generic[M]):
    """``M`` is the model the kind's callbacks are given."""

    code: str
    label: str
    basis: str  # one sentence: why this long
    period: str  # how the period runs, e.g. "from the contact"
    default_months: int
    safeguarding: bool  # reviewed by the DSL; deleting needs a second person
    due: Callable[[Organisation, int, dt.date], Iterable[Due]]
    anonymise: Callable[[M], None] | None = None
    delete: Callable[[M], str] | None = None  # returns what was deleted
    locate: Callable[[RetentionReview], M | None] | None = None
    # The children and the incident a record belongs to, for legal holds.
    subjects: Callable[[M], tuple[list[int], int | None]] = lambda obj: ([], None)
    # A record's review kept from someone who could otherwise review it (an
    # allegation's from the member of staff it is about): not listed, opened,
    # decided or sent to them.
    hidden_from: Callable[[User, M], bool] = lambda user, obj: False


def kinds() -> list[RecordKind]:
    """Every app's kinds of record, from its retention.py (common.registry.RECORD_KINDS)."""
    return sorted(RECORD_KINDS.items(), key=lambda kind: kind.label)


def kind_or_none(code: str) -> RecordKind | None:
    return next((kind for kind in RECORD_KINDS.items() if kind.code == code), None)


def kind_for(code: str) -> RecordKind:
    kind = kind_or_none(code)
    if kind is None:
        raise ValidationError(f"Unknown kind of record: {code}.")
    return kind


def months_for(organisation: Organisation, kind: RecordKind) -> int:
    rule = RetentionRule.objects.filter(organisation=organisation, kind=kind.code).first()
    return rule.months if rule else kind.default_months


def rules_for(organisation: Organisation) -> list[tuple[RecordKind, int]]:
    own = dict(
        RetentionRule.objects.filter(organisation=organisation).values_list("kind", "months")
    )
    return [(kind, own.get(kind.code, kind.default_months)) for kind in kinds()]


@transaction.atomic
def retention_rule_set(
    *,
    organisation: Organisation,
    kind: str,
    months: int,
    by: User,
) -> RetentionRule:
    record_kind = kind_for(kind)
    if not 1 <= months <= 1200:
        raise ValidationError({"months": "Choose between 1 and 1,200 months."})
    rule, _ = RetentionRule.objects.get_or_create(
        organisation=organisation, kind=kind, defaults={"months": months}
    )
    before = rule.months
    rule.months = months
    rule._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    rule.save()
    audit.record(
        action="retention.rule_changed",
        actor=by,
        obj=rule,
        details={"kind": record_kind.code, "from": before, "to": months},
    )
    return rule


# --- legal holds -----------------------------------------------------------------------


def incident_id_for(user: User, reference: str) -> int | None:
    """The id of the user's organisation's incident with this reference, if any."""
    return (
        Incident.objects.filter(organisation_id=user.organisation_id, reference=reference)
        .values_list("pk", flat=True)
        .first()
    )


def active_holds(organisation_id: int, today: dt.date | None = None) -> models.QuerySet[LegalHold]:
    today = today or timezone.localdate()
    return LegalHold.objects.filter(
        Q(until__isnull=True) | Q(until__gte=today),
        organisation_id=organisation_id,
        released_at__isnull=True,
    )


def holds_covering(
    organisation_id: int, *, child_ids: Iterable[int] = (), incident_id: int | None = None
) -> list[LegalHold]:
    """The active holds over a record that belongs to these children or this incident."""
    scope = Q(scope=HoldScope.ORGANISATION) | Q(scope=HoldScope.CHILD, child_id__in=list(child_ids))
    if incident_id is not None:
        scope |= Q(scope=HoldScope.INCIDENT, incident_id=incident_id)
    return list(active_holds(organisation_id).filter(scope).select_related("child"))


@transaction.atomic
def legal_hold_place(
    *,
    organisation: Organisation,
    scope: str,
    reason: str,
    by: User,
    child: Child | None = None,
    incident_id: int | None = None,
    incident_reference: str = "",
    until: dt.date | None = None,
) -> LegalHold:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the records must be kept."})
    if scope == HoldScope.CHILD and (child is None or child.organisation_id != organisation.pk):
        raise ValidationError({"child": "Choose the child."})
    if scope == HoldScope.INCIDENT and incident_id is None:
        raise ValidationError({"incident": "Give the incident's reference."})
    if until is not None and until < timezone.localdate():
        raise ValidationError({"until": "A hold cannot end in the past."})
    _lock_holds(organisation.pk)
    hold = LegalHold.objects.create(
        organisation=organisation,
        scope=scope,
        reason=reason,
        placed_by=by,
        until=until,
        child=child if scope == HoldScope.CHILD else None,
        incident_id=incident_id if scope == HoldScope.INCIDENT else None,
        incident_reference=incident_reference if scope == HoldScope.INCIDENT else "",
    )
    audit.record(
        action="retention.hold_placed",
        actor=by,
        obj=hold,
        details={"scope": scope, "covers": hold.covers},
    )
    return hold


def may_release(user: User, hold: LegalHold) -> bool:
    """Whoever placed a hold, or the DSL and deputies: an admin cannot lift a
    hold the DSL placed on a child's safeguarding records."""
    return user.pk == hold.placed_by_id or user.role in LEAD_ROLES


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, reason: str, by: User) -> LegalHold:
    if not may_release(by, hold):
        raise ValidationError(
            f"Only whoever placed the hold, or the {by.organisation.titles.short}, can release it."
        )
    if hold.released_at is not None:
        raise ValidationError("This hold has been released already.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the hold can end."})
    hold.released_at, hold.released_by, hold.release_reason = timezone.now(), by, reason
    hold.save()
    audit.record(action="retention.hold_released", actor=by, obj=hold)
    return hold


# --- the queue ---------------------------------------------------------------------------


def _kept_until(organisation: Organisation, kind: str, obj: models.Model) -> dt.date | None:
    """The latest "keep until" a person gave this record, if any."""
    return (
        RetentionReview.objects.filter(
            organisation=organisation,
            kind=kind,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            decision=Decision.KEEP,
        )
        .order_by("-keep_until")
        .values_list("keep_until", flat=True)
        .first()
    )


def queue_reviews(*, organisation: Organisation, today: dt.date | None = None) -> int:
    """Queue a review for each record whose period has ended: once per record
    and due date, whatever how often this runs. Returns how many were new."""
    today = today or timezone.localdate()
    queued = 0
    for kind in kinds():
        months = months_for(organisation, kind)
        for due in kind.due(organisation, months, today):
            due_on = due.due_on
            kept = _kept_until(organisation, kind.code, due.obj)
            if kept is not None:
                if kept > today:
                    continue  # a person decided to keep it until then
                due_on = max(due_on, kept)
            _, created = RetentionReview.objects.get_or_create(
                kind=kind.code,
                object_type=due.obj._meta.label_lower,
                object_id=str(due.obj.pk),
                due_on=due_on,
                defaults={
                    "organisation": organisation,
                    "description": due.description[:300],
                    "child": due.child,
                },
            )
            queued += created
    return queued


def hidden_from(user: User, review: RetentionReview, kind: RecordKind) -> bool:
    obj = _locate(review, kind)
    return obj is not None and kind.hidden_from(user, obj)


def reviewers(
    organisation: Organisation, kind: RecordKind, review: RetentionReview | None = None
) -> list[User]:
    """The DSL and deputies review safeguarding records; admins review the rest.
    For one review, never someone it is hidden from."""
    people = User.objects.of(organisation)
    found = list(people.dsl_and_deputies() if kind.safeguarding else people.admins())
    if review is None:
        return found
    return [person for person in found if not hidden_from(person, review, kind)]


def may_review(user: User, kind: RecordKind, review: RetentionReview | None = None) -> bool:
    """Whether the user reviews this kind of record (and, given one, this review)."""
    roles = LEAD_ROLES if kind.safeguarding else {Role.ADMIN}
    if not (user.is_active and user.role in roles):
        return False
    return review is None or not hidden_from(user, review, kind)


def reviews_due(*, organisation: Organisation, now: dt.datetime) -> Iterator[DueItem]:
    """A reminder provider: each open review to its reviewers, on the day and weekly after."""
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    for review in RetentionReview.objects.filter(organisation=organisation, done_at__isnull=True):
        kind = kind_or_none(review.kind)  # a kind no longer registered has nobody to ask
        if kind is None:
            continue
        due_at = local_midnight(review.due_on, tz)
        stage = stage_for(due_at=due_at, now=now, tz=tz, lead_days=())
        if stage is None:
            continue
        yield DueItem(
            kind="retention.review",
            obj=review,
            stage=stage,
            recipients=reviewers(organisation, kind, review),
            due_at=due_at,
            title=f"Retention review due: {kind.label.lower()} ({review.due_on:%-d %B %Y})",
            url=reverse("retention_review", args=[review.pk]),
        )


# --- decisions -----------------------------------------------------------------------------


def _locate(review: RetentionReview, kind: RecordKind) -> models.Model | None:
    if kind.locate is not None:
        return kind.locate(review)
    return None


def _blocking_holds(review: RetentionReview, kind: RecordKind) -> list[LegalHold]:
    obj = _locate(review, kind)
    child_ids, incident_id = kind.subjects(obj) if obj is not None else ([], None)
    if review.child_id:
        child_ids = [*child_ids, review.child_id]
    return holds_covering(review.organisation_id, child_ids=child_ids, incident_id=incident_id)


def holds_for_review(review: RetentionReview) -> list[LegalHold]:
    return _blocking_holds(review, kind_for(review.kind))


def _open_review(review: RetentionReview) -> tuple[RetentionReview, RecordKind]:
    """The review as it is now, locked until the decision commits: two people
    confirming at once, or a decision racing another, act one after the other."""
    review = (
        RetentionReview.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organisation")
        .get(pk=review.pk)
    )
    if review.done_at is not None:
        raise ValidationError("This review has been decided already.")
    return review, kind_for(review.kind)


def _lock_holds(organisation_id: int) -> None:
    """Checking for holds and placing one take the same lock (the organisation's
    row), so a hold placed while a deletion runs is either seen or waits."""
    Organisation.objects.select_for_update(no_key=True).filter(pk=organisation_id).exists()


@transaction.atomic
def review_keep(
    *,
    review: RetentionReview,
    by: User,
    reason: str,
    keep_until: dt.date,
) -> RetentionReview:
    review, kind = _open_review(review)
    if not may_review(by, kind, review):
        raise ValidationError("Only the record's reviewers can decide.")
    if review.awaiting_confirmation:
        raise ValidationError("A deletion is waiting for confirmation; it cannot be changed.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is kept."})
    if keep_until <= timezone.localdate():
        raise ValidationError({"keep_until": "The next review date must be in the future."})
    review.decision, review.reason, review.keep_until = Decision.KEEP, reason, keep_until
    review.decided_by = review.confirmed_by = by
    review.decided_at = review.done_at = timezone.now()
    review._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    review.save()
    audit.record(
        action="retention.kept",
        actor=by,
        obj=review,
        details={"record": review.description, "until": str(keep_until)},
    )
    return review


def _refuse_if_held(review: RetentionReview, kind: RecordKind) -> None:
    _lock_holds(review.organisation_id)
    holds = _blocking_holds(review, kind)
    if holds:
        raise ValidationError(
            f"A legal hold covers this record ({holds[0].covers}: {holds[0].reason[:80]}). "
            "It cannot be anonymised or deleted while the hold applies."
        )


@transaction.atomic
def review_anonymise(*, review: RetentionReview, by: User, reason: str) -> RetentionReview:
    review, kind = _open_review(review)
    if not may_review(by, kind, review):
        raise ValidationError("Only the record's reviewers can decide.")
    if review.awaiting_confirmation:
        raise ValidationError("A deletion is waiting for a second person; confirm or decline it.")
    if kind.anonymise is None:
        raise ValidationError("This kind of record holds nobody's personal details to remove.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is anonymised."})
    _refuse_if_held(review, kind)
    review.decision, review.reason = Decision.ANONYMISE, reason
    review.decided_by = review.confirmed_by = by
    review.decided_at = timezone.now()
    review._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    # Recorded before the record changes: the database opens the door only
    # for a decision it can read.
    review.save()
    obj = _locate(review, kind)
    if obj is not None:
        with _erasure(review):
            kind.anonymise(obj)
    review.done_at = timezone.now()
    review.save()
    audit.record(
        action="retention.anonymised",
        actor=by,
        obj=review,
        details={"record": review.description},
    )
    return review


@transaction.atomic
def review_delete(*, review: RetentionReview, by: User, reason: str) -> RetentionReview:
    """Delete, or for a safeguarding record ask a second person to confirm."""
    review, kind = _open_review(review)
    if not may_review(by, kind, review):
        raise ValidationError("Only the record's reviewers can decide.")
    if kind.delete is None:
        raise ValidationError("This kind of record cannot be deleted here.")
    if review.awaiting_confirmation:
        raise ValidationError("A deletion is waiting for confirmation already.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is deleted."})
    _refuse_if_held(review, kind)
    review.decision, review.reason = Decision.DELETE, reason
    review.decided_by, review.decided_at = by, timezone.now()
    review._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    if kind.safeguarding:
        review.save()
        audit.record(
            action="retention.delete_requested",
            actor=by,
            obj=review,
            details={"record": review.description},
        )
        others = [
            person for person in reviewers(review.organisation, kind, review) if person.pk != by.pk
        ]
        notify_now(
            organisation=review.organisation,
            item=DueItem(
                kind="retention.confirm",
                obj=review,
                stage=f"asked-{int(review.decided_at.timestamp())}",
                recipients=others,
                due_at=review.decided_at,
                title=f"A deletion is waiting for your confirmation: {kind.label.lower()}",
                url=reverse("retention_review", args=[review.pk]),
            ),
        )
        return review
    return _delete_now(review, kind, by)


@transaction.atomic
def review_delete_confirm(*, review: RetentionReview, by: User) -> RetentionReview:
    review, kind = _open_review(review)
    if not review.awaiting_confirmation:
        raise ValidationError("No deletion is waiting for confirmation.")
    if not may_review(by, kind, review):
        raise ValidationError("Only the record's reviewers can confirm.")
    if by.pk == review.decided_by_id:
        raise ValidationError("A second person must confirm a deletion.")
    _refuse_if_held(review, kind)  # a hold placed since the request still wins
    return _delete_now(review, kind, by)


@transaction.atomic
def review_delete_decline(*, review: RetentionReview, by: User, reason: str) -> RetentionReview:
    """The second person disagrees: the review is open again, with why."""
    review, kind = _open_review(review)
    if not review.awaiting_confirmation:
        raise ValidationError("No deletion is waiting for confirmation.")
    if not may_review(by, kind, review):
        raise ValidationError("Only the record's reviewers can decline.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record should not be deleted."})
    audit.record(
        action="retention.delete_declined",
        actor=by,
        obj=review,
        details={
            "record": review.description,
            "requested_by": review.decided_by_id,
            "reason": reason,
        },
    )
    review.decision, review.reason, review.decided_by, review.decided_at = "", "", None, None
    review._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    review.save()
    return review


def _delete_now(review: RetentionReview, kind: RecordKind, by: User) -> RetentionReview:
    review.confirmed_by = by
    review._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    # Recorded before the record goes: the database opens the door only for
    # a confirmed deletion it can read.
    review.save()
    obj = _locate(review, kind)
    deleted = "nothing: the record was gone already"
    if obj is not None and kind.delete is not None:
        with _erasure(review):
            deleted = kind.delete(obj)
    review.done_at = timezone.now()
    review.save()
    # Names what was deleted, never what it said.
    audit.record(
        action="retention.deleted",
        actor=by,
        obj=review,
        details={
            "record": review.description,
            "deleted": deleted,
            "decided_by": review.decided_by_id,
        },
    )
    return review


def delete_file_after_commit(stored: models.fields.files.FieldFile) -> None:
    """Remove a stored file once the decision's transaction commits: a rollback
    must never leave a row pointing at a file that has gone."""
    storage, name = stored.storage, stored.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def object_locator(model: type[M]) -> Callable[[RetentionReview], M | None]:
    def locate(review: RetentionReview) -> M | None:
        return model._default_manager.filter(pk=review.object_id).first()

    return locate
