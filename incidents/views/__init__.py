"""The incident log's pages, one module per concern; urls.py reads them from here.

Every page that shows an incident, a chronology or a file writes an audit event
first, so the log says who read what and when (``_shared._read``).
"""

from incidents.views.access import incident_access, incident_access_revoke, incident_settings
from incidents.views.chronology import child_chronology, child_chronology_pdf, child_section
from incidents.views.detail import incident_detail
from incidents.views.files import evidence_add, evidence_download, evidence_image, evidence_preview
from incidents.views.imagery import imagery_view_decision
from incidents.views.lists import incident_counts, incident_list
from incidents.views.raising import incident_new, incident_raised
from incidents.views.sharing import sharing_decision_add
from incidents.views.workflow import (
    entry_add,
    ico_record,
    incident_action,
    incident_close,
    incident_signoff,
    incident_signoff_decline,
    incident_triage,
    referral_add,
    referral_chase,
    referral_outcome,
)

__all__ = [
    "child_chronology",
    "child_chronology_pdf",
    "child_section",
    "entry_add",
    "evidence_add",
    "evidence_download",
    "evidence_image",
    "evidence_preview",
    "ico_record",
    "imagery_view_decision",
    "incident_access",
    "incident_access_revoke",
    "incident_action",
    "incident_close",
    "incident_counts",
    "incident_detail",
    "incident_list",
    "incident_new",
    "incident_raised",
    "incident_settings",
    "incident_signoff",
    "incident_signoff_decline",
    "incident_triage",
    "referral_add",
    "referral_chase",
    "referral_outcome",
    "sharing_decision_add",
]
