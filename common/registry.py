"""The one way an app offers a place for the apps above it to plug in.

A lower app never imports a higher one. Where it needs their contributions (the
reminders that are due, the kinds of record kept, the sections of a child's
page, the documents of a subject access export, the training a role needs), it
declares a hook here, and each app contributes from its own module of the
hook's module: ``@REMINDERS.register`` in ``<app>/reminders.py``. A hook imports
those modules, for every installed app, the first time it is read.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.utils.module_loading import autodiscover_modules

T = TypeVar("T")


class Hook(Generic[T]):
    def __init__(self, module: str, what: str) -> None:
        self.module = module
        self.what = what
        self._items: list[T] = []
        self._discovered = False

    def __repr__(self) -> str:
        return f"<Hook {self.module}: {self.what}>"

    def register(self, item: T) -> T:
        """Add an item (once); usable as a decorator."""
        if item not in self._items:
            self._items.append(item)
        return item

    def items(self) -> tuple[T, ...]:
        if not self._discovered:
            # Set first: a module being discovered may itself read the hook.
            self._discovered = True
            autodiscover_modules(self.module)
        return tuple(self._items)

    @contextmanager
    def only(self, *items: T) -> Iterator[None]:
        """For tests: exactly these items while the block runs, then as before."""
        self.items()
        saved = self._items
        self._items = list(items)
        try:
            yield
        finally:
            self._items = saved

    @contextmanager
    def also(self, item: T) -> Iterator[None]:
        """For tests: one more item while the block runs."""
        self.items()
        added = item not in self._items
        self.register(item)
        try:
            yield
        finally:
            if added:
                self._items.remove(item)


# What is due: ``provider(*, organisation, now) -> Iterable[notices.engine.DueItem]``.
REMINDERS: Hook[Callable[..., Any]] = Hook("reminders", "reminder providers")
# Kinds of record with a retention period: records.retention.RecordKind.
RECORD_KINDS: Hook[Any] = Hook("retention", "kinds of record kept")
# Sections of a child's page: ``section(request, child) -> SafeString | None``.
CHILD_PAGE_SECTIONS: Hook[Callable[..., Any]] = Hook("child_page", "sections of a child's page")
# What a subject access export gathers (records.subject_access.Source), declared
# beside the app's kinds of record in its retention.py.
SUBJECT_ACCESS_SOURCES: Hook[Any] = Hook("retention", "subject access sources")
# Training required beyond the role's: ``requirement(staff) -> {user id: kinds}``.
TRAINING_REQUIREMENTS: Hook[Callable[..., Any]] = Hook("training", "training requirements")
# How each kind of queued email is written at send time: outbox.composers.Composer.
EMAIL_COMPOSERS: Hook[Any] = Hook("emails", "email composers")
# Notices raised the moment something happens, by an app below notices:
# ``announce(*, organisation, kind, obj, stage, recipients, title, url) -> None``.
ANNOUNCEMENTS: Hook[Callable[..., Any]] = Hook("announcements", "notices raised at once")
# What follows, once committed, the approval of a policy version (the parents
# it reaches are emailed, by consent, which policies sits below):
# ``listener(*, version: policies.models.PolicyVersion) -> None``.
POLICY_PUBLISHED: Hook[Callable[..., Any]] = Hook("emails", "what follows a policy's approval")
# What a member of staff must have done before opening a child's record (the
# staff code of conduct, training in Safeguard itself):
# ``outstanding(user) -> bool``, true while something is still to do.
INDUCTION: Hook[Callable[..., bool]] = Hook("induction", "what staff do before opening records")
