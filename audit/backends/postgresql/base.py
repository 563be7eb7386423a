"""PostgreSQL, with audit events chained just before COMMIT (see audit.backends)."""

from django.db.backends.postgresql import base

from audit.backends import ChainsAuditOnCommit


class DatabaseWrapper(ChainsAuditOnCommit, base.DatabaseWrapper):
    pass
