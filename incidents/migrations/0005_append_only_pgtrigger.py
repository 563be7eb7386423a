"""The append-only triggers become pgtrigger's, declared beside the models
(common.models.append_only and kept_as_submitted), with the same rules: no
UPDATE or DELETE of chronology entries and evidence, no change to what a
reporter submitted, and only a retention decision (safeguard.erasure = 'on')
let through. The hand-written triggers of 0002 and 0003 go first."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

HAND_WRITTEN = """
DROP TRIGGER IF EXISTS incidents_chronologyentry_append_only ON incidents_chronologyentry;
DROP TRIGGER IF EXISTS incidents_evidence_append_only ON incidents_evidence;
DROP TRIGGER IF EXISTS incidents_incident_keep_report ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_refuse_change();
DROP FUNCTION IF EXISTS incidents_keep_report();
"""

# As 0002 and 0003 left them, for migrating back.
RESTORE_HAND_WRITTEN = """
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
CREATE TRIGGER incidents_chronologyentry_append_only
    BEFORE UPDATE OR DELETE ON incidents_chronologyentry
    FOR EACH ROW EXECUTE FUNCTION incidents_refuse_change();
CREATE TRIGGER incidents_evidence_append_only
    BEFORE UPDATE OR DELETE ON incidents_evidence
    FOR EACH ROW EXECUTE FUNCTION incidents_refuse_change();
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


def drop_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HAND_WRITTEN, params=None)


def restore_hand_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE_HAND_WRITTEN, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_children_moved"),
    ]

    operations = [
        migrations.RunPython(drop_hand_written, restore_hand_written),
        pgtrigger.migrations.AddTrigger(
            model_name="chronologyentry",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (current_setting('safeguard.erasure', true) IS DISTINCT FROM 'on')",
                    func="RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';",
                    hash="67abb3c863de8e992bd217363739fb9e2c07e2e6",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_249c7",
                    table="incidents_chronologyentry",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="evidence",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (current_setting('safeguard.erasure', true) IS DISTINCT FROM 'on')",
                    func="RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';",
                    hash="c8bfa532699f30d72fc6c2fcc2b8ace3e8b1645d",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_937ae",
                    table="incidents_evidence",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="incident",
            trigger=pgtrigger.compiler.Trigger(
                name="kept_as_submitted",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN ((current_setting(\'safeguard.erasure\', true) IS DISTINCT FROM \'on\') AND ((OLD."category" IS DISTINCT FROM (NEW."category") OR OLD."childs_words" IS DISTINCT FROM (NEW."childs_words") OR OLD."disclosed_at" IS DISTINCT FROM (NEW."disclosed_at") OR OLD."immediate_action" IS DISTINCT FROM (NEW."immediate_action") OR OLD."incident_type" IS DISTINCT FROM (NEW."incident_type") OR OLD."initial_risk" IS DISTINCT FROM (NEW."initial_risk") OR OLD."occurred_at" IS DISTINCT FROM (NEW."occurred_at") OR OLD."online_identifiers" IS DISTINCT FROM (NEW."online_identifiers") OR OLD."others_involved" IS DISTINCT FROM (NEW."others_involved") OR OLD."platform" IS DISTINCT FROM (NEW."platform") OR OLD."reference" IS DISTINCT FROM (NEW."reference") OR OLD."reported_at" IS DISTINCT FROM (NEW."reported_at") OR OLD."reporter_id" IS DISTINCT FROM (NEW."reporter_id") OR OLD."what_happened" IS DISTINCT FROM (NEW."what_happened"))))',
                    func="RAISE EXCEPTION 'what a reporter submitted is kept as submitted: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';",
                    hash="f06992531c26ef9a8722a110fa91cc68b48a8788",
                    operation="UPDATE",
                    pgid="pgtrigger_kept_as_submitted_17968",
                    table="incidents_incident",
                    when="BEFORE",
                ),
            ),
        ),
    ]
