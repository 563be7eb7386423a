"""The erasure door in PostgreSQL: the one way past the append-only triggers.

A NOLOGIN role, ``safeguard_erasure``, owns a schema of its own holding a
table of openings, and the SECURITY DEFINER functions that read and write it.
The application's role may call the functions but cannot reach the table (not
even after a blanket ``GRANT ... ON ALL TABLES IN SCHEMA public``), so a plain
SQL statement cannot forge an opening the way
``SET LOCAL safeguard.erasure = 'on'`` could:

- ``safeguard_erasure_open(review)`` opens the door for this transaction only
  when the retention review is decided (anonymise, or a confirmed delete) and
  not yet carried out, and only once per review; each opening stays on record
  with the login that asked for it.
- ``safeguard_erasure_close()`` shuts it again before the transaction goes on.
- ``safeguard_erasing()`` is what the triggers' WHEN clauses ask;
  ``safeguard_erasing(organisation)``, for a table whose rows name their
  organisation, lets through only a decision of that organisation.

The review table belongs to the records app, whose migration grants the role
SELECT on it (PL/pgSQL resolves the name when the function runs, so the
functions can be created here, before any trigger that names them).

Every statement is idempotent: the role is shared by every database of the
cluster and may exist already (created by a DBA, see docs/operations.md).
Nothing happens on SQLite, where common.erasure is the only lock.
"""

from django.db import migrations

ROLE = "safeguard_erasure"


def _install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    # Concurrent migrations of two databases in one cluster may race to create it.
    schema_editor.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{ROLE}') THEN
                BEGIN
                    CREATE ROLE {ROLE} NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END;
            END IF;
        END $$;
        """,
        params=None,
    )
    schema_editor.execute(
        f"""
        CREATE SCHEMA IF NOT EXISTS {ROLE} AUTHORIZATION {ROLE};
        REVOKE ALL ON SCHEMA {ROLE} FROM PUBLIC;
        CREATE TABLE IF NOT EXISTS {ROLE}.opening (
            review_id bigint PRIMARY KEY,
            organisation_id bigint NOT NULL,
            xact xid8 NOT NULL,
            opened_at timestamptz NOT NULL DEFAULT now(),
            opened_by name NOT NULL DEFAULT session_user,
            closed boolean NOT NULL DEFAULT false
        );
        CREATE INDEX IF NOT EXISTS opening_xact ON {ROLE}.opening (xact);
        ALTER TABLE {ROLE}.opening OWNER TO {ROLE};
        REVOKE ALL ON {ROLE}.opening FROM PUBLIC;

        CREATE OR REPLACE FUNCTION {schema}.safeguard_erasing() RETURNS boolean
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
            SELECT EXISTS (
                SELECT FROM {ROLE}.opening
                WHERE xact = pg_current_xact_id_if_assigned() AND NOT closed
            )
        $fn$;

        -- For a row that names its organisation: only a decision of that organisation.
        CREATE OR REPLACE FUNCTION {schema}.safeguard_erasing(organisation bigint)
        RETURNS boolean
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
            SELECT EXISTS (
                SELECT FROM {ROLE}.opening
                WHERE xact = pg_current_xact_id_if_assigned() AND NOT closed
                AND organisation_id = organisation
            )
        $fn$;

        CREATE OR REPLACE FUNCTION {schema}.safeguard_erasure_open(review bigint) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
        DECLARE
            decided record;
            opened integer;
        BEGIN
            SELECT organisation_id, decision, decided_by_id, decided_at, confirmed_by_id, done_at
            INTO decided
            FROM {schema}.safeguard_retentionreview WHERE id = review;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'No retention review %: the erasure door stays shut', review
                USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF decided.decision NOT IN ('anonymise', 'delete')
                OR decided.decided_by_id IS NULL OR decided.decided_at IS NULL
                OR decided.confirmed_by_id IS NULL OR decided.done_at IS NOT NULL THEN
                RAISE EXCEPTION
                    'Retention review % is not a decision waiting to be carried out: '
                    'the erasure door stays shut', review
                USING ERRCODE = 'insufficient_privilege';
            END IF;
            -- Once per review: opening again is allowed only within the same transaction.
            INSERT INTO {ROLE}.opening AS opening (review_id, organisation_id, xact)
            VALUES (review, decided.organisation_id, pg_current_xact_id())
            ON CONFLICT (review_id) DO UPDATE SET closed = false
            WHERE opening.xact = pg_current_xact_id();
            GET DIAGNOSTICS opened = ROW_COUNT;
            IF opened = 0 THEN
                RAISE EXCEPTION
                    'Retention review % has been carried out already: the erasure door stays shut',
                    review
                USING ERRCODE = 'insufficient_privilege';
            END IF;
        END
        $fn$;

        CREATE OR REPLACE FUNCTION {schema}.safeguard_erasure_close() RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS $fn$
            UPDATE {ROLE}.opening SET closed = true
            WHERE xact = pg_current_xact_id_if_assigned()
        $fn$;

        ALTER FUNCTION {schema}.safeguard_erasing() OWNER TO {ROLE};
        ALTER FUNCTION {schema}.safeguard_erasing(bigint) OWNER TO {ROLE};
        ALTER FUNCTION {schema}.safeguard_erasure_open(bigint) OWNER TO {ROLE};
        ALTER FUNCTION {schema}.safeguard_erasure_close() OWNER TO {ROLE};
        """,
        params=None,
    )


def _uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The role stays: other databases of the cluster may use it.
    schema_editor.execute(
        """
        DROP FUNCTION IF EXISTS safeguard_erasure_close();
        DROP FUNCTION IF EXISTS safeguard_erasure_open(bigint);
        DROP FUNCTION IF EXISTS safeguard_erasing(bigint);
        DROP FUNCTION IF EXISTS safeguard_erasing();
        DROP SCHEMA IF EXISTS safeguard_erasure CASCADE;
        """,
        params=None,
    )


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(_install, _uninstall, elidable=False)]
