"""Policy pages: read and acknowledge; write, approve and review; import; PDFs."""

import datetime as dt
from pathlib import Path

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from accounts.models import Role, User
from audit import services as audit
from common.forms import service_errors_onto
from common.pagination import page_of
from common.pdf import pdf_response
from policies import pdf, reach, services
from policies.diff import line_diff
from policies.forms import (
    ApproveForm,
    CompareForm,
    DraftForm,
    ImportConfirmForm,
    ImportUploadForm,
    PolicyForm,
    PolicySettingsForm,
    ReviewedForm,
)
from policies.importing import UnreadableDocument, extract_text, read_policy
from policies.models import (
    Acknowledgement,
    Policy,
    PolicyCategory,
    PolicyVersion,
    VersionStatus,
)
from policies.permissions import (
    get_policy_for_user,
    get_version_for_user,
    manages_policies,
    policies_visible_to,
    sees_coverage,
)
from policies.staging import staged_import_read, staged_import_save, staged_import_use

IMPORT_SALT = "policies.import"


def _history() -> list[Prefetch]:
    return services.history_prefetch()


def policy_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    policies = list(
        policies_visible_to(user)
        .select_related("owner")
        .prefetch_related(*services.history_prefetch(text=False))
    )
    today = timezone.localdate()
    rows = [(policy, services.policy_state(policy, today)) for policy in policies]
    page = page_of(request, rows)
    # Every policy of the organisation is loaded above, with its versions: what
    # this person has still to read is worked out from them, not fetched again.
    to_read = (
        reach.staff_unread(user, reach.staff_bindings_loaded(policies))
        if user.organisation_id
        else []
    )
    return render(
        request,
        "policies/policy_list.html",
        {"rows": page, "page": page, "to_read": to_read, "manages": manages_policies(user)},
    )


def policy_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "view")
    prefetch_related_objects([policy], *_history())
    state = services.policy_state(policy)
    # Reading any version since the last substantive change counts.
    read_version = (
        Acknowledgement.objects.filter(
            version_id__in=reach.reading_counts(state.current), user=request.user
        )
        .select_related("version")
        .order_by("-version_id")
        .first()
        if state.current is not None
        else None
    )
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "state": state,
            "acknowledged": read_version is not None,
            "read_version": read_version.version if read_version else None,
            "must_read": request.user.role in policy.audience_roles,
            "related": list(policy.related.order_by("title", "pk")),
            "roles": [label for value, label in Role.choices if value in policy.audience_roles],
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


def policy_settings(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_policy_for_user(request.user, pk, "change")
    initial = {
        "category": policy.category,
        "owner": policy.owner_id,
        "review_interval_months": policy.review_interval_months,
        "audience_roles": policy.audience_roles,
        "audience_parents": policy.audience_parents,
        "audience_children": policy.audience_children,
        "children_age_from": policy.children_age_from,
        "children_age_to": policy.children_age_to,
        "related": list(policy.related.values_list("pk", flat=True)),
    }
    form = PolicySettingsForm(request.POST or None, initial=initial, policy=policy)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["related"] = list(data["related"])
        try:
            services.policy_settings_update(policy=policy, by=request.user, **data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            messages.success(request, f"The details of {policy.title} are saved.")
            return redirect("policy_detail", pk=policy.pk)
    return render(request, "policies/policy_settings.html", {"form": form, "policy": policy})


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
        request.POST or None,
        initial={
            "body": draft.body,
            "body_cy": draft.body_cy,
            "change_summary": draft.change_summary,
            "change_kind": draft.change_kind,
        },
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
    current = services.policy_state(draft.policy).current
    return render(
        request,
        "policies/version_approve.html",
        {
            "form": form,
            "draft": draft,
            "current": current,
            "hunks": line_diff(current.body, draft.body) if current else [],
        },
    )


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


def policy_compare(request: AuthedRequest, pk: int) -> HttpResponse:
    """Any two versions of one policy, side by side as a list of changed lines."""
    policy = get_policy_for_user(request.user, pk, "view")
    # Only this policy's own versions can be chosen; drafts only by those who write.
    versions = policy.versions.order_by("-pk")
    if not manages_policies(request.user):
        versions = versions.filter(status=VersionStatus.APPROVED)
    listed = list(versions)
    if "from" in request.GET or "to" in request.GET:
        form = CompareForm(request.GET, versions=versions)
    else:
        newest = listed[:2]
        form = CompareForm(
            initial={
                "from": newest[-1].pk if newest else None,
                "to": newest[0].pk if newest else None,
            },
            versions=versions,
        )
    old = new = None
    hunks = []
    if form.is_bound and form.is_valid():
        old, new = form.cleaned_data["from"], form.cleaned_data["to"]
        hunks = line_diff(old.body, new.body)
    return render(
        request,
        "policies/policy_compare.html",
        {
            "policy": policy,
            "form": form,
            "versions": listed,
            "old": old,
            "new": new,
            "hunks": hunks,
        },
    )


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
    read: dict[int, dt.datetime] = {}
    if current is not None:
        # Reading any version since the last substantive change counts; the
        # latest reading is the one shown.
        for user_id, when in Acknowledgement.objects.filter(
            version_id__in=reach.reading_counts(current), user__isnull=False
        ).values_list("user_id", "acknowledged_at"):
            read[user_id] = max(when, read.get(user_id, when))
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
            name = staged_import_save(data=data, suffix=Path(upload.name).suffix.lower())
            token = signing.dumps(
                {"file": name, "name": upload.name[:200], "user": request.user.pk},
                salt=IMPORT_SALT,
            )
            confirm = ImportConfirmForm(
                organisation=organisation,
                initial={
                    "title": found.title,
                    "category": form.cleaned_data["category"],
                    "label": found.version or "v1",
                    "approved_on": found.approved_on,
                    "review_due": found.review_due,
                    "review_interval_months": found.review_interval_months,
                    "owner": request.user.pk,
                    # Those who work with children read a policy unless told otherwise.
                    "audience_roles": (
                        Role.values
                        if form.cleaned_data["category"] == PolicyCategory.CONDUCT_STAFF
                        else [Role.STAFF, Role.DSL, Role.DEPUTY_DSL]
                    ),
                    "audience_parents": form.cleaned_data["category"]
                    == PolicyCategory.CONDUCT_PARENTS,
                    "token": token,
                },
            )
            return render(
                request,
                "policies/policy_import_confirm.html",
                {"form": confirm, "found": found, "filename": upload.name},
            )
    return render(request, "policies/policy_import.html", {"form": form})


def _import_confirm(request: AuthedRequest) -> HttpResponse:
    form = ImportConfirmForm(request.POST, organisation=request.user.organisation)
    try:
        pending = signing.loads(request.POST.get("token", ""), salt=IMPORT_SALT, max_age=3600)
    except signing.BadSignature:
        messages.error(request, "That upload has expired. Upload the document again.")
        return redirect("policy_import")
    if pending.get("user") != request.user.pk:
        raise PermissionDenied
    data = staged_import_read(pending["file"])
    if data is None:
        messages.error(request, "That upload has already been saved or has expired.")
        return redirect("policy_import")
    found = read_policy(extract_text(pending["name"], data))
    if not form.is_valid():
        return render(
            request,
            "policies/policy_import_confirm.html",
            {"form": form, "found": found, "filename": pending["name"]},
        )
    fields = {k: v for k, v in form.cleaned_data.items() if k != "token"}
    try:
        version = staged_import_use(
            name=pending["file"],
            by=request.user,
            save=lambda content: services.policy_import(
                organisation=request.user.organisation,
                by=request.user,
                body=found.body,
                filename=pending["name"],
                data=content,
                **fields,
            ),
        )
    except ValidationError as error:
        service_errors_onto(form, error)
        return render(
            request,
            "policies/policy_import_confirm.html",
            {"form": form, "found": found, "filename": pending["name"]},
        )
    if version is None:
        messages.error(request, "That upload has already been saved or has expired.")
        return redirect("policy_import")
    messages.success(request, f"{version.policy.title} {version.label} imported and approved.")
    return redirect("policy_detail", pk=version.policy_id)
