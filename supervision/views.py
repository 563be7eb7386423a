"""Supervision pages. Every page that shows a session, or lists sessions, writes
an audit event first, as the incident log's pages do."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.http import AuthedRequest
from accounts.models import LEAD_ROLES, User
from audit import services as audit
from children.permissions import children_visible_to
from common.views import form_step
from supervision import forms as supervision_forms
from supervision import services
from supervision.permissions import (
    actions_visible_to,
    get_action_for_user,
    get_session_for_user,
    get_staff_for_user,
    leads_supervision,
    require_lead,
    sessions_visible_to,
    supervised_staff,
)
from supervision.selectors import default_every_weeks, staff_supervision


def supervision_staff(request: AuthedRequest) -> HttpResponse:
    """For the leads: everyone supervised, how often, when last and when next."""
    user = request.user
    require_lead(user)
    audit.record(action="supervision.staff_listed", actor=user, organisation=user.organisation)
    return render(
        request,
        "supervision/staff_list.html",
        {
            "rows": sorted(
                staff_supervision(organisation=user.organisation),
                key=lambda row: (row.next_due, row.staff.full_name),
            ),
            "default_weeks": default_every_weeks(user.organisation),
            "today": timezone.localdate(),
        },
    )


def supervision_staff_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """For the leads: one member of staff's sessions and the actions they own."""
    staff = get_staff_for_user(request.user, pk)
    (row,) = staff_supervision(
        organisation=request.user.organisation, staff=User.objects.filter(pk=staff.pk)
    )
    audit.record(action="supervision.staff_viewed", actor=request.user, obj=staff)
    return render(
        request,
        "supervision/staff_detail.html",
        {
            "row": row,
            "staff": staff,
            "sessions": sessions_visible_to(request.user)
            .filter(supervisee=staff)
            .select_related("supervisor"),
            "actions": actions_visible_to(request.user)
            .filter(owner=staff)
            .select_related("session", "done_by"),
            "leads": True,
            "today": timezone.localdate(),
        },
    )


def supervision_mine(request: AuthedRequest) -> HttpResponse:
    """Anyone's own: the sessions they were supervised in and the actions they own."""
    user = request.user
    audit.record(action="supervision.own_viewed", actor=user, organisation=user.organisation)
    rows = staff_supervision(
        organisation=user.organisation, staff=supervised_staff(user).filter(pk=user.pk)
    )
    return render(
        request,
        "supervision/supervision_mine.html",
        {
            "row": rows[0] if rows else None,
            "sessions": sessions_visible_to(user)
            .filter(supervisee=user)
            .select_related("supervisor"),
            "actions": actions_visible_to(user)
            .filter(owner=user)
            .select_related("session", "done_by"),
            "leads": leads_supervision(user),
            "today": timezone.localdate(),
        },
    )


def session_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_lead(user)
    organisation = user.organisation
    people = User.objects.of(organisation).active()
    staff = supervised_staff(user)
    initial: dict[str, Any] = {"supervisor": user, "held_on": timezone.localdate()}
    wanted = request.GET.get("staff", "")
    if request.method == "GET" and wanted.isascii() and wanted.isdigit():
        initial["supervisee"] = staff.filter(pk=int(wanted)).first()
    form = supervision_forms.SessionForm(
        request.POST or None,
        initial=initial,
        leads=people.filter(role__in=LEAD_ROLES),
        staff=staff,
        children=children_visible_to(user).order_by("first_name", "last_name", "pk"),
        owners=people,
    )

    def record(data: dict[str, Any]) -> object:
        return services.session_record(
            by=user,
            supervisor=data["supervisor"],
            supervisee=data["supervisee"],
            held_on=data["held_on"],
            notes=data["notes"],
            discussions=form.discussions(),
            actions=form.actions(),
        )

    return form_step(
        request,
        form,
        call=record,
        then=lambda session: reverse("supervision_session", args=[session.pk]),  # type: ignore[attr-defined]  # a SupervisionSession
        title="Record a supervision session",
        intro="Each child you discussed goes on that child's chronology, with only what "
        "was said about them. Leave rows you do not need empty.",
        done="Supervision recorded.",
        back="supervision_staff",
        template="supervision/session_new.html",
    )


def session_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    audit.record(action="supervision.session_viewed", actor=request.user, obj=session)
    return render(
        request,
        "supervision/session_detail.html",
        {
            "session": session,
            "discussions": session.children_discussed.select_related("child"),
            "actions": session.actions.select_related("owner", "done_by"),
            "leads": leads_supervision(request.user),
        },
    )


def action_done(request: AuthedRequest, pk: int) -> HttpResponse:
    action = get_action_for_user(request.user, pk)
    back = (
        reverse("supervision_session", args=[action.session_id])
        if sessions_visible_to(request.user).filter(pk=action.session_id).exists()
        else reverse("supervision_mine")
    )
    return form_step(
        request,
        supervision_forms.ActionDoneForm(request.POST or None),
        call=lambda data: services.action_done(action=action, by=request.user, **data),
        then=back,
        title="Mark an action done",
        caption=action.what,
        intro=f"Agreed in supervision on {action.session.held_on:%-d %B %Y}, due by "
        f"{action.due_on:%-d %B %Y}. Marking it done stops its reminders.",
        done="Action marked done.",
        back=back,
        button="Mark done",
    )


def cadence_set(request: AuthedRequest, pk: int) -> HttpResponse:
    staff = get_staff_for_user(request.user, pk)
    (row,) = staff_supervision(
        organisation=request.user.organisation, staff=User.objects.filter(pk=staff.pk)
    )
    here = reverse("supervision_staff_detail", args=[staff.pk])
    return form_step(
        request,
        supervision_forms.CadenceForm(
            request.POST or None, initial={"every_weeks": row.every_weeks}
        ),
        call=lambda data: services.cadence_set(staff=staff, by=request.user, **data),
        then=here,
        title="How often they are supervised",
        caption=staff.full_name,
        done="Saved.",
        back=here,
    )


def supervision_settings(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_lead(user)
    return form_step(
        request,
        supervision_forms.SettingsForm(
            request.POST or None,
            initial={"default_every_weeks": default_every_weeks(user.organisation)},
        ),
        call=lambda data: services.settings_update(organisation=user.organisation, by=user, **data),
        then="supervision_staff",
        title="Supervision settings",
        done="Saved.",
        back="supervision_staff",
    )
