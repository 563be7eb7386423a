"""What the records app reminds: retention reviews and subject access deadlines."""

from common.registry import REMINDERS
from records.retention import reviews_due
from records.subject_access import sars_due

REMINDERS.register(reviews_due)
REMINDERS.register(sars_due)
