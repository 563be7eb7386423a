"""References numbered per organisation and year (OS-2026-0042, AL-2026-0001):
one counter row per organisation and year, with no gaps or repeats.

Each log that hands out references keeps its own counter table (a subclass of
``YearlyCounter``), so its numbers run on their own.
"""

from django.db import IntegrityError, models, transaction
from django.db.models import F

from accounts.models import Organisation


class YearlyCounter(models.Model):
    """The last number given, per organisation and year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last}"


def next_reference(
    counter: type[YearlyCounter], *, organisation: Organisation, year: int, prefix: str
) -> str:
    """The next reference of the year, as PREFIX-YYYY-NNNN.

    The UPDATE takes the counter row's lock, so two raised at once get
    different numbers; the first of a year creates the row.
    """
    counters = counter._default_manager.filter(organisation=organisation, year=year)
    if not counters.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                counter._default_manager.create(organisation=organisation, year=year, last=0)
        except IntegrityError:
            pass  # someone else created it first; their row is there now
        counters.update(last=F("last") + 1)
    return f"{prefix}-{year}-{counters.get().last:04d}"
