"""SQLite, with audit events chained just before COMMIT (see audit.backends)."""

from django.db.backends.sqlite3 import base

from audit.backends import ChainsAuditOnCommit


class DatabaseWrapper(ChainsAuditOnCommit, base.DatabaseWrapper):
    pass
