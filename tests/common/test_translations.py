"""The Welsh catalogues: complete, and the compiled .mo files that Django reads
match the .po files people edit (a fresh clone has no msgfmt to compile them)."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path
    for path in ROOT.glob("**/locale/*/LC_MESSAGES/django.po")
    if ".venv" not in path.parts and "node_modules" not in path.parts
)


def _entries(catalogue: polib._BaseFile) -> dict[str, object]:
    return {
        entry.msgid: (entry.msgstr_plural and dict(entry.msgstr_plural)) or entry.msgstr
        for entry in catalogue
        if not entry.obsolete
    }


def test_there_is_a_welsh_catalogue() -> None:
    assert any(path.parts[-3] == "cy" for path in CATALOGUES)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated(po_path: Path) -> None:
    catalogue = polib.pofile(str(po_path))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated in {po_path.name}: {missing[:5]}"
    assert not fuzzy, f"fuzzy (unchecked) in {po_path.name}: {fuzzy[:5]}"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_compiled_catalogue_matches_its_source(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.is_file(), f"{mo_path} is missing: run `make messages`"
    source = _entries(polib.pofile(str(po_path)))
    compiled = _entries(polib.mofile(str(mo_path)))
    source.pop("", None)
    compiled.pop("", None)
    assert compiled == source, f"{mo_path} is older than its .po: run `make messages`"
