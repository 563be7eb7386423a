"""Relabel what the database knows by model label, after the models moved apps.

- Content types are renamed in place, so every permission (and so every
  django-guardian object permission granted by an allocation) stays attached.
- The reminder ledger and the retention reviews store the label of the object
  they are about as part of their "once only" key: rewriting it means no
  reminder is sent again and no review is queued twice.
- Audit events are NOT rewritten: their labels are inside the hash chain.
  audit.labels maps the old labels to the new ones for readers.
"""

from django.db import migrations

MOVED = {
    "audit": ["auditevent", "auditchainhead"],
    "children": [
        "child",
        "guardian",
        "childguardian",
        "allocation",
        "childuserobjectpermission",
        "childgroupobjectpermission",
        "historicalchild",
        "historicalguardian",
        "historicalchildguardian",
        "historicalallocation",
    ],
    "compliance": ["dbscheck", "trainingrecord"],
    "notices": ["reminderledger", "notice", "digestledger"],
    "records": [
        "retentionrule",
        "retentionreview",
        "legalhold",
        "subjectaccessrequest",
        "historicalretentionrule",
        "historicalretentionreview",
    ],
    "ops": ["workerheartbeat"],
}


def _pairs(forwards: bool) -> list[tuple[str, str, str]]:
    """(model, from app label, to app label) for every moved model."""
    return [
        (model, "safeguard", app) if forwards else (model, app, "safeguard")
        for app, models in MOVED.items()
        for model in models
    ]


def relabel(apps, schema_editor, forwards=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ReminderLedger = apps.get_model("notices", "ReminderLedger")
    RetentionReview = apps.get_model("records", "RetentionReview")
    for model, old, new in _pairs(forwards):
        # A fresh database has no content types yet (post_migrate makes them);
        # one that somehow has both keeps the one permissions point at.
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        ReminderLedger.objects.filter(object_type=f"{old}.{model}").update(
            object_type=f"{new}.{model}"
        )
        RetentionReview.objects.filter(object_type=f"{old}.{model}").update(
            object_type=f"{new}.{model}"
        )


def unrelabel(apps, schema_editor):
    relabel(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("safeguard", "0008_models_moved_to_their_apps"),
        ("audit", "0001_initial"),
        ("children", "0001_initial"),
        ("compliance", "0001_initial"),
        ("notices", "0001_initial"),
        ("records", "0001_initial"),
        ("ops", "0001_initial"),
    ]

    operations = [migrations.RunPython(relabel, unrelabel)]
