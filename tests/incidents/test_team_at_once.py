"""Five leads working on one incident at once, through a real gunicorn on PostgreSQL.

Issue 22: a DSL team acting on one incident for a minute hit deadlocks; a third
of their actions and an eighth of their page reads answered 500 and the actions
were lost. Here five people triage, set next actions, add chronology entries and
read the incident, its list and the child's chronology for about a minute. No
request may fail with a server error, every action the server acknowledged must
be in the database with its audit event, and the audit chain must verify.
"""

import datetime as dt
import html
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from audit import services as audit
from audit.models import AuditEvent
from children import services as caseload
from incidents import services
from incidents.models import ChronologyEntry, Incident
from tests.auth import force_verified_login
from tests.factories import ChildFactory, OrganisationFactory, UserFactory
from tests.real_services import database_url, free_port, require_service, wait_until

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
# How long the team works. With start-up and the checks after, the test takes
# about 80 seconds.
WORK_SECONDS = 60
TEAM = 5
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Tally:
    """What one person did and what the server answered."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    # Markers of the entries and next actions the server acknowledged (a redirect).
    entries: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    triaged: bool = False
    errors: list[str] = field(default_factory=list)


class Browser:
    """One person's browser: their session cookie, a CSRF token, no redirects followed."""

    def __init__(self, base: str, session_key: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.jar.set_cookie(_cookie("sessionid", session_key))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )
        self.csrf = ""

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, **data}).encode()
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - our gunicorn
        if data is not None:
            # Django checks the Referer of a POST only over HTTPS; send it as a browser would.
            request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=120) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        if match := CSRF_FIELD.search(text):
            self.csrf = html.unescape(match.group(1))
        return status, text


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _cookie(name: str, value: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain="127.0.0.1",
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
    )


def _work(
    browser: Browser, who: int, incident: Incident, child_pk: int, until: float, tally: Tally
) -> None:
    """Read, triage once, then add entries and next actions until time is up."""
    base = f"/incidents/{incident.pk}"
    reads = {
        "detail": f"{base}/",
        "list": "/incidents/",
        "chronology": f"/incidents/children/{child_pk}/chronology/",
    }

    def call(kind: str, path: str, data: dict[str, str] | None = None) -> int:
        try:
            status, _ = browser.request(path, data)
        except OSError as error:  # a dropped connection is a failure too
            tally.errors.append(f"{kind} {path}: {error!r}")
            status = 599
        tally.statuses[(kind, status)] += 1
        return status

    call("form", f"{base}/triage/")
    if (
        call(
            "triage",
            f"{base}/triage/",
            {"risk": "high", "decision": f"Triage by lead {who}.", "next_action": ""},
        )
        == 302
    ):
        tally.triaged = True
    n = 0
    while time.monotonic() < until:
        n += 1
        for kind, path in reads.items():
            call(kind, path)
        call("form", f"{base}/entries/new/")
        marker = f"entry-{who}-{n}"
        happened = timezone.localtime() - dt.timedelta(minutes=1)
        if (
            call(
                "entry",
                f"{base}/entries/new/",
                {
                    "kind": "note",
                    "happened_at": happened.strftime("%Y-%m-%dT%H:%M"),
                    "text": f"Spoke to the school ({marker}).",
                },
            )
            == 302
        ):
            tally.entries.append(marker)
        call("form", f"{base}/action/")
        marker = f"action-{who}-{n}"
        if (
            call(
                "action",
                f"{base}/action/",
                {"next_action": f"Call the social worker ({marker})", "risk": "high"},
            )
            == 302
        ):
            tally.actions.append(marker)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_five_leads_on_one_incident_lose_nothing_and_never_see_a_server_error(
    tmp_path: Path,
) -> None:
    require_service(
        connection.vendor == "postgresql",
        f"needs PostgreSQL (DATABASE_URL) for real row locks; this run uses {connection.vendor}",
    )
    organisation = OrganisationFactory(name="Alder Play Therapy", slug="alder")
    roles = [Role.DSL, Role.DEPUTY_DSL, Role.DEPUTY_DSL, Role.DSL, Role.DEPUTY_DSL]
    team = [
        UserFactory(organisation=organisation, role=role, email=f"lead{n}@alder.test")
        for n, role in enumerate(roles)
    ]
    therapist = UserFactory(organisation=organisation, email="alice@alder.test")
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    caseload.allocation_start(
        child=child, staff=therapist, starts_on=timezone.localdate(), by=team[0]
    )
    incident = services.incident_raise(
        reporter=therapist,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        disclosed_at=timezone.now() - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        platform="A game's chat",
        what_happened="An adult asked Noor to move to a private app.",
        childs_words="He said not to tell my mum.",
        initial_risk="medium",
    )
    sessions = []
    for user in team:
        client = Client()
        force_verified_login(client, user)
        sessions.append(client.cookies["sessionid"].value)

    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    # The server writes to this test's database; queued tasks go to a
    # filesystem broker of the test's own, not to a shared Redis.
    env.update(DATABASE_URL=database_url(), VAR_DIR=str(tmp_path), DJANGO_ENV="development")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "safeguard.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=3",
            "--threads=4",
            "--timeout=120",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    tallies = [Tally() for _ in team]
    try:

        def serving() -> bool:
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            try:
                return Browser(base, "").request("/account/login/")[0] == 200
            except OSError:
                return False

        wait_until(serving, 60, "gunicorn to serve the sign-in page")
        until = time.monotonic() + WORK_SECONDS
        workers = [
            threading.Thread(
                target=_work,
                args=(Browser(base, session), who, incident, child.pk, until, tally),
            )
            for who, (session, tally) in enumerate(zip(sessions, tallies, strict=True))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    statuses: Counter[tuple[str, int]] = sum((t.statuses for t in tallies), Counter())
    server_errors = {key: count for key, count in statuses.items() if key[1] >= 500}
    saved = set(ChronologyEntry.objects.filter(incident=incident).values_list("text", flat=True))
    acknowledged = [m for t in tallies for m in t.entries + t.actions]
    lost = [m for m in acknowledged if not any(f"({m})" in text for text in saved)]
    print(f"\nresponses by kind and status: {dict(sorted(statuses.items()))}")  # noqa: T201
    print(f"acknowledged actions: {len(acknowledged)}; lost: {len(lost)}")  # noqa: T201

    assert not [e for t in tallies for e in t.errors], [e for t in tallies for e in t.errors]
    assert server_errors == {}, (
        f"server errors {server_errors}; log: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}"
    )
    assert lost == []
    # The team did real work, together: every entry and action was acknowledged
    # (a lock wait is not a refusal), and exactly one triage won.
    assert sum(t.triaged for t in tallies) == 1
    assert statuses[("triage", 200)] == TEAM - 1
    posts = [k for k in statuses if k[0] in {"entry", "action"}]
    assert {status for _, status in posts} == {302}
    reads = [k for k in statuses if k[0] in {"detail", "list", "chronology", "form"}]
    assert {status for _, status in reads} == {200}
    assert len(acknowledged) >= 2 * TEAM
    # Each acknowledged change has its audit event, in the chain, which verifies.
    entry_events = AuditEvent.objects.filter(
        action="incident.entry_added", object_id=str(incident.pk)
    ).count()
    action_events = AuditEvent.objects.filter(
        action="incident.action_set", object_id=str(incident.pk)
    ).count()
    assert entry_events == sum(len(t.entries) for t in tallies)
    assert action_events == sum(len(t.actions) for t in tallies)
    # And every page read was answered and audited.
    assert (
        AuditEvent.objects.filter(action="incident.viewed", details__page="detail").count()
        == statuses[("detail", 200)]
    )
    assert (
        AuditEvent.objects.filter(action="child.chronology_viewed").count()
        == statuses[("chronology", 200)]
    )
    assert User.objects.filter(organisation=organisation).count() == TEAM + 1
    report = audit.verify_chain()
    assert report.intact, report.problem
