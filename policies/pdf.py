"""PDFs of a policy version and of who has acknowledged it (reportlab Platypus)."""

import datetime as dt

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from accounts.models import User
from common.pdf import STYLES, TABLE_HEADER, build_pdf, paragraphs, table
from common.pdf import text as _text
from common.times import local_time
from policies.models import PolicyVersion


def render_policy_version_pdf(version: PolicyVersion) -> bytes:
    """The version exactly as approved, with its content hash, for print or file."""
    policy = version.policy
    facts = [
        ("Organisation", policy.organisation.name),
        ("Version", version.label),
        ("Approved by", version.approver or "not yet approved"),
        ("Approved on", str(version.approved_on or "not yet approved")),
        ("Review due", str(version.review_due or "")),
        ("SHA-256", Paragraph(_text(version.content_sha256 or "draft"), STYLES["Code"])),
    ]
    story: list[Flowable] = [
        Paragraph(_text(policy.title), STYLES["Title"]),
        table(
            [[Paragraph(label, TABLE_HEADER), value] for label, value in facts],
            col_widths=[35 * mm, 135 * mm],
            header=False,
        ),
        Spacer(1, 8 * mm),
    ]
    story += paragraphs(version.body)
    return build_pdf(f"{policy.title} {version.label}", story)


def render_acknowledgement_report_pdf(
    version: PolicyVersion, staff: list[tuple[User, dt.datetime | None]]
) -> bytes:
    """Who has read this version, and when: ``staff`` is (user, acknowledged_at or None)."""
    read = sum(1 for _user, when in staff if when)
    titles = version.policy.organisation.titles
    rows = [["Name", "Role", "Read on"]] + [
        [
            user.full_name,
            titles.role(user.role),
            local_time(when, version.policy.organisation.timezone) if when else "Not yet",
        ]
        for user, when in staff
    ]
    story = [
        Paragraph(
            _text(f"{version.policy.title} {version.label}: who has read it"), STYLES["Title"]
        ),
        Paragraph(
            _text(f"{read} of {len(staff)} have acknowledged this version."), STYLES["BodyText"]
        ),
        Spacer(1, 6 * mm),
        table(rows, col_widths=[70 * mm, 50 * mm, 50 * mm]),
    ]
    return build_pdf(f"{version.policy.title} acknowledgements", story)
