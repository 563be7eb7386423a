"""The .docx bomb, three at once, against gunicorn run as the production image
runs it (three sync workers): each is refused with a message, none answers 500,
and /healthz answers meanwhile. Slow (it starts gunicorn), so `make test-slow`."""

import concurrent.futures
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.auth import force_verified_login
from tests.hostile_files import docx_bomb
from tests.real_services import database_url, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _open(url: str, *, cookie: str = "", body: bytes | None = None, content_type: str = ""):
    headers = {"Cookie": cookie} if cookie else {}
    if content_type:
        headers["Content-Type"] = content_type
        headers["Referer"] = url
    # Only ever http:// to the gunicorn this test starts.
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), error.headers


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_three_bombs_at_once_are_refused_and_healthz_answers(postgres, bob, tmp_path) -> None:
    browser = Client()
    force_verified_login(browser, bob)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "consolemail://",
    }
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "safeguard.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "3"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthz(base) is not None, 60, "gunicorn to start")
        bomb = docx_bomb()

        def upload() -> tuple[int, str]:
            status, page, headers = _open(f"{base}/policies/import/", cookie=cookie)
            assert status == 200, page[:300]
            csrf_cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
            body, content_type = _multipart(
                {"csrfmiddlewaretoken": CSRF.search(page).group(1), "category": "online_safety"},
                "file",
                "policy.docx",
                bomb,
            )
            status, page, _ = _open(
                f"{base}/policies/import/",
                cookie=f"{cookie}; csrftoken={csrf_cookie.group(1)}" if csrf_cookie else cookie,
                body=body,
                content_type=content_type,
            )
            return status, page

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            uploads = [pool.submit(upload) for _ in range(3)]
            health = pool.submit(_healthz, base)
            answers = [future.result() for future in uploads]
            assert health.result() == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    for status, page in answers:
        assert status == 200, page[:500]
        assert "too large to read once unpacked" in page


def _healthz(base: str) -> int | None:
    try:
        return _open(f"{base}/healthz")[0]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
