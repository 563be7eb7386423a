"""Consent pages: staff asking and recording; parents answering and withdrawing.

Parents have no account. A link's token is moved into the session at once and
the browser redirected, so it never stays in the address bar, history, logs or
a Referer header; GET only shows pages (mail scanners prefetch links) and POST
records.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.permissions import is_admin
from audit import services as audit
from children.models import Child
from children.permissions import children_visible_to, get_child_for_user
from common.forms import service_errors_onto
from common.pdf import pdf_response
from common.queue import enqueue_on_commit
from consent import media, parent_policies, records, services, throttle
from consent.forms import (
    ConsentAnswersForm,
    ConsentRequestForm,
    ConsentTypeForm,
    ManageLinkForm,
    MediaUseForm,
    PaperConsentForm,
    VerbalConsentForm,
)
from consent.models import ConsentRecord, ConsentRequest, GuardianAccess
from consent.permissions import (
    get_child_to_record_consent,
    get_consent_request_for_user,
    get_consent_type_for_user,
    get_takedown_for_user,
    records_consent_for,
    sees_do_not_use_list,
    sees_parents_outstanding,
)
from consent.tasks import send_manage_link
from policies import reach
from policies.models import Acknowledgement, PolicyVersion

# Session keys (names, not secrets) under which a link's token is kept.
REQUEST_TOKEN = "consent_request_token"  # noqa: S105
ACCESS_TOKEN = "consent_access_token"  # noqa: S105
# A manage link opened but not yet continued from.
PENDING_ACCESS_TOKEN = "consent_access_pending"  # noqa: S105


def parent_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Public and never cached."""
    return login_not_required(never_cache(view))


def token_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A URL that carries a token: answered with no-referrer, so the token can
    never leave in a Referer header. (The pages after the redirect keep the
    site's same-origin policy: with no-referrer browsers send "Origin: null" on
    a form POST, which Django's CSRF protection rightly refuses.)"""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return parent_page(wrapped)


# --- the child's page section ---------------------------------------------------------------


def child_section(request: AuthedRequest, child: Child) -> SafeString:
    context = {
        "child": child,
        "matrix": services.consent_matrix(child),
        "requests": ConsentRequest.objects.filter(child=child).select_related("guardian")[:20],
        "takedowns": [
            (task, [] if task.done_at else list(media.takedown_uses(task)))
            for task in child.takedown_tasks.select_related("assigned_to", "record").order_by(
                "done_at", "pk"
            )
        ],
        "records_consent": records_consent_for(request.user, child),
    }
    return mark_safe(render_to_string("consent/child_section.html", context, request=request))  # noqa: S308 - a template we render


# --- staff ------------------------------------------------------------------------------------


def request_new(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_for_user(request.user, pk, "view")
    services.consent_types_ensure(organisation=child.organisation)
    form = ConsentRequestForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.consent_request_send(
                child=child,
                guardians=list(form.cleaned_data["guardians"]),
                consent_types=list(form.cleaned_data["consent_types"]),
                by=request.user,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            # Queued, not sent: the child's page shows whether each email went.
            messages.success(
                request,
                ngettext(
                    "Consent request queued for %(count)d parent or carer. "
                    "Whether the email was sent shows under Consent requests.",
                    "Consent request queued for %(count)d parents or carers. "
                    "Whether each email was sent shows under Consent requests.",
                    len(sent),
                )
                % {"count": len(sent)},
            )
            return redirect("child_detail", pk=child.pk)
    return render(request, "consent/request_form.html", {"form": form, "child": child})


@require_POST
def request_resend(request: AuthedRequest, pk: int) -> HttpResponse:
    consent_request = get_consent_request_for_user(request.user, pk)
    try:
        services.consent_request_resend(consent_request=consent_request, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, "A new link is queued to be emailed; the old one no longer works."
        )
    return redirect("child_detail", pk=consent_request.child_id)


@require_POST
def request_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    consent_request = get_consent_request_for_user(request.user, pk)
    try:
        services.consent_request_cancel(consent_request=consent_request, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "The request was cancelled; its link no longer works.")
    return redirect("child_detail", pk=consent_request.child_id)


def verbal_new(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_to_record_consent(request.user, pk)
    services.consent_types_ensure(organisation=child.organisation)
    form = VerbalConsentForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        try:
            records.verbal_consent_record(child=child, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, "Verbal consent recorded for 7 days; a written request was sent."
            )
            return redirect("child_detail", pk=child.pk)
    return render(request, "consent/verbal_form.html", {"form": form, "child": child})


def paper_new(request: AuthedRequest, pk: int) -> HttpResponse:
    child = get_child_to_record_consent(request.user, pk)
    services.consent_types_ensure(organisation=child.organisation)
    form = PaperConsentForm(request.POST or None, request.FILES or None, child=child)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scan = data.pop("scan")
        try:
            records.paper_consent_record(
                child=child,
                by=request.user,
                scan_name=scan.name,
                scan=scan.read(records.PAPER_MAX_BYTES + 1),
                consent_types=list(data.pop("consent_types")),
                **data,
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, "Paper consent recorded.")
            return redirect("child_detail", pk=child.pk)
    return render(request, "consent/paper_form.html", {"form": form, "child": child})


def media_uses(request: AuthedRequest, pk: int) -> HttpResponse:
    """Log a use of the child's photo, video or name, and list every use logged."""
    child = get_child_for_user(request.user, pk, "view")
    form = MediaUseForm(request.POST or None, initial={"used_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            use = media.media_use_record(child=child, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            if use.consent_allowed:
                messages.success(request, "Use logged.")
            else:
                messages.warning(
                    request, "Use logged without consent in force; the DSL has been told."
                )
            return redirect("consent_media_uses", pk=child.pk)
    uses = child.media_uses.select_related("recorded_by", "consent_type", "removed_by")
    return render(request, "consent/media_uses.html", {"form": form, "child": child, "uses": uses})


def do_not_use(request: AuthedRequest) -> HttpResponse:
    """Whose photos, video or name may not be used today, and where, and since when."""
    if not sees_do_not_use_list(request.user):
        raise PermissionDenied
    rows = media.do_not_use_list(
        children=children_visible_to(request.user),
        organisation=request.user.organisation,
    )
    return render(
        request,
        "consent/do_not_use.html",
        {"rows": rows, "sees_parents_outstanding": sees_parents_outstanding(request.user)},
    )


def child_consent_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    """The consent matrix and every record behind it, for a file or a meeting."""
    child = get_child_for_user(request.user, pk, "view")
    from consent.pdf import render_child_summary_pdf

    history = list(
        ConsentRecord.objects.filter(child=child)
        .select_related("consent_type", "guardian")
        .order_by("recorded_at", "pk")
    )
    content = render_child_summary_pdf(child, services.consent_matrix(child), history)
    # Recorded once the PDF exists: a download that failed gave nobody anything.
    audit.record(action="consent.summary_downloaded", actor=request.user, obj=child)
    return pdf_response(content, f"consent-summary-{child.pk}.pdf")


def policies_outstanding(request: AuthedRequest) -> HttpResponse:
    """Parents and carers yet to agree to the parent-facing policies, with their
    children: the leads' list to chase before sessions can be planned."""
    if not sees_parents_outstanding(request.user):
        raise PermissionDenied
    return render(
        request,
        "consent/policies_outstanding.html",
        {
            "rows": reach.guardians_outstanding(request.user.organisation),
            "bindings": reach.parent_bindings(request.user.organisation),
        },
    )


def consent_types(request: AuthedRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied
    types = services.consent_types_ensure(organisation=request.user.organisation)
    return render(request, "consent/type_list.html", {"types": types})


def consent_type_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    consent_type = get_consent_type_for_user(request.user, pk, "change")
    current = consent_type.current_version()
    form = ConsentTypeForm(
        request.POST or None,
        initial={
            "explanation": current.explanation if current else "",
            "validity_months": consent_type.validity_months,
            "active": consent_type.active,
        },
    )
    if request.method == "POST" and form.is_valid():
        records.consent_type_update(consent_type=consent_type, by=request.user, **form.cleaned_data)
        messages.success(request, f"{consent_type.name} saved.")
        return redirect("consent_types")
    return render(request, "consent/type_form.html", {"form": form, "consent_type": consent_type})


@require_POST
def takedown_done(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_takedown_for_user(request.user, pk)
    try:
        services.takedown_done(task=task, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Takedown marked done.")
    return redirect("child_detail", pk=task.child_id)


# --- parents ----------------------------------------------------------------------------------


def _link_gone(request: HttpRequest) -> HttpResponse:
    return render(request, "consent/link_gone.html", status=404)


@token_link
def consent_open(request: HttpRequest, token: str) -> HttpResponse:
    if throttle.exceeded(request, "link_guess"):
        return throttle.too_many(request, "link_guess")
    if services.request_for_token(token) is None:
        # Used and expired links count too: from here they cannot be told from guesses.
        throttle.count(request, "link_guess")
        return _link_gone(request)
    # Only the hash is kept: a session store is a database too.
    request.session[REQUEST_TOKEN] = services.token_hash(token)
    return redirect("consent_sign")


@parent_page
def consent_sign(request: HttpRequest) -> HttpResponse:
    digest = request.session.get(REQUEST_TOKEN, "")
    consent_request = services.request_for_hash(digest) if digest else None
    if consent_request is None:
        if request.session.get("consent_receipt"):
            return redirect("consent_receipt")  # a second press of "Send"
        return _link_gone(request)
    items = list(consent_request.items.select_related("consent_type", "policy_version__policy"))
    policies = parent_policies.versions_to_confirm(consent_request, items)
    form = ConsentAnswersForm(request.POST or None, items=items, policy_versions=policies)
    if request.method == "POST" and form.is_valid():
        try:
            signed = services.consent_sign(
                token_digest=digest,
                answers=form.answers(),
                typed_name=form.cleaned_data["typed_name"],
                relationship=form.cleaned_data["relationship"],
                signature_png=form.cleaned_data["signature_png"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            del request.session[REQUEST_TOKEN]
            request.session["consent_receipt"] = [r.pk for r in signed.records]
            request.session["consent_receipt_policies"] = [v.pk for v in signed.policies]
            request.session[ACCESS_TOKEN] = services.token_hash(signed.manage_token)
            return redirect("consent_receipt")
    else:
        services.request_opened(consent_request)
    return render(
        request,
        "consent/sign.html",
        {
            "form": form,
            "consent_request": consent_request,
            "items": items,
            "policies": [(version, form[f"policy_{version.pk}"]) for version in policies],
        },
    )


@parent_page
def consent_receipt(request: HttpRequest) -> HttpResponse:
    ids = request.session.get("consent_receipt") or []
    records = list(ConsentRecord.objects.filter(pk__in=ids).select_related("consent_type", "child"))
    if not records:
        return _link_gone(request)
    policies = PolicyVersion.objects.filter(
        pk__in=request.session.get("consent_receipt_policies") or [],
        policy__organisation_id=records[0].organisation_id,
    ).select_related("policy")
    return render(
        request,
        "consent/receipt.html",
        {
            "records": records,
            "first": records[0],
            "policies": sorted(policies, key=lambda v: (v.policy.title.lower(), v.pk)),
        },
    )


@token_link
def manage_open(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link changes nothing (a mail scanner opens it too): the token
    goes into the session, and the parent continues with a button (a POST)."""
    if throttle.exceeded(request, "link_guess"):
        return throttle.too_many(request, "link_guess")
    access = services.access_for_token(token, expired_too=True)
    if access is None:
        throttle.count(request, "link_guess")
        return _link_gone(request)
    if access.is_expired:
        return _manage_expired(request)
    request.session[PENDING_ACCESS_TOKEN] = services.token_hash(token)
    return redirect("consent_manage_continue")


def _manage_expired(request: HttpRequest) -> HttpResponse:
    # A page of its own, not one at the link's address: that one is served with
    # no-referrer, and the form for a new link would then be refused (Origin: null).
    return redirect("consent_manage_expired")


@parent_page
def manage_expired(request: HttpRequest) -> HttpResponse:
    """Says a link expired from disuse (which the link's own page redirects here
    to say) and offers a new one. It tells nobody anything about any link."""
    return render(
        request,
        "consent/manage_expired.html",
        {"form": ManageLinkForm(), "days": settings.CONSENT_MANAGE_LINK_IDLE_DAYS},
    )


@parent_page
def manage_continue(request: HttpRequest) -> HttpResponse:
    """The one step from a link to the consents: pressing Continue is what uses
    the link (it retires the parent's older links and restarts its idle clock)."""
    digest = request.session.get(PENDING_ACCESS_TOKEN, "")
    access = services.access_for_hash(digest, expired_too=True) if digest else None
    if access is None:
        if _access(request) is not None:
            return redirect("consent_manage")  # a second press of Continue
        return _link_gone(request)
    if access.is_expired:
        return _manage_expired(request)
    if request.method == "GET" and request.session.get(ACCESS_TOKEN) == digest:
        del request.session[PENDING_ACCESS_TOKEN]
        return redirect("consent_manage")  # this browser continued from this link already
    if request.method == "POST":
        try:
            records.manage_link_open(access=access)
        except ValidationError:
            return _link_gone(request)
        del request.session[PENDING_ACCESS_TOKEN]
        request.session[ACCESS_TOKEN] = digest
        return redirect("consent_manage")
    return render(request, "consent/manage_continue.html", {"guardian": access.guardian})


def _access(request: HttpRequest) -> GuardianAccess | None:
    digest = request.session.get(ACCESS_TOKEN, "")
    return services.access_for_hash(digest) if digest else None


def _no_access(request: HttpRequest) -> HttpResponse:
    """The page for a session whose link no longer works: expired, or gone."""
    digest = request.session.get(ACCESS_TOKEN, "")
    access = services.access_for_hash(digest, expired_too=True) if digest else None
    return _manage_expired(request) if access is not None else _link_gone(request)


@parent_page
def manage_link_request(request: HttpRequest) -> HttpResponse:
    """A parent who lost their link asks for a new one by email address.

    The page does the same for every address, known or not: it queues a task
    (which looks the address up and sends, or does nothing) and answers with the
    same words, so neither the answer nor its timing tells anyone whether an
    address belongs to a parent here.
    """
    form = ManageLinkForm(request.POST or None)
    if request.method == "POST":
        if throttle.exceeded(request, "link_request"):
            return throttle.too_many(request, "link_request")
        throttle.count(request, "link_request")
        if form.is_valid():
            enqueue_on_commit(send_manage_link, form.cleaned_data["email"])
            return render(request, "consent/manage_link_sent.html")
    return render(request, "consent/manage_link_request.html", {"form": form})


@parent_page
def manage(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    if access is None:
        return _no_access(request)
    return render(
        request,
        "consent/manage.html",
        {
            "guardian": access.guardian,
            "children": services.guardian_consents(access.guardian),
            "policies_to_read": reach.guardian_unread(access.guardian),
        },
    )


@parent_page
def manage_policy(request: HttpRequest, version_pk: int) -> HttpResponse:
    """A parent-facing policy to read on the parent's own link, and agree to (a
    POST). Only a current version of their own organisation's policies opens."""
    access = _access(request)
    if access is None:
        return _no_access(request)
    binding = parent_policies.current_for_guardian(access.guardian, version_pk)
    if binding is None:
        raise Http404
    if request.method == "POST":
        try:
            parent_policies.guardian_policy_acknowledge(access=access, version=binding.current)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                f"Thank you: you have agreed to the {binding.policy.title} "
                f"({binding.current.label}).",
            )
        return redirect("consent_manage")
    agreed = (
        Acknowledgement.objects.filter(guardian=access.guardian, version_id__in=binding.counts)
        .order_by("acknowledged_at")
        .first()
    )
    return render(
        request,
        "consent/manage_policy.html",
        {"guardian": access.guardian, "binding": binding, "agreed": agreed},
    )


@parent_page
def withdraw(request: HttpRequest, child_pk: int, type_pk: int) -> HttpResponse:
    """The second of two clicks: confirm, then it is withdrawn at once."""
    access = _access(request)
    if access is None:
        return _no_access(request)
    found = {
        (child.pk, consent_type.pk): (child, consent_type)
        for child, granted in services.guardian_consents(access.guardian)
        for consent_type, _record in granted
    }
    if (child_pk, type_pk) not in found:
        messages.info(request, "That consent is not in place, so there is nothing to withdraw.")
        return redirect("consent_manage")
    child, consent_type = found[(child_pk, type_pk)]
    if request.method == "POST":
        try:
            services.consent_withdraw(access=access, child=child, consent_type=consent_type)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                f"Withdrawn: {consent_type.name} for {child.first_name}. Staff have been told.",
            )
        return redirect("consent_manage")
    return render(
        request,
        "consent/withdraw.html",
        {"child": child, "consent_type": consent_type, "today": timezone.localdate()},
    )
