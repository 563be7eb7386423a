"""Binds the request's client to the audit context while the request is served."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit import context


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.bound(context.of_request(request)):
            return self.get_response(request)
