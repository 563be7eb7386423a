"""Recording supervision: a session with the children discussed and the actions
agreed, marking an action done, and how often each member of staff is supervised."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import LEAD_ROLES, Organisation, User
from audit import services as audit
from children.models import Child
from supervision.models import (
    SUPERVISED_ROLES,
    ChildDiscussed,
    SupervisionAction,
    SupervisionCadence,
    SupervisionSession,
    SupervisionSettings,
)


@dataclass(frozen=True)
class Discussion:
    child: Child
    discussed: str
    agreed: str = ""


@dataclass(frozen=True)
class ActionAgreed:
    owner: User
    what: str
    due_on: dt.date


def _lead_of(user: User, organisation: Organisation) -> bool:
    return user.is_active and user.organisation_id == organisation.pk and user.role in LEAD_ROLES


@transaction.atomic
def session_record(
    *,
    by: User,
    supervisor: User,
    supervisee: User,
    held_on: dt.date,
    notes: str = "",
    discussions: Sequence[Discussion] = (),
    actions: Sequence[ActionAgreed] = (),
) -> SupervisionSession:
    """Record a session as it was held. Each child discussed goes on that
    child's chronology; each action is reminded to its owner until done."""
    organisation = by.organisation
    if not _lead_of(by, organisation):
        raise ValidationError(
            f"Only the {organisation.titles.short} or a deputy records supervision."
        )
    errors: dict[str, str] = {}
    if not _lead_of(supervisor, organisation):
        errors["supervisor"] = (
            f"Choose the {organisation.titles.short} or a deputy of your organisation."
        )
    if (
        supervisee.organisation_id != organisation.pk
        or not supervisee.is_active
        or supervisee.role not in SUPERVISED_ROLES
    ):
        errors["supervisee"] = "Choose a member of staff of your organisation."
    elif supervisee.pk == supervisor.pk:
        errors["supervisee"] = "Nobody supervises themselves: choose someone else."
    if held_on > timezone.localdate():
        errors["held_on"] = "Record a session once it has been held: the date is in the future."
    if errors:
        raise ValidationError(errors)
    children = [discussion.child for discussion in discussions]
    if any(child.organisation_id != organisation.pk for child in children):
        raise ValidationError("Choose children of your organisation.")
    if len({child.pk for child in children}) != len(children):
        raise ValidationError("Each child is discussed once per session: put it all in one box.")
    if any(not discussion.discussed.strip() for discussion in discussions):
        raise ValidationError("Say what was discussed about each child chosen.")
    for agreed in actions:
        if agreed.owner.organisation_id != organisation.pk or not agreed.owner.is_active:
            raise ValidationError("Each action's owner is a member of staff of your organisation.")
        if not agreed.what.strip():
            raise ValidationError("Say what each action is.")
    session = SupervisionSession.objects.create(
        organisation=organisation,
        supervisor=supervisor,
        supervisee=supervisee,
        held_on=held_on,
        notes=notes.strip(),
        recorded_by=by,
    )
    for discussion in discussions:
        ChildDiscussed.objects.create(
            organisation=organisation,
            session=session,
            child=discussion.child,
            discussed=discussion.discussed.strip(),
            agreed=discussion.agreed.strip(),
        )
    for agreed in actions:
        new_action = SupervisionAction(
            organisation=organisation,
            session=session,
            owner=agreed.owner,
            what=agreed.what.strip(),
            due_on=agreed.due_on,
        )
        new_action._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
        new_action.save()
    audit.record(
        action="supervision.session_recorded",
        actor=by,
        obj=session,
        details={
            "supervisee": supervisee.pk,
            "children": [child.pk for child in children],
            "actions": len(actions),
        },
    )
    return session


@transaction.atomic
def action_done(*, action: SupervisionAction, by: User, done_on: dt.date) -> SupervisionAction:
    """Its owner, or a lead, says it is done: the reminders stop."""
    action = SupervisionAction.objects.select_for_update(no_key=True).get(pk=action.pk)
    if action.done_on is not None:
        raise ValidationError(f"This action was already marked done on {action.done_on:%-d %B %Y}.")
    if by.pk != action.owner_id and not _lead_of(by, action.organisation):
        raise ValidationError(
            f"Only the action's owner, the {action.organisation.titles.short} or a deputy "
            "marks it done."
        )
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "The date it was done cannot be in the future."})
    action.done_on = done_on
    action.done_by = by
    action._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    action.save(update_fields=["done_on", "done_by"])
    audit.record(
        action="supervision.action_done",
        actor=by,
        obj=action,
        details={"session": action.session_id, "done_on": done_on.isoformat()},
    )
    return action


def _weeks(value: int, field: str) -> None:
    if not 1 <= value <= 52:
        raise ValidationError({field: "Choose between 1 and 52 weeks."})


@transaction.atomic
def cadence_set(*, staff: User, every_weeks: int, by: User) -> SupervisionCadence:
    if not _lead_of(by, staff.organisation):
        raise ValidationError(
            f"Only the {staff.organisation.titles.short} or a deputy sets how often someone "
            "is supervised."
        )
    _weeks(every_weeks, "every_weeks")
    cadence = SupervisionCadence.objects.select_for_update().filter(staff=staff).first()
    before = cadence.every_weeks if cadence else None
    if cadence is None:
        cadence = SupervisionCadence(organisation=staff.organisation, staff=staff)
    cadence.every_weeks = every_weeks
    cadence.set_by = by
    cadence.set_at = timezone.now()
    cadence._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    cadence.save()
    audit.record(
        action="supervision.cadence_set",
        actor=by,
        obj=staff,
        details={"from": before, "to": every_weeks},
    )
    return cadence


def settings_for(organisation: Organisation) -> SupervisionSettings:
    settings, _ = SupervisionSettings.objects.get_or_create(organisation=organisation)
    return settings


@transaction.atomic
def settings_update(
    *, organisation: Organisation, default_every_weeks: int, by: User
) -> SupervisionSettings:
    if not _lead_of(by, organisation):
        raise ValidationError(
            f"Only the {organisation.titles.short} or a deputy changes supervision settings."
        )
    _weeks(default_every_weeks, "default_every_weeks")
    settings = settings_for(organisation)
    before = settings.default_every_weeks
    settings.default_every_weeks = default_every_weeks
    settings._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
    settings.save()
    audit.record(
        action="supervision.settings_changed",
        actor=by,
        organisation=organisation,
        details={"default_every_weeks": [before, default_every_weeks]},
    )
    return settings
