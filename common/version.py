"""Dependency checks behind /healthz, and the worker heartbeat they report."""

import functools
from importlib import metadata


@functools.cache
def app_version() -> str:
    """Read once: every page shows it, and it cannot change while the process runs."""
    try:
        return metadata.version("safeguard")
    except metadata.PackageNotFoundError:
        return "unknown"
