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


def move_content_type(apps, model: str, old: str, new: str) -> None:
    """Rename old.model's content type to new.model, keeping every permission
    (and so every object permission an allocation granted) attached to it.

    A fresh database has neither yet (post_migrate makes them). Where both exist
    (post_migrate ran between two partial migrates), the old one's permissions
    are moved onto the new one's, then the old content type goes.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old_type = ContentType.objects.filter(app_label=old, model=model).first()
    if old_type is None:
        return
    new_type = ContentType.objects.filter(app_label=new, model=model).first()
    if new_type is None:
        ContentType.objects.filter(pk=old_type.pk).update(app_label=new)
        return
    for permission in Permission.objects.filter(content_type=old_type):
        twin = Permission.objects.filter(
            content_type=new_type, codename=permission.codename
        ).first()
        if twin is None:
            Permission.objects.filter(pk=permission.pk).update(content_type=new_type)
            continue
        # Everything that points at the old permission points at its twin.
        for relation in Permission._meta.related_objects:
            related = relation.related_model
            if relation.many_to_many:
                through = getattr(Permission, relation.get_accessor_name()).through
                through.objects.filter(permission_id=permission.pk).update(
                    permission_id=twin.pk
                )
            else:
                related._base_manager.filter(**{relation.field.name: permission.pk}).update(
                    **{relation.field.name: twin.pk}
                )
        Permission.objects.filter(pk=permission.pk).delete()
    for relation in ContentType._meta.related_objects:
        if not relation.many_to_many and relation.related_model is not Permission:
            relation.related_model._base_manager.filter(
                **{relation.field.name: old_type.pk}
            ).update(**{relation.field.name: new_type.pk})
    ContentType.objects.filter(pk=old_type.pk).delete()


def relabel(apps, schema_editor, forwards=True):
    ReminderLedger = apps.get_model("notices", "ReminderLedger")
    RetentionReview = apps.get_model("records", "RetentionReview")
    for model, old, new in _pairs(forwards):
        move_content_type(apps, model, old, new)
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
