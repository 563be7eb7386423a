import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Organisation, Role, User
from ops.management.commands.seed_demo import DEMO_PASSWORD
from tests.auth import post_code, post_password, totp

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_prints_working_logins() -> None:
    first = seed()
    User.objects.filter(role=Role.DSL).update(password="!")  # someone changed it
    second = seed()

    assert Organisation.objects.count() == 1
    enrolled = User.objects.filter(totpdevice__confirmed=True)
    assert sorted(enrolled.values_list("role", flat=True)) == sorted(Role.values)
    assert User.objects.filter(invited_at__isnull=False, totpdevice__isnull=True).count() == 1
    assert first == second
    # Each app's demo data, once however often the seed runs.
    from incidents.models import Incident

    assert sorted(Incident.objects.values_list("status", flat=True)) == [
        "closed",
        "new",
        "new",
        "referred",
    ]
    # One contact that broke a practice rule, with its reason, for the dashboard.
    from practice.models import ContactLog

    (contact,) = ContactLog.objects.all()
    assert [breach["code"] for breach in contact.breaches] == ["no_second_staff"]
    assert contact.override_reason
    # Every demo parent agreed to the parent-facing policies but one, for the leads' list.
    from policies import reach

    outstanding = reach.guardians_outstanding(Organisation.objects.get())
    assert [row.guardian.full_name for row in outstanding] == ["Yusuf Saleh"]
    # One supervision session, its child on that child's chronology.
    from supervision.models import ChildDiscussed

    (discussion,) = ChildDiscussed.objects.all()
    assert discussion.child.first_name == "Maya"
    printed = dict(re.findall(r"(\S+@demo\.safeguard\.test)\s+TOTP ([A-Z2-7]+)", second))
    assert set(printed) == set(enrolled.values_list("email", flat=True))
    for email, secret in printed.items():
        client = Client()
        post_password(client, email, DEMO_PASSWORD)
        assert post_code(client, totp(secret)).status_code == 302, email
        assert client.get("/").status_code == 200


def test_seed_demo_refuses_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs in production"):
        seed()
    assert not User.objects.exists()
