"""What changed between two texts of a policy, line by line, for people to read.

Each line says in words whether it was removed, added or kept, so the change
reads the same without colour and to a screen reader.
"""

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 2


@dataclass(frozen=True)
class DiffLine:
    change: str  # "removed", "added" or "unchanged"
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class Hunk:
    """A run of changes with a little unchanged text either side."""

    lines: tuple[DiffLine, ...]


def line_diff(old: str, new: str, context: int = CONTEXT_LINES) -> list[Hunk]:
    """The changed parts of ``new`` against ``old``; empty when the texts are the same."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("unchanged", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [DiffLine("removed", i + 1, None, old_lines[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, new_lines[j]) for j in range(j1, j2)]
        hunks.append(Hunk(tuple(lines)))
    return hunks
