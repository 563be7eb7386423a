"""Reading a PDF back the way a person would: every page's words, in order.

Page furniture (the marking, the footer, "Page n of N") is drawn on every page
and would sit in the middle of text that runs from one page to the next, so it
is taken out first: ``furniture`` holds regular expressions for it. Markers are
words without spaces, found in order in the text with all whitespace removed: a
long word broken across lines still reads whole.
"""

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def pdf_pages(content: bytes, *, furniture: Iterable[str] = ()) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    total = len(reader.pages)
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        for repeated in [*furniture, rf"Page {number} of {total}"]:
            text = re.sub(repeated, " ", text)
        pages.append(text)
    return pages


def pdf_text(content: bytes, *, furniture: Iterable[str] = ()) -> str:
    return "\n".join(pdf_pages(content, furniture=furniture))


def assert_in_order(text: str, markers: Sequence[str]) -> None:
    """Each marker appears after the one before it.

    Hebrew and Arabic are drawn in the order they were typed (reportlab's
    right-to-left support needs rlbidi, which is not on PyPI), and pypdf reverses
    a right-to-left run when it reads it back: such a marker may read reversed.
    """
    flat = re.sub(r"\s+", "", text)
    position = 0
    for marker in markers:
        assert not re.search(r"\s", marker), f"a marker is one word: {marker!r}"
        found = [flat.find(marker, position)]
        if _RTL.search(marker):
            found.append(flat.find(marker[::-1], position))
        hits = [at for at in found if at >= 0]
        assert hits, (
            f"{marker[:40]!r} (length {len(marker)}) not found after position {position}: "
            f"next is {flat[position : position + 80]!r}"
        )
        position = min(hits) + len(marker)


def numbered_words(prefix: str, length: int) -> tuple[str, list[str]]:
    """Ordinary prose of at least ``length`` characters, each sentence starting
    with a numbered marker word; returns the text and its markers in order."""
    markers: list[str] = []
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < length:
        marker = f"{prefix}{len(markers):05d}"
        markers.append(marker)
        sentences.append(f"{marker} said that the adult in the game asked again.")
    return " ".join(sentences), markers


def long_word(prefix: str, length: int) -> tuple[str, list[str]]:
    """One word of ``length`` characters with no space, made of numbered pieces."""
    pieces = []
    while sum(map(len, pieces)) < length:
        pieces.append(f"{prefix}{len(pieces):05d}")
    word = "".join(pieces)[:length]
    return word, [word]


def short_lines(prefix: str, count: int) -> tuple[str, list[str]]:
    markers = [f"{prefix}{n:04d}" for n in range(count)]
    return "\n".join(markers), markers


def assert_present(text: str, words: Iterable[str]) -> None:
    """Each word is there, in whichever order a right-to-left run reads back."""
    flat = re.sub(r"\s+", "", text)
    for word in words:
        assert word in flat or word[::-1] in flat, f"{word!r} not found"


# Welsh with its circumflexed w and y, and Hebrew and Arabic: single words between
# Latin markers (read in order), then whole sentences (every word read back).
WELSH_AND_RTL = (
    "cymraeg0 Dywedodd Siân fod y gŵr wedi gofyn ddwywaith; roedd ŷd ac â yno. "
    "ivrit0 שלום ivrit1 הוא אמר שלום ושאל איפה את גרה "
    "arabi0 مرحبا arabi1 قال مرحبا وسأل عن عنوانها end0"
)
WELSH_AND_RTL_MARKERS = [
    "cymraeg0",
    "Siân",
    "gŵr",
    "ŷd",
    "â",
    "ivrit0",
    "שלום",
    "ivrit1",
    "arabi0",
    "مرحبا",
    "arabi1",
    "end0",
]
RTL_WORDS = ["הוא", "אמר", "ושאל", "איפה", "גרה", "قال", "وسأل", "عنوانها"]


@dataclass(frozen=True)
class Run:
    """One piece of text as drawn: its page, where its first glyph starts, its
    baseline, how wide it is, and its size."""

    page: int
    x: float
    y: float
    width: float
    size: float
    text: str

    @property
    def right(self) -> float:
        return self.x + self.width

    # The part of a line's height glyphs take, below and above the baseline.
    @property
    def bottom(self) -> float:
        return self.y - 0.2 * self.size

    @property
    def top(self) -> float:
        return self.y + 0.75 * self.size


def text_runs(content: bytes) -> list[Run]:
    """Every run of text with its position. Widths are measured with the fonts
    reportlab drew them in (registered by common.pdf; a subset's name is the
    font's name behind a six-letter tag).

    pypdf hands a line holding right-to-left words over in pieces, each with the
    position of the line's start: pieces in a row at one position are one line,
    and measured as one."""
    reader = PdfReader(io.BytesIO(content))
    # page, x, y, text, font, size: as pypdf gives them, blank pieces left out
    pieces: list[tuple[int, float, float, str, str, float]] = []
    for number, page in enumerate(reader.pages, start=1):

        def visit(
            text: str, cm: list[float], tm: list[float], font: Any, size: float, number=number
        ) -> None:
            if text.strip() and font is not None:
                pieces.append(
                    (
                        number,
                        tm[4] * cm[0] + tm[5] * cm[2] + cm[4],
                        tm[4] * cm[1] + tm[5] * cm[3] + cm[5],
                        text.rstrip(),
                        str(font["/BaseFont"]).lstrip("/").split("+")[-1],
                        size * tm[0] * cm[0],
                    )
                )

        page.extract_text(visitor_text=visit)
    joined: list[tuple[int, float, float, str, str, float]] = []
    for piece in pieces:
        if joined and joined[-1][:3] == piece[:3]:
            last = joined.pop()
            piece = (*last[:3], last[3] + piece[3], *piece[4:])
        joined.append(piece)
    runs = []
    for number, x, y, line, font, size in joined:
        lead = line[: len(line) - len(line.lstrip())]
        runs.append(
            Run(
                page=number,
                x=x + pdfmetrics.stringWidth(lead, font, size),
                y=y,
                width=pdfmetrics.stringWidth(line.lstrip(), font, size),
                size=size,
                text=line.lstrip(),
            )
        )
    return runs


def overprinted(runs: Sequence[Run], tolerance: float = 0.5) -> list[tuple[Run, Run]]:
    """Pairs of runs whose glyphs would cover each other: on one page, their
    lines' heights overlapping (the same baseline, or lines too close) and
    their widths overlapping by more than ``tolerance`` points."""
    clashes = []
    by_page: dict[int, list[Run]] = {}
    for run in runs:
        by_page.setdefault(run.page, []).append(run)
    for page_runs in by_page.values():
        ordered = sorted(page_runs, key=lambda run: run.x)
        for n, first in enumerate(ordered):
            for second in ordered[n + 1 :]:
                if second.x >= first.right - tolerance:
                    break
                if first.bottom < second.top - tolerance and second.bottom < first.top - tolerance:
                    clashes.append((first, second))
    return clashes


def assert_no_overprint(content: bytes) -> list[Run]:
    """No text in the PDF is drawn over other text; returns the runs."""
    runs = text_runs(content)
    clashes = overprinted(runs)
    assert not clashes, "text drawn over text: " + "; ".join(
        f"page {a.page}: {a.text[:40]!r} at x {a.x:.0f}-{a.right:.0f} y {a.y:.0f} and "
        f"{b.text[:40]!r} at x {b.x:.0f}-{b.right:.0f} y {b.y:.0f}"
        for a, b in clashes[:5]
    )
    return runs
