"""The media use log and the do-not-use list: each use of a child's photo,
video or name, checked against the consent in force that day, and the
children whose photos and name may not be used now, from the consent state.

A use is always recorded, whatever the consent said (a rule never refuses to
record what happened): without consent it is flagged with the reason staff
give, and the DSL and deputies are told at once.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from audit import services as audit
from children.models import Child, ChildGuardian, ChildQuerySet
from consent.gate import ConsentState, consent_check, state_from_records
from consent.models import (
    ConsentRecord,
    ConsentType,
    MediaUse,
    MediaUseKind,
    MediaUsePlace,
    TakedownTask,
)
from consent.wording import consent_types_ensure
from notices import engine as reminders

K, P = MediaUseKind, MediaUsePlace

# The consent each use needs. There is no consent to use a child's name
# outside their records: the photo consents' wording promises the full name is
# never printed or posted beside a photo, so a name in print or online needs
# at least the consent for a photo there, and is flagged without it. A child's
# name in their own records needs no consent (None).
MEDIA_USE_CONSENT: dict[tuple[str, str], str | None] = {
    (K.PHOTO, P.RECORDS): "photos_internal",
    (K.VIDEO, P.RECORDS): "photos_internal",
    (K.NAME, P.RECORDS): None,
    (K.PHOTO, P.PRINT): "photos_print",
    (K.VIDEO, P.PRINT): "photos_print",
    (K.NAME, P.PRINT): "photos_print",
    (K.PHOTO, P.WEBSITE): "photos_online",
    (K.VIDEO, P.WEBSITE): "photos_online",
    (K.NAME, P.WEBSITE): "photos_online",
    (K.PHOTO, P.SOCIAL): "photos_online",
    (K.VIDEO, P.SOCIAL): "photos_online",
    (K.NAME, P.SOCIAL): "photos_online",
}

# What the do-not-use list says is not allowed when each consent is not in force.
USES_NEEDING: dict[str, str] = {
    "photos_internal": "Photos or video in our own records",
    "photos_print": "Photos, video or name in printed material",
    "photos_online": "Photos, video or name on our website or social media",
}

REASON_REQUIRED = (
    "Consent was not in force that day. Say why it was used anyway; the DSL will be told."
)


def _end_of_day(day: dt.date, organisation: Organisation) -> dt.datetime:
    """The last moment of that day on the organisation's clock."""
    zone = zoneinfo.ZoneInfo(organisation.timezone)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max), zone)


@transaction.atomic
def media_use_record(
    *,
    child: Child,
    kind: str,
    where: str,
    description: str,
    used_on: dt.date,
    reason_if_not_allowed: str,
    by: User,
) -> MediaUse:
    """Log a use, judged by the consent recorded by the end of the day it was used."""
    if (kind, where) not in MEDIA_USE_CONSENT:
        raise ValidationError({"where": "Choose what was used and where."})
    if used_on > timezone.localdate():
        raise ValidationError({"used_on": "The date used cannot be in the future."})
    code = MEDIA_USE_CONSENT[(kind, where)]
    consent_type = None
    if code is None:
        allowed, reason = True, "No consent needed: a child's name in their own records."
    else:
        consent_types_ensure(organisation=child.organisation)
        consent_type = ConsentType.objects.filter(
            organisation=child.organisation, code=code
        ).first()
        if consent_type is None:
            allowed, reason = False, f"There is no consent type {code!r} to check."
        else:
            gate = consent_check(
                child=child,
                consent_type=consent_type,
                on=used_on,
                at=min(timezone.now(), _end_of_day(used_on, child.organisation)),
            )
            allowed, reason = gate.allowed, gate.reason
    reason_if_not_allowed = reason_if_not_allowed.strip()
    if not allowed and not reason_if_not_allowed:
        raise ValidationError({"reason_if_not_allowed": f"{reason} {REASON_REQUIRED}"})
    use = MediaUse.objects.create(
        organisation=child.organisation,
        child=child,
        kind=kind,
        where=where,
        description=description,
        used_on=used_on,
        recorded_by=by,
        consent_type=consent_type,
        consent_allowed=allowed,
        consent_reason=reason[:300],
        reason_if_not_allowed="" if allowed else reason_if_not_allowed,
    )
    audit.record(
        action="consent.media_use_logged",
        actor=by,
        obj=child,
        details={
            "use": use.pk,
            "kind": kind,
            "where": where,
            "used_on": used_on.isoformat(),
            "consent": code,
            "allowed": allowed,
        },
    )
    if not allowed:
        reminders.notify_now(
            organisation=child.organisation,
            item=reminders.DueItem(
                kind="consent.media_use_without_consent",
                obj=use,
                stage="logged",
                recipients=list(User.objects.of(child.organisation).leads()),
                due_at=timezone.now(),
                title=(
                    f"{use.get_kind_display()} of {child.display_name} used without consent "
                    f"({use.get_where_display().lower()}, {used_on:%-d %b %Y}), "
                    f"logged by {by.full_name}"
                ),
                url=reverse("consent_media_uses", args=[child.pk]),
                urgent=True,
            ),
        )
    return use


def takedown_uses(task: TakedownTask) -> QuerySet[MediaUse]:
    """The logged uses a takedown must remove: the child's uses that needed the
    withdrawn consent and are still up."""
    return MediaUse.objects.filter(
        child_id=task.child_id,
        consent_type_id=task.record.consent_type_id,
        removed_on__isnull=True,
    ).order_by("used_on", "pk")


def takedown_uses_removed(*, task: TakedownTask, by: User) -> list[int]:
    """Mark a closed takedown's uses removed, inside the caller's transaction."""
    uses = list(takedown_uses(task).select_for_update(no_key=True).values_list("pk", flat=True))
    MediaUse.objects.filter(pk__in=uses).update(removed_on=timezone.localdate(), removed_by=by)
    return uses


# --- the do-not-use list -------------------------------------------------------------


@dataclass(frozen=True)
class NotAllowed:
    uses: str
    consent_type: ConsentType
    state: ConsentState
    since: dt.date | None  # None: consent was never given


@dataclass(frozen=True)
class DoNotUse:
    child: Child
    not_allowed: list[NotAllowed]


def _since(state: ConsentState) -> dt.date | None:
    record = state.record
    if record is None:
        return None
    if state.state == "expired" and record.valid_until is not None:
        return record.valid_until + dt.timedelta(days=1)
    return timezone.localdate(record.recorded_at)


def do_not_use_list(*, children: ChildQuerySet, organisation: Organisation) -> list[DoNotUse]:
    """Every child still being seen whose photos, video or name may not be used
    somewhere today, and since when: consent refused, withdrawn, disputed,
    expired or never given. Derived from the records on every reading, so it
    follows each withdrawal and refusal the moment it is recorded."""
    today = timezone.localdate()
    # Made first if need be: with no consent types there is no consent, and an
    # empty list would say every child's photos may be used. A type no longer
    # asked for (inactive) still counts: nobody can grant it now.
    consent_types_ensure(organisation=organisation)
    types = list(ConsentType.objects.filter(organisation=organisation, code__in=USES_NEEDING))
    kids = list(children.active(today).order_by("last_name", "first_name", "pk"))
    if not kids or not types:
        return []
    records: dict[tuple[int, int], list[ConsentRecord]] = defaultdict(list)
    for record in ConsentRecord.objects.filter(child__in=kids, consent_type__in=types).order_by(
        "recorded_at", "pk"
    ):
        records[(record.child_id, record.consent_type_id)].append(record)
    with_pr: dict[int, set[int]] = defaultdict(set)
    for child_id, guardian_id in ChildGuardian.objects.filter(
        child__in=kids, parental_responsibility=True
    ).values_list("child_id", "guardian_id"):
        with_pr[child_id].add(guardian_id)
    rows = []
    for child in kids:
        not_allowed = []
        for consent_type in types:
            state = state_from_records(
                records[(child.pk, consent_type.pk)], with_pr[child.pk], today
            )
            if state.state != "granted":
                not_allowed.append(
                    NotAllowed(USES_NEEDING[consent_type.code], consent_type, state, _since(state))
                )
        if not_allowed:
            rows.append(DoNotUse(child, not_allowed))
    return rows
