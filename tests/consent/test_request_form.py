"""A consent request starts with the organisation's usual set ticked, a parent
ticked only when there is no doubt whom to email, and says how many it went to
in good English."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from children import services as caseload
from children.models import FlagKind
from consent import services
from consent.forms import ConsentRequestForm
from consent.models import ConsentType
from tests.auth import force_verified_login
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def add_guardian(child, by, name: str, email: str, *, responsible: bool = True):
    """The guardian (not their link to the child: the form offers guardians)."""
    link = caseload.guardian_add(
        child=child,
        by=by,
        full_name=name,
        email=email,
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=responsible,
    )
    return link.guardian


@pytest.fixture
def child(organisation, dana):
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    services.consent_types_ensure(organisation=organisation)
    return child


def ticked(form: ConsentRequestForm, name: str) -> set[int]:
    return {int(pk) for pk in form[name].value()}


def test_the_usual_consent_types_start_ticked_and_two_parents_are_chosen_on_purpose(
    child, dana, organisation
) -> None:
    huda = add_guardian(child, dana, "Huda Hassan", "huda@example.test")
    sami = add_guardian(child, dana, "Sami Hassan", "sami@example.test")
    # No parental responsibility, and no email: neither can be asked, so neither is offered.
    add_guardian(child, dana, "Aunt Rana", "rana@example.test", responsible=False)
    add_guardian(child, dana, "Grandad Ali", "")
    types = ConsentType.objects.filter(organisation=organisation, active=True)
    chat = types.get(code="messaging")
    chat.asked_by_default = False
    chat.save()
    retired = types.exclude(pk=chat.pk).first()
    assert retired is not None
    retired.active = False
    retired.save()

    form = ConsentRequestForm(child=child)

    expected = set(
        ConsentType.objects.filter(
            organisation=organisation, active=True, asked_by_default=True
        ).values_list("pk", flat=True)
    )
    assert expected
    assert ticked(form, "consent_types") == expected
    assert chat.pk not in ticked(form, "consent_types")
    assert retired.pk not in ticked(form, "consent_types")
    # Two parents who can be asked: staff choose whom, nobody is pre-ticked.
    assert {g.pk for g in form.fields["guardians"].queryset} == {huda.pk, sami.pk}
    assert ticked(form, "guardians") == set()


def test_a_lone_parent_is_ticked_unless_the_child_is_flagged(child, dana) -> None:
    huda = add_guardian(child, dana, "Huda Hassan", "huda@example.test")
    assert ticked(ConsentRequestForm(child=child), "guardians") == {huda.pk}
    for kind in (FlagKind.LOOKED_AFTER, FlagKind.CHILD_PROTECTION_PLAN):
        flag = caseload.child_flag_add(
            child=child, by=dana, kind=kind, started_on=timezone.localdate()
        )
        # A looked-after child or one on a plan: the parent may be one the
        # child is kept from, so even the only one is ticked on purpose.
        assert ticked(ConsentRequestForm(child=child), "guardians") == set()
        caseload.child_flag_end(flag=flag, by=dana, ended_on=timezone.localdate())
        assert ticked(ConsentRequestForm(child=child), "guardians") == {huda.pk}


def test_the_page_shows_them_ticked_and_a_post_is_what_was_sent(child, dana, client) -> None:
    huda = add_guardian(child, dana, "Huda Hassan", "huda@example.test")
    force_verified_login(client, dana)
    page = client.get(f"/children/{child.pk}/consent/request/").content.decode()
    assert f'value="{huda.pk}"' in page
    chosen = [line for line in page.splitlines() if f'value="{huda.pk}"' in line]
    assert any("checked" in line for line in chosen)
    # A bound form shows what was posted, never the defaults again.
    bound = ConsentRequestForm({"guardians": [], "consent_types": []}, child=child)
    assert not bound.is_valid()
    assert ticked(bound, "guardians") == set()


def sent_message(client: Client, child, guardians, consent_type) -> str:
    response = client.post(
        f"/children/{child.pk}/consent/request/",
        {"guardians": [g.pk for g in guardians], "consent_types": [consent_type.pk]},
    )
    assert response.status_code == 302
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_the_message_counts_one_parent_and_two_parents(
    child, dana, organisation, django_capture_on_commit_callbacks
) -> None:
    huda = add_guardian(child, dana, "Huda Hassan", "huda@example.test")
    sami = add_guardian(child, dana, "Sami Hassan", "sami@example.test")
    online = ConsentType.objects.get(organisation=organisation, code="online_sessions")
    client = Client()
    force_verified_login(client, dana)
    with django_capture_on_commit_callbacks(execute=True):
        one = sent_message(client, child, [huda], online)
    assert "queued for 1 parent or carer." in one
    assert "(s)" not in one
    chat = ConsentType.objects.get(organisation=organisation, code="messaging")
    with django_capture_on_commit_callbacks(execute=True):
        two = sent_message(client, child, [huda, sami], chat)
    assert "queued for 2 parents or carers." in two
    assert "(s)" not in two
