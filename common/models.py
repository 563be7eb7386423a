"""Records that are written once and never change: consent records, the
chronology, acknowledgements, approved policy versions.

Two locks, one rule. ``AppendOnly`` refuses the change in Python, where a
service would otherwise make it; ``append_only()`` declares a PostgreSQL
trigger beside the model, which refuses it whatever code or person tries.
Both let through only a retention decision a person recorded
(``records.retention``), which opens ``common.erasure`` in Python and, in
PostgreSQL, calls ``safeguard_erasure_open(review)``: a SECURITY DEFINER
function (common/migrations/0001_erasure_door.py) that opens the door for its
one transaction only for a review that is decided and not yet carried out. No
session setting opens it, and TRUNCATE is refused outright.

common has no concrete models: this module holds only the abstract base and
the trigger helpers each app's models use.
"""

from typing import Any, ClassVar, cast

import pgtrigger
import pgtrigger.compiler
from django.db import models
from django.utils.text import capfirst

from common.erasure import erasure_allowed

# A trigger refuses unless this transaction carries out a decided retention
# review (of the row's own organisation, where the row names one). The function
# reads a table only the erasure role can write; a session setting (which any
# session may SET) would be a side door.
_NOT_ERASING = "NOT safeguard_erasing()"

# TRUNCATE skips row triggers, so each append-only table refuses it too. A
# superuser is let through because it can switch any trigger off anyway
# (session_replication_role) and the test runner empties tables with TRUNCATE;
# the application's own role is never one (docs/operations.md).
_SUPERUSER = "current_setting('is_superuser') = 'on'"


class AppendOnlyError(Exception):
    """A change to a record that is written once."""


def _what(model: type[models.Model]) -> str:
    return str(capfirst(getattr(model, "sealed_name", "") or model._meta.verbose_name_plural))


def _sealed_when(model: type[models.Model]) -> models.Q | None:
    """The state in which the model's rows are sealed, as its trigger declares
    it (None: as soon as written), so Python and the database read one rule."""
    for trigger in getattr(model._meta, "triggers", []):
        if isinstance(trigger, _Refuse) and trigger.name == APPEND_ONLY:
            return trigger.sealed_when
    return None


def _sealed(queryset: models.QuerySet) -> bool:
    """Whether the rows hold one that may no longer change."""
    sealed_when = _sealed_when(queryset.model)
    return sealed_when is None or queryset.filter(sealed_when).exists()


def _erasing(model: type[models.Model]) -> bool:
    """A retention decision is erasing, and this kind of record may be erased."""
    return getattr(model, "erasable", True) and erasure_allowed()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        if not _erasing(self.model) and _sealed(self):
            raise AppendOnlyError(f"{_what(self.model)} are never changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if not _erasing(self.model) and _sealed(self):
            raise AppendOnlyError(f"{_what(self.model)} are never deleted.")
        return super().delete()


class AppendOnly(models.Model):
    """A record that is written once: saving it again or deleting it raises
    AppendOnlyError, except through a retention decision a person recorded.

    Declare the database's half in the model's Meta: ``triggers = append_only()``,
    or ``append_only(sealed_when=Q(...))`` for a record that may change until it
    reaches a state (a policy version until it is approved).
    """

    # How refusals name the sealed rows, when not simply the model's plural.
    sealed_name: ClassVar[str] = ""
    # False for a record no retention decision may erase (the audit log, whose
    # hash chain spans every organisation); pair with append_only(erasable=False).
    erasable: ClassVar[bool] = True

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not _erasing(type(self)) and self._stored_row_sealed():
            raise AppendOnlyError(f"{_what(type(self))} are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not _erasing(type(self)) and self._stored_row_sealed():
            raise AppendOnlyError(f"{_what(type(self))} are never deleted.")
        return super().delete(*args, **kwargs)

    def _stored_row_sealed(self) -> bool:
        if self._state.adding:
            return False
        return _sealed(type(self)._base_manager.filter(pk=self.pk))


def _on_old_row(condition: models.Q) -> pgtrigger.Q:
    """The model's ``sealed_when`` filter, read from the row as it was stored."""
    old = pgtrigger.Q()
    old.connector, old.negated = condition.connector, condition.negated
    old.children = [
        _on_old_row(child)
        if isinstance(child, models.Q)
        # Outside a nested Q, a child is a (lookup, value) pair.
        else (f"old__{cast(tuple[str, Any], child)[0]}", cast(tuple[str, Any], child)[1])
        for child in condition.children
    ]
    return old


class _Refusable(pgtrigger.Condition):
    """Outside a retention decision, and when ``also`` holds."""

    def __init__(self, also: pgtrigger.Condition | None = None, *, erasable: bool = True) -> None:
        self.also = also
        self.erasable = erasable

    def resolve(self, model: type[models.Model]) -> str:
        if not self.erasable:
            # Always refuse; pgtrigger needs a condition, so one that always holds.
            return "TRUE" if self.also is None else f"({self.also.resolve(model)})"
        not_erasing = _NOT_ERASING
        owner = next((f for f in model._meta.concrete_fields if f.name == "organisation"), None)
        if owner is not None:
            # A decision in one organisation never opens another's records.
            not_erasing = f'NOT safeguard_erasing(OLD."{owner.column}")'
        if self.also is None:
            return not_erasing
        # WHEN takes one parenthesised expression.
        return f"(({not_erasing}) AND ({self.also.resolve(model)}))"


class RefusalSql(pgtrigger.compiler.UpsertTriggerSql):
    """pgtrigger's installation SQL without its ignore switch.

    pgtrigger lets any session skip a trigger with ``SET pgtrigger.ignore``
    (its function begins by reading that setting): for a record that must never
    change that is the same side door as any other session setting."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class TriggerWithoutIgnoreSwitch(pgtrigger.Trigger):
    """A pgtrigger.Trigger installed by RefusalSql: no session setting skips it."""

    def compile(self, model: Any) -> pgtrigger.compiler.Trigger:
        compiled = super().compile(model)
        return pgtrigger.compiler.Trigger(
            name=compiled.name, sql=RefusalSql(**cast(dict[str, Any], compiled.sql.kwargs))
        )


class _Refuse(TriggerWithoutIgnoreSwitch, pgtrigger.Protect):
    """pgtrigger's Protect, raising a message that says why, with the SQLSTATE
    the hand-written triggers used (insufficient_privilege), and no ignore switch."""

    def __init__(self, *, refusal: str, sealed_when: models.Q | None = None, **kwargs: Any) -> None:
        self.refusal = refusal  # a format string and its arguments, in PL/pgSQL
        self.sealed_when = sealed_when
        super().__init__(**kwargs)

    def get_func(self, model: Any) -> str:
        return self.format_sql(
            f"RAISE EXCEPTION {self.refusal} USING ERRCODE = 'insufficient_privilege';"
        )


class _NeverTruncated(TriggerWithoutIgnoreSwitch):
    """TRUNCATE empties a table without firing its row triggers."""

    name = "append_only_truncate"
    when = pgtrigger.Before
    level = pgtrigger.Statement
    operation = pgtrigger.Truncate

    def get_func(self, model: Any) -> str:
        # A statement trigger's WHEN cannot carry this (pgtrigger drops it), so
        # the function asks.
        return self.format_sql(
            f"""
            IF {_SUPERUSER} THEN RETURN NULL; END IF;
            RAISE EXCEPTION '% rows are append-only: TRUNCATE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
            """
        )


APPEND_ONLY = "append_only"


def append_only(
    *, sealed_when: models.Q | None = None, erasable: bool = True
) -> list[pgtrigger.Trigger]:
    """The database's half of AppendOnly, for the model's Meta.triggers: UPDATE
    and DELETE of a sealed row are refused outside a retention decision, and
    TRUNCATE always.

    ``sealed_when`` filters the stored row (``Q(status="approved")``); without
    it a row is sealed as soon as it is written. ``erasable=False``: not even a
    retention decision may change it."""
    return [
        _Refuse(
            name=APPEND_ONLY,
            operation=pgtrigger.Update | pgtrigger.Delete,
            condition=_Refusable(
                also=_on_old_row(sealed_when) if sealed_when else None, erasable=erasable
            ),
            refusal="'% rows are append-only: % refused', TG_TABLE_NAME, TG_OP",
            sealed_when=sealed_when,
        ),
        _NeverTruncated(),
    ]


KEPT_AS_SUBMITTED = "kept_as_submitted"


def kept_as_submitted(*fields: str, what: str) -> list[pgtrigger.Trigger]:
    """For a record that changes as work goes on but part of which is evidence:
    an UPDATE that changes any of ``fields``, or a DELETE, is refused outside a
    retention decision, and TRUNCATE always. ``what`` names that part in the refusal."""
    return [
        _Refuse(
            name=KEPT_AS_SUBMITTED,
            operation=pgtrigger.Update,
            condition=_Refusable(also=pgtrigger.AnyChange(*fields)),
            refusal=f"'{what} is kept as submitted: % refused', TG_OP",
        ),
        # Deleting the record would take the evidence with it.
        _Refuse(
            name=KEPT_AS_SUBMITTED + "_delete",
            operation=pgtrigger.Delete,
            condition=_Refusable(),
            refusal=f"'{what} is kept as submitted: % refused', TG_OP",
        ),
        _NeverTruncated(),
    ]


def refusing_triggers(model: type[models.Model]) -> list[str]:
    """The names of the triggers by which the database refuses to change the
    model's rows (empty for a model that may change freely)."""
    return [
        str(trigger.name)
        for trigger in getattr(model._meta, "triggers", [])
        # The audit head's own triggers are not append-only rules (the head
        # advances); tests/audit/test_chain_head.py tries those.
        if isinstance(trigger, _Refuse | _NeverTruncated)
    ]
