"""The online-practice registers: platforms and their risk assessments, work
devices and their yearly attestations, and the contact log's rules."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from practice import services
from practice.forms import (
    AccountForm,
    AssessmentForm,
    AttestationForm,
    DeviceForm,
    PlatformForm,
    SettingsForm,
    TaskDoneForm,
)
from practice.permissions import (
    accounts_visible_to,
    devices_visible_to,
    get_account_for_user,
    get_device_for_user,
    get_platform_for_user,
    get_task_for_user,
    keeps_registers,
    platforms_visible_to,
    tasks_visible_to,
)


def _errors(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _form_page(
    request: HttpRequest, form: BaseForm, title: str, intro: str, back: str, button: str = "Save"
) -> HttpResponse:
    return render(
        request,
        "practice/form.html",
        {
            "form": form,
            "title": title,
            "intro": intro,
            "back": back,
            "button": button,
        },
    )


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
            "rules": services.settings_for(user.organisation),
            "accounts": [(a, a.problems(today)) for a in accounts],
            "tasks": tasks_visible_to(user).select_related("owner"),
        },
    )


def platform_add(request: AuthedRequest) -> HttpResponse:
    if not keeps_registers(request.user):
        raise PermissionDenied
    form = PlatformForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.platform_add(
                organisation=request.user.organisation,
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "Platform added. Record its risk assessment to approve it.")
            return redirect("practice_home")
    return _form_page(
        request,
        form,
        "Add a platform",
        "A platform is not approved until it has a current risk assessment.",
        "practice_home",
    )


def platform_assess(request: AuthedRequest, pk: int) -> HttpResponse:
    platform = get_platform_for_user(request.user, pk)
    if not keeps_registers(request.user):
        raise PermissionDenied
    form = AssessmentForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.platform_assess(
                platform=platform, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"Risk assessment of {platform.name} recorded.")
            return redirect("practice_home")
    return _form_page(
        request,
        form,
        f"Risk assessment: {platform.name}",
        "Assessed yearly: who can join, how links are shared, recording, chat, "
        "and how the platform keeps children safe.",
        "practice_home",
    )


@require_POST
def platform_approval(request: AuthedRequest, pk: int) -> HttpResponse:
    platform = get_platform_for_user(request.user, pk)
    if not keeps_registers(request.user):
        raise PermissionDenied
    approve = request.POST.get("approved") == "1"
    try:
        services.platform_approval_set(
            platform=platform, approved=approve, by=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{platform.name} is {'approved' if approve else 'withdrawn'}.")
    return redirect("practice_home")


def device_add(request: AuthedRequest) -> HttpResponse:
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_register(
                staff=request.user, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "Device registered. Attest it before using it.")
            return redirect("practice_home")
    return _form_page(
        request,
        form,
        "Register a work device",
        "Only the work phone or device the organisation gave you; describe it, nothing is tracked.",
        "practice_home",
    )


def device_attest(request: AuthedRequest, pk: int) -> HttpResponse:
    device = get_device_for_user(request.user, pk)
    form = AttestationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_attest(
                device=device, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"{device.description} attested for a year.")
            return redirect("practice_home")
    return _form_page(
        request,
        form,
        f"Attest: {device.description}",
        "Each year, confirm the device is protected and kept from others.",
        "practice_home",
        button="Attest",
    )


def practice_settings(request: AuthedRequest) -> HttpResponse:
    if not keeps_registers(request.user):
        raise PermissionDenied
    current = services.settings_for(request.user.organisation)
    names = list(SettingsForm.base_fields)
    form = SettingsForm(
        request.POST or None, initial={name: getattr(current, name) for name in names}
    )
    if request.method == "POST" and form.is_valid():
        services.practice_settings_update(
            organisation=request.user.organisation,
            by=request.user,
            request=request,
            **form.cleaned_data,
        )
        messages.success(request, "Contact log rules saved.")
        return redirect("practice_home")
    return _form_page(
        request,
        form,
        "Contact log rules",
        "Each rule is on unless you turn it off. Contact outside the working day "
        "(Monday to Friday) is flagged to the DSL.",
        "practice_home",
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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_save(
                organisation=request.user.organisation,
                by=request.user,
                account=account,
                request=request,
                platform=data["platform"],
                handle=data["handle"],
                privacy=data["privacy"],
                holders=list(data["holders"]),
                monitors=list(data["monitors"]),
                advice_on=data["advice_on"],
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, "Online account saved.")
            return redirect("practice_home")
    title = f"Change {account}" if account else "Add an online account"
    return _form_page(
        request,
        form,
        title,
        "At least two members of staff hold access and at least two monitor it; "
        "the DSL advises on safeguarding each year.",
        "practice_home",
    )


def task_done(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    form = TaskDoneForm(request.POST or None, initial={"done_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.task_complete(task=task, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, f"{task.title} recorded as done.")
            return redirect("practice_home")
    return _form_page(
        request,
        form,
        f"Done: {task.title}",
        f"Next due {task.next_due:%-d %B %Y}; recording it moves the next one on "
        f"{task.cycle_months} months.",
        "practice_home",
        button="Record as done",
    )
