"""What test_fuzz_forms.py fuzzes: every URL of the portal, sorted into three kinds.

``FORMS``    a page whose form sends data (POST, or GET for a search or period
             form): fuzzed field by field with generated input.
``ACTIONS``  a button that POSTs no data of its own (sign out, end an allocation,
             mark a notice read): fuzzed with extra and malformed fields.
``PAGES``    everything else: pages, PDFs, downloads. No form posts to them;
             they still get junk POSTs and junk query strings, and every id in
             their URLs is fuzzed.

A URL pattern in none of the three fails test_fuzz_forms.py, and so does a
form found on any page (as any persona) whose action is not a FORMS or ACTIONS
entry, or which has a field its entry does not fuzz: a new form is not finished
until it is fuzzed.

Each entry says who uses it (a persona of the permission walker's world, whose
builder is reused here) and, for forms, what a successful submission may change
among the records that already exist: ``changes`` maps a model label to "*"
(any field) or the fields the form edits. Anything else that changes, or any
change at all when the submission was refused, fails the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ANY = "*"


@dataclass(frozen=True)
class Target:
    """One form to fuzz.

    ``forms`` names the Django forms in the page's template context whose fields
    are fuzzed (their union, for a view that builds several). ``page`` is the
    URL name of the page showing the form when that is not the form's own URL;
    ``page_factory`` (a name in test_fuzz_forms.PAGE_FACTORIES) builds the page
    when it takes more than a GET (a later step of a wizard). ``valid`` adds
    values known to be right for a field (a password, an option list), by
    field name; ``valid_factory`` names a function giving them from the world
    (test_fuzz_forms.VALID_FACTORIES). ``uploads`` says which kind of
    well-formed file each file field takes. ``bug`` records a known bug the
    fuzzer finds (with the error it raises, and the database it needs when
    only one has it): the target is xfail(strict=True) until it is fixed.
    """

    name: str
    route: str
    persona: str
    method: str = "post"
    forms: tuple[str, ...] = ("form",)
    page: str | None = None
    page_factory: str | None = None
    valid: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    valid_factory: str | None = None
    uploads: Mapping[str, str] = field(default_factory=dict)
    changes: Mapping[str, str | frozenset[str]] = field(default_factory=dict)
    bug: str | None = None  # a known app bug: the target is xfail(strict=True) until fixed
    bug_vendor: str | None = None  # only on this database ("sqlite", "postgresql")
    bug_raises: type[BaseException] | None = None  # the error the bug raises

    @property
    def page_route(self) -> str:
        return self.page or self.route


def _t(name: str, persona: str, route: str | None = None, **kwargs: Any) -> Target:
    changes = kwargs.pop("changes", {})
    return Target(
        name=name,
        route=route or name,
        persona=persona,
        changes=MappingProxyType(
            {
                label: fields if fields == ANY else frozenset(fields)
                for label, fields in changes.items()
            }
        ),
        valid=MappingProxyType(kwargs.pop("valid", {})),
        uploads=MappingProxyType(kwargs.pop("uploads", {})),
        **kwargs,
    )


NEW_PASSWORD = "a fresh and rather long passphrase 42"
PASSWORD_PAIR = {"new_password1": (NEW_PASSWORD,), "new_password2": (NEW_PASSWORD,)}

CHILD_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "active_from",
    "discharged_on",
    "communication_needs",
)

FORMS: tuple[Target, ...] = (
    # --- signing in, second factors, one's own account
    _t(
        "login", "anonymous", valid_factory="login_auth", changes={"safeguard.user": {"last_login"}}
    ),
    _t(
        "login:token",
        "anonymous",
        route="login",
        page_factory="login_token",
        valid_factory="login_token",
        changes={"safeguard.user": {"last_login"}},
    ),
    _t(
        "login:backup",
        "anonymous",
        route="login",
        page_factory="login_backup",
        valid_factory="login_backup",
        changes={"safeguard.user": {"last_login"}, "otp_static.statictoken": ANY},
    ),
    _t(
        # No generated answer is signed by the director's passkey: every one is refused.
        "login:passkey",
        "anonymous",
        route="login",
        page_factory="login_passkey",
    ),
    _t("two_factor_setup", "unenrolled", valid_factory="new_authenticator"),
    _t("authenticator_add", "dsl", valid_factory="new_authenticator"),
    _t("reauthenticate", "dsl", valid={"password": ("correct horse battery staple",)}),
    _t(
        "password_change",
        "dsl",
        valid={"old_password": ("correct horse battery staple",), **PASSWORD_PAIR},
        changes={"safeguard.user": {"password"}},
    ),
    # Django's set_language, from Language on Your account (parents' pages have the
    # same switch): it only sets the language cookie, so no record may change.
    _t("set_language", "therapist", page="profile", forms=(), valid={"language": ("cy", "en-gb")}),
    _t(
        "invitation_accept",
        "anonymous",
        valid=PASSWORD_PAIR,
        changes={"safeguard.user": {"password", "last_login"}},
    ),
    # --- children, guardians, caseloads
    _t("child_create", "dsl"),
    _t("child_import", "dsl", uploads={"file": "csv"}),
    _t("child_edit", "dsl", changes={"children.child": CHILD_FIELDS}),
    _t("guardian_add", "dsl", valid_factory="guardian"),
    _t(
        "guardian_edit",
        "dsl",
        valid_factory="guardian",
        changes={
            "children.guardian": {"full_name", "email", "phone", "preferred_contact"},
            "children.childguardian": {"relationship", "parental_responsibility"},
        },
    ),
    _t("allocation_add", "dsl"),
    # A child's flags: adding one changes nothing that exists; ending one sets its end.
    _t("child_flag_add", "dsl"),
    _t("child_flag_end", "dsl", changes={"children.childflag": {"ended_on", "ended_by_id"}}),
    # --- consent: parents
    # The answers: a valid POST only keeps them in the session for the check page.
    _t("consent_sign", "parent", valid_factory="consent_sign"),
    # "Confirm and send": its one button signs the answers kept in the session (the
    # page is reached by answering first); no field posted can change what is signed.
    _t(
        "consent_sign_check",
        "parent",
        forms=(),
        page_factory="consent_sign_check",
        changes={"consent.consentrequest": ANY, "consent.receiptcounter": {"last"}},
    ),
    # The English/Cymraeg switch in the header of every parent's page (Django's
    # set_language): a cookie and a redirect, no record changes.
    _t("set_language_parent", "parent", "set_language", page="consent_receipt", forms=()),
    # Only queues a task: the page changes nothing, whether or not the address is known.
    _t("consent_manage_link", "anonymous", valid={"email": ("pat@example.test",)}),
    # The English/Cymraeg switch on every parent page, as someone whose link matched
    # nothing: a cookie and a redirect back, nothing saved.
    _t(
        "set_language_anonymous",
        "anonymous",
        "set_language",
        forms=(),
        page="consent_manage_link",
        valid={"language": ("cy", "en-gb"), "next": ("/consent/manage/new-link/",)},
    ),
    # A Yes after a withdrawal (ARRANGE withdraws first): a new record; the link's clock restarts.
    _t(
        "consent_regrant",
        "parent",
        valid={"confirm": ("on",)},
        changes={"consent.guardianaccess": {"last_used_at"}},
    ),
    # The child's agreement, read with a parent: a new record, nothing existing changes.
    _t("consent_child_agreement", "parent"),
    # --- consent: staff
    _t("consent_request_new", "therapist", changes={"consent.consentrequest": ANY}),
    _t("consent_verbal_new", "dsl", changes={"consent.consentrequest": ANY}),
    _t(
        "consent_paper_new",
        "dsl",
        uploads={"scan": "paper"},
        changes={"consent.consentrequest": ANY},
    ),
    # Logs a new use (and, without consent, tells the leads): nothing existing changes.
    _t("consent_media_uses", "therapist"),
    # A contact where a participant was removed opens a draft incident: a new reference.
    _t(
        "contact_new",
        "therapist",
        uploads={"message_file": "paper"},
        changes={"incidents.referencecounter": {"last"}},
    ),
    _t("follow_up_done", "therapist", changes={"practice.followup": ANY}),
    _t("consent_type_edit", "admin", changes={"consent.consenttype": ANY}),
    # --- policies
    _t("policy_create", "admin"),
    _t("policy_import", "admin", uploads={"file": "policy"}),
    _t("policy_import:confirm", "admin", route="policy_import", page_factory="policy_import"),
    _t("policy_reviewed", "admin", changes={"policies.policy": ANY}),
    _t("policy_settings", "admin", changes={"policies.policy": ANY}),
    _t("policy_compare", "admin", method="get"),
    _t("draft_edit", "admin", changes={"policies.policyversion": ANY}),
    _t("version_approve", "admin", changes={"policies.policyversion": ANY, "policies.policy": ANY}),
    # The child's agreement, witnessed in a session: a new record, nothing existing changes.
    _t("child_agreement_in_session", "therapist"),
    # --- incidents
    _t(
        "incident_new",
        "therapist",
        uploads={"evidence": "evidence"},
        changes={"incidents.referencecounter": {"last"}},
    ),
    _t("incident_settings", "dsl", changes={"incidents.incidentsettings": ANY}),
    _t("incident_triage", "dsl", changes={"incidents.incident": ANY}),
    _t("incident_action", "dsl", changes={"incidents.incident": ANY}),
    _t("incident_entry_add", "dsl", changes={"incidents.incident": ANY}),
    _t("incident_referral_add", "dsl", changes={"incidents.incident": ANY}),
    _t("referral_outcome", "dsl", changes={"incidents.referral": ANY, "incidents.incident": ANY}),
    _t("referral_chase", "dsl", changes={"incidents.referral": ANY, "incidents.incident": ANY}),
    # Append-only: a decision adds its own record and a chronology line, changing nothing.
    _t("incident_sharing_decision_add", "dsl"),
    _t("incident_close", "dsl", changes={"incidents.incident": ANY}),
    _t("incident_signoff_decline", "dsl", changes={"incidents.incident": ANY}),
    _t("incident_ico", "dsl", changes={"incidents.incident": ANY}),
    _t(
        "incident_evidence_add",
        "dsl",
        uploads={"evidence": "evidence"},
        changes={"incidents.incident": ANY},
    ),
    _t("incident_access", "dsl"),
    # A decision to view nudes imagery: a new chronology entry, nothing existing changes.
    _t("incident_imagery_view_decision", "dsl"),
    # Sending a child's file: a child with no leaving date gets the one given.
    _t("transfer_new", "dsl", changes={"children.child": {"discharged_on"}}),
    _t("transfer_not_needed", "dsl"),
    # No upload here is a package that opens: every one is refused, next to its field.
    _t("transfer_import", "dsl", uploads={"package": "paper"}),
    # The recipient's receipt, on the page the link opens (its session holds the link).
    _t(
        "transfer_receipt",
        "anonymous",
        page="transfer_link",
        page_factory="transfer_link",
        changes={"incidents.filetransfer": ANY},
    ),
    # --- allegations and low-level concerns about staff
    _t("allegation_new", "therapist", changes={"allegations.referencecounter": {"last"}}),
    _t("allegation_entry_add", "dsl"),
    _t("allegation_lado", "dsl", changes={"allegations.allegation": ANY}),
    _t("allegation_outcome", "dsl", changes={"allegations.allegation": ANY}),
    _t("allegation_close", "dsl", changes={"allegations.allegation": ANY}),
    _t("allegation_case_manager", "dsl", changes={"allegations.allegation": ANY}),
    # --- records: retention, legal holds, subject access
    _t("retention_rule", "admin", changes={"records.retentionrule": ANY}),
    _t(
        "retention_review",
        "dsl",
        forms=("keep_form", "anonymise_form", "delete_form", "decline_form"),
        valid={"action": ("keep", "anonymise", "delete", "decline")},
        changes={"records.retentionreview": ANY},
    ),
    _t("legal_hold_new", "dsl"),
    _t("legal_hold_release", "dsl", changes={"records.legalhold": ANY}),
    _t("sar_list", "admin"),
    # --- online practice: platforms, work devices, online accounts, the contact log's rules
    _t("platform_add", "dsl"),
    _t("platform_assess", "dsl", changes={"practice.platform": ANY}),
    _t(
        "platform_approval",
        "dsl",
        page="practice_home",
        forms=(),
        valid={"approved": ("0", "1")},
        changes={"practice.platform": ANY},
    ),
    _t("device_add", "therapist"),
    _t("device_attest", "therapist"),
    _t(
        "practice_settings",
        "dsl",
        changes={"practice.practicesettings": ANY, "safeguard.organisation": {"online_dbs_level"}},
    ),
    _t("account_add", "dsl"),
    _t(
        "account_edit",
        "dsl",
        changes={
            "practice.onlineaccount": ANY,
            "practice.onlineaccount_holders": ANY,
            "practice.onlineaccount_monitors": ANY,
        },
    ),
    _t(
        "task_done",
        "dsl",
        uploads={"evidence_file": "paper"},
        changes={"practice.recurringtask": ANY},
    ),
    _t("task_add", "dsl"),
    _t("task_edit", "dsl", changes={"practice.recurringtask": ANY}),
    _t("task_retire", "dsl", changes={"practice.recurringtask": ANY}),
    # "Check" saves nothing; "Plan it" adds a plan, and changes none that exists.
    _t("plan_new", "therapist"),
    # --- supervision: recording a session adds rows and changes none; marking an action
    #     done and setting how often change only what they are about
    _t("supervision_session_new", "dsl"),
    _t("supervision_action_done", "therapist", changes={"supervision.supervisionaction": ANY}),
    _t("supervision_cadence", "dsl", changes={"supervision.supervisioncadence": ANY}),
    _t("supervision_settings", "dsl", changes={"supervision.supervisionsettings": ANY}),
    # --- staff
    _t(
        "staff_compliance_detail",
        "admin",
        forms=("dbs_form", "training_form"),
        uploads={"certificate": "paper"},
    ),
    _t("role_training", "admin", changes={"compliance.roletrainingrequirement": ANY}),
    _t("staff_invite", "admin"),
    _t("staff_phone", "admin", changes={"safeguard.user": {"phone"}}),
    # --- before a child's record opens; who to tell (the persona still owes its induction)
    _t("induction", "unallocated"),
    _t("phone_change", "dsl", changes={"safeguard.user": {"phone"}}),
    _t(
        "who_to_tell_change",
        "admin",
        changes={"safeguard.organisation": {"online_presence_lead_id", "urgent_route"}},
    ),
    _t(
        "parent_pages_change",
        "admin",
        uploads={"logo": "evidence"},
        changes={
            "safeguard.organisation": {
                "logo",
                "contact_phone",
                "contact_email",
                "parent_language",
                "safeguarding_title",
            }
        },
    ),
    _t(
        "staff_role",
        "admin",
        page="staff_detail",
        forms=("role_form",),
        changes={"safeguard.user": {"role"}},
    ),
    # --- forms that search or choose a period (GET)
    _t("child_list", "dsl", method="get", forms=()),
    _t("incident_list", "dsl", method="get"),
    _t("board_report", "director", method="get", page="dashboard", forms=("period_form",)),
    # --- the board's commentary: each save adds a version, and changes none
    _t("board_commentary", "director"),
)


@dataclass(frozen=True)
class Action:
    """A button posting nothing but the CSRF token; ``changes`` as for a form."""

    persona: str
    changes: Mapping[str, str | frozenset[str]] = field(default_factory=dict)
    bug: str | None = None


def _a(persona: str, **changes: str) -> Action:
    return Action(persona, MappingProxyType({k.replace("__", "."): v for k, v in changes.items()}))


ACTIONS: dict[str, Action] = {
    "logout": _a("dsl"),
    "authenticator_remove": _a("dsl", otp_totp__totpdevice=ANY),
    "passkey_remove": _a("director", django_otp_webauthn__webauthncredential=ANY),
    # Answers with the options for a new passkey; the user's WebAuthn handle is made once.
    "passkey_register_begin": _a("dsl", django_otp_webauthn__webauthnuserhandle=ANY),
    "passkey_register_complete": _a("dsl"),
    "backup_codes": _a("dsl", otp_static__staticdevice=ANY, otp_static__statictoken=ANY),
    "notice_open": _a("dsl", notices__notice=ANY),
    "notice_read_all": _a("dsl", notices__notice=ANY),
    "allocation_end": _a("dsl", children__allocation=ANY, children__childuserobjectpermission=ANY),
    "consent_withdraw": _a(
        "parent",
        consent__consentrecord=ANY,
        consent__takedowntask=ANY,
        consent__guardianaccess={"last_used_at"},
    ),
    "consent_manage_policy": _a(
        "parent", policies__acknowledgement=ANY, consent__guardianaccess={"last_used_at"}
    ),
    "consent_manage_continue": _a("parent", consent__guardianaccess={"last_used_at", "revoked_at"}),
    "consent_request_resend": _a("therapist", consent__consentrequest=ANY),
    "consent_request_cancel": _a("therapist", consent__consentrequest=ANY),
    "takedown_done": _a(
        "therapist", consent__takedowntask=ANY, consent__mediause={"removed_on", "removed_by_id"}
    ),
    "plan_cancel": _a("therapist", practice__plannedsession=ANY),
    "draft_start": _a("admin"),
    "version_acknowledge": _a("therapist"),
    "incident_signoff": _a("dsl", incidents__incident=ANY),
    "incident_access_revoke": _a("dsl", incidents__incidentuserobjectpermission=ANY),
    # Without the link's session nothing is downloaded (the link's own tests download).
    "transfer_download": _a("anonymous"),
    "retention_review_confirm": _a("dsl", records__retentionreview=ANY),
    "sar_complete": _a("dsl", records__subjectaccessrequest=ANY),
    "staff_deactivate": _a("admin", safeguard__user={"is_active", "deactivated_at"}),
    "staff_reactivate": _a("admin", safeguard__user={"is_active", "deactivated_at"}),
    "staff_two_factor_reset": _a("admin", safeguard__user=ANY, otp_totp__totpdevice=ANY),
    "staff_invitation_resend": _a("admin", safeguard__user=ANY),
    "email_resend": _a("admin", outbox__outboundmessage={"resent_as_id"}),
}

# Pages with no form of their own, and who opens each.
PAGES: dict[str, str] = {
    "home": "dsl",
    "healthz": "anonymous",
    "two_factor_qr": "unenrolled",
    "account_security": "dsl",
    "passkey_script_messages": "dsl",
    "profile": "dsl",
    "who_to_tell": "dsl",
    "notice_list": "dsl",
    "child_detail": "dsl",
    "consent_open": "anonymous",
    "consent_receipt": "parent",
    "consent_receipt_pdf": "parent",
    "consent_manage_open": "anonymous",
    "consent_manage": "parent",
    "organisation_logo": "anonymous",
    # Its form posts to consent_manage_link, fuzzed there.
    "consent_manage_expired": "anonymous",
    "consent_summary_pdf": "dsl",
    "consent_do_not_use": "dsl",
    "consent_policies_outstanding": "dsl",
    "consent_types": "admin",
    "policy_detail": "admin",
    "policy_list": "dsl",
    "policy_coverage": "admin",
    "policy_coverage_pdf": "admin",
    "child_agreements_outstanding": "dsl",
    "version_detail": "admin",
    "version_pdf": "admin",
    "incident_counts": "director",
    "incident_detail": "dsl",
    "incident_raised": "therapist",
    "evidence_download": "dsl",
    "evidence_preview": "dsl",
    "evidence_image": "dsl",
    "contact_message_download": "dsl",
    "allegation_list": "dsl",
    "allegation_detail": "dsl",
    "allegation_raised": "therapist",
    "child_chronology": "dsl",
    "child_chronology_pdf": "dsl",
    "transfer_list": "dsl",
    "transfer_detail": "dsl",
    "received_file_download": "dsl",
    "transfer_open": "anonymous",
    "transfer_link": "anonymous",
    "dashboard": "director",
    "dashboard_table": "director",
    "dashboard_csv": "director",
    "retention_home": "dsl",
    "sar_detail": "dsl",
    "sar_export": "dsl",
    "staff_compliance": "admin",
    "staff_list": "admin",
    "staff_detail": "admin",
    "practice_home": "dsl",
    "tasks_retired": "dsl",
    "task_detail": "dsl",
    "task_evidence_download": "dsl",
    "training_certificate_download": "admin",
    "my_plans": "therapist",
    "plan_detail": "therapist",
    "supervision_staff": "dsl",
    "supervision_mine": "therapist",
    "supervision_session": "dsl",
    "supervision_staff_detail": "dsl",
}

# Who else opens pages when looking for forms: every role and the parent, so a
# form shown to one of them only is found too.
CRAWL_PERSONAS = (
    "anonymous",
    "parent",
    "unenrolled",
    "therapist",
    "dsl",
    "deputy",
    "director",
    "admin",
)


def route_persona(route: str) -> str:
    """Who uses a URL: its page's persona, its action's, or its first form's."""
    if route in PAGES:
        return PAGES[route]
    if route in ACTIONS:
        return ACTIONS[route].persona
    return next(target.persona for target in FORMS if target.route == route)


def classified_routes() -> set[str]:
    return set(PAGES) | set(ACTIONS) | {target.route for target in FORMS}


# The documents the portal hands out, and who downloads each. test_fuzz_forms.py
# writes long generated text (any Unicode, Welsh, Hebrew, Arabic, words with no
# space, thousands of lines) into the records each shows and downloads it again:
# a document that cannot hold what its records hold is a record nobody can export.
# A route whose name or URL says PDF, and is not here, fails that file.
EXPORTS: dict[str, str] = {
    "child_chronology_pdf": "dsl",
    "consent_summary_pdf": "dsl",
    "consent_receipt_pdf": "parent",
    "version_pdf": "admin",
    "policy_coverage_pdf": "admin",
    "board_report": "director",
    "sar_export": "dsl",
}
