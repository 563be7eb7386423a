"""Load: parents signing consent forms and directors reading the dashboard.

    python manage.py loadtest_prepare --parents 400 --directors 5
    locust -f loadtest/locustfile.py --headless -u 25 -r 25 -t 60s --host http://127.0.0.1:8000

Prepare first (see ops/management/commands/loadtest_prepare.py): each
parent takes one fresh consent link; each director one signed-in session.
User classes are weighted 20:5, so 25 users are 20 parents and 5 directors.
"""

import json
import os
import re
from pathlib import Path

from locust import HttpUser, between, task

DATA = json.loads(Path(os.environ.get("LOADTEST_DATA", "var/loadtest.json")).read_text())
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM = re.compile(r'name="(item_\d+)"')
POLICY = re.compile(r'name="(policy_\d+)"')


class Parent(HttpUser):
    """Opens an emailed link on a phone, answers every item and signs."""

    weight = 20
    wait_time = between(1, 3)

    @task
    def sign(self) -> None:
        if not DATA["tokens"]:
            self.stop()
            return
        token = DATA["tokens"].pop()
        self.client.cookies.clear()
        with self.client.get(f"/c/{token}/", name="/c/[token]/", catch_response=True) as page:
            if "/consent/sign/" not in page.url or "csrfmiddlewaretoken" not in page.text:
                page.failure(f"no signing page: ended at {page.url}")
                return
            html, address = page.text, page.url
        form = {
            "csrfmiddlewaretoken": CSRF.search(html).group(1),
            "typed_name": "Load Test Parent",
            "relationship": "parent",
            "confirms_responsibility": "on",
            **dict.fromkeys(ITEM.findall(html), "granted"),
            **dict.fromkeys(POLICY.findall(html), "on"),
        }
        with self.client.post(
            "/consent/sign/",
            data=form,
            name="/consent/sign/ POST",
            headers={"Referer": address},
            catch_response=True,
        ) as answer:
            if "/consent/receipt/" not in answer.url:
                answer.failure(f"not signed: ended at {answer.url}")


class Director(HttpUser):
    """Reads the dashboard and a table behind one of its figures."""

    weight = 5
    wait_time = between(1, 3)

    def on_start(self) -> None:
        session = DATA["director_sessions"][hash(self) % len(DATA["director_sessions"])]
        self.client.cookies.set(DATA["session_cookie"], session)

    @task(3)
    def dashboard(self) -> None:
        with self.client.get("/dashboard/", catch_response=True) as page:
            if "Review-due dashboard" not in page.text:
                page.failure("not the dashboard")

    @task(1)
    def table(self) -> None:
        self.client.get("/dashboard/tables/incidents-open/", name="/dashboard/tables/[slug]/")
