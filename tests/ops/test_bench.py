"""manage.py bench measures and leaves nothing behind; it asserts no timings."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation
from children.models import Child

pytestmark = pytest.mark.django_db


def test_bench_prints_the_documented_json_and_rolls_back() -> None:
    out = StringIO()
    call_command("bench", "--sizes", "1", "--repeat", "3", "--sweep-records", "2000", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {"pages", "floor_p50_ms", "sweep", "sweep_scale", "pdf", "uploads"}
    # A tenth of the records and all of them, over the same two organisations,
    # with the same 30 (1.5% of 2,000) due and claimed.
    assert [
        (s["rows"], s["organisations"], s["due"], s["claimed"]) for s in result["sweep_scale"]
    ] == [
        (200, 2, 30, 30),
        (2000, 2, 30, 30),
    ]
    assert [upload["name"] for upload in result["uploads"]] == [
        "docx bomb refused",
        "pdf with JavaScript refused",
        "largest docx read (~5,000 paragraphs)",
    ]
    names = {page["name"] for page in result["pages"]}
    assert {
        "home",
        "children (admin)",
        "caseload (therapist)",
        "child detail",
        "dashboard (director)",
        "incident list (DSL)",
        "parent signing page (GET)",
        "parent signing page (POST)",
    } <= names
    for page in result["pages"]:
        assert set(page) == {"name", "size", "queries", "p50_ms", "p95_ms"}
        assert page["queries"] > 0
        assert page["p95_ms"] >= page["p50_ms"] > 0
    assert result["sweep"][0]["rows"] == 500
    assert {pdf["name"] for pdf in result["pdf"]} == {
        "policy version",
        "consent receipt",
        "consent summary",
        "chronology (500 entries)",
        "chronology (a 20,000-character entry)",
    }
    assert not Organisation.objects.filter(slug__startswith="bench").exists()
    assert not Organisation.objects.filter(slug__startswith="sweep-bench").exists()
    assert not Child.objects.exists()


def test_bench_refuses_silly_sizes() -> None:
    with pytest.raises(CommandError, match="whole numbers"):
        call_command("bench", "--sizes", "one")
    with pytest.raises(CommandError, match="from 1 to 50"):
        call_command("bench", "--sizes", "0")
