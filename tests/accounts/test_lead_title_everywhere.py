"""An organisation that says Designated Safeguarding Person (Wales) reads "DSP" on
staff pages and in emails, never "DSL"."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.directory import who_to_tell
from accounts.models import Role, SafeguardingTitle
from accounts.services import staff_role_change
from accounts.tasks import send_security_notice
from incidents import services as incidents
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

LEAD = re.compile(r"\bDSL\b|Designated Safeguarding Lead")


def no_dsl(text: str) -> None:
    found = [text[max(0, m.start() - 80) : m.end() + 80] for m in LEAD.finditer(text)]
    assert found == [], found


@pytest.fixture
def person(organisation):
    organisation.safeguarding_title = SafeguardingTitle.PERSON
    organisation.save()
    return organisation


def raise_concern(reporter, child, risk="medium"):
    return incidents.incident_raise(
        reporter=reporter,
        children=[child],
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        disclosed_at=timezone.now(),
        category="contact",
        incident_type="grooming",
        what_happened="An adult asked to move to a private app.",
        initial_risk=risk,
    )


def test_the_incident_pages_say_dsp(person, alice, dana, deputy, client_for) -> None:
    child = ChildFactory(organisation=person)
    new = client_for(alice).get("/incidents/new/").content.decode()
    assert "Designated Safeguarding Person and deputies are told" in new
    no_dsl(new)
    incident = raise_concern(alice, child)
    raised = client_for(alice).get(f"/incidents/{incident.pk}/raised/").content.decode()
    assert "tell the DSP" in raised
    no_dsl(raised)
    page = client_for(dana).get(f"/incidents/{incident.pk}/").content.decode()
    assert "Every DSP and deputy." in page
    no_dsl(page)


def test_who_to_tell_says_designated_safeguarding_person(person, alice, dana, deputy, client_for):
    page = client_for(alice).get("/who-to-tell/").content.decode()
    assert "Tell the Designated Safeguarding Person about any worry" in page
    assert "Designated Safeguarding Person" in page
    assert "Deputy Designated Safeguarding Person" in page
    no_dsl(page)
    titles = [contact.title for contact in who_to_tell(person).contacts]
    assert titles[:2] == ["Designated Safeguarding Person", "Deputy Designated Safeguarding Person"]


def test_an_organisation_that_says_dsl_still_does(organisation, dana, client_for) -> None:
    page = client_for(dana).get("/who-to-tell/").content.decode()
    assert "Tell the Designated Safeguarding Lead about any worry" in page


def test_the_emails_say_dsp(person, bob, alice, django_capture_on_commit_callbacks) -> None:
    # Nobody is lead yet: the admins get the urgent reminder to appoint one.
    child = ChildFactory(organisation=person)
    with django_capture_on_commit_callbacks(execute=True):
        raise_concern(alice, child, risk="high")
    (urgent,) = [m for m in mail.outbox if bob.email in m.to]
    assert "nobody is DSP or deputy yet" in urgent.subject + urgent.body
    no_dsl(urgent.subject)
    no_dsl(urgent.body)
    mail.outbox.clear()
    send_security_notice(alice.pk, "password_changed")
    (notice,) = mail.outbox
    assert "admin or Designated Safeguarding Person" in notice.body
    no_dsl(notice.body)
    no_dsl(str(notice.alternatives))


def test_a_lead_appointed_is_named_as_the_organisation_names_them(
    person, bob, dana, client_for
) -> None:
    newcomer = UserFactory(organisation=person, full_name="Nia Newydd")
    staff_role_change(user=newcomer, role=Role.DEPUTY_DSL, by=bob)
    notice = dana.notices.get()
    assert "is now Deputy DSP" in notice.title
    no_dsl(notice.title)
