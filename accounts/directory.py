"""Who to tell: the DSL, the deputies and the online-presence lead, with how to
reach them and the urgent route, on every staff and parent page and email.

Read fresh for each page or email, for the organisation it is about: nothing is
cached, so one organisation's contacts can never reach another's parents.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from accounts.models import LeadTitles, Organisation, Role, User

# The English words; each directory gives them in its reader's language.
IMMEDIATE_DANGER = gettext_noop("If a child is in immediate danger, call 999.")


@dataclass(frozen=True)
class Contact:
    name: str
    title: str
    email: str
    phone: str


@dataclass(frozen=True)
class WhoToTell:
    organisation: Organisation
    contacts: tuple[Contact, ...]
    urgent_route: str
    immediate_danger: str = field(default_factory=lambda: gettext(IMMEDIATE_DANGER))


def _title(user: User, lead_id: int | None, names: LeadTitles) -> str:
    # As the organisation names its lead: Designated Safeguarding Person in Wales.
    titles = []
    if user.role == Role.DSL:
        titles.append(names.lead)
    elif user.role == Role.DEPUTY_DSL:
        # In full, as the lead's is: a parent may not know what "DSP" stands for.
        titles.append(gettext("Deputy %(lead)s") % {"lead": names.lead})
    if user.pk == lead_id:
        titles.append(gettext("Online-presence lead"))
    return "; ".join(titles)


def who_to_tell(organisation: Organisation) -> WhoToTell:
    """One query: the active leads and the online-presence lead, DSL first."""
    lead_id = organisation.online_presence_lead_id
    people = User.objects.filter(organisation=organisation, is_active=True).filter(
        Q(role__in=[Role.DSL, Role.DEPUTY_DSL]) | Q(pk=lead_id)
    )
    order = {Role.DSL: 0, Role.DEPUTY_DSL: 1}
    names = organisation.titles
    ranked = sorted(people, key=lambda user: (order.get(user.role, 2), user.full_name, user.pk))
    return WhoToTell(
        organisation=organisation,
        contacts=tuple(
            Contact(user.full_name, _title(user, lead_id, names), user.email, user.phone)
            for user in ranked
        ),
        urgent_route=organisation.urgent_route,
    )
