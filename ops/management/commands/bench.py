"""Measure the main pages, the reminder sweep and PDF rendering at growing sizes.

    manage.py bench [--sizes 1,10] [--repeat 15] [--large] [--sweep-records N] [--json]

Size 1 is one organisation of 50 children, 10 staff, 500 consent records and 10
policies; size N is N such organisations. Everything is built inside a
transaction that is rolled back at the end, so the database is left as it was.
Prints one JSON object:

    {"pages": [{"name", "size", "queries", "p50_ms", "p95_ms"}], "floor_p50_ms",
     "sweep": [{"size", "rows", "due", "seconds"}], "pdf": [{"name", "items", "p50_ms"}],
     "uploads": [{"name", "bytes", "p50_ms", "python_peak_kb"}]}

"uploads" times refusing a .docx bomb and a PDF with JavaScript, and reading the
largest .docx a policy import accepts (ops/bench_uploads.py); python_peak_kb is
tracemalloc's peak, which leaves out lxml's own (C) memory.

With --large it also builds one organisation of 2,000 children, 20,000 consent
records and 5,000 incidents and times the directors' dashboard there, as
"dashboard (large organisation)": kept figures, as a second look within the minute
finds them; "dashboard (large organisation, just after a write)": computed. Beside
them, as a peer, the Django admin's changelist of that organisation's children
(ops/bench_admin.py).

With --sweep-records N it first builds N consent records over N/1,000
organisations by set-based SQL, with 1.5% of them due, and sweeps them; then
again with N/10 records and as many due (ops/bench_sweep.py). Each appears in
"sweep_scale": [{"rows", "organisations", "due", "claimed", "seconds",
"first_pass_seconds", "build_seconds"}].

It measures; it asserts nothing. Like seed_demo, it gathers every app, so it
imports them.
"""

import datetime as dt
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from children import services as caseload
from children.models import Child
from dashboard.models import FiguresStamp
from notices import engine as reminders
from ops import bench_sweep
from ops.bench_uploads import measure_uploads

CHILDREN, STAFF, RECORDS_PER_CHILD, POLICIES, INCIDENTS = 50, 10, 10, 10, 50
LARGE = {"children": 2000, "records": 20000, "incidents": 5000}


def _page_row(
    name: str, size: int | str, queries: int, timings: list[float], **extra: object
) -> dict[str, object]:
    """One row of "pages": the name, size, queries and p50/p95 in milliseconds."""
    return {
        "name": name,
        "size": size,
        "queries": queries,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        **extra,
    }


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
        parser.add_argument(
            "--large",
            action="store_true",
            help="also time the dashboard for one organisation of 2,000 children",
        )
        parser.add_argument(
            "--sweep-records",
            type=int,
            default=0,
            help="also sweep this many consent records over one organisation per 1,000 "
            "(and a tenth as many, with as many due), built by set-based SQL",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("bench builds throwaway data and never runs in production.")
        try:
            sizes = [int(part) for part in str(options["sizes"]).split(",") if part]
        except ValueError:
            raise CommandError("--sizes takes whole numbers, for example 1,10.") from None
        if not sizes or min(sizes) < 1 or max(sizes) > 50:
            raise CommandError("Sizes run from 1 to 50.")
        repeat = max(3, int(options["repeat"]))
        sweep_records = int(options["sweep_records"])
        if sweep_records < 0 or sweep_records > 10_000_000:
            raise CommandError("--sweep-records runs from 0 (none) to 10,000,000.")
        result: dict[str, Any] = {"pages": [], "sweep": [], "pdf": []}
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        try:
            with transaction.atomic():
                if sweep_records:
                    # First, so the sweep sees none of the organisations built below.
                    result["sweep_scale"] = bench_sweep.measure(sweep_records)
                built = 0
                for size in sorted(set(sizes)):
                    while built < size:
                        self._build(built)
                        built += 1
                    self._measure(size, repeat, result)
                if options["large"]:
                    self._measure_large(repeat, result)
                raise Rollback
        except Rollback:
            pass
        result["uploads"] = measure_uploads(repeat)
        self.stdout.write(json.dumps(result))

    # --- data ----------------------------------------------------------------------

    def _inducted(self, organisation: Organisation, users: list[User]) -> None:
        """Trained in Safeguard, as everyone timed is: the child pages are measured
        with the induction gate passing, as they are used."""
        from compliance.models import TrainingKind, TrainingRecord

        TrainingRecord.objects.bulk_create(
            TrainingRecord(
                organisation=organisation,
                staff=user,
                kind=TrainingKind.SYSTEM,
                completed_on=timezone.localdate(),
                recorded_by=user,
            )
            for user in users
        )

    def _build(self, n: int) -> None:
        from consent import services as consent_services
        from consent.models import ConsentRecord, ConsentType, Decision, Method
        from policies import services as policy_services

        organisation = Organisation.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
        admin = User.objects.create_user(
            f"admin{n}@bench.test",
            "x" * 16,
            full_name="Bench Admin",
            organisation=organisation,
            role=Role.ADMIN,
        )
        staff = [
            User.objects.create_user(
                f"staff{n}-{i}@bench.test",
                "x" * 16,
                full_name=f"Staff {i}",
                organisation=organisation,
                role=Role.STAFF,
            )
            for i in range(STAFF - 1)
        ]
        for user in [admin, *staff]:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        self._inducted(organisation, [admin, *staff])
        types = consent_services.consent_types_ensure(organisation=organisation)
        today = timezone.localdate()
        for c in range(CHILDREN):
            child = caseload.child_create(
                organisation=organisation,
                by=admin,
                first_name=f"Child{c}",
                last_name="Bench",
                date_of_birth=dt.date(2015, 1, 1) + dt.timedelta(days=c),
            )
            link = caseload.guardian_add(
                child=child,
                by=admin,
                full_name=f"Parent {c}",
                email=f"p{n}-{c}@bench.test",
                phone="",
                preferred_contact="email",
                relationship="parent",
                parental_responsibility=True,
            )
            caseload.allocation_start(
                child=child, staff=staff[c % len(staff)], starts_on=today, by=admin
            )
            for r in range(RECORDS_PER_CHILD):
                consent_type: ConsentType = types[r % len(types)]
                ConsentRecord(
                    organisation=organisation,
                    child=child,
                    consent_type=consent_type,
                    type_version=consent_type.current_version(),
                    guardian=link.guardian,
                    decision=Decision.GRANTED if r % 3 else Decision.REFUSED,
                    method=Method.PAPER,
                    valid_until=today + dt.timedelta(days=20 + r * 30),
                    typed_name="Parent",
                    shown_sha256="0" * 64,
                ).save()
        dsl = User.objects.create_user(
            f"dsl{n}@bench.test",
            "x" * 16,
            full_name="Bench DSL",
            organisation=organisation,
            role=Role.DSL,
        )
        director = User.objects.create_user(
            f"director{n}@bench.test",
            "x" * 16,
            full_name="Bench Director",
            organisation=organisation,
            role=Role.DIRECTOR,
        )
        for user in (dsl, director):
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        self._inducted(organisation, [dsl, director])
        self._incidents(
            organisation, dsl, INCIDENTS, Child.objects.filter(organisation=organisation)
        )
        for p in range(POLICIES):
            draft = policy_services.policy_create(
                organisation=organisation,
                by=admin,
                title=f"Policy {p}",
                category="other",
                body="Text " * 200,
                audience_roles=["staff"],
                owner=admin,
            )
            policy_services.version_approve(
                draft=draft,
                by=admin,
                approved_by_name="Board",
                approved_on=today - dt.timedelta(days=300 + p * 10),
            )

    def _incidents(
        self, organisation: Organisation, reporter: User, count: int, children: QuerySet[Child]
    ) -> None:
        """Incidents of every kind, status and age, written in bulk: the pages
        read them, so how they were made does not matter here."""
        from incidents.models import Category, ChronologyEntry, Incident, Risk, Status

        now = timezone.now()
        categories, risks, statuses = Category.values, Risk.values, Status.values
        rows = [
            Incident(
                organisation=organisation,
                reference=f"OS-B-{organisation.pk}-{i:05d}",
                reporter=reporter,
                reported_at=now - dt.timedelta(hours=7 * i),
                occurred_at=now - dt.timedelta(hours=7 * i + 1),
                disclosed_at=now - dt.timedelta(hours=7 * i),
                category=categories[i % 4],
                incident_type="data_breach" if i % 97 == 0 else "other",
                what_happened="Bench incident.",
                initial_risk=risks[i % 4],
                risk=risks[i % 4],
                status=statuses[i % 5],
                triaged_at=now - dt.timedelta(hours=7 * i - 3) if i % 5 else None,
            )
            for i in range(count)
        ]
        incidents = Incident.objects.bulk_create(rows, batch_size=500)
        child_ids = list(children.values_list("pk", flat=True))
        Incident.children.through.objects.bulk_create(
            [
                Incident.children.through(
                    incident_id=incident.pk, child_id=child_ids[i % len(child_ids)]
                )
                for i, incident in enumerate(incidents)
            ],
            batch_size=1000,
        )
        ChronologyEntry.objects.bulk_create(
            [
                ChronologyEntry(
                    organisation=organisation,
                    incident=incident,
                    kind="note",
                    happened_at=incident.reported_at,
                    text="Raised.",
                    author=reporter,
                )
                for incident in incidents
            ],
            batch_size=1000,
        )

    def _measure_large(self, repeat: int, result: dict[str, list]) -> None:
        """One organisation at the size issue 9 names, built in bulk."""
        from children.models import ChildGuardian, Guardian
        from consent import services as consent_services
        from consent.models import ConsentRecord

        organisation = Organisation.objects.create(name="Bench large", slug="bench-large")
        director = User.objects.create_user(
            "director@large.bench.test",
            "x" * 16,
            full_name="Large Director",
            organisation=organisation,
            role=Role.DIRECTOR,
        )
        TOTPDevice.objects.create(user=director, name="default", confirmed=True)
        types = consent_services.consent_types_ensure(organisation=organisation)
        children = Child.objects.bulk_create(
            [
                Child(
                    organisation=organisation,
                    first_name=f"C{i}",
                    last_name="Large",
                    date_of_birth=dt.date(2012, 1, 1) + dt.timedelta(days=i % 3000),
                )
                for i in range(LARGE["children"])
            ],
            batch_size=1000,
        )
        guardians = Guardian.objects.bulk_create(
            [Guardian(organisation=organisation, full_name=f"P{i}") for i in range(len(children))],
            batch_size=1000,
        )
        ChildGuardian.objects.bulk_create(
            [
                ChildGuardian(
                    child=child,
                    guardian=guardian,
                    relationship="parent",
                    parental_responsibility=True,
                )
                for child, guardian in zip(children, guardians, strict=True)
            ],
            batch_size=1000,
        )
        today = timezone.localdate()
        per_child = LARGE["records"] // len(children)
        ConsentRecord.objects.bulk_create(
            [
                ConsentRecord(
                    organisation=organisation,
                    child=child,
                    consent_type=types[r % len(types)],
                    type_version=types[r % len(types)].current_version(),
                    guardian=guardian,
                    decision="granted" if r % 4 else "refused",
                    method="paper",
                    valid_until=today + dt.timedelta(days=r * 20),
                    typed_name="P",
                    shown_sha256="0" * 64,
                )
                for child, guardian in zip(children, guardians, strict=True)
                for r in range(per_child)
            ],
            batch_size=2000,
        )
        self._incidents(
            organisation,
            director,
            LARGE["incidents"],
            Child.objects.filter(organisation=organisation),
        )
        if connection.vendor == "postgresql":
            # A live database has planner statistics; rows bulk-written a moment
            # ago do not until ANALYZE (which, unlike VACUUM, runs in a transaction).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        queries, timings = self._time_page(self._client(director), "/dashboard/", repeat)
        result["pages"].append(
            _page_row("dashboard (large organisation)", "large", queries, timings, **LARGE)
        )
        # The same page just after a write to what its figures read: computed, not
        # kept (dashboard.snapshot). A new stamp is what PostgreSQL's triggers set.
        queries, timings = self._time_page(
            self._client(director),
            "/dashboard/",
            repeat,
            before=lambda: FiguresStamp.objects.filter(organisation=organisation).update(
                stamp=uuid.uuid4()
            ),
        )
        result["pages"].append(
            _page_row(
                "dashboard (large organisation, just after a write)",
                "large",
                queries,
                timings,
                **LARGE,
            )
        )
        self._measure_admin_peer(organisation, repeat, result)

    def _measure_admin_peer(
        self, organisation: Organisation, repeat: int, result: dict[str, list]
    ) -> None:
        """The Django admin's changelist of the large organisation's children, as
        a platform operator with a verified second factor sees it: what an
        organisation would otherwise use, timed in the same run as our pages."""
        operator = User.objects.create_user(
            "operator@large.bench.test",
            "x" * 16,
            full_name="Platform Operator",
            organisation=organisation,
            role=Role.ADMIN,
        )
        operator.is_staff = operator.is_superuser = True
        operator.save(update_fields=["is_staff", "is_superuser"])
        TOTPDevice.objects.create(user=operator, name="default", confirmed=True)
        url = f"/bench-admin/children/child/?organisation__id__exact={organisation.pk}"
        # Overriding ROOT_URLCONF clears the URL caches on the way in and out.
        with override_settings(ROOT_URLCONF="ops.bench_admin"):
            queries, timings = self._time_page(self._client(operator), url, repeat)
        result["pages"].append(
            _page_row(
                "admin changelist of children (peer, large organisation)",
                "large",
                queries,
                timings,
                children=LARGE["children"],
            )
        )

    # --- measuring ---------------------------------------------------------------------

    def _client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        return client

    def _time_page(
        self,
        client: Client,
        url: str,
        repeat: int,
        before: Callable[[], object] | None = None,
    ) -> tuple[int, list[float]]:
        """Queries and times of a page; ``before`` runs, untimed, before each request."""
        client.get(url)  # warm caches
        executed = 0

        def count(
            execute: Callable[..., Any], sql: str, params: object, many: bool, context: object
        ) -> Any:
            nonlocal executed
            executed += 1
            return execute(sql, params, many, context)

        # An execute wrapper sees every query, whatever DEBUG and the query log say.
        if before:
            before()
        with connection.execute_wrapper(count):
            response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        timings = []
        for _ in range(repeat):
            if before:
                before()
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        return executed, timings

    def _measure(self, size: int, repeat: int, result: dict[str, Any]) -> None:
        from consent.models import ConsentRecord
        from consent.pdf import render_receipt_pdf
        from policies.models import PolicyVersion
        from policies.pdf import render_policy_version_pdf

        admin = User.objects.get(email="admin0@bench.test")
        therapist = User.objects.get(email="staff0-0@bench.test")
        dsl = User.objects.get(email="dsl0@bench.test")
        director = User.objects.get(email="director0@bench.test")
        child = Child.objects.filter(organisation=admin.organisation).first()
        if child is None:
            raise CommandError("The bench organisation has no children; _build makes them.")
        pages = [
            ("home", admin, "/"),
            ("healthz", admin, "/healthz"),
            ("children (admin)", admin, "/children/"),
            ("caseload (therapist)", therapist, "/children/"),
            ("child detail", admin, f"/children/{child.pk}/"),
            ("policies", therapist, "/policies/"),
            ("staff compliance", admin, "/staff/compliance/"),
            ("notices", admin, "/notices/"),
            ("dashboard (director)", director, "/dashboard/"),
            ("incident list (DSL)", dsl, "/incidents/"),
            ("incident counts (director)", director, "/incidents/counts/"),
        ]
        floor = None
        for name, user, url in pages:
            queries, timings = self._time_page(self._client(user), url, repeat)
            if name == "healthz":
                floor = statistics.median(timings)
            result["pages"].append(_page_row(name, size, queries, timings))
        result["floor_p50_ms"] = round(floor or 0, 2)

        start = time.perf_counter()
        sweep = reminders.sweep(now=timezone.now())
        result["sweep"].append(
            {
                "size": size,
                "rows": ConsentRecord.objects.count(),
                "due": sweep.due,
                "seconds": round(time.perf_counter() - start, 3),
            }
        )
        # In a savepoint rolled back, so the signings never count as built records.
        with transaction.atomic():
            self._parent_signing(size, repeat, child, admin, result)
            transaction.set_rollback(True)

        if not result["pdf"]:  # PDFs do not grow with the organisation: once is enough
            version = PolicyVersion.objects.filter(status="approved").first()
            if version is None:
                raise CommandError("The bench has no approved policy; _build approves them.")
            records = list(ConsentRecord.objects.filter(child=child)[:8])
            for label, render, items in (
                ("policy version", lambda: render_policy_version_pdf(version), 1),
                ("consent receipt", lambda: render_receipt_pdf(records), len(records)),
                ("consent summary", lambda: self._summary(child), len(records)),
                ("chronology (500 entries)", lambda: self._chronology(500), 500),
                # One account as long as a concern can grow: it runs over several pages.
                ("chronology (a 20,000-character entry)", lambda: self._chronology(1, 20_000), 1),
            ):
                timings = []
                for _ in range(5):
                    start = time.perf_counter()
                    render()
                    timings.append((time.perf_counter() - start) * 1000)
                result["pdf"].append(
                    {"name": label, "items": items, "p50_ms": round(statistics.median(timings), 2)}
                )

    def _summary(self, child: Child) -> bytes:
        from consent import services as consent_services
        from consent.models import ConsentRecord
        from consent.pdf import render_child_summary_pdf

        history = list(
            ConsentRecord.objects.filter(child=child).select_related("consent_type", "guardian")
        )
        return render_child_summary_pdf(child, consent_services.consent_matrix(child), history)

    def _chronology(self, entries: int, length: int = 0) -> bytes:
        from incidents.pdf import render_child_chronology_pdf
        from incidents.timeline import TimelineItem

        now = timezone.now()
        items = [
            TimelineItem(
                when=now - dt.timedelta(hours=entries - i),
                source="Incident OS-B-1",
                kind="Note",
                text=(
                    f"Entry {i}: a note of a few sentences about what "
                    "was said and done, as a chronology entry usually is. "
                )
                * max(1, length // 100),
                who="Bench DSL",
                recorded_at=now,
            )
            for i in range(entries)
        ]
        child = Child.objects.first()
        if child is None:
            raise CommandError("The bench has no children; _build makes them.")
        return render_child_chronology_pdf(
            child=child, items=items, exported_by="Bench", exported_at=now
        )

    def _parent_signing(
        self, size: int, repeat: int, child: Child, admin: User, result: dict[str, Any]
    ) -> None:
        """The parent's page: GET shows the form, POST records the answers. Each
        POST needs a link of its own, so one is made per signing."""
        from consent import services as consent_services
        from consent.models import ConsentRequest

        link = child.guardian_links.first()
        if link is None:
            raise CommandError(f"{child} has no guardian; _build gives every child one.")
        guardian = link.guardian
        types = consent_services.consent_types_ensure(organisation=child.organisation)[:3]
        get_times: list[float] = []
        post_times: list[float] = []
        queries = {"GET": 0, "POST": 0}
        for n in range(repeat + 1):
            token, digest = consent_services._token()
            request = ConsentRequest.objects.create(
                organisation=child.organisation,
                child=child,
                guardian=guardian,
                token_sha256=digest,
                sent_by=admin,
                expires_at=timezone.now() + dt.timedelta(days=1),
            )
            versions = [consent_services.current_wording(t) for t in types]
            request.items.set(versions)
            client = Client()
            client.get(f"/c/{token}/")
            form = {
                "typed_name": "Bench Parent",
                "relationship": "parent",
                "confirms_responsibility": "on",
                **{f"item_{v.pk}": "granted" for v in versions},
                **{f"policy_{v.policy_version_id}": "on" for v in versions if v.policy_version_id},
            }
            for method, times in (("GET", get_times), ("POST", post_times)):
                executed = 0

                def count(
                    execute: Callable[..., Any],
                    sql: str,
                    params: object,
                    many: bool,
                    context: object,
                ) -> Any:
                    nonlocal executed
                    executed += 1
                    return execute(sql, params, many, context)

                if method == "POST":
                    # The answers are kept first; "Confirm and send" is what records
                    # them, and is what is timed.
                    client.post("/consent/sign/", form)
                start = time.perf_counter()
                with connection.execute_wrapper(count):
                    response = (
                        client.get("/consent/sign/")
                        if method == "GET"
                        else client.post("/consent/sign/check/")
                    )
                elapsed = (time.perf_counter() - start) * 1000
                signed = response.status_code == 302 and "receipt" in response.get("Location", "")
                if (method == "GET" and response.status_code != 200) or (
                    method == "POST" and not signed
                ):
                    raise CommandError(f"parent signing {method} answered {response.status_code}")
                if n:  # the first of each is a warm-up
                    times.append(elapsed)
                    queries[method] = executed
        for method, times in (("GET", get_times), ("POST", post_times)):
            result["pages"].append(
                _page_row(f"parent signing page ({method})", size, queries[method], times)
            )
