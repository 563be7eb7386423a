"""Let the append-only triggers pass a change made by a retention decision, and
refuse any change to what a reporter submitted.

safeguard.retention sets ``safeguard.erasure`` with SET LOCAL inside the one
transaction that carries out a decision a person recorded; every other UPDATE
or DELETE is still refused."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION incidents_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('safeguard.erasure', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# What the reporter submitted is kept as submitted: only a retention decision
# (anonymising it) may rewrite these columns.
REPORTED = """
CREATE OR REPLACE FUNCTION incidents_keep_report() RETURNS trigger AS $$
BEGIN
    IF current_setting('safeguard.erasure', true) = 'on' THEN RETURN NEW; END IF;
    IF (NEW.reference, NEW.reporter_id, NEW.reported_at, NEW.occurred_at, NEW.disclosed_at,
        NEW.category, NEW.incident_type, NEW.platform, NEW.what_happened, NEW.childs_words,
        NEW.immediate_action, NEW.online_identifiers, NEW.initial_risk, NEW.others_involved)
       IS DISTINCT FROM
       (OLD.reference, OLD.reporter_id, OLD.reported_at, OLD.occurred_at, OLD.disclosed_at,
        OLD.category, OLD.incident_type, OLD.platform, OLD.what_happened, OLD.childs_words,
        OLD.immediate_action, OLD.online_identifiers, OLD.initial_risk, OLD.others_involved)
    THEN
        RAISE EXCEPTION 'what a reporter submitted is kept as submitted: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_incident_keep_report BEFORE UPDATE ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_keep_report();
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION incidents_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(REPORTED, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS incidents_incident_keep_report ON incidents_incident;"
            "DROP FUNCTION IF EXISTS incidents_keep_report();",
            params=None,
        )
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
