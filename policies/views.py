"""Policy pages: read and acknowledge; write, approve and review; import; PDFs."""

import datetime as dt
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import User
from audit import services as audit
from common.forms import service_errors_onto
from common.pagination import page_of
from common.pdf import pdf_response
from policies import pdf, services
from policies.forms import (
    ApproveForm,
    DraftForm,
    ImportConfirmForm,
    ImportUploadForm,
    PolicyForm,
    ReviewedForm,
)
from policies.importing import UnreadableDocument, extract_text, read_policy
from policies.models import Acknowledgement, Policy, PolicyVersion
from policies.permissions import (
    get_policy_for_user,
    get_version_for_user,
    manages_policies,
    policies_visible_to,
    sees_coverage,
)

PENDING_DIR = "policy_imports/pending"
IMPORT_SALT = "policies.import"


def _history() -> list[Prefetch]:
    return services.history_prefetch()


def policy_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    policies = list(policies_visible_to(user).select_related("owner").prefetch_related(*_history()))
    today = timezone.localdate()
    rows = [(policy, services.policy_state(policy, today)) for policy in policies]
    page = page_of(request, rows)
    read = set(Acknowledgement.objects.filter(user=user).values_list("version_id", flat=True))
    to_read = [
        (policy, state)
        for policy, state in rows
        if state.current and user.role in policy.audience_roles and state.current.pk not in read
    ]
    return render(
        request,
        "policies/policy_list.html",
        {"rows": page, "page": page, "to_read": to_read, "manages": manages_policies(user)},
    )


def policy_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "view")
    prefetch_related_objects([policy], *_history())
    state = services.policy_state(policy)
    acknowledged = (
        state.current is not None
        and Acknowledgement.objects.filter(version=state.current, user=request.user).exists()
    )
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "state": state,
            "acknowledged": acknowledged,
            "must_read": request.user.role in policy.audience_roles,
            "manages": manages_policies(request.user),
            "versions": sorted(policy.versions.all(), key=lambda v: v.created_at, reverse=True),
            "reviews": list(policy.reviews.all()),
        },
    )


def policy_create(request: AuthedRequest) -> HttpResponse:
    if not manages_policies(request.user):
        raise PermissionDenied
    form = PolicyForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        draft = services.policy_create(
            organisation=request.user.organisation,
            by=request.user,
            **form.cleaned_data,
        )
        messages.success(request, "Draft saved. Approve it to publish it.")
        return redirect("policy_detail", pk=draft.policy_id)
    return render(request, "policies/policy_form.html", {"form": form})


@require_POST
def draft_start(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "change")
    try:
        draft = services.draft_start(policy=policy, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("policy_detail", pk=policy.pk)
    return redirect("draft_edit", pk=draft.pk)


def draft_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    draft = get_version_for_user(request.user, pk, "change")
    if draft.status != "draft":
        raise Http404
    form = DraftForm(
        request.POST or None, initial={"body": draft.body, "change_summary": draft.change_summary}
    )
    if request.method == "POST" and form.is_valid():
        services.draft_update(draft=draft, by=request.user, **form.cleaned_data)
        messages.success(request, f"Draft {draft.label} saved.")
        return redirect("policy_detail", pk=draft.policy_id)
    return render(request, "policies/draft_form.html", {"form": form, "draft": draft})


def version_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    draft = get_version_for_user(request.user, pk, "change")
    if draft.status != "draft":
        raise Http404
    form = ApproveForm(request.POST or None, initial={"shown_sha256": draft.content_hash()})
    if request.method == "POST" and form.is_valid():
        try:
            services.version_approve(draft=draft, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, f"{draft.policy.title} {draft.label} is approved and published."
            )
            return redirect("policy_detail", pk=draft.policy_id)
    return render(request, "policies/version_approve.html", {"form": form, "draft": draft})


def policy_reviewed(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "change")
    form = ReviewedForm(request.POST or None, initial={"reviewed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_without_changes(
                policy=policy, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(
                request, f"Review recorded. Next review due {review.next_review_due:%-d %B %Y}."
            )
            return redirect("policy_detail", pk=policy.pk)
    return render(request, "policies/policy_reviewed.html", {"form": form, "policy": policy})


def version_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk, "view")
    return render(request, "policies/version_detail.html", {"version": version})


@require_POST
def version_acknowledge(request: AuthedRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk, "view")
    try:
        services.acknowledge(version=version, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, f"Thank you: you have read {version.policy.title} {version.label}."
        )
    return redirect("policy_detail", pk=version.policy_id)


def _coverage(policy: Policy) -> tuple[PolicyVersion | None, list[tuple[User, dt.datetime | None]]]:
    current = services.policy_state(policy).current
    staff = list(
        User.objects.filter(
            organisation_id=policy.organisation_id,
            is_active=True,
            is_superuser=False,
            role__in=policy.audience_roles,
        ).order_by("full_name")
    )
    read = (
        dict(
            Acknowledgement.objects.filter(version=current, user__isnull=False).values_list(
                "user_id", "acknowledged_at"
            )
        )
        if current
        else {}
    )
    return current, [(member, read.get(member.pk)) for member in staff]


def policy_coverage(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "view")
    if not sees_coverage(request.user):
        raise PermissionDenied
    current, staff = _coverage(policy)
    return render(
        request,
        "policies/policy_coverage.html",
        {
            "policy": policy,
            "current": current,
            "staff": staff,
            "read": sum(1 for _m, when in staff if when),
        },
    )


def version_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk, "view")
    content = pdf.render_policy_version_pdf(version)
    # Recorded once the PDF exists: a download that failed gave nobody anything.
    audit.record(
        action="policy.pdf_downloaded",
        actor=request.user,
        obj=version.policy,
        details={"version": version.label},
    )
    return pdf_response(content, f"policy-{version.policy_id}-{version.label}.pdf")


def coverage_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "view")
    if not sees_coverage(request.user):
        raise PermissionDenied
    current, staff = _coverage(policy)
    if current is None:
        raise Http404
    return pdf_response(
        pdf.render_acknowledgement_report_pdf(current, staff),
        f"policy-{policy.pk}-{current.label}-acknowledgements.pdf",
    )


def _pending_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / PENDING_DIR / name


def _forget_stale_uploads(folder: Path) -> None:
    """Uploads never confirmed are deleted after a day (the token lasts an hour)."""
    cutoff = time.time() - 24 * 3600
    for stale in folder.iterdir():
        if stale.is_file() and stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)


def policy_import(request: AuthedRequest) -> HttpResponse:
    """Upload a document; show what was read from it; save only once confirmed."""
    if not manages_policies(request.user):
        raise PermissionDenied
    organisation = request.user.organisation
    if request.method == "POST" and "token" in request.POST:
        return _import_confirm(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(10_000_001)
        try:
            found = read_policy(
                extract_text(upload.name, data),
                default_interval_months=organisation.default_review_interval_months,
            )
        except UnreadableDocument as error:
            form.add_error("file", str(error))
        else:
            # Kept privately until confirmed; the signed token names it, so a
            # confirmation can only ever use a file this person uploaded.
            name = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
            path = _pending_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            _forget_stale_uploads(path.parent)
            path.write_bytes(data)
            token = signing.dumps(
                {"file": name, "name": upload.name[:200], "user": request.user.pk},
                salt=IMPORT_SALT,
            )
            confirm = ImportConfirmForm(
                initial={
                    "title": found.title,
                    "category": form.cleaned_data["category"],
                    "label": found.version or "v1",
                    "approved_on": found.approved_on,
                    "review_due": found.review_due,
                    "review_interval_months": found.review_interval_months,
                    "token": token,
                }
            )
            return render(
                request,
                "policies/policy_import_confirm.html",
                {"form": confirm, "found": found, "filename": upload.name},
            )
    return render(request, "policies/policy_import.html", {"form": form})


def _import_confirm(request: HttpRequest) -> HttpResponse:
    form = ImportConfirmForm(request.POST)
    try:
        pending = signing.loads(request.POST.get("token", ""), salt=IMPORT_SALT, max_age=3600)
    except signing.BadSignature:
        messages.error(request, "That upload has expired. Upload the document again.")
        return redirect("policy_import")
    if pending.get("user") != request.user.pk:
        raise PermissionDenied
    path = _pending_path(Path(pending["file"]).name)
    if not path.is_file():
        messages.error(request, "That upload has already been saved or has expired.")
        return redirect("policy_import")
    data = path.read_bytes()
    found = read_policy(extract_text(pending["name"], data))
    if not form.is_valid():
        return render(
            request,
            "policies/policy_import_confirm.html",
            {"form": form, "found": found, "filename": pending["name"]},
        )
    # Claim the upload by renaming it: of two confirmations at once (a double
    # click), only one can, so only one policy is made.
    claimed = path.with_suffix(path.suffix + f".{uuid.uuid4().hex}.claimed")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        messages.error(request, "That upload has already been saved or has expired.")
        return redirect("policy_import")
    fields = {k: v for k, v in form.cleaned_data.items() if k != "token"}
    try:
        version = services.policy_import(
            organisation=request.user.organisation,
            by=request.user,
            body=found.body,
            filename=pending["name"],
            data=data,
            **fields,
        )
    except ValidationError as error:
        claimed.rename(path)  # give the upload back so the form can be corrected
        service_errors_onto(form, error)
        return render(
            request,
            "policies/policy_import_confirm.html",
            {"form": form, "found": found, "filename": pending["name"]},
        )
    claimed.unlink(missing_ok=True)
    messages.success(request, f"{version.policy.title} {version.label} imported and approved.")
    return redirect("policy_detail", pk=version.policy_id)
