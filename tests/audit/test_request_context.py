"""The audit log learns the client's address from the request being served,
not from services being handed the request."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from accounts import services
from accounts.models import Role
from audit import context
from audit import services as audit
from audit.middleware import AuditContextMiddleware
from audit.models import AuditEvent
from tests.auth import force_verified_login

pytestmark = pytest.mark.django_db


def test_an_action_done_through_a_page_records_the_clients_address(alice, bob) -> None:
    as_bob = Client(REMOTE_ADDR="203.0.113.9")
    force_verified_login(as_bob, bob)
    as_bob.post(f"/staff/{alice.pk}/role/", {"role": Role.DEPUTY_DSL})
    event = AuditEvent.objects.get(action="staff.role_changed")
    assert event.ip_address == "203.0.113.9"


def test_the_same_service_outside_a_request_records_no_address(alice, bob) -> None:
    services.staff_role_change(user=alice, role=Role.DEPUTY_DSL, by=bob)
    event = AuditEvent.objects.get(action="staff.role_changed")
    assert event.ip_address is None
    assert context.current() == context.EMPTY


def test_an_explicit_address_wins_over_the_context(alice) -> None:
    with context.bound(context.RequestContext(ip_address="198.51.100.1")):
        event = audit.record(action="test.explicit", actor=alice, ip_address="192.0.2.5")
    assert event.ip_address == "192.0.2.5"


def test_the_middleware_binds_the_client_only_while_the_request_is_served() -> None:
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(context.current())
        return HttpResponse()

    middleware = AuditContextMiddleware(view)
    middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Browser/1"))
    assert seen == [context.RequestContext(ip_address="203.0.113.9", user_agent="Browser/1")]
    assert context.current() == context.EMPTY


def test_the_context_is_reset_even_when_the_view_raises() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"))
    assert context.current() == context.EMPTY


def test_one_requests_client_does_not_leak_into_the_next(alice, bob) -> None:
    first = Client(REMOTE_ADDR="203.0.113.9")
    force_verified_login(first, bob)
    first.post(f"/staff/{alice.pk}/role/", {"role": Role.DEPUTY_DSL})
    alice.refresh_from_db()
    services.staff_role_change(user=alice, role=Role.STAFF, by=bob)
    in_page, after = AuditEvent.objects.filter(action="staff.role_changed").order_by("seq")
    assert (in_page.ip_address, after.ip_address) == ("203.0.113.9", None)


def test_a_long_user_agent_is_cut_to_what_a_consent_record_holds() -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 1000)
    assert len(context.of_request(request).user_agent) == context.USER_AGENT_LIMIT
