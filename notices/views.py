"""In-app notices: every reminder a person has been sent, with a link to act on it."""

from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from common.pagination import page_of
from notices.permissions import get_notice_for_user, notices_visible_to


def notice_list(request: AuthedRequest) -> HttpResponse:
    # Unread first on every database (PostgreSQL sorts NULLs last by default).
    notices = notices_visible_to(request.user).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-pk"
    )
    page = page_of(request, notices)
    return render(request, "notices/notice_list.html", {"notices": page, "page": page})


@require_POST
def notice_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark a notice read and go to what it is about."""
    notice = get_notice_for_user(request.user, pk)
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    # Notice links are paths we wrote; refuse anything that would leave the site.
    if not url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect("notice_list")
    return redirect(notice.url)


@require_POST
def notice_read_all(request: AuthedRequest) -> HttpResponse:
    notices_visible_to(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notice_list")
