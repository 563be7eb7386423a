"""The parent's signing journey: the emailed link, the answers, a check of
them, and the receipt (a page, and its PDF).

The link's token is moved into the session at once (see consent.views). The
answers are kept in the session between the form and the check page, so
"Change" goes back to a filled-in form and nothing is recorded until "Confirm
and send" is pressed. All of it works without JavaScript.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation

from common.forms import service_errors_onto
from common.i18n import in_language, parent_language
from common.pdf import pdf_response
from consent import parent_policies, services, throttle
from consent.forms import ANSWER_WORDS, ConsentAnswersForm
from consent.models import ConsentRecord, ConsentRequest, ConsentTypeVersion
from consent.views import (
    ACCESS_TOKEN,
    REQUEST_TOKEN,
    _link_gone,
    parent_page,
    start_link_session,
    token_link,
)
from consent.wording import shown_name
from policies.models import PolicyVersion

# The answers given, not yet sent: {"request": token hash, "data": the form's fields,
# "language": the language the questions were read in}.
DRAFT = "consent_sign_draft"
RECEIPT = "consent_receipt"
RECEIPT_POLICIES = "consent_receipt_policies"


@token_link
def consent_open(request: HttpRequest, token: str) -> HttpResponse:
    if throttle.exceeded(request, "link_guess"):
        return throttle.too_many(request, "link_guess")
    if services.request_for_token(token) is None:
        # Used and expired links count too: from here they cannot be told from guesses.
        throttle.count(request, "link_guess")
        return _link_gone(request)
    # Only the hash is kept: a session store is a database too.
    start_link_session(request, REQUEST_TOKEN, services.token_hash(token))
    return redirect("consent_sign")


def _live_request(request: HttpRequest) -> tuple[str, ConsentRequest | None]:
    digest = request.session.get(REQUEST_TOKEN, "")
    return digest, (services.request_for_hash(digest) if digest else None)


def _questions(
    consent_request: ConsentRequest,
) -> tuple[list[ConsentTypeVersion], list[PolicyVersion]]:
    items = list(consent_request.items.select_related("consent_type", "policy_version__policy"))
    return items, parent_policies.versions_to_confirm(consent_request, items)


def _draft(request: HttpRequest, digest: str) -> dict[str, Any] | None:
    """The answers this browser gave for this request, if any (another link's
    answers are never carried over)."""
    draft = request.session.get(DRAFT)
    if isinstance(draft, dict) and draft.get("request") == digest:
        data = draft.get("data")
        return data if isinstance(data, dict) else None
    return None


def _draft_language(request: HttpRequest) -> str:
    draft = request.session.get(DRAFT)
    return str(draft.get("language", "")) if isinstance(draft, dict) else ""


def _gone_or_receipt(request: HttpRequest) -> HttpResponse:
    if request.session.get(RECEIPT):
        return redirect("consent_receipt")  # a second press of "Confirm and send"
    return _link_gone(request)


def _sign_page(
    request: HttpRequest,
    consent_request: ConsentRequest,
    form: ConsentAnswersForm,
    policies: list[PolicyVersion],
) -> HttpResponse:
    return render(
        request,
        "consent/sign.html",
        {
            "form": form,
            "organisation": consent_request.organisation,
            "consent_request": consent_request,
            "items": form.items,
            "policies": [
                (version, form[f"policy_{version.pk}"], in_language(version, "body"))
                for version in policies
            ],
        },
    )


@parent_page
def consent_sign(request: HttpRequest) -> HttpResponse:
    """The questions. A valid POST records nothing: it keeps the answers and
    goes on to the check page."""
    digest, consent_request = _live_request(request)
    if consent_request is None:
        return _gone_or_receipt(request)
    parent_language(request, consent_request.organisation.parent_language)
    items, policies = _questions(consent_request)
    if request.method == "POST":
        form = ConsentAnswersForm(request.POST, items=items, policy_versions=policies)
        if form.is_valid():
            request.session[DRAFT] = {
                "request": digest,
                "data": {name: form.data.get(name, "") for name in form.fields},
                # The explanations were read in this language: the evidence says so.
                "language": translation.get_language() or "",
            }
            return redirect("consent_sign_check")
    else:
        # Back from "Change": the answers given are filled in again.
        form = ConsentAnswersForm(
            initial=_draft(request, digest) or {}, items=items, policy_versions=policies
        )
        services.request_opened(consent_request)
    return _sign_page(request, consent_request, form, policies)


@parent_page
def consent_sign_check(request: HttpRequest) -> HttpResponse:
    """Check your answers; only "Confirm and send" (a POST here) records them."""
    digest, consent_request = _live_request(request)
    if consent_request is None:
        return _gone_or_receipt(request)
    parent_language(request, consent_request.organisation.parent_language)
    data = _draft(request, digest)
    if data is None:
        return redirect("consent_sign")
    items, policies = _questions(consent_request)
    form = ConsentAnswersForm(data, items=items, policy_versions=policies)
    if not form.is_valid():
        # The questions changed since (a policy's new version): answer them again.
        return _sign_page(request, consent_request, form, policies)
    if request.method == "POST":
        try:
            signed = services.consent_sign(
                token_digest=digest,
                answers=form.answers(),
                typed_name=form.cleaned_data["typed_name"],
                relationship=form.cleaned_data["relationship"],
                signature_png=form.cleaned_data["signature_png"],
                # The questions' language, whatever this page is in now: the
                # explanations were read there, and the evidence says so.
                language=_draft_language(request),
            )
        except ValidationError as error:
            if ConsentRequest.objects.filter(pk=consent_request.pk, status="signed").exists():
                # A second press while the first was being saved: that one was
                # recorded, and its receipt is in the session it saved.
                return redirect("consent_receipt")
            service_errors_onto(form, error)
            return _sign_page(request, consent_request, form, policies)
        del request.session[REQUEST_TOKEN]
        request.session.pop(DRAFT, None)
        request.session[RECEIPT] = [r.pk for r in signed.records]
        request.session[RECEIPT_POLICIES] = [v.pk for v in signed.policies]
        request.session[ACCESS_TOKEN] = services.token_hash(signed.manage_token)
        return redirect("consent_receipt")
    answers = form.answers()
    return render(
        request,
        "consent/sign_check.html",
        {
            "organisation": consent_request.organisation,
            "consent_request": consent_request,
            "answers": [
                (
                    version,
                    shown_name(version),
                    answers[version.pk],
                    ANSWER_WORDS[answers[version.pk]],
                )
                for version in items
            ],
            "policies": policies,
            "typed_name": form.cleaned_data["typed_name"],
            "relationship": form.cleaned_data["relationship"],
            "signature_png": form.cleaned_data["signature_png"],
        },
    )


def _receipt_records(request: HttpRequest) -> list[ConsentRecord]:
    """What this browser signed, and nothing else: the ids are the session's own."""
    ids = request.session.get(RECEIPT) or []
    return list(
        ConsentRecord.objects.filter(pk__in=ids)
        .select_related("consent_type", "type_version", "child", "organisation", "guardian")
        .order_by("pk")
    )


def _receipt_policies(request: HttpRequest, records: list[ConsentRecord]) -> list[PolicyVersion]:
    policies = PolicyVersion.objects.filter(
        pk__in=request.session.get(RECEIPT_POLICIES) or [],
        policy__organisation_id=records[0].organisation_id,
    ).select_related("policy")
    return sorted(policies, key=lambda v: (v.policy.title.lower(), v.pk))


@parent_page
def consent_receipt(request: HttpRequest) -> HttpResponse:
    records = _receipt_records(request)
    if not records:
        return _link_gone(request)
    organisation = records[0].organisation
    parent_language(request, organisation.parent_language)
    return render(
        request,
        "consent/receipt.html",
        {
            "organisation": organisation,
            "records": [
                (
                    record,
                    shown_name(record.type_version, record.language),
                    ANSWER_WORDS.get(record.decision, record.get_decision_display()),
                )
                for record in records
            ],
            "first": records[0],
            "policies": _receipt_policies(request, records),
            "manage_url": reverse("consent_manage"),
        },
    )


@parent_page
def consent_receipt_pdf(request: HttpRequest) -> HttpResponse:
    """The receipt as a PDF, for the browser that signed it only."""
    from consent.pdf import render_receipt_pdf

    records = _receipt_records(request)
    if not records:
        raise Http404
    first = records[0]
    content = render_receipt_pdf(records, policies=_receipt_policies(request, records))
    return pdf_response(
        content, f"consent-receipt-{first.reference or first.receipt_sha256[:12]}.pdf"
    )
