"""Seal the rows written before seals began (audit.seals), so verify_audit can
tell a row rewritten later from one that was simply never sealed."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from audit.seals import seal_unsealed

    seal_unsealed(apps.get_model("consent", "ConsentRecord"))


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0005_contact_log_moved"),
        ("audit", "0003_head_mac_and_triggers"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
