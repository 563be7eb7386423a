"""The staff section: people, not checks. "3 of 7 staff have a DBS check or
training overdue or missing" counts each person once however many of their
checks are late. The tables naming them are for admins, who chase them; a
director sees the counts only (dashboard.views), and the kept dashboard holds
those tables without their rows (dashboard.snapshot)."""

import datetime as dt

from django.utils.translation import gettext, ngettext

from accounts.models import Organisation, User, has_second_factor
from compliance.services import StaffCompliance, compliance_for
from dashboard.shapes import Figure, Section, Table
from dashboard.wording import last_month, of

LATE = {"overdue", "missing"}
CHECKS = (
    ("dbs", "DBS check"),
    ("safeguarding", "Safeguarding training"),
    ("online_safety", "Online-safety training"),
)


def _late(row: StaffCompliance, today: dt.date) -> list[str]:
    return [name for name, _ in CHECKS if getattr(row, name).status(today) in LATE]


def _soon(row: StaffCompliance, today: dt.date) -> list[str]:
    return [name for name, _ in CHECKS if getattr(row, name).status(today) == "due soon"]


def _staff_noun(total: int) -> str:
    return ngettext("member of staff", "staff", total)


def staff_section(organisation: Organisation, today: dt.date) -> Section:
    staff = list(
        User.objects.of(organisation)
        .active()
        .filter(is_superuser=False)
        .annotate(enrolled=has_second_factor())
        .order_by("full_name", "pk")
    )
    for member in staff:
        # Their role's name reads the organisation's titles: this one, not a query each.
        member.organisation = organisation
    total = len(staff)
    rows = compliance_for(staff, organisation, today)
    # The same people as things stood at the end of last month, for the
    # comparison (staff who have left since are not counted then either).
    _, month_end = last_month(today)
    before = compliance_for(staff, organisation, month_end)

    late = [row for row in rows if _late(row, today)]
    soon = [row for row in rows if _soon(row, today) and not _late(row, today)]
    lapsed = [row for row in rows if row.dbs_lapsed(today)]
    no_dbs = sum(row.dbs.on is None for row in rows)
    no_2fa = [member for member in staff if not member.enrolled]
    lacking = [row for row in rows if row.gaps]
    lacking_before = sum(bool(row.gaps) for row in before)

    def role(member: User) -> str:
        return member.role_label

    checks = Table(
        "staff-checks",
        gettext("Staff with a DBS check or training overdue or missing, per check"),
        [
            gettext("Check"),
            gettext("Staff overdue or missing"),
            gettext("Staff due within 30 days"),
        ],
    )
    for name, label in CHECKS:
        statuses = [getattr(row, name).status(today) for row in rows]
        checks.rows.append(
            [
                gettext(label),
                sum(status in LATE for status in statuses),
                statuses.count("due soon"),
            ]
        )
    checks.rows.append([gettext("Any of these (each person once)"), len(late), len(soon)])
    checks_names = Table(
        "staff-checks-names",
        gettext("Who has a DBS check or training overdue or missing"),
        [gettext("Name"), gettext("Role"), *(gettext(label) for _, label in CHECKS)],
        [
            [row.member.full_name, role(row.member)]
            + [getattr(row, name).status(today).capitalize() for name, _ in CHECKS]
            for row in late
        ],
        staff_names=True,
    )
    dbs = Table(
        "staff-dbs",
        gettext("DBS checks lapsed"),
        [gettext("Measure"), gettext("Staff")],
        [
            [gettext("Active staff"), total],
            [gettext("DBS check lapsed (due again and not renewed)"), len(lapsed)],
            [gettext("No DBS check recorded"), no_dbs],
        ],
    )
    dbs_names = Table(
        "staff-dbs-names",
        gettext("Whose DBS check has lapsed"),
        [gettext("Name"), gettext("Role"), gettext("Due again on")],
        [
            [row.member.full_name, role(row.member), f"{row.dbs.on:%-d %b %Y}"]
            for row in lapsed
            if row.dbs.on is not None
        ],
        staff_names=True,
    )
    two_factor = Table(
        "two-factor",
        gettext("Staff without a second factor"),
        [gettext("Measure"), gettext("Staff")],
        [
            [gettext("Active staff"), total],
            [gettext("Without a second factor enrolled"), len(no_2fa)],
        ],
    )
    two_factor_names = Table(
        "two-factor-names",
        gettext("Who has no second factor"),
        [gettext("Name"), gettext("Role"), gettext("Email")],
        [[member.full_name, role(member), member.email] for member in no_2fa],
        staff_names=True,
    )
    gaps: dict[str, int] = {}
    for row in rows:
        for gap in row.gaps:
            gaps[gap] = gaps.get(gap, 0) + 1
    training = Table(
        "training-gaps",
        gettext("Staff missing training their role needs, per kind of training"),
        [gettext("Training"), gettext("Staff lacking it")],
        [*sorted(map(list, gaps.items())), [gettext("Any (each person once)"), len(lacking)]],
    )
    training_names = Table(
        "training-gaps-names",
        gettext("Whose training is missing or overdue"),
        [gettext("Name"), gettext("Role"), gettext("Training lacking")],
        [[row.member.full_name, role(row.member), ", ".join(row.gaps)] for row in lacking],
        staff_names=True,
    )
    noun = _staff_noun(total)
    return Section(
        gettext("Staff"),
        [
            Figure(
                "staff-checks",
                len(late),
                of(len(late), total),
                noun
                + " "
                + ngettext(
                    "has a DBS check or training overdue or missing",
                    "have a DBS check or training overdue or missing",
                    len(late),
                ),
                checks.slug,
                warn=bool(late),
                names=checks_names.slug,
            ),
            Figure(
                "staff-dbs-lapsed",
                len(lapsed),
                of(len(lapsed), total),
                noun
                + " "
                + ngettext(
                    "has a DBS check that has lapsed",
                    "have a DBS check that has lapsed",
                    len(lapsed),
                ),
                dbs.slug,
                warn=bool(lapsed),
                names=dbs_names.slug,
            ),
            Figure(
                "staff-training",
                len(lacking),
                of(len(lacking), total),
                noun
                + " "
                + ngettext(
                    "is missing training their role needs",
                    "are missing training their role needs",
                    len(lacking),
                ),
                training.slug,
                warn=bool(lacking),
                compared=gettext("At the end of last month: %(was)s.")
                % {"was": of(lacking_before, total)},
                names=training_names.slug,
            ),
            Figure(
                "staff-two-factor",
                len(no_2fa),
                of(len(no_2fa), total),
                noun + " " + ngettext("has no second factor", "have no second factor", len(no_2fa)),
                two_factor.slug,
                warn=bool(no_2fa),
                names=two_factor_names.slug,
            ),
        ],
        [
            checks,
            checks_names,
            dbs,
            dbs_names,
            training,
            training_names,
            two_factor,
            two_factor_names,
        ],
    )
