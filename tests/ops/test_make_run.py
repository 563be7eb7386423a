"""`make run` on the embedded default: SQLite, filesystem broker, web + worker + beat."""

import datetime as dt
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.real_services import free_port

ROOT = Path(__file__).resolve().parents[2]
# Variables that would point the run at CI's services instead of the embedded default.
SERVICE_VARIABLES = {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DJANGO_ENV"}


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our localhost
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make run exited early while waiting for {what}"
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def processes_using(var_dir: Path) -> list[int]:
    """Processes still running with this run's VAR_DIR in their environment."""
    marker = f"VAR_DIR={var_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_make_run_serves_login_runs_the_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["VAR_DIR"] = str(tmp_path)
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(f"{base}/account/login/")[0] == 200, 180, "login page", process)
        html = fetch(f"{base}/account/login/")[1]
        assert "Sign in to Safeguard" in html

        assert (tmp_path / "db.sqlite3").is_file()
        health = json.loads(fetch(f"{base}/healthz")[1])
        assert health["checks"] == {"database": "ok", "broker": "ok"}

        # Queue tasks through the filesystem broker exactly as the app and beat
        # would; only the worker that make run started can carry them out.
        noon = dt.datetime.now(dt.UTC).replace(hour=12, minute=0).isoformat()
        subprocess.run(
            [
                str(ROOT / ".venv/bin/python"),
                "manage.py",
                "shell",
                "-c",
                "from notices.tasks import sweep_reminders\n"
                "from ops.tasks import record_worker_heartbeat\n"
                f"record_worker_heartbeat.delay(); sweep_reminders.delay({noon!r})",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        wait_for(
            lambda: json.loads(fetch(f"{base}/healthz")[1])["worker_last_seen"] is not None,
            60,
            "the worker to run a task",
            process,
        )
        # The demo's unfinished invitation becomes a digest, printed by the
        # console email backend into make run's output.
        log_path = tmp_path / "make-run.log"
        wait_for(
            lambda: "Jo Patel has not finished setting up their sign-in" in log_path.read_text(),
            60,
            "the reminder digest email",
            process,
        )
    finally:
        # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        log.close()

    deadline = time.monotonic() + 15
    while processes_using(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_using(tmp_path) == [], (tmp_path / "make-run.log").read_text()[-3000:]
