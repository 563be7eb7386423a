"""The online practice rules page: every safeguard of PracticeSettings on it,
labelled and explained by the model (the policy clause it carries), in groups;
turning one off is saved and audited; the practice home lists the rules in force."""

import html
import re

import pytest
from django.db import models

from audit.models import AuditEvent
from practice.forms import SAFEGUARDS, SETTING_GROUPS
from practice.models import PracticeSettings

pytestmark = pytest.mark.django_db

URL = "/practice/settings/"
BOOLEANS = [
    field for field in PracticeSettings._meta.get_fields() if isinstance(field, models.BooleanField)
]


def test_every_safeguard_has_one_place_on_the_page():
    grouped = [name for _, names in SETTING_GROUPS for name in names]
    assert len(grouped) == len(set(grouped))
    assert sorted(SAFEGUARDS) == sorted(field.name for field in BOOLEANS)
    assert len(BOOLEANS) == 18


def test_defaults_are_all_on_but_the_permission_for_each_occasion():
    rules = PracticeSettings()
    assert [field.name for field in BOOLEANS if not getattr(rules, field.name)] == [
        "occasion_permission"
    ]


def test_each_rule_is_labelled_and_explained_by_the_model(dana, client_for):
    page = html.unescape(client_for(dana).get(URL).content.decode())
    for field in BOOLEANS:
        assert f'name="{field.name}"' in page
        label = str(field.verbose_name)
        assert label[0].upper() + label[1:] in page
        assert str(field.help_text) in page, field.name
    for legend, _ in SETTING_GROUPS:
        assert f'<h2 class="govuk-fieldset__heading">{legend}</h2>' in page
    # Each rule in force is ticked; the one off by default is not.
    assert "checked" in checkbox(page, "second_staff")
    assert "checked" not in checkbox(page, "occasion_permission")
    assert 'aria-describedby="id_passcode-hint"' in checkbox(page, "passcode")


def checkbox(page: str, name: str) -> str:
    (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return tag


def test_turning_one_rule_off_is_saved_and_audited(organisation, dana, client_for):
    post = {name: "on" for name in SAFEGUARDS if name != "second_staff"}
    post |= {"working_day_starts": "08:00", "working_day_ends": "18:00"}
    post["online_dbs_level"] = "enhanced"
    response = client_for(dana).post(URL, post)
    assert response.status_code == 302
    rules = PracticeSettings.objects.get(organisation=organisation)
    assert rules.second_staff is False
    assert rules.passcode is True
    assert rules.occasion_permission is True
    event = AuditEvent.objects.get(action="practice.settings_changed", actor=dana)
    assert event.details["second_staff"] == "False"
    assert event.details["passcode"] == "True"
    home = html.unescape(client_for(dana).get("/practice/").content.decode())
    assert "Off</strong> A second member of staff joins video sessions" in home
    assert "On</strong> Video meetings have a passcode" in home


def test_a_working_day_that_ends_before_it_starts_is_explained(dana, client_for):
    post = {"working_day_starts": "18:00", "working_day_ends": "08:00"}
    response = client_for(dana).post(URL, post)
    assert response.status_code == 200
    assert "The working day must end after it starts." in response.content.decode()


def test_the_dbs_level_online_work_needs_is_set_here_and_audited(organisation, dana, client_for):
    post = dict.fromkeys(SAFEGUARDS, "on")
    post |= {
        "working_day_starts": "08:00",
        "working_day_ends": "18:00",
        "online_dbs_level": "enhanced_barred",
    }
    page = client_for(dana).get(URL).content.decode()
    radios = re.findall(r'<input[^>]*name="online_dbs_level"[^>]*>', page)
    assert [("checked" in radio) for radio in radios] == [True, False], radios
    assert client_for(dana).post(URL, post).status_code == 302
    organisation.refresh_from_db()
    assert organisation.online_dbs_level == "enhanced_barred"
    event = AuditEvent.objects.get(action="organisation.settings_changed", actor=dana)
    assert event.details["changed"]["online_dbs_level"] == {
        "from": "enhanced",
        "to": "enhanced_barred",
    }
