"""PostgreSQL changes an organisation's figures stamp whenever a statement writes
a row of any table the dashboard's figures read.

One statement-level trigger per table and event, reading the statement's
transition table, so a bulk insert of 20,000 consent records touches the stamp
once, not 20,000 times. The functions are SECURITY DEFINER, so whoever may
write a row may change the stamp it affects, whatever their own grants.

The list is frozen here, as the tables stood at this migration; a test
(tests/dashboard/test_snapshot.py) reads the figures' queries and fails when
they read a table with no trigger, which then needs a migration like this one.
SQLite has no statement triggers with transition tables, so there the
dashboard computes its figures on every request (dashboard.snapshot).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# Tables with an organisation_id of their own.
DIRECT = [
    "compliance_roletrainingrequirement",
    "consent_consentrecord",
    "consent_consenttype",
    "consent_contactlog",
    "consent_takedowntask",
    "incidents_incident",
    "policies_policy",
    "practice_onlineaccount",
    "practice_platform",
    "practice_recurringtask",
    "practice_workdevice",
    "safeguard_child",
    "safeguard_dbscheck",
    "safeguard_retentionreview",
    "safeguard_subjectaccessrequest",
    "safeguard_trainingrecord",
    "safeguard_user",
]
# Tables whose organisation is their parent's: the join from the changed rows
# ({rows}) to a row "p" with an organisation_id.
VIA = {
    "otp_totp_totpdevice": "JOIN safeguard_user p ON p.id = {rows}.user_id",
    "policies_acknowledgement": (
        "JOIN policies_policyversion v ON v.id = {rows}.version_id "
        "JOIN policies_policy p ON p.id = v.policy_id"
    ),
    "policies_policyreview": "JOIN policies_policy p ON p.id = {rows}.policy_id",
    "policies_policyversion": "JOIN policies_policy p ON p.id = {rows}.policy_id",
    "practice_deviceattestation": "JOIN practice_workdevice p ON p.id = {rows}.device_id",
    "practice_onlineaccount_holders": (
        "JOIN practice_onlineaccount p ON p.id = {rows}.onlineaccount_id"
    ),
    "practice_onlineaccount_monitors": (
        "JOIN practice_onlineaccount p ON p.id = {rows}.onlineaccount_id"
    ),
    "practice_platformassessment": "JOIN practice_platform p ON p.id = {rows}.platform_id",
    "safeguard_childguardian": "JOIN safeguard_child p ON p.id = {rows}.child_id",
}
# Columns an update of which changes no figure: every sign-in sets last_login,
# and every code checked moves the authenticator's counters. Without this each
# sign-in would throw the organisation's kept figures away.
UNCOUNTED = {
    "safeguard_user": ["last_login"],
    "otp_totp_totpdevice": [
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    ],
}


def _organisations(table: str, rows: str) -> str:
    if table in VIA:
        return f"SELECT p.organisation_id AS org FROM {rows} {VIA[table].format(rows=rows)}"
    return f"SELECT {rows}.organisation_id AS org FROM {rows}"


def _touch(touched: str) -> str:
    # Rows in organisation order, so two statements touching the same
    # organisations lock their stamps in the same order.
    return f"""
        INSERT INTO dashboard_figuresstamp (organisation_id, stamp)
        SELECT touched.org, gen_random_uuid()
        FROM (SELECT DISTINCT org FROM ({touched}) found) touched
        WHERE touched.org IS NOT NULL ORDER BY touched.org
        ON CONFLICT (organisation_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    """


def _function(name: str, body: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
        BEGIN
            {body}
            RETURN NULL;
        END $$
    """


def _install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [*DIRECT, *VIA]:
        # Inserts and deletes: the organisations of the rows written.
        schema_editor.execute(
            _function(f"safeguard_figures_touch_{table}", _touch(_organisations(table, "changed"))),
            params=None,
        )
        # Updates: only rows that really changed (an UPDATE that sets what was
        # there changes no figure), and the organisations on both sides, for a
        # row moved from one organisation or parent to another.
        uncounted = ", ".join(f"'{column}'" for column in UNCOUNTED.get(table, []))
        changed = f"""
            WITH moved AS (
                SELECT fresh.id FROM changed fresh JOIN was ON was.id = fresh.id
                WHERE to_jsonb(fresh) - ARRAY[{uncounted}]::text[]
                    IS DISTINCT FROM to_jsonb(was) - ARRAY[{uncounted}]::text[]
            ), now_rows AS (SELECT changed.* FROM changed JOIN moved ON moved.id = changed.id),
            old_rows AS (SELECT was.* FROM was JOIN moved ON moved.id = was.id)
            {_organisations(table, "now_rows")} UNION {_organisations(table, "old_rows")}
        """
        schema_editor.execute(
            _function(f"safeguard_figures_update_{table}", _touch(changed)), params=None
        )
        for event, transition, function in (
            ("insert", "NEW TABLE AS changed", "touch"),
            ("delete", "OLD TABLE AS changed", "touch"),
            ("update", "OLD TABLE AS was NEW TABLE AS changed", "update"),
        ):
            schema_editor.execute(
                f"""
                CREATE TRIGGER safeguard_figures_{event}
                AFTER {event.upper()} ON {table}
                REFERENCING {transition}
                FOR EACH STATEMENT EXECUTE FUNCTION safeguard_figures_{function}_{table}()
                """,
                params=None,
            )


def _remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [*DIRECT, *VIA]:
        for event in ("insert", "update", "delete"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS safeguard_figures_{event} ON {table}", params=None
            )
        for function in ("touch", "update"):
            schema_editor.execute(
                f"DROP FUNCTION IF EXISTS safeguard_figures_{function}_{table}()", params=None
            )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_figures_stamp"),
        ("safeguard", "0012_who_to_tell"),
        ("children", "0002_alter_child_first_name_alter_child_last_name_and_more"),
        ("compliance", "0002_training_kinds_certificates_role_requirements"),
        ("consent", "0010_request_policy_versions"),
        ("incidents", "0007_append_only_no_side_door"),
        ("policies", "0005_reach_audiences_change_kind_child_agreement"),
        ("practice", "0008_recurring_task_evidence"),
        ("records", "0003_erasure_door_reads_reviews"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(_install, _remove, elidable=False)]
