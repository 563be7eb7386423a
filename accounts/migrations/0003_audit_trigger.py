"""On PostgreSQL, refuse UPDATE and DELETE on audit events at the database itself,
whatever code or person tries them. A no-op on SQLite."""

from django.db import migrations

CREATE_TRIGGER = """
CREATE OR REPLACE FUNCTION safeguard_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER safeguard_auditevent_append_only
    BEFORE UPDATE OR DELETE ON safeguard_auditevent
    FOR EACH ROW EXECUTE FUNCTION safeguard_auditevent_refuse_change();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS safeguard_auditevent_append_only ON safeguard_auditevent;
DROP FUNCTION IF EXISTS safeguard_auditevent_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("safeguard", "0002_accounts_audit")]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
    ]
