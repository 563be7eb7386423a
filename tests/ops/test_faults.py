"""A fault with real parts: PostgreSQL restarted while twenty parents sign.
Slow, and it restarts a shared service, so it runs after the main suite
(`make test-slow`). A Celery worker killed mid-sweep and a broker that cannot be
reached are in test_reminders_worker.py."""

import concurrent.futures
import datetime as dt
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from children import services as caseload
from consent import services as consent_services
from consent.models import ConsentRecord, ConsentRequest
from tests.factories import ChildFactory
from tests.real_services import database_url, free_port, require_service, wait_until

ROOT = Path(__file__).resolve().parents[2]
PARENTS = 20
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM = re.compile(r'name="(item_\d+)"')
RECEIPT_HASH = re.compile(r"\b([0-9a-f]{64})\b")


def postgres_cluster() -> tuple[str, str] | None:
    """(version, name) of the local cluster pg_ctlcluster can restart, if any."""
    if shutil.which("pg_lsclusters") is None or shutil.which("pg_ctlcluster") is None:
        return None
    lines = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=False
    ).stdout.split("\n")
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "5432":
            return parts[0], parts[1]
    return None


def restart_postgres(cluster: tuple[str, str]) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart", "-m", "fast"],
        check=True,
        capture_output=True,
        timeout=60,
    )


class Browser:
    """Just enough of a browser for a parent: cookies, redirects, forms."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(
        self, url: str, data: dict[str, str] | None = None, referer: str = ""
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": referer} if referer else {}
        # Only ever http:// to the gunicorn this test starts.
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode(errors="replace")


def sign(base: str, token: str, start: threading.Event, delay: float = 0) -> dict[str, object]:
    """One parent: open the link, answer yes to everything, sign. Returns what
    the parent saw: a receipt (with its hash) or an error page."""
    start.wait()
    time.sleep(delay)
    browser = Browser()
    try:
        status, address, page = browser.open(f"{base}/c/{token}/")
        if "/consent/sign/" not in address or "csrfmiddlewaretoken" not in page:
            return {"token": token, "ok": False, "status": status, "body": page}
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "typed_name": "Fault Test Parent",
            "relationship": "parent",
            "confirms_responsibility": "on",
            **dict.fromkeys(ITEM.findall(page), "granted"),
        }
        status, address, check = browser.open(f"{base}/consent/sign/", form, referer=address)
        if "/consent/sign/check/" not in address or "csrfmiddlewaretoken" not in check:
            return {"token": token, "ok": False, "status": status, "body": check}
        confirm = {"csrfmiddlewaretoken": CSRF.search(check).group(1)}
        status, address, answer = browser.open(address, confirm, referer=address)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return {"token": token, "ok": False, "status": None, "body": str(error)}
    signed = "/consent/receipt/" in address and status == 200
    found = RECEIPT_HASH.findall(answer) if signed else []
    return {
        "token": token,
        "ok": signed,
        "status": status,
        "body": answer,
        "hash": found[-1] if found else None,
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_postgres_restart_while_parents_sign(postgres, organisation, dana, tmp_path) -> None:
    cluster = postgres_cluster()
    require_service(cluster is not None, "needs a local PostgreSQL cluster pg_ctlcluster runs")
    types = list(consent_services.consent_types_ensure(organisation=organisation))[:2]
    tokens = {}
    for n in range(PARENTS):
        child = ChildFactory(organisation=organisation, first_name=f"Child{n}")
        link = caseload.guardian_add(
            child=child,
            by=dana,
            full_name=f"Parent {n}",
            email=f"p{n}@example.test",
            phone="",
            preferred_contact="email",
            relationship="parent",
            parental_responsibility=True,
        )
        token, digest = consent_services._token()
        request = ConsentRequest.objects.create(
            organisation=organisation,
            child=child,
            guardian=link.guardian,
            token_sha256=digest,
            sent_by=dana,
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
        request.items.set([consent_services.current_wording(t) for t in types])
        tokens[token] = request.pk
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "60",
        "VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "consolemail://",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "safeguard.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), 30, "gunicorn to start")
        start = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(PARENTS) as pool:
            # Parents arrive over four seconds: some sign before the restart, some
            # are mid-request when the database goes away, some come during it.
            futures = [
                pool.submit(sign, base, token, start, n * 0.2) for n, token in enumerate(tokens)
            ]
            start.set()
            # Signing takes two POSTs (answers, then "Confirm and send"): on a busy
            # machine the first parent may need more than a second, so the restart
            # waits for the first signature rather than for the clock.
            wait_until(ConsentRecord.objects.exists, 30, "a first parent to sign")
            restart_postgres(cluster)
            results = [future.result() for future in futures]
        connection.close()  # this process's connection died with the restart too
        # The app recovers by itself: the same gunicorn serves a whole signing again.
        wait_until(lambda: _answers(f"{base}/healthz", 200), 30, "the app to recover")
        token, digest = consent_services._token()
        leftover = ConsentRequest.objects.get(pk=tokens[next(iter(tokens))])
        again = ConsentRequest.objects.create(
            organisation=organisation,
            child=leftover.child,
            guardian=leftover.guardian,
            token_sha256=digest,
            sent_by=dana,
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
        again.items.set([consent_services.current_wording(t) for t in types])
        after = sign(base, token, _set_event())
        assert after["ok"], after["body"][:500]
    finally:
        server.terminate()
        server.wait(timeout=30)

    for result in results:
        request = ConsentRequest.objects.get(pk=tokens[result["token"]])
        records = ConsentRecord.objects.filter(request_sha256=request.reference_sha256)
        if result["ok"]:
            # Every success a parent saw is committed, with the evidence they were shown.
            assert records.count() == len(types), result["token"]
            assert {r.receipt_sha256 for r in records} == {result["hash"]}
        else:
            # Every failure was a clean page (or a refused connection), never a traceback.
            assert "Traceback" not in result["body"]
            assert result["status"] in {None, 400, 500, 502, 503}, result["status"]
            assert records.count() in {0, len(types)}  # all of a signing or none of it
    # The first parents signed before the restart began.
    assert any(result["ok"] for result in results), [r["status"] for r in results]


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def _answers(url: str, status: int | None = None) -> bool:
    try:
        code, _, _ = Browser().open(url)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return status is None or code == status
