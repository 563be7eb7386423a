"""Every write to the incident log, one module per concern; import them from here.

raising (a concern and its evidence), imagery (a decision to view nudes),
workflow (triage to close, the chronology, the ICO decision, sign-off), referrals,
sharing (decisions to share information with other agencies, or not, and why),
access (sharing one incident with a member of staff), settings.
"""

from incidents.services._shared import (
    EVIDENCE_TYPES,
)
from incidents.services.access import (
    incident_access_grant,
    incident_access_revoke,
)
from incidents.services.imagery import (
    imagery_view_decision_record,
)
from incidents.services.raising import (
    evidence_add,
    incident_raise,
)
from incidents.services.referrals import (
    referral_add,
    referral_chased,
    referral_outcome_record,
)
from incidents.services.settings import (
    incident_settings_update,
    settings_for,
)
from incidents.services.sharing import (
    sharing_decision_record,
)
from incidents.services.workflow import (
    chronology_add,
    ico_decision_record,
    incident_action_set,
    incident_close,
    incident_signoff,
    incident_signoff_decline,
    incident_triage,
    signoff_needed,
)

__all__ = [
    "EVIDENCE_TYPES",
    "chronology_add",
    "evidence_add",
    "ico_decision_record",
    "imagery_view_decision_record",
    "incident_access_grant",
    "incident_access_revoke",
    "incident_action_set",
    "incident_close",
    "incident_raise",
    "incident_settings_update",
    "incident_signoff",
    "incident_signoff_decline",
    "incident_triage",
    "referral_add",
    "referral_chased",
    "referral_outcome_record",
    "settings_for",
    "sharing_decision_record",
    "signoff_needed",
]
