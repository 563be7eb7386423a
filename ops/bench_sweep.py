# ruff: noqa: S608 - SQL built from quoted model tables and columns, ints, and parameters
"""The bench's sweep at deployment scale: consent records for many
organisations, written by set-based SQL, then one reminder sweep over them.

Writing a million records through the ORM one at a time would take longer than
everything else the bench does; here each table is one INSERT ... SELECT over
a series of numbers (generate_series on PostgreSQL, a recursive CTE on SQLite).
Inserts are all the append-only tables' triggers allow, and all this does.

Each organisation has staff, children with one guardian each (with parental
responsibility), the eight default consent types and, per child, one record of
each type. A fixed number of grants run out within 30 days, which is what the
consent reminder makes due; every other record is refused, expired, or runs
out later.
"""

import datetime as dt
import time
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from children.models import Allocation, Child, ChildGuardian, Guardian
from consent.models import ConsentRecord, ConsentType, ConsentTypeVersion
from consent.wording import DEFAULT_TYPES
from notices import engine as reminders

RECORDS_PER_ORGANISATION = 1000
STAFF_PER_ORGANISATION = 5
DUE_SHARE = 0.015  # of the larger size's records, as a deployment might see in a day
SLUG = "sweep-bench-"


class _Rollback(Exception):
    pass


def _add_days(day: str, days: str) -> str:
    """SQL for a date ``days`` (an integer expression) after the date parameter ``day``."""
    if connection.vendor == "postgresql":
        return f"(CAST({day} AS date) + CAST({days} AS integer))"
    return f"date({day}, ({days}) || ' days')"


def _series(count: int) -> tuple[str, str]:
    """A WITH clause and a FROM item giving the integers 0 .. count - 1 as s.i."""
    if connection.vendor == "postgresql":
        return "", f"generate_series(0, {int(count) - 1}) AS s(i)"
    step = f"SELECT i + 1 FROM s WHERE i + 1 < {int(count)}"
    return f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL {step})", "s"


Value = str | tuple[str, list[Any]]


def _insert(
    model: type[models.Model],
    values: dict[str, Value],
    source: str,
    params: list[Any] | None = None,
    with_clause: str = "",
) -> int:
    """INSERT INTO the model's table SELECT ``values`` (SQL by field name, with
    its parameters) FROM ``source`` (with ``params``); every other field gets its
    Python default, so the statement follows the model as fields are added."""
    quote = connection.ops.quote_name
    columns, expressions, arguments = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in values:
            continue
        columns.append(quote(field.column))
        value = values.get(field.name)
        if value is None:
            expressions.append("%s")
            arguments.append(field.get_db_prep_save(field.get_default(), connection))
        elif isinstance(value, tuple):
            expressions.append(value[0])
            arguments += value[1]
        else:
            expressions.append(value)
    sql = (
        f"{with_clause} INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arguments, *(params or [])])
        return cursor.rowcount


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[models.Model], name: str) -> str:
    (field,) = [field for field in model._meta.concrete_fields if field.name == name]
    return connection.ops.quote_name(field.column)


def _ours(column: str) -> str:
    """SQL: ``column`` (an organisation id) is one of the organisations built here."""
    return (
        f"{column} IN (SELECT {_column(Organisation, 'id')} FROM {_table(Organisation)} "
        f"WHERE {_column(Organisation, 'slug')} LIKE '{SLUG}%%')"
    )


def _default_types() -> tuple[str, list[Any]]:
    """The default consent types as a derived table t(code, name, media, explanation)."""
    rows = " UNION ALL ".join(
        ["SELECT %s AS code, %s AS name, %s AS media, %s AS explanation"] * len(DEFAULT_TYPES)
    )
    return f"({rows}) AS t", [value for row in DEFAULT_TYPES for value in row]


def build(*, records: int, organisations: int, due: int) -> None:
    """``records`` consent records over ``organisations`` organisations, of which
    ``due`` grants run out within the next 30 days (1 to 30 days from today)."""
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=400)
    with_clause, series = _series(organisations)
    _insert(
        Organisation,
        {"name": "'Sweep bench ' || s.i", "slug": f"'{SLUG}' || s.i"},
        series,
        with_clause=with_clause,
    )
    org = (
        f"(SELECT {_column(Organisation, 'id')} AS id FROM {_table(Organisation)} "
        f"WHERE {_ours(_column(Organisation, 'id'))}) AS o"
    )
    with_clause, series = _series(STAFF_PER_ORGANISATION)
    _insert(
        User,
        {
            "email": f"'staff-' || o.id || '-' || s.i || '@{SLUG}bench.test'",
            "full_name": "'Staff ' || s.i",
            "organisation": "o.id",
            "password": "'!'",  # unusable: nobody signs in as them
            "role": ("%s", [Role.STAFF]),
        },
        f"{org} CROSS JOIN {series}",
        with_clause=with_clause,
    )
    # The default types, each with its first wording, as consent_types_ensure makes them.
    default_types, type_values = _default_types()
    _insert(
        ConsentType,
        {
            "organisation": "o.id",
            "code": "t.code",
            "name": "t.name",
            "media": "t.media",
            "validity_months": "12",
        },
        f"{org} CROSS JOIN {default_types}",
        type_values,
    )
    _insert(
        ConsentTypeVersion,
        {"consent_type": "ct.id", "number": "1", "explanation": "t.explanation"},
        f"(SELECT * FROM {_table(ConsentType)} "
        f"WHERE {_ours(_column(ConsentType, 'organisation'))}) AS ct "
        f"JOIN {default_types} ON t.code = ct.{_column(ConsentType, 'code')}",
        type_values,
    )
    types = len(DEFAULT_TYPES)
    children_each = -(-records // (organisations * types))
    with_clause, series = _series(children_each)
    _insert(
        Child,
        {
            "organisation": "o.id",
            "first_name": "'Child ' || s.i",
            "last_name": "'Sweep'",
            "date_of_birth": ("%s", [dt.date(2014, 1, 1)]),
            "active_from": ("%s", [long_ago]),
        },
        f"{org} CROSS JOIN {series}",
        with_clause=with_clause,
    )
    child_org = _column(Child, "organisation")
    children = f"(SELECT * FROM {_table(Child)} WHERE {_ours(child_org)}) AS c"
    _insert(
        Guardian,
        {
            "organisation": f"c.{child_org}",
            "full_name": "'Parent ' || c.id",
            "email": f"'parent-' || c.id || '@{SLUG}bench.test'",
        },
        children,
    )
    guardian_join = (
        f"JOIN {_table(Guardian)} AS g ON g.{_column(Guardian, 'email')} = "
        f"'parent-' || c.id || '@{SLUG}bench.test'"
    )
    _insert(
        ChildGuardian,
        {
            "child": "c.id",
            "guardian": "g.id",
            "relationship": "'parent'",
            "parental_responsibility": ("%s", [True]),
        },
        f"{children} {guardian_join}",
    )
    _insert(
        Allocation,
        {
            "organisation": f"c.{child_org}",
            "child": "c.id",
            "staff": "u.id",
            "created_by": "u.id",
            "starts_on": ("%s", [long_ago]),
        },
        f"{children} JOIN {_table(User)} AS u ON u.{_column(User, 'email')} = "
        f"'staff-' || c.{child_org} || '-' || (c.id %% {STAFF_PER_ORGANISATION}) "
        f"|| '@{SLUG}bench.test'",
    )
    # Record k (0-based, in child and type order) is due when k is a multiple of
    # step, for the first ``due`` multiples; of the rest, one in ten is refused,
    # one in ten expired, and the others run out 31 to 730 days from today.
    step = max(1, records // max(1, due))
    is_due = f"(k %% {step} = 0 AND k / {step} < {int(due)})"
    type_org = _column(ConsentType, "organisation")
    version_type = _column(ConsentTypeVersion, "consent_type")
    _insert(
        ConsentRecord,
        {
            "organisation": "r.organisation_id",
            "child": "r.child_id",
            "guardian": "r.guardian_id",
            "consent_type": "r.type_id",
            "type_version": "r.version_id",
            "decision": f"CASE WHEN {is_due} THEN 'granted' WHEN k %% 10 = 7 THEN 'refused' "
            "ELSE 'granted' END",
            "method": "'paper'",
            "valid_until": (
                f"CASE WHEN {is_due} THEN {_add_days('%s', f'1 + (k / {step}) %% 30')} "
                f"WHEN k %% 10 = 3 THEN {_add_days('%s', '-1 - k %% 300')} "
                f"ELSE {_add_days('%s', '31 + k %% 700')} END",
                [today, today, today],
            ),
            "typed_name": "'Parent'",
            "shown_sha256": f"'{'0' * 64}'",
            "recorded_at": ("%s", [timezone.now() - dt.timedelta(days=300)]),
        },
        f"""(SELECT c.{child_org} AS organisation_id, c.id AS child_id, g.id AS guardian_id,
                    ct.id AS type_id, v.id AS version_id,
                    ROW_NUMBER() OVER (ORDER BY c.id, ct.id) - 1 AS k
             FROM {children} {guardian_join}
             JOIN {_table(ConsentType)} AS ct ON ct.{type_org} = c.{child_org}
             JOIN {_table(ConsentTypeVersion)} AS v ON v.{version_type} = ct.id
            ) AS r WHERE k < {int(records)}""",
    )
    if connection.vendor == "postgresql":
        # Planner statistics for the rows just written, as a live database has.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(records: int) -> list[dict[str, Any]]:
    """Sweep ``records`` rows and a tenth of them, over the same organisations
    with the same number due: if the sweep's time followed the rows, the larger
    would take ten times as long. Each size is built in a savepoint rolled back.

    A dry run goes first: the first reads of pages written a moment ago cost
    more than a live database's hourly sweep ever pays (its records were written
    long before), so that pass is reported apart, as first_pass_seconds, and
    "seconds" is the sweep that claims and creates the notices.
    """
    organisations = max(1, records // RECORDS_PER_ORGANISATION)
    due = max(1, round(records * DUE_SHARE))
    figures = []
    for rows in (max(due, records // 10), records):
        try:
            with transaction.atomic():
                start = time.perf_counter()
                build(records=rows, organisations=organisations, due=due)
                built = time.perf_counter() - start
                start = time.perf_counter()
                reminders.sweep(now=timezone.now(), dry_run=True)
                first_pass = time.perf_counter() - start
                start = time.perf_counter()
                result = reminders.sweep(now=timezone.now())
                seconds = time.perf_counter() - start
                figures.append(
                    {
                        "rows": ConsentRecord.objects.filter(
                            organisation__slug__startswith=SLUG
                        ).count(),
                        "organisations": organisations,
                        "due": result.due,
                        "claimed": result.claimed,
                        "seconds": round(seconds, 3),
                        "first_pass_seconds": round(first_pass, 3),
                        "build_seconds": round(built, 3),
                    }
                )
                raise _Rollback
        except _Rollback:
            pass
    return figures
