"""The reminder engine: what is due, claimed exactly once, shown and emailed.

Apps register providers (``register``); the engine knows none of them. A sweep
asks every provider, for every organisation, what is due now. Each due item is
claimed by inserting its (kind, object, stage) row into the ledger, which a
unique constraint allows once, ever: a sweep run twice, on two workers at once,
or after a crash sends each reminder once, and a sweep that did not run
yesterday finds today whatever is still due.

Claimed items become in-app notices at once. Urgent ones are emailed at once;
the rest go into one digest email per person per day, after DIGEST_HOUR in the
organisation's timezone. Emails are sent inside the transaction that marks them
sent, with the rows locked (SKIP LOCKED on PostgreSQL), so a failed or killed
send leaves them unsent for the next attempt.
"""

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import Organisation, User
from common.emails import send_email
from common.registry import REMINDERS
from notices.emails import KIND as URGENT_EMAIL
from notices.models import DigestLedger, Notice, ReminderLedger
from notices.subjects import urgent_subject
from outbox.models import OutboundMessage
from outbox.services import email_queue

log = logging.getLogger(__name__)

DIGEST_HOUR = 7  # local time from which the day's digest goes out


@dataclass(frozen=True)
class DueItem:
    """Something a provider says is due: who should hear about it, and how soon."""

    kind: str
    obj: models.Model
    stage: str
    recipients: Sequence[User]
    due_at: dt.datetime
    title: str
    url: str
    urgent: bool = False


Provider = Callable[..., Iterable[DueItem]]


def providers() -> tuple[Provider, ...]:
    """Every app's providers, from its reminders.py (common.registry.REMINDERS)."""
    return REMINDERS.items()


def stage_for(
    *,
    due_at: dt.datetime,
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    lead_days: Sequence[int] = (30, 7),
) -> str | None:
    """Which reminder stage applies now: "30d", "7d", "due", then "overdue-1w",
    "overdue-2w"... once a week while overdue; None when nothing is due yet.

    Days are counted in the organisation's timezone, so "7 days before" means
    seven local calendar days whatever the clocks did in between.
    """
    today = now.astimezone(tz).date()
    due_day = due_at.astimezone(tz).date()
    if now >= due_at:
        weeks_over = (today - due_day).days // 7
        return "due" if weeks_over == 0 else f"overdue-{weeks_over}w"
    for lead in sorted(lead_days):
        if today >= due_day - dt.timedelta(days=lead):
            return f"{lead}d"
    return None


def local_midnight(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The start of a local calendar day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


@dataclass
class SweepResult:
    due: int = 0
    claimed: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    urgent_notices: list[int] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "due": self.due,
            "claimed": self.claimed,
            "sent": self.sent,
            "skipped": self.skipped,
            "failed": self.failed,
        }


def _key(item: DueItem, tz: zoneinfo.ZoneInfo) -> tuple[str, str, str, str, dt.date]:
    if item.obj.pk is None:
        # An unsaved object (an audit event still buffered for the commit) would
        # key every such notice as "None", and only the first would ever be sent.
        raise ValueError(f"a notice needs a saved object, not an unsaved {item.obj!r}")
    return (
        item.kind,
        item.obj._meta.label_lower,
        str(item.obj.pk),
        item.stage,
        item.due_at.astimezone(tz).date(),
    )


def _ledger_row(
    item: DueItem, organisation: Organisation, key: tuple[str, str, str, str, dt.date]
) -> ReminderLedger:
    """The ledger row that claims ``item``, not yet saved."""
    kind, object_type, object_id, stage, due_on = key
    return ReminderLedger(
        organisation=organisation,
        kind=kind,
        object_type=object_type,
        object_id=object_id,
        stage=stage,
        due_on=due_on,
        due_at=item.due_at,
        urgent=item.urgent,
    )


def _claim(item: DueItem, organisation: Organisation) -> ReminderLedger | None:
    """Insert the ledger row; None when a sweep (this one or another) already has it.

    The unique constraint is the lock: on PostgreSQL a concurrent sweep inserting
    the same row waits for ours to commit and then fails the insert.
    """
    row = _ledger_row(item, organisation, _key(item, _tz(organisation)))
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None
    return row


def _tz(organisation: Organisation) -> zoneinfo.ZoneInfo:
    # Raises for a timezone that is not real; the sweep logs it per organisation.
    return zoneinfo.ZoneInfo(organisation.timezone)


def _recipients(item: DueItem, organisation: Organisation) -> list[User]:
    """Active people of this organisation only, each once."""
    people = {
        user.pk: user
        for user in item.recipients
        if user.is_active and user.organisation_id == organisation.pk
    }
    return list(people.values())


def _one_line(text: str, limit: int) -> str:
    # Titles become email subjects: no line breaks (header injection), no runs of space.
    return " ".join(text.split())[:limit]


def _notices(ledger: ReminderLedger, item: DueItem, recipients: list[User]) -> list[Notice]:
    return [
        Notice(
            ledger=ledger,
            recipient=user,
            organisation=ledger.organisation,
            title=_one_line(item.title, 300),
            url=item.url[:500],
            urgent=item.urgent,
            due_at=item.due_at,
        )
        for user in recipients
    ]


def _notify(ledger: ReminderLedger, item: DueItem, recipients: list[User]) -> list[Notice]:
    return Notice.objects.bulk_create(_notices(ledger, item, recipients))


def notify_now(*, organisation: Organisation, item: DueItem) -> list[Notice]:
    """Raise one reminder straight away rather than at the next sweep (a new
    high-risk concern, say): claim it, show it, and email it after the commit.

    Returns no notices when the same reminder was already raised, or when it has
    nobody to go to.
    """
    recipients = _recipients(item, organisation)
    if not recipients:
        log.warning("Reminder %s has no active recipient; not claimed", item.kind)
        return []
    with transaction.atomic():
        ledger = _claim(item, organisation)
        if ledger is None:
            return []
        notices = _notify(ledger, item, recipients)
        if item.urgent:
            for notice in notices:
                # Through the outbox, so whoever raised it can see whether it went.
                email_queue(
                    to=notice.recipient.email,
                    purpose=notice,
                    kind=URGENT_EMAIL,
                    organisation=organisation,
                )
    return notices


def _claimed_keys(organisation: Organisation, items: list[DueItem]) -> set[tuple]:
    """Keys of these items already in the ledger, in one query: most items a
    sweep sees were claimed by an earlier sweep, and a failed insert per item
    per hour would be waste."""
    if not items:
        return set()
    return set(
        ReminderLedger.objects.filter(
            organisation=organisation,
            kind__in={item.kind for item in items},
            object_id__in={str(item.obj.pk) for item in items},
        ).values_list("kind", "object_type", "object_id", "stage", "due_on")
    )


def _claim_all(rows: list[ReminderLedger]) -> list[ReminderLedger]:
    """Insert the ledger rows in one statement per thousand, skipping any whose
    key is already there; return those this call inserted, with their ids.

    INSERT ... ON CONFLICT DO NOTHING is the same claim as _claim's, made in
    bulk: on PostgreSQL an insert racing another sweep's uncommitted row waits
    for it, then skips the row if it committed. Rows go in key order, so two
    sweeps inserting the same keys wait for each other in one order, never in a
    cycle.
    """
    quote = connection.ops.quote_name
    # Every column but the id, which the database gives.
    fields = [field for field in ReminderLedger._meta.concrete_fields if not field.primary_key]
    column = {field.name: quote(field.column) for field in ReminderLedger._meta.concrete_fields}
    key = ["kind", "object_type", "object_id", "stage", "due_on"]
    columns = ", ".join(column[field.name] for field in fields)
    conflict = ", ".join(column[name] for name in key)
    returning = ", ".join(column[name] for name in ["id", *key])
    by_key = {_row_key(row): row for row in rows}
    ordered = [by_key[k] for k in sorted(by_key)]
    claimed: list[ReminderLedger] = []
    for start in range(0, len(ordered), 1000):
        batch = ordered[start : start + 1000]
        values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * len(batch))
        params = [
            field.get_db_prep_save(getattr(row, field.attname), connection)
            for row in batch
            for field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(ReminderLedger._meta.db_table)} ({columns}) "  # noqa: S608 - our own table and columns
                f"VALUES {values} ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                params,
            )
            inserted = cursor.fetchall()
        for pk, *row_key in inserted:
            row = by_key[_text_key(row_key)]
            row.pk = pk
            row._state.adding = False
            row._state.db = connection.alias
            claimed.append(row)
    return claimed


def _text_key(values: Sequence[object]) -> tuple[str, ...]:
    # SQLite returns the date as text, PostgreSQL as a date: compare them as text.
    return tuple(str(value) for value in values)


def _row_key(row: ReminderLedger) -> tuple[str, ...]:
    return _text_key([row.kind, row.object_type, row.object_id, row.stage, row.due_on])


def _sweep_organisation(
    organisation: Organisation,
    provider: Provider,
    now: dt.datetime,
    dry_run: bool,
    result: SweepResult,
) -> None:
    tz = _tz(organisation)
    items = list(provider(organisation=organisation, now=now))
    claimed_before = _claimed_keys(organisation, items)
    waiting: dict[tuple[str, ...], tuple[ReminderLedger, DueItem, list[User]]] = {}
    for item in items:
        result.due += 1
        recipients = _recipients(item, organisation)
        key = _key(item, tz)
        if key in claimed_before:
            result.skipped += 1
            continue
        if not recipients:
            # Not claimed, so it is raised as soon as someone can receive it.
            log.warning("%s for %s has no active recipient", item.kind, organisation.slug)
            continue
        row = _ledger_row(item, organisation, key)
        if _row_key(row) in waiting:
            result.skipped += 1  # the provider named it twice: once is the claim
            continue
        waiting[_row_key(row)] = (row, item, recipients)
    if dry_run:
        result.claimed += len(waiting)
        return
    if not waiting:
        return
    try:
        with transaction.atomic():
            # The claims and their notices commit together: a claim is never left
            # without the notices it stands for.
            claimed = _claim_all([row for row, _, _ in waiting.values()])
            notices = Notice.objects.bulk_create(
                [
                    notice
                    for row in claimed
                    for notice in _notices(row, *waiting[_row_key(row)][1:])
                ],
                batch_size=1000,
            )
    except DatabaseError:
        # One item the database refuses must not hold back the others, sweep
        # after sweep: claim them one at a time, and skip only that one.
        log.exception(
            "Claiming %s's reminders in bulk failed; claiming them one by one", organisation.slug
        )
        _claim_one_by_one(
            organisation, [(item, people) for _, item, people in waiting.values()], result
        )
        return
    result.claimed += len(claimed)
    result.skipped += len(waiting) - len(claimed)  # another sweep got there first
    result.urgent_notices += [notice.pk for notice in notices if notice.urgent]


def _claim_one_by_one(
    organisation: Organisation, items: list[tuple[DueItem, list[User]]], result: SweepResult
) -> None:
    for item, recipients in items:
        try:
            with transaction.atomic():
                ledger = _claim(item, organisation)
                if ledger is None:
                    result.skipped += 1  # another sweep got there first
                    continue
                notices = _notify(ledger, item, recipients)
        except DatabaseError:
            log.exception("Reminder %s for %s could not be claimed", item.kind, organisation.slug)
            result.failed += 1
            continue
        result.claimed += 1
        result.urgent_notices += [notice.pk for notice in notices if notice.urgent]


def sweep(*, now: dt.datetime | None = None, dry_run: bool = False) -> SweepResult:
    """Claim whatever is due now and create its notices. Sends nothing itself.

    One organisation's bad data or one provider's bug is logged and skipped; it
    never stops the reminders of everyone else.
    """
    now = now or timezone.now()
    result = SweepResult()
    for organisation in Organisation.objects.order_by("pk"):
        for provider in providers():
            try:
                _sweep_organisation(organisation, provider, now, dry_run, result)
            except Exception:
                log.exception(
                    "Reminder provider %s failed for %s", provider.__name__, organisation.slug
                )
                result.failed += 1
    if not dry_run:
        result.digests = digests_claim(now=now)
        # Urgent notices from earlier sweeps whose email has not gone yet (the
        # broker was down, the worker died): try again.
        result.urgent_notices = sorted(
            set(result.urgent_notices)
            | set(
                Notice.objects.filter(
                    urgent=True, emailed_at__isnull=True, recipient__is_active=True
                )
                # Those raised through the outbox are retried, and reported, there.
                .exclude(pk__in=_in_outbox())
                .values_list("pk", flat=True)
            )
        )
    return result


def _in_outbox() -> models.QuerySet:
    return (
        OutboundMessage.objects.filter(
            purpose_type__app_label="notices", purpose_type__model="notice"
        )
        .annotate(notice_id=Cast("purpose_id", models.BigIntegerField()))
        .values("notice_id")
    )


def urgent_notices_about(obj: models.Model) -> models.QuerySet[Notice]:
    """The urgent notices raised about ``obj`` (a concern), to show whether each was emailed."""
    return Notice.objects.filter(
        urgent=True, ledger__object_type=obj._meta.label_lower, ledger__object_id=str(obj.pk)
    ).select_related("recipient")


def digests_claim(*, now: dt.datetime) -> list[int]:
    """Claim today's digest for everyone with notices waiting, once the local
    digest hour has passed; return the ids of digests not yet sent."""
    waiting = (
        # A notice already read in the portal needs no email.
        Notice.objects.filter(
            urgent=False, emailed_at__isnull=True, read_at__isnull=True, recipient__is_active=True
        )
        .order_by()  # Meta.ordering would otherwise make DISTINCT per notice
        .values_list("recipient_id", "organisation__timezone")
        .distinct()
    )
    for recipient_id, tz_name in waiting:
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(tz_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            log.error("Organisation timezone %r is not valid; using UTC", tz_name)
            local = now.astimezone(dt.UTC)
        if local.hour < DIGEST_HOUR:
            continue
        DigestLedger.objects.bulk_create(
            [DigestLedger(recipient_id=recipient_id, local_date=local.date())],
            ignore_conflicts=True,
        )
    return list(DigestLedger.objects.filter(sent_at__isnull=True).values_list("pk", flat=True))


def _locked(queryset: models.QuerySet) -> models.QuerySet:
    """Rows another worker is sending right now are skipped, not waited for."""
    if connection.features.has_select_for_update_skip_locked:
        # of=self: lock only these rows, not the recipient and organisation rows
        # joined in, or one send would make every other send for that person skip.
        return queryset.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return queryset  # SQLite: IMMEDIATE transactions already serialise writers


def _absolute(url: str) -> str:
    return settings.SITE_URL + url


def digest_send(*, digest_id: int) -> int:
    """Send one digest: every waiting non-urgent notice of its recipient, in one
    email. Returns how many notices it carried (0 when there was nothing to do)."""
    with transaction.atomic():
        digest = _locked(
            DigestLedger.objects.filter(pk=digest_id, sent_at__isnull=True).select_related(
                "recipient", "recipient__organisation"
            )
        ).first()
        if digest is None:
            return 0  # sent already, or another worker is sending it now
        user = digest.recipient
        notices = list(
            _locked(
                Notice.objects.filter(
                    recipient=user,
                    organisation_id=user.organisation_id,
                    urgent=False,
                    emailed_at__isnull=True,
                    read_at__isnull=True,
                ).order_by("due_at", "pk")
            )
        )
        now = timezone.now()
        if not user.is_active:
            notices = []  # left since the digest was claimed: they get nothing
        if notices:
            context = {
                "user": user,
                "organisation": user.organisation,
                "notices": [(n, _absolute(n.url)) for n in notices],
                "notices_url": _absolute("/notices/"),
            }
            # Sent while the rows are locked and before they are marked: if this
            # raises, or the process dies, nothing is marked and a later attempt
            # sends them.
            send_email(
                to=user.email,
                subject=ngettext(
                    "Safeguard: %(count)d reminder for %(organisation)s",
                    "Safeguard: %(count)d reminders for %(organisation)s",
                    len(notices),
                )
                % {"count": len(notices), "organisation": user.organisation.name},
                template="reminder_digest",
                context=context,
                tz=_tz(user.organisation),
            )
            Notice.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
        digest.sent_at = now
        digest.notice_count = len(notices)
        digest.save(update_fields=["sent_at", "notice_count"])
        return len(notices)


def urgent_send(*, notice_id: int) -> bool:
    """Email one urgent notice now. False when it was sent already."""
    with transaction.atomic():
        notice = _locked(
            Notice.objects.filter(pk=notice_id, emailed_at__isnull=True).select_related(
                "recipient", "organisation"
            )
        ).first()
        if notice is None or not notice.recipient.is_active:
            return False
        context = {
            "user": notice.recipient,
            "notice": notice,
            "link": _absolute(notice.url),
            "organisation": notice.organisation,
        }
        send_email(
            to=notice.recipient.email,
            subject=urgent_subject(notice),
            template="reminder_urgent",
            context=context,
            tz=_tz(notice.organisation),
        )
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        return True


def deliver(result: SweepResult) -> SweepResult:
    """Send, in this process, everything a sweep left to send (the command's path;
    the Celery path queues one task per email instead). One failure is logged
    and counted; the rest still go, and the next sweep retries the failure."""
    for notice_id in result.urgent_notices:
        try:
            result.sent += urgent_send(notice_id=notice_id)
        except Exception:
            log.exception("Urgent reminder %s not sent; the next sweep retries it", notice_id)
            result.failed += 1
    for digest_id in result.digests:
        try:
            result.sent += bool(digest_send(digest_id=digest_id))
        except Exception:
            log.exception("Digest %s not sent; the next sweep retries it", digest_id)
            result.failed += 1
    return result
