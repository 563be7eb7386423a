from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from safeguard.management.commands.seed_demo import DEMO_PASSWORD
from safeguard.models import Organisation, Role, User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_prints_working_logins(client: Client) -> None:
    first = seed()
    User.objects.filter(role=Role.DSL).update(password="!")  # someone changed it
    second = seed()

    assert Organisation.objects.count() == 1
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(Role.values)
    assert first == second
    for user in User.objects.all():
        assert user.email in second
        assert client.login(username=user.email, password=DEMO_PASSWORD)


def test_seed_demo_refuses_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs in production"):
        seed()
    assert not User.objects.exists()
