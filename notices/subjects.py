"""The subject line of an urgent notice's email.

A subject is read on a lock screen and in a shared inbox's list, so it never
names a child: it gives the organisation, what happened with each child's name
put as "a child" (consent withdrawn for a child) and the record's reference
where it has one (OS-2026-0042, CR-2026-0042); the name waits behind the
sign-in. It says "urgent" once, whatever the title says.
"""

import re

from django.apps import apps
from django.db import models

from notices.models import Notice

# A title may start by saying it is urgent ("URGENT: New online-safety
# concern..."); the subject says so itself, once.
_URGENT_LEAD = re.compile(r"^\W*urgent\W*", re.IGNORECASE)
_URGENT_ANYWHERE = re.compile(r"\burgent\b", re.IGNORECASE)


def _about(notice: Notice) -> models.Model | None:
    """The record the notice is about, from its ledger row."""
    try:
        model = apps.get_model(notice.ledger.object_type)
    except (LookupError, ValueError):
        return None
    return model._default_manager.filter(pk=notice.ledger.object_id).first()


def _children(obj: models.Model) -> list[models.Model]:
    """Every child the record is about, found by shape: the notices app sits
    below the children app and does not import it."""
    found: list[models.Model] = []
    if obj._meta.label_lower == "children.child":
        found.append(obj)
    child = getattr(obj, "child", None)
    if isinstance(child, models.Model):
        found.append(child)
    for holder in (obj, getattr(obj, "incident", None)):
        related = getattr(holder, "children", None)
        if isinstance(related, models.Manager):
            found.extend(related.all())
    return found


def _names(children: list[models.Model]) -> list[str]:
    """Each way a child may be named, longest first ("Noor Hassan" before "Noor")."""
    names: set[str] = set()
    for child in children:
        first, preferred, last = (
            (getattr(child, field, "") or "").strip()
            for field in ("first_name", "preferred_name", "last_name")
        )
        for given in (first, preferred):
            if given and last:
                names.add(f"{given} {last}")
        names.update(name for name in (first, preferred, last) if name)
    return sorted(names, key=len, reverse=True)


def _pattern(name: str) -> str:
    return rf"(?<!\w){re.escape(name)}(?!\w)"


def without_names(title: str, names: list[str]) -> str:
    """The title with each child's name put as "a child"."""
    for name in names:
        title = re.sub(_pattern(name), "a child", title, flags=re.IGNORECASE)
    return re.sub(r"\ba child(?:\W+a child)+\b", "a child", title)


def urgent_subject(notice: Notice) -> str:
    organisation = notice.organisation.name
    about = _about(notice)
    names = _names(_children(about)) if about is not None else []
    title = without_names(_URGENT_LEAD.sub("", notice.title).strip(), names)
    reference = str(getattr(about, "reference", "") or "")
    if reference and reference not in title:
        title = f"{title} ({reference})"
    if about is None or not title or any(re.search(_pattern(n), title, re.I) for n in names):
        # Cannot tell what it is about: say only where to read it.
        return f"Urgent: {organisation}: a notice to read in Safeguard"
    if _URGENT_ANYWHERE.search(title):
        # "urgent" once: the title keeps its word, the prefix drops its own.
        return f"{organisation}: {title}"
    return f"Urgent: {organisation}: {title}"
