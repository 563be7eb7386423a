"""The online-practice registers: platforms and their risk assessments, work
devices and their yearly attestations, and the contact log's rules."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from audit import services as audit
from children.models import Child
from children.permissions import get_child_for_user
from common.forms import service_errors_onto
from common.private_files import private_download
from common.views import form_step
from consent.wording import consent_types_ensure
from practice import contact_log as contact_services
from practice import services
from practice.contact_log import contact_log
from practice.forms import (
    MESSAGE_CONTENT_TYPES,
    SAFEGUARDS,
    SETTING_GROUPS,
    AccountForm,
    AssessmentForm,
    AttestationForm,
    ContactForm,
    DeviceForm,
    FollowUpDoneForm,
    PlatformForm,
    SettingsForm,
    TaskDoneForm,
    TaskForm,
    TaskRetireForm,
)
from practice.models import ContactLog, FollowUp, PracticeSettings, TaskCompletion
from practice.permissions import (
    accounts_visible_to,
    devices_visible_to,
    get_account_for_user,
    get_contact_for_user,
    get_device_for_user,
    get_follow_up_for_user,
    get_platform_for_user,
    get_task_completion_for_user,
    get_task_for_user,
    keeps_registers,
    manages_tasks,
    may_close_follow_up,
    plans_visible_to,
    platforms_visible_to,
    tasks_visible_to,
)


def _rules_in_force(rules: PracticeSettings) -> list[tuple[str, list[tuple[str, bool]]]]:
    """Each group of safeguards, each named as on the settings page, and
    whether it is on."""
    return [
        (
            legend,
            [
                (
                    str(SettingsForm.base_fields[name].label),
                    getattr(rules, name),
                )
                for name in names
                if name in SAFEGUARDS
            ],
        )
        for legend, names in SETTING_GROUPS
    ]


def practice_home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    platforms = list(platforms_visible_to(user).prefetch_related("assessments__assessed_by"))
    rows = [(platform, platform.current_assessment(today)) for platform in platforms]
    devices = list(
        devices_visible_to(user).select_related("staff").prefetch_related("attestations")
    )
    accounts = list(accounts_visible_to(user).prefetch_related("holders", "monitors"))
    return render(
        request,
        "practice/home.html",
        {
            "rows": rows,
            "devices": [(d, d.attested_until()) for d in devices],
            "today": today,
            "keeps": keeps_registers(user),
            "rules": (settings := services.settings_for(user.organisation)),
            "rules_in_force": _rules_in_force(settings),
            "accounts": [(a, a.problems(today)) for a in accounts],
            "tasks": tasks_visible_to(user).select_related("owner"),
            "manages_tasks": manages_tasks(user),
        },
    )


def platform_add(request: AuthedRequest) -> HttpResponse:
    if not keeps_registers(request.user):
        raise PermissionDenied
    return form_step(
        request,
        PlatformForm(request.POST or None),
        call=lambda data: services.platform_add(
            organisation=request.user.organisation, by=request.user, **data
        ),
        then="practice_home",
        done="Platform added. Record its risk assessment to approve it.",
        title="Add a platform",
        intro="A platform is not approved until it has a current risk assessment.",
        back="practice_home",
    )


def platform_assess(request: AuthedRequest, pk: int) -> HttpResponse:
    platform = get_platform_for_user(request.user, pk)
    if not keeps_registers(request.user):
        raise PermissionDenied
    return form_step(
        request,
        AssessmentForm(request.POST or None, initial={"assessed_on": timezone.localdate()}),
        call=lambda data: services.platform_assess(platform=platform, by=request.user, **data),
        then="practice_home",
        done=f"Risk assessment of {platform.name} recorded.",
        title=f"Risk assessment: {platform.name}",
        intro="Assessed yearly: who can join, how links are shared, recording, chat, "
        "and how the platform keeps children safe.",
        back="practice_home",
    )


@require_POST
def platform_approval(request: AuthedRequest, pk: int) -> HttpResponse:
    platform = get_platform_for_user(request.user, pk)
    if not keeps_registers(request.user):
        raise PermissionDenied
    approve = request.POST.get("approved") == "1"
    try:
        services.platform_approval_set(platform=platform, approved=approve, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{platform.name} is {'approved' if approve else 'withdrawn'}.")
    return redirect("practice_home")


def device_add(request: AuthedRequest) -> HttpResponse:
    return form_step(
        request,
        DeviceForm(request.POST or None),
        call=lambda data: services.device_register(staff=request.user, by=request.user, **data),
        then="practice_home",
        done="Device registered. Attest it before using it.",
        title="Register a work device",
        intro="Only the work phone or device the organisation gave you; describe it, "
        "nothing is tracked.",
        back="practice_home",
    )


def device_attest(request: AuthedRequest, pk: int) -> HttpResponse:
    device = get_device_for_user(request.user, pk)
    return form_step(
        request,
        AttestationForm(request.POST or None),
        call=lambda data: services.device_attest(device=device, by=request.user, **data),
        then="practice_home",
        done=f"{device.description} attested for a year.",
        title=f"Attest: {device.description}",
        intro="Each year, confirm the device is protected and kept from others.",
        back="practice_home",
        button="Attest",
    )


def practice_settings(request: AuthedRequest) -> HttpResponse:
    if not keeps_registers(request.user):
        raise PermissionDenied
    current = services.settings_for(request.user.organisation)
    organisation = request.user.organisation
    initial = {
        name: getattr(current, name) if hasattr(current, name) else getattr(organisation, name)
        for name in SettingsForm.base_fields
    }
    form = SettingsForm(request.POST or None, initial=initial)
    return form_step(
        request,
        form,
        call=lambda data: services.practice_settings_update(
            organisation=request.user.organisation, by=request.user, **data
        ),
        then="practice_home",
        done="Online practice rules saved.",
        title="Online practice rules",
        intro="Each rule is asked before a session (\u201cmay I?\u201d answers no when a plan "
        "would break it) and applied to the contact log, which records a contact that broke "
        f"it, names the breach and tells the {request.user.organisation.titles.short}. "
        "Each hint names the policy clause the rule "
        "carries.",
        back="practice_home",
        template="practice/practice_settings.html",
    )


def account_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    # The account first: another organisation's is a 404 whoever asks.
    account = get_account_for_user(request.user, pk) if pk is not None else None
    if not keeps_registers(request.user):
        raise PermissionDenied
    initial = {}
    if account is not None:
        initial = {
            "platform": account.platform,
            "handle": account.handle,
            "privacy": account.privacy,
            "advice_on": account.advice_on,
            "holders": list(account.holders.all()),
            "monitors": list(account.monitors.all()),
        }
    form = AccountForm(
        request.POST or None, organisation=request.user.organisation, initial=initial
    )
    title = f"Change {account}" if account else "Add an online account"
    return form_step(
        request,
        form,
        call=lambda data: services.account_save(
            organisation=request.user.organisation,
            by=request.user,
            account=account,
            platform=data["platform"],
            handle=data["handle"],
            privacy=data["privacy"],
            holders=list(data["holders"]),
            monitors=list(data["monitors"]),
            advice_on=data["advice_on"],
        ),
        then="practice_home",
        done="Online account saved.",
        title=title,
        intro="At least two members of staff hold access and at least two monitor it; "
        f"the {request.user.organisation.titles.short} advises on safeguarding each year.",
        back="practice_home",
    )


def task_done(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    expected = f" Evidence: {task.evidence_expected}" if task.evidence_expected else ""
    return form_step(
        request,
        TaskDoneForm(
            request.POST or None, request.FILES or None, initial={"done_on": timezone.localdate()}
        ),
        call=lambda data: services.task_complete(task=task, by=request.user, **data),
        then=reverse("task_detail", args=[task.pk]),
        done=f"{task.title} recorded as done.",
        title=f"Done: {task.title}",
        intro=f"Next due {task.next_due:%-d %B %Y}; recording it moves the next one on "
        + ngettext("%(months)d month.", "%(months)d months.", task.cycle_months)
        % {"months": task.cycle_months}
        + " Say what was done, attach the evidence, or both."
        + expected,
        back=reverse("task_detail", args=[task.pk]),
        button="Record as done",
    )


def _task_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in services.TASK_FIELDS}


def task_add(request: AuthedRequest) -> HttpResponse:
    if not manages_tasks(request.user):
        raise PermissionDenied
    return form_step(
        request,
        TaskForm(request.POST or None, organisation=request.user.organisation),
        call=lambda data: services.task_create(
            organisation=request.user.organisation, by=request.user, **_task_fields(data)
        ),
        then=lambda task: reverse("task_detail", args=[task.pk]),  # type: ignore[attr-defined]
        done="Task added. Its owner is reminded when it falls due.",
        title="Add a recurring task",
        intro="Something a policy asks for on a cycle: who does it, how often, and what shows "
        "it was done.",
        back="practice_home",
    )


def task_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    if not manages_tasks(request.user):
        raise PermissionDenied
    initial = {name: getattr(task, name) for name in services.TASK_FIELDS}
    return form_step(
        request,
        TaskForm(
            request.POST or None,
            organisation=request.user.organisation,
            editing=True,
            initial=initial,
        ),
        call=lambda data: services.task_update(task=task, by=request.user, **_task_fields(data)),
        then=reverse("task_detail", args=[task.pk]),
        done="Task saved.",
        title=f"Change: {task.title}",
        back=reverse("task_detail", args=[task.pk]),
    )


def task_retire(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    if not manages_tasks(request.user):
        raise PermissionDenied
    return form_step(
        request,
        TaskRetireForm(request.POST or None),
        call=lambda data: services.task_retire(task=task, by=request.user, **data),
        then="tasks_retired",
        done=f"{task.title} retired. Its record and evidence are kept.",
        title=f"Retire: {task.title}",
        intro="A retired task is no longer reminded or listed as due. What was done, and its "
        "evidence, is kept and listed with the retired tasks.",
        back=reverse("task_detail", args=[task.pk]),
        button="Retire the task",
        warning=True,
    )


def task_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk, retired=None)
    return render(
        request,
        "practice/task_detail.html",
        {
            "task": task,
            "completions": task.completions.select_related("by"),
            "manages": manages_tasks(request.user),
            "today": timezone.localdate(),
        },
    )


def tasks_retired(request: AuthedRequest) -> HttpResponse:
    tasks = (
        tasks_visible_to(request.user, retired=True)
        .select_related("owner")
        .prefetch_related(
            Prefetch("completions", queryset=TaskCompletion.objects.select_related("by"))
        )
        .order_by("title", "pk")
    )
    return render(request, "practice/tasks_retired.html", {"tasks": tasks})


def task_evidence_download(request: AuthedRequest, pk: int) -> FileResponse:
    """A task's evidence file: only through this check, and every download audited."""
    completion = get_task_completion_for_user(request.user, pk)
    if not completion.evidence_file:
        raise Http404
    audit.record(
        action="practice.task_evidence_viewed",
        actor=request.user,
        obj=completion.task,
        details={"completion": completion.pk},
    )
    return private_download(
        completion.evidence_file, filename=f"task-{completion.task_id}-evidence-{completion.pk}"
    )


# --- the contact log ------------------------------------------------------------------


def contact_new(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "view")
    consent_types_ensure(organisation=child.organisation)
    form = ContactForm(
        request.POST or None,
        request.FILES or None,
        staff=request.user,
        child=child,
        initial=_from_the_plan(request, child),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["copied_staff"] = list(data["copied_staff"])
        data["copied_guardians"] = list(data["copied_guardians"])
        try:
            contact = contact_log(child=child, staff=request.user, **data)
        except ValidationError as error:
            service_errors_onto(form, error)
            if data.get("message_file") is not None:
                # Browsers never refill a file input: say so beside it, rather than
                # let the copy of the message go missing on the second save.
                form.add_error(
                    "message_file",
                    "Attach the file of the message again: it is kept only once the contact "
                    "is saved.",
                )
        else:
            messages.success(request, _saved_message(contact))
            if contact.unsolicited:
                # One step from here to a concern, if the contact worried them.
                return redirect(f"{reverse('incident_new')}?child={child.pk}")
            return redirect("child_detail", pk=child.pk)
    return render(request, "practice/contact_form.html", {"form": form, "child": child})


def _from_the_plan(request: AuthedRequest, child: Child) -> dict[str, object]:
    """ "Log this session" from a plan: the form starts from what was planned."""
    pk = request.GET.get("plan", "")
    plan = (
        plans_visible_to(request.user).filter(child=child, staff=request.user, pk=pk).first()
        if request.method == "GET" and pk.isascii() and pk.isdigit()
        else None
    )
    if plan is None:
        return {}
    return {
        "plan": plan,
        "happened_at": timezone.localtime(plan.planned_for).replace(second=0, microsecond=0),
        **{
            name: getattr(plan, name)
            for name in (
                "channel",
                "with_whom",
                "guardian",
                "purpose",
                "approved_platform",
                "device",
                "second_staff",
                "parent_present",
                "permission_from",
                "permission_at",
                "permission_for",
            )
        },
    }


def _saved_message(contact: ContactLog) -> str:
    """What the person who logged it is told: each breach by name, and what follows."""
    told = list(contact.breach_messages)
    if contact.unsolicited:
        told.append("An unsolicited contact from the child.")
    if contact.camera_refused:
        told.append("The child would not switch the camera on.")
    if contact.participant_removed:
        told.append("A participant was removed.")
    message = (
        "Saved and flagged: "
        + "; ".join(m.rstrip(".") for m in told)
        + f"; the {contact.organisation.titles.short} has been told."
        if told
        else "Contact logged."
    )
    follow_up = contact.follow_ups.first()
    if follow_up is not None:
        message += (
            f" A follow-up is set for you, due {follow_up.due_on:%-d %B %Y}: {follow_up.what}."
        )
    if contact.incident_reference:
        message += (
            f" Incident {contact.incident_reference} was opened for the "
            f"{contact.organisation.titles.short} about the removed "
            "participant."
        )
    return message


def contact_message_download(request: AuthedRequest, pk: int) -> FileResponse:
    """The copy of a message kept with a contact: only through this check, never a
    public URL, and every download is in the audit log."""
    contact = get_contact_for_user(request.user, pk)
    if not contact.message_file:
        raise Http404
    audit.record(
        action="contact.message_downloaded",
        actor=request.user,
        obj=contact.child,
        details={"contact": contact.pk},
    )
    kind = contact.message_file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        contact.message_file.open("rb"),
        as_attachment=True,
        content_type=MESSAGE_CONTENT_TYPES.get(kind, "application/octet-stream"),
        filename=f"contact-{contact.pk}-message.{kind if kind in MESSAGE_CONTENT_TYPES else 'bin'}",
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def follow_up_done(request: AuthedRequest, pk: int) -> HttpResponse:
    follow_up = get_follow_up_for_user(request.user, pk)
    if not may_close_follow_up(request.user, follow_up):
        raise PermissionDenied
    child = follow_up.contact.child
    return form_step(
        request,
        FollowUpDoneForm(request.POST or None),
        call=lambda data: contact_services.follow_up_done(
            follow_up=follow_up, by=request.user, outcome=data["outcome"]
        ),
        then=reverse("child_detail", args=[child.pk]) + "#contacts",
        done=f"Follow-up marked done: {follow_up.what}.",
        title="Mark a follow-up done",
        caption=child.display_name,
        intro=f"{follow_up.what} (due {follow_up.due_on:%-d %B %Y}, "
        f"{follow_up.owner.full_name}'s to do).",
        back=reverse("child_detail", args=[child.pk]),
        button="Mark done",
    )


def child_section(request: AuthedRequest, child: Child) -> SafeString:
    """The child's recent sessions and contacts, each with what it broke, who was
    copied in and what it leaves to do, and where to log one."""
    contacts = list(
        ContactLog.objects.filter(child=child)
        .select_related("staff", "guardian", "parent_present", "second_staff")
        .prefetch_related(
            "copied_staff",
            "copied_guardians",
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.filter(done_at__isnull=True).select_related("owner"),
                to_attr="open_follow_ups",
            ),
        )[:10]
    )
    closable = {
        follow_up.pk
        for contact in contacts
        for follow_up in contact.open_follow_ups
        if may_close_follow_up(request.user, follow_up)
    }
    return render_to_string(
        "practice/child_section.html",
        {"child": child, "contacts": contacts, "closable": closable},
        request=request,
    )
