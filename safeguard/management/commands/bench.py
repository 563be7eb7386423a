"""Measure the main pages, the reminder sweep and PDF rendering at growing sizes.

    manage.py bench [--sizes 1,10] [--repeat 15] [--json]

Size 1 is one organisation of 50 children, 10 staff, 500 consent records and 10
policies; size N is N such organisations. Everything is built inside a
transaction that is rolled back at the end, so the database is left as it was.
Prints one JSON object:

    {"pages": [{"name", "size", "queries", "p50_ms", "p95_ms"}], "floor_p50_ms",
     "sweep": [{"size", "rows", "due", "seconds"}], "pdf": [{"name", "items", "p50_ms"}]}

It measures; it asserts nothing. Incidents are not built yet, so they are not
measured yet. Like seed_demo, it gathers every app, so it imports them.
"""

import datetime as dt
import json
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard import caseload, reminders
from safeguard.models import Child, Organisation, Role, User

CHILDREN, STAFF, RECORDS_PER_CHILD, POLICIES = 50, 10, 10, 10


class Rollback(Exception):
    """Raised to leave the benchmark's data behind in a rolled-back transaction."""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Benchmark main pages, the reminder sweep and PDFs; prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1", help="comma-separated, e.g. 1,10")
        parser.add_argument("--repeat", type=int, default=15, help="requests per page")
        parser.add_argument("--json", action="store_true", help="JSON only (the default output)")

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("bench builds throwaway data and never runs in production.")
        try:
            sizes = [int(part) for part in str(options["sizes"]).split(",") if part]
        except ValueError:
            raise CommandError("--sizes takes whole numbers, for example 1,10.") from None
        if not sizes or min(sizes) < 1 or max(sizes) > 50:
            raise CommandError("Sizes run from 1 to 50.")
        repeat = max(3, int(options["repeat"]))
        result: dict[str, object] = {"pages": [], "sweep": [], "pdf": []}
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        try:
            with transaction.atomic():
                built = 0
                for size in sorted(set(sizes)):
                    while built < size:
                        self._build(built)
                        built += 1
                    self._measure(size, repeat, result)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(json.dumps(result))

    # --- data ----------------------------------------------------------------------

    def _build(self, n: int) -> None:
        from consent import services as consent_services
        from consent.models import ConsentRecord, ConsentType, Decision, Method
        from policies import services as policy_services

        organisation = Organisation.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
        admin = User.objects.create_user(
            f"admin{n}@bench.test", "x" * 16, full_name="Bench Admin",
            organisation=organisation, role=Role.ADMIN,
        )  # fmt: skip
        staff = [
            User.objects.create_user(
                f"staff{n}-{i}@bench.test", "x" * 16, full_name=f"Staff {i}",
                organisation=organisation, role=Role.STAFF,
            )
            for i in range(STAFF - 1)
        ]  # fmt: skip
        for user in [admin, *staff]:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        types = consent_services.consent_types_ensure(organisation=organisation)
        today = timezone.localdate()
        for c in range(CHILDREN):
            child = caseload.child_create(
                organisation=organisation, by=admin, first_name=f"Child{c}", last_name="Bench",
                date_of_birth=dt.date(2015, 1, 1) + dt.timedelta(days=c),
            )  # fmt: skip
            link = caseload.guardian_add(
                child=child, by=admin, full_name=f"Parent {c}", email=f"p{n}-{c}@bench.test",
                phone="", preferred_contact="email", relationship="parent",
                parental_responsibility=True,
            )  # fmt: skip
            caseload.allocation_start(child=child, staff=staff[c % len(staff)], starts_on=today,
                                      by=admin)  # fmt: skip
            for r in range(RECORDS_PER_CHILD):
                consent_type: ConsentType = types[r % len(types)]
                ConsentRecord(
                    organisation=organisation, child=child, consent_type=consent_type,
                    type_version=consent_type.current_version(), guardian=link.guardian,
                    decision=Decision.GRANTED if r % 3 else Decision.REFUSED,
                    method=Method.PAPER, valid_until=today + dt.timedelta(days=20 + r * 30),
                    typed_name="Parent", shown_sha256="0" * 64,
                ).save()  # fmt: skip
        for p in range(POLICIES):
            draft = policy_services.policy_create(
                organisation=organisation, by=admin, title=f"Policy {p}", category="other",
                body="Text " * 200, audience_roles=["staff"], owner=admin,
            )  # fmt: skip
            policy_services.version_approve(
                draft=draft, by=admin, approved_by_name="Board",
                approved_on=today - dt.timedelta(days=300 + p * 10),
            )  # fmt: skip

    # --- measuring ---------------------------------------------------------------------

    def _client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        return client

    def _time_page(self, client: Client, url: str, repeat: int) -> tuple[int, list[float]]:
        client.get(url)  # warm caches
        executed = 0

        def count(execute: object, sql: str, params: object, many: bool, context: object) -> object:
            nonlocal executed
            executed += 1
            return execute(sql, params, many, context)

        # An execute wrapper sees every query, whatever DEBUG and the query log say.
        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        return executed, timings

    def _measure(self, size: int, repeat: int, result: dict[str, list]) -> None:
        from consent.models import ConsentRecord
        from consent.pdf import render_receipt_pdf
        from policies.models import PolicyVersion
        from policies.pdf import render_policy_version_pdf

        admin = User.objects.get(email="admin0@bench.test")
        therapist = User.objects.get(email="staff0-0@bench.test")
        child = Child.objects.filter(organisation=admin.organisation).first()
        pages = [
            ("home", admin, "/"),
            ("healthz", admin, "/healthz"),
            ("children (admin)", admin, "/children/"),
            ("caseload (therapist)", therapist, "/children/"),
            ("child detail", admin, f"/children/{child.pk}/"),
            ("policies", therapist, "/policies/"),
            ("staff compliance", admin, "/staff/compliance/"),
            ("notices", admin, "/notices/"),
        ]
        floor = None
        for name, user, url in pages:
            queries, timings = self._time_page(self._client(user), url, repeat)
            if name == "healthz":
                floor = statistics.median(timings)
            result["pages"].append({
                "name": name, "size": size, "queries": queries,
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(_percentile(timings, 0.95), 2),
            })  # fmt: skip
        result["floor_p50_ms"] = round(floor or 0, 2)

        start = time.perf_counter()
        sweep = reminders.sweep(now=timezone.now())
        result["sweep"].append({
            "size": size, "rows": ConsentRecord.objects.count(), "due": sweep.due,
            "seconds": round(time.perf_counter() - start, 3),
        })  # fmt: skip

        if not result["pdf"]:  # PDFs do not grow with the organisation: once is enough
            version = PolicyVersion.objects.filter(status="approved").first()
            records = list(ConsentRecord.objects.filter(child=child)[:8])
            for label, render, items in (
                ("policy version", lambda: render_policy_version_pdf(version), 1),
                ("consent receipt", lambda: render_receipt_pdf(records), len(records)),
                ("consent summary", lambda: self._summary(child), len(records)),
            ):
                timings = []
                for _ in range(5):
                    start = time.perf_counter()
                    render()
                    timings.append((time.perf_counter() - start) * 1000)
                result["pdf"].append({"name": label, "items": items,
                                      "p50_ms": round(statistics.median(timings), 2)})  # fmt: skip

    def _summary(self, child: Child) -> bytes:
        from consent import services as consent_services
        from consent.models import ConsentRecord
        from consent.pdf import render_child_summary_pdf

        history = list(ConsentRecord.objects.filter(child=child).select_related(
            "consent_type", "guardian"))  # fmt: skip
        return render_child_summary_pdf(child, consent_services.consent_matrix(child), history)
