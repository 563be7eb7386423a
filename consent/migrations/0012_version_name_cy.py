"""The Welsh name on each version of the wording, not only on the type: what a
Welsh reader was shown stays as it was when the type's Welsh name changes.

No version needs a name copied onto it: types gained their Welsh name in 0011,
in the same release, so every type's is still empty when this runs."""

from django.db import migrations, models


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
    ]
