"""A parent's link to see and withdraw consent: it expires after disuse, a GET
(a mail scanner's) changes nothing, asking for a new one says nothing about the
address, and one client cannot ask or guess without limit."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from consent import services
from consent.models import ConsentRecord, ConsentType, GuardianAccess
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask

# The consent tests' world: their child with two parents, and their autouse settings.
child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

MANAGE_LINK = re.compile(r"http://testserver(/m/(\S+)/)")


@pytest.fixture
def signed(child, alice, django_capture_on_commit_callbacks):
    """Huda has answered, so she holds a manage link (the receipt email's)."""
    capture = django_capture_on_commit_callbacks
    answer(
        Client(),
        ask(child, alice, "photos_online", capture=capture),
        {"photos_online": "granted"},
        capture=capture,
    )
    path, token = MANAGE_LINK.search(mail.outbox[-1].body).groups()
    return {
        "path": path,
        "access": GuardianAccess.objects.get(token_sha256=services.token_hash(token)),
    }


def continue_from(link: str) -> Client:
    """Open a manage link in a new browser and press Continue."""
    browser = Client()
    assert browser.get(link)["Location"] == "/consent/manage/continue/"
    assert browser.post("/consent/manage/continue/")["Location"] == "/consent/manage/"
    return browser


def idle_for(access: GuardianAccess, days: int) -> None:
    """Move the link's last use back in time, as if it had lain unused."""
    then = timezone.now() - dt.timedelta(days=days)
    GuardianAccess.objects.filter(pk=access.pk).update(created_at=then, last_used_at=then)


# --- expiry after disuse ---------------------------------------------------------------------


def test_a_link_unused_for_longer_than_the_idle_period_has_expired(signed, settings):
    # Sent 400 days ago with the receipt, never used since.
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(days=400))
    browser = Client()
    opened = browser.get(signed["path"])
    assert opened["Location"] == "/consent/manage/expired/"
    assert settings.CONSENT_MANAGE_LINK_IDLE_DAYS == 90
    html = browser.get(opened["Location"]).content.decode()
    assert "This link has expired" in html
    assert "not been used for 90 days" in html
    # It offers a fresh link straight away.
    assert 'action="/consent/manage/new-link/"' in html
    assert 'name="email"' in html


def test_a_link_used_within_the_idle_period_works_and_each_use_restarts_the_clock(signed):
    access = signed["access"]
    idle_for(access, 89)
    browser = continue_from(signed["path"])
    access.refresh_from_db()
    assert access.last_used_at > timezone.now() - dt.timedelta(minutes=1)
    assert "Your consents" in browser.get("/consent/manage/").content.decode()


def test_a_session_whose_link_expired_shows_the_expired_page(signed, child):
    browser = continue_from(signed["path"])
    idle_for(signed["access"], 91)
    photos = ConsentType.objects.get(code="photos_online")
    assert browser.get("/consent/manage/")["Location"] == "/consent/manage/expired/"
    refused = browser.post(f"/consent/manage/withdraw/{child.pk}/{photos.pk}/")
    assert refused["Location"] == "/consent/manage/expired/"
    assert not ConsentRecord.objects.filter(decision="withdrawn").exists()


def test_a_withdrawal_is_a_use_of_the_link(signed, child, django_capture_on_commit_callbacks):
    browser = continue_from(signed["path"])
    idle_for(signed["access"], 60)
    photos = ConsentType.objects.get(code="photos_online")
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/consent/manage/withdraw/{child.pk}/{photos.pk}/")
    access = GuardianAccess.objects.get(pk=signed["access"].pk)
    assert access.expires_at > timezone.now() + dt.timedelta(days=89)


# --- a GET changes nothing -------------------------------------------------------------------


def test_a_scanner_opening_the_new_link_leaves_the_earlier_link_working(
    signed, django_capture_on_commit_callbacks
):
    old = signed["path"]
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/consent/manage/new-link/", {"email": "huda@example.test"})
    new = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    # A mail scanner fetches the link and every page it leads to.
    scanner = Client()
    fetched = scanner.get(new, follow=True)
    assert fetched.status_code == 200
    assert "Continue" in fetched.content.decode()
    assert not GuardianAccess.objects.filter(revoked_at__isnull=False).exists()
    assert not GuardianAccess.objects.filter(last_used_at__isnull=False).exists()
    # The parent's earlier link still works, all the way to their consents.
    assert "Your consents" in continue_from(old).get("/consent/manage/").content.decode()


def test_continuing_from_the_new_link_retires_the_earlier_one(
    signed, django_capture_on_commit_callbacks
):
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/consent/manage/new-link/", {"email": "huda@example.test"})
    new = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    earlier_browser = continue_from(signed["path"])
    continue_from(new)
    assert Client().get(signed["path"]).status_code == 404
    # A browser that continued from the retired link is refused too.
    assert earlier_browser.get("/consent/manage/").status_code == 404


def test_continue_needs_the_csrf_token(signed):
    browser = Client(enforce_csrf_checks=True)
    browser.get(signed["path"])
    assert browser.post("/consent/manage/continue/").status_code == 403
    assert not GuardianAccess.objects.filter(last_used_at__isnull=False).exists()


# --- asking for a new link says nothing about the address ------------------------------------


def ask_for_link(email: str, capture) -> tuple[bytes, list[str], list]:
    """Post the form; what the page answered, the SQL it ran, what it left to run after."""
    with CaptureQueriesContext(connection) as queries, capture(execute=False) as callbacks:
        response = Client().post("/consent/manage/new-link/", {"email": email})
    assert response.status_code == 200
    # The language switch's CSRF token is masked afresh for every page: not an answer.
    page = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
    return page, [q["sql"] for q in queries.captured_queries], callbacks


def test_known_and_unknown_addresses_get_the_same_answer_from_the_same_work(
    signed, django_capture_on_commit_callbacks
):
    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    accesses = GuardianAccess.objects.count()
    events = AuditEvent.objects.count()
    sent = len(mail.outbox)
    known = ask_for_link("huda@example.test", django_capture_on_commit_callbacks)
    unknown = ask_for_link("nobody@example.test", django_capture_on_commit_callbacks)
    assert known[0] == unknown[0]  # the same page, byte for byte
    assert known[1] == unknown[1]  # the same queries: the address is not looked up here
    assert "Check your email" in known[0].decode()
    # Nothing was sent or saved by the page itself: one task queued, each time.
    assert len(mail.outbox) == sent
    assert GuardianAccess.objects.count() == accesses
    assert AuditEvent.objects.count() == events
    assert len(known[2]) == len(unknown[2]) == 1
    # The queued task (run here in the worker's place) sends to the known address only.
    with django_capture_on_commit_callbacks(execute=True):
        known[2][0]()
    assert [m.to for m in mail.outbox[sent:]] == [["huda@example.test"]]
    assert "/m/" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        unknown[2][0]()
    assert len(mail.outbox) == sent + 1
    assert GuardianAccess.objects.count() == accesses + 1


def test_the_task_sends_a_working_link_and_is_safe_to_run_twice(
    signed, django_capture_on_commit_callbacks
):
    from consent.tasks import send_manage_link

    GuardianAccess.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        send_manage_link.delay("HUDA@example.test")
        send_manage_link.delay("HUDA@example.test")
        send_manage_link.delay("stranger@example.test")
    assert len(mail.outbox) == sent + 1
    link = MANAGE_LINK.search(mail.outbox[-1].body).group(1)
    assert "Your consents" in continue_from(link).get("/consent/manage/").content.decode()


# --- per-client limits -----------------------------------------------------------------------


def test_asking_for_links_is_limited_per_client(settings, db):
    settings.CONSENT_LINK_REQUEST_RATE = "5/h"
    browser = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(5):
        page = browser.post("/consent/manage/new-link/", {"email": f"p{n}@example.test"})
        assert page.status_code == 200, n
    refused = browser.post("/consent/manage/new-link/", {"email": "p9@example.test"})
    assert refused.status_code == 429
    assert "Too many tries" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 3600
    # The form itself still shows; another client is not affected.
    assert browser.get("/consent/manage/new-link/").status_code == 200
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.post("/consent/manage/new-link/", {"email": "p@example.test"}).status_code == 200


@pytest.mark.parametrize("prefix", ["/m/", "/c/"])
def test_guessing_links_is_limited_per_client(prefix, signed, settings):
    settings.CONSENT_LINK_GUESS_RATE = "20/h"
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(20):
        assert guesser.get(f"{prefix}guess-{n}/").status_code == 404, n
    refused = guesser.get(f"{prefix}guess-21/")
    assert refused.status_code == 429
    assert "Too many tries" in refused.content.decode()
    # Past the limit even a real link waits: the limit is on the client, not the token.
    assert guesser.get(signed["path"]).status_code == 429
    # A parent elsewhere is not affected.
    assert Client(REMOTE_ADDR="203.0.113.10").get(signed["path"]).status_code == 302


@pytest.mark.parametrize("prefix", ["/m/", "/c/"])
def test_the_pages_at_a_dead_link_never_send_its_path_yet_their_switch_works(prefix, settings):
    """Regression: the dead-link and too-many-tries pages, drawn at the token's
    own address, were served with no-referrer, so Chromium sent "Origin: null"
    with their English/Cymraeg switch and CSRF refused it (a 403). strict-origin
    sends the site's origin, never the path that holds the token."""
    settings.CONSENT_LINK_GUESS_RATE = "1/h"
    guesser = Client(REMOTE_ADDR="203.0.113.11", enforce_csrf_checks=True)
    for path, status in ((f"{prefix}guess-0/", 404), (f"{prefix}guess-1/", 429)):
        page = guesser.get(path)
        assert page.status_code == status
        assert page["Referrer-Policy"] == "strict-origin"
        html = page.content.decode()
        # The switch offers the other language (the first switch left a cookie).
        other = "en-gb" if '<html lang="cy"' in html else "cy"
        assert f'name="language" value="{other}"' in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        switched = guesser.post(
            "/language/",
            {"language": other, "next": path, "csrfmiddlewaretoken": token},
            HTTP_ORIGIN="http://testserver",
        )
        assert switched.status_code == 302
        assert switched["Location"] == path


def test_opening_a_real_link_again_and_again_is_never_limited(signed, settings):
    settings.CONSENT_LINK_GUESS_RATE = "3/h"
    browser = Client(REMOTE_ADDR="192.0.2.44")
    for _ in range(10):
        assert browser.get(signed["path"]).status_code == 302


def test_one_ipv6_client_is_counted_across_its_whole_64(signed, settings):
    settings.CONSENT_LINK_GUESS_RATE = "2/h"
    for n, host in enumerate(("2001:db8:1:2::a", "2001:db8:1:2::b")):
        assert Client(REMOTE_ADDR=host).get(f"/m/guess-{n}/").status_code == 404
    assert Client(REMOTE_ADDR="2001:db8:1:2::c").get("/m/guess-3/").status_code == 429
    assert Client(REMOTE_ADDR="2001:db8:1:3::a").get("/m/guess-4/").status_code == 404


# --- a real worker ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_link_the_page_only_queued(
    postgres, redis_broker, monkeypatch, tmp_path, organisation
):
    """Through Redis to a Celery worker of its own: the page returns before anything
    is looked up; the worker sends to the known address and to no other."""
    from safeguard.celery import app
    from tests.factories import GuardianFactory
    from tests.real_services import database_url, wait_until

    GuardianFactory(organisation=organisation, email="pat@example.test")
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue := f"test-{uuid.uuid4().hex}")
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_broker,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"filemail://{outbox}",
    }
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "safeguard", "worker", "--pool=solo"),
            *("-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for email in ("nobody@example.test", "pat@example.test"):
            page = Client().post("/consent/manage/new-link/", {"email": email})
            assert "Check your email" in page.content.decode()
        # One worker takes its queue in order: the unknown address's task ran first.
        # The file backend creates the file before it writes the message into it.
        wait_until(
            lambda: [path for path in outbox.iterdir() if "/m/" in path.read_text()],
            timeout=90,
            what="the worker's email",
        )
        sent = [path.read_text() for path in outbox.iterdir()]
        assert len(sent) == 1
        assert "To: pat@example.test" in sent[0]
        assert "/m/" in sent[0]
        assert GuardianAccess.objects.count() == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
