"""Policy writes: drafts, approval, reviews, acknowledgements and imports.

Each is one transaction with its audit event. An approved version is never
changed; a review with no changes moves the review date on without one.
"""

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Organisation, User
from audit import services as audit
from common.queue import enqueue_on_commit
from common.registry import POLICY_PUBLISHED
from policies.models import (
    Acknowledgement,
    ChangeKind,
    Policy,
    PolicyReview,
    PolicyVersion,
    VersionStatus,
)

DUE_SOON_DAYS = 60


@dataclass(frozen=True)
class PolicyState:
    """What a policy's versions and reviews add up to today."""

    current: PolicyVersion | None
    draft: PolicyVersion | None
    review_due: dt.date | None
    status: str  # "current", "due soon", "overdue", "no approved version"


def history_prefetch(*, text: bool = True) -> list[Prefetch]:
    """A policy's versions and reviews, which its derived state is read from;
    without the versions' text (up to a long policy's worth each) for a list."""
    versions = PolicyVersion.objects.select_related("approved_by")
    return [
        Prefetch("versions", queryset=versions if text else versions.defer("body")),
        Prefetch("reviews", queryset=PolicyReview.objects.select_related("reviewed_by")),
    ]


def policy_state(policy: Policy, today: dt.date | None = None) -> PolicyState:
    """Derived, never stored. Uses prefetched versions and reviews when present."""
    today = today or timezone.localdate()
    versions = list(policy.versions.all())
    approved = [v for v in versions if v.status == VersionStatus.APPROVED]
    # The most recently approved version is current (approval order, not the
    # date typed in, which may be backdated).
    current = max(approved, key=lambda v: v.pk, default=None)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    if current is None:
        return PolicyState(None, draft, None, "no approved version")
    due = current.review_due
    if due is None:  # approval sets it; comparing None below would fail the same way
        raise TypeError(f"{current} is approved without a review date")
    for review in policy.reviews.all():
        if (
            current.approved_on is not None  # approval sets it too
            and review.reviewed_on >= current.approved_on
            and review.next_review_due > due
        ):
            due = review.next_review_due
    if due < today:
        status = "overdue"
    elif due <= today + dt.timedelta(days=DUE_SOON_DAYS):
        status = "due soon"
    else:
        status = "current"
    return PolicyState(current, draft, due, status)


def _next_label(policy: Policy) -> str:
    """The next whole version: after v2.1 (an imported label) comes v3."""
    numbers = [
        int(match.group(1))
        for label in policy.versions.values_list("label", flat=True)
        if (match := re.fullmatch(r"v(\d+)(?:\.\d+)*", label))
    ]
    return f"v{max(numbers, default=0) + 1}"


def _locked_draft(draft: PolicyVersion) -> PolicyVersion:
    """Re-read the draft under a row lock: an edit and an approval (or two
    approvals from a double click) at the same moment must not both pass."""
    locked = (
        PolicyVersion.objects.select_for_update(no_key=True, of=("self",))
        .select_related("policy")
        .get(pk=draft.pk)
    )
    if locked.status != VersionStatus.DRAFT:
        raise ValidationError("This version has already been approved; start a new review.")
    return locked


@transaction.atomic
def policy_create(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    category: str,
    body: str,
    owner: User | None = None,
    review_interval_months: int | None = None,
    audience_roles: list[str] | None = None,
    audience_parents: bool = False,
    audience_children: bool = False,
    children_age_from: int | None = None,
    children_age_to: int | None = None,
) -> PolicyVersion:
    """A new policy with its first draft (v1), to be approved."""
    if owner is not None and not (owner.organisation_id == organisation.pk and owner.is_active):
        raise ValidationError({"owner": "Choose a current member of your own staff."})
    _check_ages(audience_children, children_age_from, children_age_to)
    policy = Policy.objects.create(
        organisation=organisation,
        title=title,
        category=category,
        owner=owner,
        review_interval_months=review_interval_months,
        audience_roles=audience_roles or [],
        audience_parents=audience_parents,
        audience_children=audience_children,
        children_age_from=children_age_from if audience_children else None,
        children_age_to=children_age_to if audience_children else None,
    )
    draft = PolicyVersion.objects.create(policy=policy, label="v1", body=body, created_by=by)
    audit.record(action="policy.created", actor=by, obj=policy)
    return draft


@transaction.atomic
def draft_start(*, policy: Policy, by: User) -> PolicyVersion:
    """Start a review: a draft copied from the current version."""
    state = policy_state(policy)
    if state.draft is not None:
        raise ValidationError("A draft is already in progress for this policy.")
    body = state.current.body if state.current else ""
    body_cy = state.current.body_cy if state.current else ""
    try:
        with transaction.atomic():
            draft = PolicyVersion.objects.create(
                policy=policy, label=_next_label(policy), body=body, body_cy=body_cy, created_by=by
            )
    except IntegrityError:
        raise ValidationError("A draft is already in progress for this policy.") from None
    audit.record(
        action="policy.draft_started",
        actor=by,
        obj=policy,
        details={"version": draft.label},
    )
    return draft


@transaction.atomic
def draft_update(
    *,
    draft: PolicyVersion,
    by: User,
    body: str,
    change_summary: str,
    change_kind: str = ChangeKind.SUBSTANTIVE,
    body_cy: str = "",
) -> PolicyVersion:
    if change_kind not in ChangeKind.values:
        raise ValidationError(
            {"change_kind": "Say whether the change is substantive or editorial."}
        )
    draft = _locked_draft(draft)
    draft.body = body
    draft.body_cy = body_cy
    draft.change_summary = change_summary
    draft.change_kind = change_kind
    draft.save(update_fields=["body", "body_cy", "change_summary", "change_kind"])
    audit.record(
        action="policy.draft_changed",
        actor=by,
        obj=draft.policy,
        details={"version": draft.label, "change_kind": change_kind},
    )
    return draft


@transaction.atomic
def version_approve(
    *,
    draft: PolicyVersion,
    by: User,
    approved_on: dt.date,
    approved_by: User | None = None,
    approved_by_name: str = "",
    effective_from: dt.date | None = None,
    review_due: dt.date | None = None,
    shown_sha256: str = "",
) -> PolicyVersion:
    """Approve and publish a draft; the version before it becomes superseded.

    ``shown_sha256``, when given, is the hash of the text the approver was shown:
    if the draft changed since, nothing is approved.
    """
    draft = _locked_draft(draft)
    if shown_sha256 and shown_sha256 != draft.content_hash():
        raise ValidationError("The draft changed after you opened it. Check the text again.")
    if approved_by is None and not approved_by_name.strip():
        raise ValidationError({"approved_by_name": "Say who approved it."})
    if approved_on > timezone.localdate() or approved_on.year < 2000:
        raise ValidationError({"approved_on": "Enter the real date it was approved."})
    previous = policy_state(draft.policy).current
    if previous and previous.approved_on and approved_on < previous.approved_on:
        raise ValidationError(
            {
                "approved_on": f"It must be on or after {previous.label}'s approval, "
                f"{previous.approved_on:%-d %B %Y}."
            }
        )
    if effective_from and not (
        approved_on <= effective_from <= approved_on + relativedelta(years=1)
    ):
        raise ValidationError(
            {"effective_from": "It comes into effect between approval and a year after."}
        )
    draft.status = VersionStatus.APPROVED
    draft.approved_by = approved_by
    draft.approved_by_name = approved_by_name.strip()
    draft.approved_on = approved_on
    draft.effective_from = effective_from or approved_on
    draft.review_due = review_due or approved_on + relativedelta(
        months=draft.policy.interval_months
    )
    if not approved_on < draft.review_due <= approved_on + relativedelta(years=5):
        raise ValidationError(
            {"review_due": "The review date must be after approval and within five years."}
        )
    draft.content_sha256 = draft.content_hash()
    # The last save this row ever gets: from now on PolicyVersion.save refuses.
    draft.save()
    audit.record(
        action="policy.approved",
        actor=by,
        obj=draft.policy,
        details={
            "version": draft.label,
            "approved_on": approved_on.isoformat(),
            "review_due": draft.review_due.isoformat(),
            "sha256": draft.content_sha256,
            "change_kind": draft.change_kind,
        },
    )
    # After the commit: an approval that rolls back told nobody anything.
    from policies.tasks import policy_published

    enqueue_on_commit(policy_published, draft.pk, run_here_if_broker_down=True)
    return draft


def published(version_id: int) -> None:
    """Each app's listener for a published version (consent emails the parents)."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    for listener in POLICY_PUBLISHED.items():
        listener(version=version)


@transaction.atomic
def review_without_changes(
    *,
    policy: Policy,
    by: User,
    reviewed_on: dt.date,
    notes: str = "",
) -> PolicyReview:
    state = policy_state(policy)
    if state.current is None:
        raise ValidationError("Approve a first version before recording a review.")
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": "The review date cannot be in the future."})
    review = PolicyReview.objects.create(
        policy=policy,
        version=state.current,
        reviewed_by=by,
        reviewed_on=reviewed_on,
        next_review_due=reviewed_on + relativedelta(months=policy.interval_months),
        notes=notes,
    )
    audit.record(
        action="policy.reviewed_no_changes",
        actor=by,
        obj=policy,
        details={"version": state.current.label, "next_review_due": str(review.next_review_due)},
    )
    return review


@transaction.atomic
def acknowledge(*, version: PolicyVersion, user: User) -> Acknowledgement:
    """Record that a member of staff read this exact version (once)."""
    if version.status != VersionStatus.APPROVED:
        raise ValidationError("Only an approved version can be acknowledged.")
    ack, created = Acknowledgement.objects.get_or_create(version=version, user=user)
    if created:
        audit.record(
            action="policy.acknowledged",
            actor=user,
            obj=version.policy,
            details={"version": version.label, "sha256": version.content_sha256},
        )
    return ack


@transaction.atomic
def policy_import(
    *,
    organisation: Organisation,
    by: User,
    title: str,
    category: str,
    label: str,
    body: str,
    approved_on: dt.date,
    approved_by_name: str,
    review_due: dt.date,
    review_interval_months: int | None,
    filename: str = "",
    data: bytes = b"",
    owner: User | None = None,
    audience_roles: list[str] | None = None,
    audience_parents: bool = False,
) -> PolicyVersion:
    """An existing document, confirmed by a person, as an approved version."""
    draft = policy_create(
        organisation=organisation,
        by=by,
        title=title,
        category=category,
        body=body,
        owner=owner,
        review_interval_months=review_interval_months,
        audience_roles=audience_roles,
        audience_parents=audience_parents,
    )
    if label != "v1":
        draft.label = label
        draft.save(update_fields=["label"])
    if data:
        draft.source_file.save(filename, ContentFile(data), save=True)
    audit.record(
        action="policy.imported",
        actor=by,
        obj=draft.policy,
        details={
            "file": filename[:200],
            "version": label,
            "audience_roles": sorted(audience_roles or []),
            "audience_parents": audience_parents,
        },
    )
    return version_approve(
        draft=draft,
        by=by,
        approved_on=approved_on,
        approved_by_name=approved_by_name or "As stated in the imported document",
        review_due=review_due,
    )


CHILDREN_AGES = range(3, 19)


def _check_ages(audience_children: bool, age_from: int | None, age_to: int | None) -> None:
    if not audience_children:
        return
    errors = {}
    for field, age in (("children_age_from", age_from), ("children_age_to", age_to)):
        if age is not None and age not in CHILDREN_AGES:
            errors[field] = "Enter an age from 3 to 18."
    if not errors and age_from is not None and age_to is not None and age_from > age_to:
        errors["children_age_to"] = "The oldest age must be the same as or above the youngest."
    if errors:
        raise ValidationError(errors)


def _shown(value: object) -> object:
    """A setting as the audit log keeps it: names people can read, ids to be sure."""
    if isinstance(value, User):
        return {"id": value.pk, "name": value.full_name}
    return value


@transaction.atomic
def policy_settings_update(
    *,
    policy: Policy,
    by: User,
    category: str,
    owner: User | None,
    review_interval_months: int | None,
    audience_roles: list[str],
    audience_parents: bool,
    audience_children: bool,
    children_age_from: int | None,
    children_age_to: int | None,
    related: list[Policy],
) -> Policy:
    """Change who a policy binds and who looks after it. The title stays: it is
    part of what each version's approval hashed."""
    policy = Policy.objects.select_for_update(of=("self",)).get(pk=policy.pk)
    if owner is not None and not (
        owner.organisation_id == policy.organisation_id and owner.is_active
    ):
        raise ValidationError({"owner": "Choose a current member of your own staff."})
    if any(
        other.organisation_id != policy.organisation_id or other.pk == policy.pk
        for other in related
    ):
        raise ValidationError({"related": "Choose other policies of your own organisation."})
    _check_ages(audience_children, children_age_from, children_age_to)
    if not audience_children:
        children_age_from = children_age_to = None
    wanted = {
        "category": category,
        "owner": owner,
        "review_interval_months": review_interval_months,
        "audience_roles": sorted(audience_roles),
        "audience_parents": audience_parents,
        "audience_children": audience_children,
        "children_age_from": children_age_from,
        "children_age_to": children_age_to,
    }
    changed: dict[str, dict[str, object]] = {}
    for field, value in wanted.items():
        before = getattr(policy, field)
        if field == "audience_roles":
            before = sorted(before)
        if before != value:
            changed[field] = {"from": _shown(before), "to": _shown(value)}
            setattr(policy, field, value)
    before_related = sorted(policy.related.values_list("title", "pk"))
    after_related = sorted((other.title, other.pk) for other in related)
    if before_related != after_related:
        changed["related"] = {
            "from": [title for title, _pk in before_related],
            "to": [title for title, _pk in after_related],
        }
        policy.related.set(related)
    if not changed:
        return policy
    if fields := [field for field in changed if field != "related"]:
        policy.save(update_fields=fields)
    audit.record(
        action="policy.settings_changed", actor=by, obj=policy, details={"changed": changed}
    )
    return policy
