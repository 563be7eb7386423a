"""The one door through which append-only records may change: a retention
decision a person recorded (see records.retention). Kept free of imports so
that any app's models can ask it."""

import contextvars

_erasing: contextvars.ContextVar[bool] = contextvars.ContextVar("retention_erasing", default=False)


def erasure_allowed() -> bool:
    """True only while a decided retention review anonymises or deletes."""
    return _erasing.get()


def allow() -> contextvars.Token[bool]:
    return _erasing.set(True)


def close(token: contextvars.Token[bool]) -> None:
    _erasing.reset(token)
