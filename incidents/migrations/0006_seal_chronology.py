"""Seal the rows written before seals began (audit.seals), so verify_audit can
tell a row rewritten later from one that was simply never sealed."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from audit.seals import seal_unsealed

    seal_unsealed(apps.get_model("incidents", "ChronologyEntry"))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_append_only_pgtrigger"),
        ("audit", "0003_head_mac_and_triggers"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
