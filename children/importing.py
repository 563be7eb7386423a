"""Onboarding import: a CSV of children and their guardians, all or nothing.

One row per child-and-guardian pair; a child with two guardians appears on two
rows with the same name and date of birth, and a guardian of two siblings on
two rows with the same email. Every row is validated first; if any row has a
problem nothing is saved and every problem is reported by row and column.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organisation, User
from audit import services as audit
from children.forms import IMPORT_MAX_BYTES as MAX_BYTES
from children.models import Child, ChildGuardian, ContactPreference, Guardian
from common.forms import not_in_future, require_contact_details, validate_phone
from common.validators import validate_person_name

MAX_ROWS = 2000
COLUMNS = [
    "child_first_name",
    "child_last_name",
    "preferred_name",
    "date_of_birth",
    "active_from",
    "communication_needs",
    "guardian_name",
    "guardian_email",
    "guardian_phone",
    "relationship",
    "parental_responsibility",
    "preferred_contact",
]
REQUIRED_COLUMNS = {"child_first_name", "child_last_name", "date_of_birth", "guardian_name"}
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class ImportRowForm(forms.Form):
    """One row, validated with the same rules as the pages use."""

    child_first_name = forms.CharField(max_length=100, validators=[validate_person_name])
    child_last_name = forms.CharField(max_length=100, validators=[validate_person_name])
    preferred_name = forms.CharField(
        max_length=100, required=False, validators=[validate_person_name]
    )
    date_of_birth = forms.DateField(input_formats=DATE_FORMATS, validators=[not_in_future])
    active_from = forms.DateField(input_formats=DATE_FORMATS, required=False)
    communication_needs = forms.CharField(max_length=2000, required=False)
    guardian_name = forms.CharField(max_length=200, validators=[validate_person_name])
    guardian_email = forms.EmailField(max_length=254, required=False)
    guardian_phone = forms.CharField(max_length=30, required=False, validators=[validate_phone])
    relationship = forms.CharField(max_length=60)
    parental_responsibility = forms.CharField(required=False)
    preferred_contact = forms.CharField(required=False)

    # Text a spreadsheet would run as a formula if this data were ever exported
    # and opened again ("CSV injection"); no name or note starts like this.
    FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
    TEXT_COLUMNS = (
        "child_first_name",
        "child_last_name",
        "preferred_name",
        "communication_needs",
        "guardian_name",
        "relationship",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for column in self.TEXT_COLUMNS:
            value = data.get(column)
            if isinstance(value, str) and value.startswith(self.FORMULA_START):
                self.add_error(column, "Cannot start with =, +, - or @.")
        require_contact_details(self, email_field="guardian_email", phone_field="guardian_phone")
        return data

    def clean_parental_responsibility(self) -> bool:
        value = self.cleaned_data["parental_responsibility"].strip().lower()
        if value in YES:
            return True
        if value in NO:
            return False
        raise ValidationError("Write yes or no.")

    def clean_preferred_contact(self) -> str:
        value = self.cleaned_data["preferred_contact"].strip().lower() or ContactPreference.EMAIL
        if value not in ContactPreference.values:
            raise ValidationError(f"Write one of: {', '.join(ContactPreference.values)}.")
        return value


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    children: int = 0
    guardians: int = 0
    links: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _read(upload: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if len(upload) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        text = upload.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not a CSV saved as UTF-8 text. In a spreadsheet, choose "
            "Save as, then CSV UTF-8."
        ) from None
    if "\x00" in text:
        raise ValidationError("The file is not a CSV file.")
    reader = csv.DictReader(io.StringIO(text))
    try:
        headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        missing = sorted(REQUIRED_COLUMNS - set(headers))
        if missing:
            raise ValidationError(
                f"The first row must name the columns; missing: {', '.join(missing)}."
            )
        unknown = sorted(set(headers) - set(COLUMNS))
        if unknown:
            raise ValidationError(f"Unknown columns: {', '.join(unknown)}.")
        reader.fieldnames = headers
        rows = []
        start = reader.line_num + 1
        for row in reader:
            # The spreadsheet row where this record began (a cell may span lines).
            number, start = start, reader.line_num + 1
            if None in row:
                raise ValidationError(f"Row {number} has more cells than there are columns.")
            rows.append((number, {key: (value or "").strip() for key, value in row.items()}))
            if len(rows) > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS} rows; split it.")
    except csv.Error as error:
        raise ValidationError(
            f"The file could not be read as CSV near row {reader.line_num}: {error}."
        ) from None
    if not rows:
        raise ValidationError("The file has no rows under the column names.")
    return headers, rows


def children_import(*, organisation: Organisation, upload: bytes, by: User) -> ImportResult:
    """Validate every row; save all of them in one transaction only if all are valid."""
    result = ImportResult()
    try:
        _headers, rows = _read(upload)
    except ValidationError as error:
        result.errors.append(RowError(row=1, column="file", message=error.messages[0]))
        return result

    cleaned: list[tuple[int, dict[str, Any]]] = []
    for number, row in rows:
        form = ImportRowForm(row)
        if not form.is_valid():
            for column, messages in form.errors.items():
                for message in messages:
                    result.errors.append(RowError(number, column, str(message)))
            continue
        cleaned.append((number, form.cleaned_data))

    with transaction.atomic():
        # Lock the organisation: a second upload of the same file (a double
        # click) waits here and then finds these children already in.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        existing = set(
            Child.objects.filter(organisation=organisation).values_list(
                "first_name", "last_name", "date_of_birth"
            )
        )
        children: dict[tuple, dict[str, Any]] = {}
        for number, data in cleaned:
            key = (data["child_first_name"], data["child_last_name"], data["date_of_birth"])
            if key in existing:
                result.errors.append(
                    RowError(number, "child_first_name", "This child is already in Safeguard.")
                )
            first = children.setdefault(key, data)
            if first is not data and first["preferred_name"] != data["preferred_name"]:
                result.errors.append(
                    RowError(
                        number, "preferred_name", "Differs from an earlier row for this child."
                    )
                )
        if result.errors:
            return result
        _save(organisation=organisation, cleaned=cleaned, by=by, result=result)
    return result


def _save(
    *,
    organisation: Organisation,
    cleaned: list[tuple[int, dict[str, Any]]],
    by: User,
    result: ImportResult,
) -> None:
    guardians: dict[str, Guardian] = {
        guardian.email.lower(): guardian
        for guardian in Guardian.objects.filter(organisation=organisation).exclude(email="")
    }
    made: dict[tuple, Child] = {}
    new_guardians: list[int] = []
    for _number, data in cleaned:
        key = (data["child_first_name"], data["child_last_name"], data["date_of_birth"])
        child = made.get(key)
        if child is None:
            child = Child(
                organisation=organisation,
                first_name=data["child_first_name"],
                last_name=data["child_last_name"],
                preferred_name=data["preferred_name"],
                date_of_birth=data["date_of_birth"],
                communication_needs=data["communication_needs"],
            )
            if data["active_from"]:
                child.active_from = data["active_from"]
            child._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
            child.save()
            made[key] = child
        email = data["guardian_email"].lower()
        guardian = guardians.get(email) if email else None
        if guardian is None:
            guardian = Guardian(
                organisation=organisation,
                full_name=data["guardian_name"],
                email=email,
                phone=data["guardian_phone"],
                preferred_contact=data["preferred_contact"],
            )
            guardian._history_user = by  # type: ignore[attr-defined]  # django-simple-history reads it; untyped
            guardian.save()
            new_guardians.append(guardian.pk)
            if email:
                guardians[email] = guardian
        _link, created = ChildGuardian.objects.get_or_create(
            child=child,
            guardian=guardian,
            defaults={
                "relationship": data["relationship"],
                "parental_responsibility": data["parental_responsibility"],
            },
        )
        result.links += created
    result.children = len(made)
    result.guardians = len(new_guardians)
    # One event naming every record the import made, so each can be traced to it.
    audit.record(
        action="children.imported",
        actor=by,
        organisation=organisation,
        details={
            "rows": len(cleaned),
            "children": sorted(child.pk for child in made.values()),
            "guardians": new_guardians,
        },
    )
