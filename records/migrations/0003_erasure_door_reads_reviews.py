"""The erasure door (common 0001) reads the retention review it is asked to
open for; its role needs only SELECT on that table."""

from django.db import migrations


def _grant(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "GRANT SELECT ON safeguard_retentionreview TO safeguard_erasure", params=None
        )


def _revoke(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "REVOKE SELECT ON safeguard_retentionreview FROM safeguard_erasure", params=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_erasure_door"),
        ("records", "0002_legal_hold_incident_foreign_key"),
    ]

    operations = [migrations.RunPython(_grant, _revoke, elidable=False)]
