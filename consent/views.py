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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Organisation
from accounts.permissions import is_admin
from audit import services as audit
from children.models import Child
from children.permissions import children_visible_to, get_child_for_user
from common.forms import service_errors_onto
from common.i18n import parent_language
from common.pdf import pdf_response
from consent import media, records, services, throttle
from consent.forms import (
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
from policies import reach

# Session keys (names, not secrets) under which a link's token is kept.
REQUEST_TOKEN = "consent_request_token"  # noqa: S105
ACCESS_TOKEN = "consent_access_token"  # noqa: S105
# A manage link opened but not yet continued from.
PENDING_ACCESS_TOKEN = "consent_access_pending"  # noqa: S105
# The organisation of a manage link that expired, for the page that says so.
EXPIRED_ORGANISATION = "consent_expired_organisation"
# Everything a parent's link puts in the session (signing_views keeps its own
# there too): cleared when another link is opened in the same browser.
PARENT_SESSION_KEYS = (
    REQUEST_TOKEN,
    ACCESS_TOKEN,
    PENDING_ACCESS_TOKEN,
    EXPIRED_ORGANISATION,
    "consent_sign_draft",
    "consent_receipt",
    "consent_receipt_policies",
)


def start_link_session(request: HttpRequest, key: str, digest: str) -> None:
    """Keep a newly opened link's token hash under ``key``, after forgetting any
    other link's: on a shared tablet or family phone, the next parent's link
    must not carry the last parent's receipt, answers or consents with it."""
    if request.session.get(key) != digest:
        for name in PARENT_SESSION_KEYS:
            request.session.pop(name, None)
        request.session.cycle_key()
    request.session[key] = digest


def parent_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Public and never cached."""
    return login_not_required(never_cache(view))


def token_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A URL that carries a token: its token can never leave in a Referer header.
    The redirect is answered with no-referrer. A page drawn at the token's
    address (the link is dead, or too many tries) gets strict-origin: a Referer
    of the site's origin alone, never the path; with no-referrer browsers send
    "Origin: null" on a form POST, which Django's CSRF protection rightly
    refuses, and the page's language switch would be a 403. (The pages after
    the redirect keep the site's same-origin policy.)"""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        redirect = 300 <= response.status_code < 400
        response["Referrer-Policy"] = "no-referrer" if redirect else "strict-origin"
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
            "name_cy": consent_type.name_cy,
            "explanation_cy": current.explanation_cy if current else "",
            "validity_months": consent_type.validity_months,
            "active": consent_type.active,
            "asked_by_default": consent_type.asked_by_default,
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


def parent_render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    organisation: Organisation | None,
    status: int = 200,
) -> HttpResponse:
    """A parent's page (templates/parent_base.html), in their language: their
    switch's choice, else their organisation's default, else English where no
    organisation is known (a link that matched nothing)."""
    parent_language(request, organisation.parent_language if organisation else "")
    return render(
        request, template, {**(context or {}), "organisation": organisation}, status=status
    )


def _link_gone(request: HttpRequest) -> HttpResponse:
    return parent_render(request, "consent/link_gone.html", organisation=None, status=404)


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
    digest = services.token_hash(token)
    if request.session.get(ACCESS_TOKEN) != digest:
        start_link_session(request, PENDING_ACCESS_TOKEN, digest)
    if access.is_expired:
        return _manage_expired(request, access)
    request.session[PENDING_ACCESS_TOKEN] = digest
    return redirect("consent_manage_continue")


def _manage_expired(request: HttpRequest, access: GuardianAccess) -> HttpResponse:
    # A page of its own, not one at the link's address: that one is served with
    # no-referrer, and the form for a new link would then be refused (Origin: null).
    # Which service it was goes with it, for its name and language: only the
    # browser that held the link learns it.
    request.session[EXPIRED_ORGANISATION] = access.guardian.organisation_id
    return redirect("consent_manage_expired")


@parent_page
def manage_expired(request: HttpRequest) -> HttpResponse:
    """Says a link expired from disuse (which the link's own page redirects here
    to say) and offers a new one. It tells nobody anything about any link."""
    organisation_id = request.session.get(EXPIRED_ORGANISATION)
    organisation = (
        Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    )
    return parent_render(
        request,
        "consent/manage_expired.html",
        {"form": ManageLinkForm(), "days": settings.CONSENT_MANAGE_LINK_IDLE_DAYS},
        organisation=organisation,
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
        return _manage_expired(request, access)
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
    return parent_render(
        request,
        "consent/manage_continue.html",
        {"guardian": access.guardian},
        organisation=access.guardian.organisation,
    )


def _access(request: HttpRequest) -> GuardianAccess | None:
    digest = request.session.get(ACCESS_TOKEN, "")
    return services.access_for_hash(digest) if digest else None


def _no_access(request: HttpRequest) -> HttpResponse:
    """The page for a session whose link no longer works: expired, or gone."""
    digest = request.session.get(ACCESS_TOKEN, "")
    access = services.access_for_hash(digest, expired_too=True) if digest else None
    return _manage_expired(request, access) if access is not None else _link_gone(request)
