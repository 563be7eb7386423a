"""Who may see an allegation or low-level concern about a member of staff.

The organisation's DSL and deputies, and the case manager named on it. Never the
member of staff it is about, whatever their role: to them it does not exist (a
404, not a 403, which would confirm it does). Anyone of another organisation
gets a 404 too. Any member of staff may raise one, and sees nothing back.
"""

from django.db import models
from django.http import Http404

from accounts.models import LEAD_ROLES, User
from allegations.models import Allegation

ALLEGATION_PERMS = frozenset({"view", "manage"})


def _active(user: User) -> bool:
    return user.is_authenticated and user.is_active


def leads_allegations(user: User) -> bool:
    """The DSL and deputies: every allegation of their organisation but their own."""
    return _active(user) and user.role in LEAD_ROLES


def told_about(allegation: Allegation) -> list[User]:
    """Who hears of an allegation (a notice, a reminder): the people who may open
    it, that is the leads (never admins standing in for absent ones) and the case
    manager; never the person it is about."""
    leads = User.objects.of(allegation.organisation).active().filter(role__in=LEAD_ROLES)
    people = {user.pk: user for user in leads if leads_allegations(user)}
    if _active(allegation.case_manager):
        people[allegation.case_manager_id] = allegation.case_manager
    people.pop(allegation.about_id, None)
    return list(people.values())


def allegations_visible_to(user: User) -> models.QuerySet[Allegation]:
    """Allegations the user may read (and work on): never one about themselves."""
    if not _active(user):
        return Allegation.objects.none()
    own_organisation = Allegation.objects.filter(organisation_id=user.organisation_id).exclude(
        about_id=user.pk
    )
    if leads_allegations(user):
        return own_organisation
    return own_organisation.filter(case_manager_id=user.pk)


def sees_allegation_list(user: User) -> bool:
    """The list page: for the leads, and for whoever manages a case."""
    return leads_allegations(user) or allegations_visible_to(user).exists()


def get_allegation_for_user(user: User, pk: int | str, perm: str = "view") -> Allegation:
    """One allegation. Whoever may see it may also work on it ("manage": the
    log, the LADO referral, the outcome, closing): the leads and the case manager
    share the case. 404 for everyone else."""
    if perm not in ALLEGATION_PERMS:
        raise ValueError(f"unknown permission {perm!r}")
    try:
        return (
            allegations_visible_to(user)
            .select_related("organisation", "about", "raised_by", "case_manager")
            .get(pk=pk)
        )
    except (Allegation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
