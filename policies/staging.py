"""A policy document uploaded for import, kept until the person who uploaded it
confirms what was read from it.

Kept in the default storage (a bucket every web server shares when STORAGE_URL
is set), under a name of our making that only the signed token carries. A
staged upload is used at most once; the ones never confirmed are deleted by a
scheduled task (policies.tasks.forget_unconfirmed_imports), not during a request.
"""

import datetime as dt
import posixpath
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import User

PENDING_DIR = "policy_imports/pending"
# The confirmation token lasts an hour; a day leaves no doubt it has expired.
STALE_AFTER = dt.timedelta(hours=24)

T = TypeVar("T")


def _stored(name: str) -> str:
    # The token is signed, but a name is still never allowed to leave the folder.
    return f"{PENDING_DIR}/{posixpath.basename(name)}"


def staged_import_save(*, data: bytes, suffix: str) -> str:
    """Keep the upload; the name to put in the confirmation token."""
    stored = default_storage.save(_stored(f"{uuid.uuid4().hex}{suffix}"), ContentFile(data))
    return posixpath.basename(stored)


def staged_import_read(name: str) -> bytes | None:
    """The staged upload's content; None once it has been used or deleted."""
    try:
        with default_storage.open(_stored(name), "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        return None


def staged_import_use(*, name: str, by: User, save: Callable[[bytes], T]) -> T | None:
    """``save(content)`` once for the staged upload; None if it was used already.

    The claim is the lock on the uploader's row (the token is bound to them):
    of two confirmations at once (a double click), the second waits here until
    the first has saved and deleted the upload, then finds it gone. A storage
    delete cannot be the claim: deleting a missing object in a bucket succeeds,
    so both would go on. If ``save`` refuses (ValidationError) the upload stays
    for the corrected form; if the commit itself fails after the delete, the
    person uploads again rather than risk a second policy.
    """
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=by.pk).exists()
        data = staged_import_read(name)
        if data is None:
            return None
        saved = save(data)
        default_storage.delete(_stored(name))
        return saved


def stale_staged_imports_delete(*, now: dt.datetime, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Delete uploads staged longer ago than ``older_than``; how many went.

    Safe to run twice or on two workers at once: deleting what is gone is harmless.
    """
    cutoff = now - older_than
    try:
        _, files = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in files:
        stored = f"{PENDING_DIR}/{name}"
        try:
            staged_at = default_storage.get_modified_time(stored)
        except FileNotFoundError:  # used or deleted meanwhile
            continue
        if staged_at < cutoff:
            default_storage.delete(stored)
            deleted += 1
    return deleted
