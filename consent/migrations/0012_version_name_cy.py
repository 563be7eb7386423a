"""The Welsh name on each version of the wording, not only on the type: what a
Welsh reader was shown stays as it was when the type's Welsh name changes.

Each existing version takes its type's Welsh name as it stands: that is the
name every Welsh record so far was shown and hashed with. Versions are
append-only, so the copy passes their trigger for this one statement (the
migration runs as the tables' owner)."""

from django.db import migrations, models

TRIGGER = "pgtrigger_append_only_365c8"


def _copy_names(apps, schema_editor) -> None:
    update = """
        UPDATE consent_consenttypeversion AS v SET name_cy = t.name_cy
        FROM consent_consenttype AS t
        WHERE t.id = v.consent_type_id AND t.name_cy <> ''
    """
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(update)
        return
    schema_editor.execute(f"ALTER TABLE consent_consenttypeversion DISABLE TRIGGER {TRIGGER}")
    schema_editor.execute(update)
    schema_editor.execute(f"ALTER TABLE consent_consenttypeversion ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0011_welsh_and_receipt_references"),
    ]

    operations = [
        migrations.AddField(
            model_name="consenttypeversion",
            name="name_cy",
            field=models.CharField(
                blank=True, default="", max_length=120, verbose_name="name in Welsh"
            ),
        ),
        migrations.RunPython(_copy_names, migrations.RunPython.noop),
    ]
