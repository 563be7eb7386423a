"""The recipient's pages: no account, only the single-use link.

As with parents' links (consent), the token is moved into the session at once
and the browser redirected, so it never stays in the address bar, history or a
Referer header; GET only shows (mail scanners prefetch links) and only a POST
downloads the file or confirms receipt. Guessed links count against the same
per-client limit as parents' links.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.forms import service_errors_onto
from consent import throttle
from incidents.services import transfers as services
from incidents.transfer_forms import ReceiptForm
from incidents.transfer_models import FileTransfer

# The session key (a name, not a secret) under which the link's token hash is kept.
SESSION_KEY = "file_transfer_token"


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Public and never cached."""
    return login_not_required(never_cache(view))


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/transfer_link_gone.html", status=404)


def _expired(request: HttpRequest, transfer: FileTransfer) -> HttpResponse:
    return render(
        request, "incidents/transfer_link_expired.html", {"transfer": transfer}, status=410
    )


def _from_session(request: HttpRequest) -> FileTransfer | None:
    return services.transfer_for_hash(request.session.get(SESSION_KEY, ""))


@public_page
def transfer_open(request: HttpRequest, token: str) -> HttpResponse:
    if throttle.exceeded(request, "link_guess"):
        return throttle.too_many(request, "link_guess")
    transfer = services.transfer_for_token(token)
    if transfer is None:
        throttle.count(request, "link_guess")
        response = _gone(request)
    elif transfer.link_expired and transfer.received_at is None:
        response = _expired(request, transfer)
    else:
        # Only the hash is kept: a session store is a database too.
        request.session[SESSION_KEY] = services.token_hash(token)
        response = redirect("transfer_link")
    response["Referrer-Policy"] = "no-referrer"
    return response


def _page(
    request: HttpRequest, transfer: FileTransfer, form: ReceiptForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "incidents/transfer_link.html",
        {"transfer": transfer, "form": form, "sender": transfer.created_by},
        status=status,
    )


@public_page
def transfer_link(request: HttpRequest) -> HttpResponse:
    transfer = _from_session(request)
    if transfer is None:
        return _gone(request)
    if transfer.link_expired and transfer.collected_at is None and transfer.received_at is None:
        return _expired(request, transfer)
    return _page(request, transfer, ReceiptForm())


@public_page
@require_POST
def transfer_download(request: HttpRequest) -> HttpResponse:
    transfer = _from_session(request)
    if transfer is None:
        return _gone(request)
    try:
        content = services.transfer_collect(transfer=transfer)
    except services.AlreadyCollected:
        return render(
            request, "incidents/transfer_link_collected.html", {"transfer": transfer}, status=410
        )
    except services.LinkExpired:
        return _expired(request, transfer)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="child-protection-file-{transfer.pk}.pdf"'
    )
    return response


@public_page
@require_POST
def transfer_receipt(request: HttpRequest) -> HttpResponse:
    transfer = _from_session(request)
    if transfer is None:
        return _gone(request)
    form = ReceiptForm(request.POST)
    if form.is_valid():
        try:
            services.transfer_receipt_record(transfer=transfer, **form.cleaned_data)
        except services.LinkExpired:
            return _expired(request, transfer)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, "Thank you: receipt confirmed. The sender has been told.")
            return redirect("transfer_link")
    return _page(request, transfer, form)
