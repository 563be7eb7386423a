"""A legal hold on an incident points at the incident with a real foreign key.

The column (incident_id) and every value in it stay; the database now refuses
a hold on an incident that does not exist, and an incident under a hold cannot
be deleted. A value that names no incident of the hold's organisation (none is
expected: a hold blocks deletion) is cleared first, keeping the reference text.
"""

import django.db.models.deletion
from django.db import migrations, models


def clear_dangling(apps, schema_editor):
    LegalHold = apps.get_model("records", "LegalHold")
    Incident = apps.get_model("incidents", "Incident")
    crossed = []
    for hold in LegalHold.objects.filter(incident_id__isnull=False):
        incident = Incident.objects.filter(pk=hold.incident_id).first()
        if incident is None:
            LegalHold.objects.filter(pk=hold.pk).update(incident_id=None)
        elif incident.organisation_id != hold.organisation_id:
            crossed.append(hold.pk)
    if crossed:
        raise RuntimeError(
            f"Legal holds {crossed} name another organisation's incident; "
            "correct them before migrating."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0001_initial"),
        ("incidents", "0004_children_moved"),
    ]

    operations = [
        migrations.RunPython(clear_dangling, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="legalhold", name="incident_id"),
                migrations.AddField(
                    model_name="legalhold",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="legal_holds",
                        to="incidents.incident",
                    ),
                ),
            ],
            # The same column, altered in place from an integer to a foreign key.
            database_operations=[
                migrations.AlterField(
                    model_name="legalhold",
                    name="incident_id",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_column="incident_id",
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="legal_holds",
                        to="incidents.incident",
                    ),
                ),
            ],
        ),
    ]
