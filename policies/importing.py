"""Reading an organisation's existing policy documents: text, title, version and dates.

Text comes out of each format through a library (python-docx, pypdf); only the
reading of what the text says is ours. Real policies state their dates in many
ways ("Date: 09.09.2025", "Last updated 3/4/24", "Reviewed: Sept 2025", a page
footer that also carries a phone number) or not at all ("reviewed annually").
UK conventions apply: day first, a two-digit year is 20xx, and a month without a
day means the first of that month.
"""

import datetime as dt
import io
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from dateutil.relativedelta import relativedelta
from django.utils.translation import ngettext

from common.uploads import UploadRefused, docx_check, pdf_check, pdf_limits

SUPPORTED = (".txt", ".md", ".docx", ".pdf")
MAX_BYTES = 10_000_000
# A policy, not a manual: reading a page's text takes pypdf up to a tenth of a
# second, so this keeps the upload's answer to seconds.
MAX_PDF_PAGES = 150
MAX_PDF_SECONDS = 8.0


class UnreadableDocument(Exception):
    """The file is not one we can read; the message says why, for the person."""


# --- text out of each format ------------------------------------------------------


def _text_from_docx(data: bytes) -> str:
    import docx  # python-docx

    try:
        docx_check(data)  # from the zip's directory, before python-docx inflates anything
    except UploadRefused as error:
        raise UnreadableDocument(str(error)) from error
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises several types for a bad file
        raise UnreadableDocument("The file is not a Word document (.docx) we can open.") from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    # Version labels and dates often live only in the header or footer.
    for section in document.sections:
        for part in (section.header, section.footer):
            lines.extend(paragraph.text for paragraph in part.paragraphs)
    return "\n".join(lines)


def _text_from_pdf(data: bytes) -> str:
    try:
        reader = pdf_check(data, max_pages=MAX_PDF_PAGES)
    except UploadRefused as error:
        raise UnreadableDocument(str(error)) from error
    started = time.monotonic()
    pages = []
    try:
        with pdf_limits():
            for page in reader.pages:
                if time.monotonic() - started > MAX_PDF_SECONDS:
                    raise UnreadableDocument(
                        "The PDF took too long to read. Save it as a .docx or .txt and try again."
                    )
                pages.append(page.extract_text() or "")
    except UnreadableDocument:
        raise
    except Exception as error:  # pypdf raises many types for a damaged or odd file
        raise UnreadableDocument("The file is not a PDF we can read.") from error
    # Every page's text, as it is: this is what will be approved and hashed.
    return "\f".join(pages)


def split_page_furniture(text: str) -> tuple[str, list[str]]:
    """Separate a header or footer repeated on every page from the body.

    Only for reading dates and versions, which often live in the footer; the
    saved text keeps everything exactly as the document has it. A line counts
    as furniture only when it recurs on every page, so "Step 1" and "Step 2" on
    two pages of a longer document are body text.
    """
    pages = text.split("\f")
    if len(pages) < 2:
        return text, []

    def normal(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip())

    counts = Counter(normal(line) for page in pages for line in set(page.splitlines()))
    repeated = {key for key, n in counts.items() if n == len(pages) and key}
    body: list[str] = []
    furniture: dict[str, str] = {}
    for page in pages:
        for line in page.splitlines():
            if normal(line) in repeated:
                furniture.setdefault(normal(line), line)
            else:
                body.append(line)
    return "\n".join(body), list(furniture.values())


def extract_text(filename: str, data: bytes) -> str:
    name = filename.lower()
    if len(data) > MAX_BYTES:
        raise UnreadableDocument(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    if name.endswith(".docx"):
        text = _text_from_docx(data)
    elif name.endswith(".pdf"):
        text = _text_from_pdf(data)
    elif name.endswith((".txt", ".md")):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                text = data.decode("utf-16")  # Notepad's "Unicode"
            except UnicodeDecodeError as error:
                raise UnreadableDocument("The text file could not be read.") from error
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
        if "\x00" in text:
            raise UnreadableDocument("The file is not a text file.")
    else:
        raise UnreadableDocument("Choose a .txt, .md, .docx or .pdf file.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not name.endswith(".pdf"):
        text = text.replace("\f", "\n")
    if not text.strip():
        raise UnreadableDocument("No text could be found in the file.")
    return text


# --- what the text says --------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(\d{4}|\d{2})"
DATE_PATTERNS = [
    # 2024-09-01 (ISO)
    ("iso", re.compile(r"(?<![\d.:/-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d.:/-]*\d)")),
    # 09.09.2025, 9/9/25, 09-09-2025 (day first)
    ("dmy", re.compile(r"(?<![\d.:/-])(\d{1,2})[./-](\d{1,2})[./-]" + _YEAR + r"(?![\d.:/-]*\d)")),
    # 9 September 2025, 9th Sept 25, 01-Sep-2024
    (
        "d_month_y",
        re.compile(
            r"\b(\d{1,2})(?:st|nd|rd|th)?[\s-]+(" + _MONTH + r")\.?,?[\s-]+" + _YEAR + r"\b", re.I
        ),
    ),
    # March 15, 2023 (month first, as some templates write it)
    (
        "month_d_y",
        re.compile(r"\b(" + _MONTH + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,\s*(\d{4})\b", re.I),
    ),
    # September 2025, SEPT 2025, Sept '25 (the first of the month)
    ("month_y", re.compile(r"\b(" + _MONTH + r")\.?,?\s+'?" + _YEAR + r"\b(?![,\s]*\d)", re.I)),
]

# Labels, most telling first. Review labels are checked before approval ones,
# because "review date" contains "date" and "last reviewed" contains "review".
REVIEW_LABELS = re.compile(
    r"next\s+review|review\s+(?:date|due|by)|due\s+for\s+review|to\s+be\s+reviewed"
    r"|renewal\s+date|(?<!last\s)review\s*:|date\s+of\s+next\s+review",
    re.I,
)
# Looked for only in the words just before a date, so a label earlier in a long
# sentence does not claim a date it is not about.
LABEL_WINDOW = 40
APPROVAL_LABELS = [
    (3, re.compile(r"approved|adopted|ratified|signed\s+off", re.I)),
    (
        2,
        re.compile(
            r"last\s+review(?:ed)?|date\s+of\s+(?:last\s+)?review|reviewed\s+on|reviewed\s*:"
            r"|updated|revised|issued|effective",
            re.I,
        ),
    ),
    (1, re.compile(r"\bdate\b|\bversion\b|\bv\s*\d|\bdated\b", re.I)),
]
INTERVAL_WORDS = {
    "annually": 12,
    "yearly": 12,
    "every year": 12,
    "each year": 12,
    "annual review": 12,
    "biennially": 24,
    "every two years": 24,
    "every 2 years": 24,
    "every three years": 36,
    "every 3 years": 36,
    "every six months": 6,
    "every 6 months": 6,
}


@dataclass
class FoundDate:
    on: dt.date
    kind: str  # "review" or "approval"
    rank: int
    line: str


@dataclass
class ImportedPolicy:
    title: str
    version: str | None
    approved_on: dt.date | None
    review_due: dt.date | None
    review_interval_months: int | None
    warnings: list[str] = field(default_factory=list)
    body: str = ""

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("body")
        for key in ("approved_on", "review_due"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if year < 100 else year


def _dates_in(line: str) -> list[tuple[int, int, dt.date]]:
    """(start, end, date) for every date written in the line, in order."""
    found: dict[int, tuple[int, dt.date]] = {}
    taken: list[range] = []
    for style, pattern in DATE_PATTERNS:
        for match in pattern.finditer(line):
            if any(match.start() in span for span in taken):
                continue
            groups = match.groups()
            try:
                if style == "iso":
                    year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
                elif style == "dmy":
                    day, month, year = int(groups[0]), int(groups[1]), _year(groups[2])
                elif style == "d_month_y":
                    day, month, year = int(groups[0]), MONTHS[groups[1].lower()], _year(groups[2])
                elif style == "month_d_y":
                    day, month, year = int(groups[1]), MONTHS[groups[0].lower()], int(groups[2])
                else:
                    day, month, year = 1, MONTHS[groups[0].lower()], _year(groups[1])
                found_date = dt.date(year, month, day)
            except (ValueError, KeyError):
                continue  # 31.02.2025, or digits that only look like a date
            if 2000 <= found_date.year <= 2100:
                found[match.start()] = (match.end(), found_date)
                taken.append(range(match.start(), match.end()))
    return [(start, end, on) for start, (end, on) in sorted(found.items())]


def _classify(before: str) -> tuple[str, int] | None:
    """What the label closest before a date says it is, if anything."""
    before = before[-LABEL_WINDOW:]
    candidates = []
    if match := _last(REVIEW_LABELS, before):
        candidates.append((match.end(), "review", 3))
    for rank, pattern in APPROVAL_LABELS:
        if match := _last(pattern, before):
            candidates.append((match.end(), "approval", rank))
    if not candidates:
        return None
    # The nearest label wins; at equal distance, review before approval.
    _end, kind, rank = max(candidates, key=lambda c: (c[0], c[1] == "review"))
    return kind, rank


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _title(lines: list[str]) -> str:
    """The first heading-like line, preferring one that says "policy"."""
    candidates = [line.strip(" \t#*_") for line in lines[:25] if line.strip(" \t#*_")]
    candidates = [re.sub(r"^title\s*:\s*", "", c, flags=re.I) for c in candidates]
    # A heading has letters, is short, and is not a sentence.
    headings = [
        c
        for c in candidates
        if re.search(r"[A-Za-z]{3}", c) and len(c) <= 120 and not c.endswith(".")
    ]
    for line in headings[:5]:
        if re.search(r"\bpolicy\b", line, re.I):
            return line
    return headings[0] if headings else "Untitled policy"


EXPLICIT_VERSION = re.compile(r"\b(?:version|ver\.?)\s*[:.]?\s*(\d{1,3}(?:\.\d{1,3}){0,2})\b", re.I)
BARE_VERSION = re.compile(r"\bv(\d{1,3}(?:\.\d{1,3}){0,2})\b", re.I)


def _version_key(label: str) -> tuple[int, ...]:
    return tuple(int(part) for part in label.split("."))


def _version(lines: list[str]) -> str | None:
    """An explicit "Version 3" beats a bare "v3"; a bare one counts only on a line
    about the policy (not "Zoom v5.16"); the highest found wins (a version table)."""
    explicit = [m.group(1) for line in lines for m in EXPLICIT_VERSION.finditer(line)]
    bare = [
        m.group(1)
        for line in lines
        if re.search(r"\bpolicy\b", line, re.I)
        for m in BARE_VERSION.finditer(line)
    ]
    found = explicit or bare
    return f"v{max(found, key=_version_key)}" if found else None


def _interval(text: str) -> int | None:
    """How often the document says it is reviewed, from sentences about review."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        lowered = " ".join(sentence.lower().split())
        if "review" not in lowered:
            continue
        for words, months in INTERVAL_WORDS.items():
            if re.search(rf"(?<![-\w]){words}\b", lowered):
                return months
    return None


def read_policy(text: str, *, default_interval_months: int = 12) -> ImportedPolicy:
    body, furniture = split_page_furniture(text)
    lines = body.split("\n") + furniture
    found: list[FoundDate] = []
    for line in lines:
        previous_end = 0
        for start, end, on in _dates_in(line):
            # The label is what lies between the previous date on the line and
            # this one ("Date: 09.09.2025   Review Date: 09.09.2026").
            kind = _classify(line[previous_end:start])
            previous_end = end
            if kind is not None:
                found.append(FoundDate(on=on, kind=kind[0], rank=kind[1], line=line.strip()))

    interval = _interval(text)
    approvals = [f for f in found if f.kind == "approval"]
    # The latest approval, update or review is when it was last confirmed; a
    # bare "Date:" counts only when nothing says more.
    strong = [f for f in approvals if f.rank >= 2] or approvals
    approved_on = max((f.on for f in strong), default=None)
    reviews = [f for f in found if f.kind == "review" and (not approved_on or f.on > approved_on)]
    review_due = max((f.on for f in reviews), default=None)

    warnings = []
    if approved_on and review_due and interval is None:
        # "Updated 3 April 2024, review March 2025" means yearly, give or take a
        # few weeks; anything less regular is left for the person to say.
        months = round((review_due - approved_on).days / 30.4375)
        years = round(months / 12)
        if 1 <= years <= 5 and abs(months - 12 * years) <= 1:
            interval = 12 * years
    if approved_on and not review_due:
        months = interval or default_interval_months
        review_due = approved_on + relativedelta(months=months)
        warnings.append(
            ngettext(
                "The document gives no review date; proposed %(months)d month after approval.",
                "The document gives no review date; proposed %(months)d months after approval.",
                months,
            )
            % {"months": months}
        )
    if not approved_on:
        warnings.append("No approval or update date was found: enter the date it was approved.")
    if not review_due:
        warnings.append("No review date was found: enter when it is next due for review.")
    version = _version(lines)
    if version is None:
        warnings.append("No version label was found; it will be v1.")
    return ImportedPolicy(
        title=_title(body.split("\n")),
        version=version,
        approved_on=approved_on,
        review_due=review_due,
        review_interval_months=interval,
        warnings=warnings,
        body=text.replace("\f", "\n").strip(),
    )
