"""Model labels as the audit log stored them.

An audit event stores the label of what it is about (``children.child``), and
that label is inside the event's hash: rewriting it would break the chain. So
events written before the models moved to their own apps (when every core model
was ``safeguard.<model>``) keep their old labels, and readers map them here.
"""

from django.db import models

# The label each moved model had before the house was rebuilt (December 2026).
FORMER_LABELS: dict[str, str] = {
    f"{app}.{model}": f"safeguard.{model}"
    for app, names in {
        "audit": ["auditevent", "auditchainhead"],
        "children": ["child", "guardian", "childguardian", "allocation"],
        "compliance": ["dbscheck", "trainingrecord"],
        "notices": ["reminderledger", "notice", "digestledger"],
        "records": ["retentionrule", "retentionreview", "legalhold", "subjectaccessrequest"],
        "ops": ["workerheartbeat"],
    }.items()
    for model in names
}
# The contact log moved from consent to practice at the same time.
FORMER_LABELS["practice.contactlog"] = "consent.contactlog"


def labels_for(model: type[models.Model]) -> list[str]:
    """Every label under which the audit log may name this model's rows."""
    label = model._meta.label_lower
    return [label, FORMER_LABELS[label]] if label in FORMER_LABELS else [label]
