"""The core app's models, one module per concern; import them from here."""

from safeguard.models.accounts import (
    Organisation,
    Role,
    StaffSession,
    User,
    UserManager,
    WorkerHeartbeat,
    validate_timezone,
)
from safeguard.models.audit import (
    AuditChainHead,
    AuditEvent,
    AuditEventQuerySet,
    AuditLogImmutableError,
)
from safeguard.models.children import (
    Allocation,
    Child,
    ChildGroupObjectPermission,
    ChildGuardian,
    ChildUserObjectPermission,
    ContactPreference,
    Guardian,
)
from safeguard.models.compliance import (
    TRAINING_VALID_MONTHS,
    DBSCheck,
    DBSLevel,
    TrainingKind,
    TrainingRecord,
)
from safeguard.models.reminders import DigestLedger, Notice, ReminderLedger
from safeguard.models.retention import (
    Decision,
    HoldScope,
    LegalHold,
    RetentionReview,
    RetentionRule,
    SubjectAccessRequest,
)

__all__ = [
    "TRAINING_VALID_MONTHS",
    "Allocation",
    "AuditChainHead",
    "AuditEvent",
    "AuditEventQuerySet",
    "AuditLogImmutableError",
    "Child",
    "ChildGroupObjectPermission",
    "ChildGuardian",
    "ChildUserObjectPermission",
    "ContactPreference",
    "DBSCheck",
    "DBSLevel",
    "Decision",
    "DigestLedger",
    "Guardian",
    "HoldScope",
    "LegalHold",
    "Notice",
    "Organisation",
    "ReminderLedger",
    "RetentionReview",
    "RetentionRule",
    "Role",
    "StaffSession",
    "SubjectAccessRequest",
    "TrainingKind",
    "TrainingRecord",
    "User",
    "UserManager",
    "WorkerHeartbeat",
    "validate_timezone",
]
