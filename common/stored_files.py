"""Walking what the storage API holds, the same way for a folder on disk and a bucket.

Uploaded files are only ever read and written through Django's storage API
(``default_storage`` and FileFields), never through a path on the web server's
disk: with STORAGE_URL set they live in a bucket every server shares.
"""

import posixpath
from collections.abc import Iterator

from django.core.files.storage import Storage


def stored_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """The name of every file under ``folder``, in sub-folders too."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a folder on disk not made yet; a bucket just lists nothing
        return
    for name in sorted(files):
        yield posixpath.join(folder, name)
    for sub in sorted(folders):
        yield from stored_names(storage, posixpath.join(folder, sub))
