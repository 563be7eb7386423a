"""The production image's collectstatic, run the way the Dockerfile runs it.

Whitenoise's manifest storage rewrites every url() in every stylesheet and
aborts on one naming a file that is not there, so a vendored stylesheet that
points at an image we do not ship stops the image from building.
"""

import json
import re
import shlex
from pathlib import Path

from tests.ops.test_settings import ROOT, run_django


def _dockerfile_collectstatic_env() -> dict[str, str]:
    """The variables the Dockerfile sets for its collectstatic step."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    step = next(line for line in dockerfile.splitlines() if "manage.py collectstatic" in line)
    words = shlex.split(step.removeprefix("RUN "))
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    # The key's $(date +%s) is for the image; any long enough key will do here.
    env["SECRET_KEY"] = "collectstatic-test-" + "k" * 50
    return env


def test_collectstatic_with_production_settings_succeeds(tmp_path: Path) -> None:
    env = _dockerfile_collectstatic_env()
    assert env["DJANGO_ENV"] == "production"
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'build.sqlite3'}"
    env["STATIC_ROOT"] = str(tmp_path / "static")

    result = run_django(env, "collectstatic", "--noinput")

    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    stylesheet = manifest["paths"]["vendor/govuk-frontend/css/govuk-frontend.min.css"]
    css = (tmp_path / "static" / stylesheet).read_text()
    assert "govuk-crest" not in css  # the Royal Coat of Arms is GOV.UK's alone
    assert (tmp_path / "static" / manifest["paths"]["css/safeguard.css"]).exists()
    assert str(tmp_path / "static") in result.stdout  # not the checkout's staticfiles/
