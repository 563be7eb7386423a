"""The hand-counted data sets of test_dashboard, for every dashboard test file."""

from tests.dashboard.test_dashboard import breaches, counted

__all__ = ["breaches", "counted"]
