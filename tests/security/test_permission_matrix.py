"""Every URL of the portal, requested as every persona, against one matrix.

``permission_matrix.yaml`` says, for each URL pattern and each persona, what a
request must answer. A URL pattern missing from the matrix, or a row whose
pattern has gone, fails: a new page is not finished until someone has decided
who may open it.

One world is built (two organisations, a child on a therapist's caseload, a
guardian part-way through a consent request, a policy, an incident...). Each
request runs in a fresh copy of its persona's session, so nothing one request
does to a session (signing out, opening a parent's link) changes what the next
one sees; and every GET runs before any POST, so a POST that changes data
(ending an allocation, withdrawing a consent) cannot change what a GET answers.
Every cell is checked and every difference reported at once. A last test looks
inside one response, where a status cannot tell a leak from a correct answer.
"""

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import services as staff_services
from accounts.models import Role, User
from accounts.tokens import invitation_path_args
from allegations import services as allegation_services
from children import services as caseload
from compliance import services as compliance_services
from consent import services as consent_services
from consent.models import ConsentType, TakedownTask
from consent.views import ACCESS_TOKEN
from incidents import retention as incidents_retention
from incidents import services as incident_services
from incidents.services import transfers as incident_transfers
from notices.models import Notice
from outbox.models import Delivery, OutboundMessage
from policies import services as policy_services
from policies.models import Policy
from practice import planning
from practice import services as practice_services
from practice.contact_log import contact_log
from records import retention, subject_access
from records.models import HoldScope, RetentionReview
from supervision import services as supervision_services
from tests.auth import force_verified_login
from tests.factories import ChildFactory, OrganisationFactory, UserFactory

MATRIX_FILE = Path(__file__).with_name("permission_matrix.yaml")
LOGIN_PATH = "/account/login/"
SETUP_PATH = "/account/two-factor/setup/"
METHODS = ("GET", "POST")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Which object of the world fills each URL argument (attribute names of World).
ARGUMENTS: dict[str, dict[str, str]] = {
    "authenticator_remove": {"pk": "dsl_spare_device"},
    "passkey_remove": {"pk": "director_passkey"},
    "invitation_accept": {"uidb64": "invitee_uidb64", "token": "invitee_token"},
    "notice_open": {"pk": "dsl_notice"},
    "child_detail": {"pk": "child"},
    "child_edit": {"pk": "child"},
    "guardian_add": {"pk": "child"},
    "guardian_edit": {"pk": "child", "link_pk": "guardian_link"},
    "allocation_add": {"pk": "child"},
    "allocation_end": {"pk": "allocation_to_end"},
    "child_flag_add": {"pk": "child"},
    "child_flag_end": {"pk": "child_flag"},
    "consent_open": {"token": "request_token"},
    "consent_manage_open": {"token": "manage_token"},
    "consent_withdraw": {"child_pk": "child", "type_pk": "granted_type"},
    "consent_regrant": {"child_pk": "child", "type_pk": "granted_type"},
    "consent_request_new": {"pk": "child"},
    "consent_verbal_new": {"pk": "child"},
    "consent_paper_new": {"pk": "child"},
    "consent_summary_pdf": {"pk": "child"},
    "consent_media_uses": {"pk": "child"},
    "contact_new": {"pk": "child"},
    "plan_new": {"pk": "child"},
    "consent_request_resend": {"pk": "spare_request"},
    "consent_request_cancel": {"pk": "spare_request"},
    "takedown_done": {"pk": "takedown"},
    "consent_type_edit": {"pk": "granted_type"},
    "policy_detail": {"pk": "policy"},
    "draft_start": {"pk": "policy"},
    "policy_reviewed": {"pk": "policy"},
    "policy_settings": {"pk": "policy"},
    "policy_compare": {"pk": "policy"},
    "policy_coverage": {"pk": "policy"},
    "policy_coverage_pdf": {"pk": "policy"},
    "version_detail": {"pk": "approved_version"},
    "draft_edit": {"pk": "draft_version"},
    "version_approve": {"pk": "draft_version"},
    "version_acknowledge": {"pk": "approved_version"},
    "version_pdf": {"pk": "approved_version"},
    "child_agreement_in_session": {"pk": "child", "version_pk": "child_agreement_version"},
    "consent_child_agreement": {"child_pk": "child", "version_pk": "child_agreement_version"},
    "consent_manage_policy": {"version_pk": "parent_version"},
    "incident_detail": {"pk": "incident"},
    "incident_raised": {"pk": "incident"},
    "incident_triage": {"pk": "incident"},
    "incident_action": {"pk": "incident"},
    "incident_entry_add": {"pk": "incident"},
    "incident_referral_add": {"pk": "incident"},
    "incident_sharing_decision_add": {"pk": "incident"},
    "referral_outcome": {"pk": "referral"},
    "referral_chase": {"pk": "referral"},
    "incident_close": {"pk": "incident"},
    "incident_signoff": {"pk": "incident"},
    "incident_signoff_decline": {"pk": "incident"},
    "incident_ico": {"pk": "incident"},
    "incident_evidence_add": {"pk": "incident"},
    "evidence_download": {"pk": "evidence"},
    "evidence_preview": {"pk": "evidence"},
    "evidence_image": {"pk": "evidence"},
    "incident_imagery_view_decision": {"pk": "nudes_incident"},
    "incident_access": {"pk": "incident"},
    "incident_access_revoke": {"pk": "incident", "staff_pk": "target"},
    "allegation_detail": {"pk": "allegation"},
    "allegation_entry_add": {"pk": "allegation"},
    "allegation_lado": {"pk": "allegation"},
    "allegation_outcome": {"pk": "allegation"},
    "allegation_close": {"pk": "allegation"},
    "allegation_case_manager": {"pk": "allegation"},
    "child_chronology": {"pk": "child"},
    "child_chronology_pdf": {"pk": "child"},
    "transfer_new": {"pk": "child"},
    "transfer_not_needed": {"pk": "child"},
    "transfer_detail": {"pk": "transfer"},
    "received_file_download": {"pk": "received_file"},
    "transfer_open": {"token": "transfer_token"},
    "organisation_logo": {"slug": "alder_slug"},
    "retention_rule": {"kind": "retention_kind"},
    "retention_review": {"pk": "retention_review"},
    "retention_review_confirm": {"pk": "retention_review"},
    "legal_hold_release": {"pk": "legal_hold"},
    "sar_detail": {"pk": "subject_access_request"},
    "sar_export": {"pk": "subject_access_request"},
    "sar_complete": {"pk": "subject_access_request"},
    "staff_compliance_detail": {"pk": "therapist"},
    "dashboard_table": {"slug": "dashboard_slug"},
    "platform_assess": {"pk": "platform"},
    "platform_approval": {"pk": "platform"},
    "device_attest": {"pk": "work_device"},
    "account_edit": {"pk": "online_account"},
    "task_done": {"pk": "recurring_task"},
    "task_detail": {"pk": "recurring_task"},
    "task_edit": {"pk": "recurring_task"},
    "task_retire": {"pk": "recurring_task"},
    "task_evidence_download": {"pk": "task_completion"},
    "training_certificate_download": {"pk": "training_record"},
    "plan_detail": {"pk": "planned_session"},
    "plan_cancel": {"pk": "planned_session"},
    "contact_message_download": {"pk": "contact"},
    "follow_up_done": {"pk": "follow_up"},
    "dashboard_csv": {"slug": "dashboard_slug"},
    "staff_detail": {"pk": "target"},
    "staff_role": {"pk": "target"},
    "staff_phone": {"pk": "target"},
    "staff_deactivate": {"pk": "target"},
    "staff_reactivate": {"pk": "target"},
    "staff_two_factor_reset": {"pk": "target"},
    "staff_invitation_resend": {"pk": "target"},
    "email_resend": {"pk": "failed_email"},
    "supervision_session": {"pk": "supervision_session"},
    "supervision_action_done": {"pk": "supervision_action"},
    "supervision_staff_detail": {"pk": "therapist"},
    "supervision_cadence": {"pk": "therapist"},
}
# The Django admin's URLs, by argument name. No persona may use the admin (it is
# for platform operators), so any well-formed value will do.
ADMIN_ARGUMENTS = {
    "object_id": "1",
    "content_type_id": "1",
    "pk": "1",
    "app_label": "safeguard",
    "url": "no-such-page/",
}

CONVERTER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


# --- the URL patterns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the matrix's name for it: "namespace:name", or the route when unnamed
    route: str  # as written in the URLconfs, joined
    callback: Callable[..., HttpResponse]

    @property
    def in_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def argument_names(self) -> list[str]:
        groups = [m["name"] for m in REGEX_GROUP.finditer(self.route)]
        rest = REGEX_GROUP.sub("", self.route)
        return groups + [m["name"] for m in CONVERTER.finditer(rest)]

    def path(self, values: dict[str, str]) -> str:
        """The route with each argument filled in (regex groups first: their
        names look like converters)."""
        path = REGEX_GROUP.sub(lambda m: values[m["name"]], self.route)
        path = CONVERTER.sub(lambda m: values[m["name"]], path)
        return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            route = prefix + str(pattern.pattern)
            key = f"{namespace}{pattern.name}" if pattern.name else route
            yield Route(key=key, route=route, callback=pattern.callback)


def project_routes() -> list[Route]:
    """Every URL pattern of the project, included URLconfs and the admin's too."""
    return list(_walk(get_resolver().url_patterns, "", ""))


def argument_sources(route: Route) -> dict[str, str]:
    """Argument name -> the World attribute that fills it (the admin's: a literal)."""
    if route.in_admin:
        return {
            name: ADMIN_ARGUMENTS[name]
            for name in ADMIN_ARGUMENTS.keys() & set(route.argument_names)
        }
    return ARGUMENTS.get(route.key, {})


def missing_arguments(route: Route) -> list[str]:
    return [name for name in route.argument_names if name not in argument_sources(route)]


# --- the matrix -------------------------------------------------------------------------------


def load_matrix() -> tuple[list[str], dict[str, dict[str, list[object]]]]:
    data = yaml.safe_load(MATRIX_FILE.read_text())
    return list(data["personas"]), data["urls"]


def outcome(response: HttpResponse) -> str:
    """What a response amounts to, in the matrix's words."""
    if response.status_code in {301, 302}:
        location = urlsplit(response["Location"]).path
        if location.startswith(LOGIN_PATH):
            return "login"
        if location.startswith(SETUP_PATH):
            return "setup"
        return f"{response.status_code} {location}"
    return str(response.status_code)


def matches(expected: object, actual: str, to: str | None = None) -> bool:
    """``302`` is a redirect anywhere but sign-in or setup (to a path starting with
    the row's ``to`` when it has one); ``302 /path/`` a redirect to a path starting
    with /path/; anything else must be equal."""
    expected = str(expected)
    if expected in {"301", "302"}:
        return actual.startswith(f"{expected} {to or '/'}")
    if expected.startswith(("301 /", "302 /")):
        return actual.startswith(expected)
    return actual == expected


VALID = re.compile(r"^(login|setup|[1-5]\d\d|30[12] /\S*)$")


# --- the world --------------------------------------------------------------------------------


class World(SimpleNamespace):
    """Every object a URL argument or a persona needs, by name."""

    def path_for(self, route: Route) -> str:
        values = {}
        for name, source in argument_sources(route).items():
            value = source if route.in_admin else getattr(self, source)
            values[name] = str(value.pk if isinstance(value, models.Model) else value)
        return route.path(values)


def build_world(capture: Callable[..., object]) -> World:
    """Two organisations, and one of every object a page is about, in Alder."""
    today = timezone.localdate()
    now = timezone.now()
    w = World()
    w.alder = OrganisationFactory(name="Alder Play Therapy", slug="alder")
    w.birch = OrganisationFactory(name="Birch Music Therapy", slug="birch")
    w.alder_slug = w.alder.slug

    def staff(name: str, organisation: object, role: str, **extra: object) -> User:
        return UserFactory(
            email=f"{name}@{organisation.slug}.test",
            full_name=f"{name.title()} of {organisation.name}",
            organisation=organisation,
            role=role,
            **extra,
        )

    w.therapist = staff("therapist", w.alder, Role.STAFF)
    # Not yet inducted (compliance.induction): no child of theirs to open, and the
    # induction page shows its form to be fuzzed.
    w.unallocated = staff("unallocated", w.alder, Role.STAFF, inducted=False)
    w.dsl = staff("dsl", w.alder, Role.DSL)
    w.deputy = staff("deputy", w.alder, Role.DEPUTY_DSL)
    w.director = staff("director", w.alder, Role.DIRECTOR)
    w.admin = staff("admin", w.alder, Role.ADMIN)
    w.no_2fa = staff("unverified", w.alder, Role.DSL)
    w.unenrolled = staff("unenrolled", w.alder, Role.ADMIN, authenticator=False)
    w.target = staff("target", w.alder, Role.STAFF)  # what staff pages act on
    w.other_staff = staff("staff", w.birch, Role.STAFF)
    w.other_dsl = staff("dsl", w.birch, Role.DSL)
    w.other_admin = staff("admin", w.birch, Role.ADMIN)
    # Not the device the DSL signs in with (the first one), so removing it is allowed.
    w.dsl_spare_device = TOTPDevice.objects.create(user=w.dsl, name="spare", confirmed=True)
    # The director's, not the DSL's: the DSL signs in through the wizard in the
    # fuzzer's code steps, which a passkey would put a step in front of.
    w.director_passkey = WebAuthnCredential.objects.create(
        user=w.director,
        name="Work laptop",
        credential_id=b"director-passkey",
        public_key=b"not used: nothing signs with it here",
        confirmed=True,
    )
    w.invitee = staff_services.staff_invite(
        organisation=w.alder,
        invited_by=w.admin,
        email="invitee@alder.test",
        full_name="Ina Invitee",
        role=Role.STAFF,
    )
    w.invitee_uidb64, w.invitee_token = invitation_path_args(w.invitee)
    # Its email, as a mail server that refused it leaves it.
    w.failed_email = OutboundMessage.objects.get(to="invitee@alder.test")
    OutboundMessage.objects.filter(pk=w.failed_email.pk).update(
        state=Delivery.FAILED, failure_reason="550 5.7.1 Refused", failed_at=now
    )

    everyone = [Role.STAFF, Role.DSL, Role.DEPUTY_DSL, Role.DIRECTOR, Role.ADMIN]
    first_draft = policy_services.policy_create(
        organisation=w.alder,
        by=w.admin,
        title="Online Safety Policy",
        category="online_safety",
        body="# Purpose\n\nWe keep children safe online.",
        audience_roles=everyone,
        owner=w.admin,
    )
    w.policy = first_draft.policy
    w.approved_version = policy_services.version_approve(
        draft=first_draft,
        by=w.admin,
        approved_on=today - dt.timedelta(days=10),
        approved_by_name="The trustees",
    )
    w.draft_version = policy_services.draft_start(policy=w.policy, by=w.admin)

    w.child = ChildFactory(organisation=w.alder, first_name="Noor", last_name="Hassan")
    # The children's acceptable-use agreement, for every age: the child has not agreed yet.
    agreement_draft = policy_services.policy_create(
        organisation=w.alder,
        by=w.admin,
        title="Our online promise",
        category="acceptable_use",
        body="I will tell a grown-up if something online worries me.",
    )
    Policy.objects.filter(pk=agreement_draft.policy_id).update(audience_children=True)
    w.child_agreement_version = policy_services.version_approve(
        draft=agreement_draft,
        by=w.admin,
        approved_on=today - dt.timedelta(days=10),
        approved_by_name="The trustees",
    )
    w.guardian_link = caseload.guardian_add(
        child=w.child,
        by=w.dsl,
        full_name="Pat Parent",
        email="pat@example.test",
        phone="",
        preferred_contact="email",
        relationship="parent",
        parental_responsibility=True,
    )
    guardian = w.guardian_link.guardian
    caseload.allocation_start(child=w.child, staff=w.therapist, starts_on=today, by=w.dsl)
    w.allocation_to_end = caseload.allocation_start(
        child=w.child, staff=w.target, starts_on=today, by=w.dsl
    )
    w.child_flag = caseload.child_flag_add(
        child=w.child, by=w.dsl, kind="cp_plan", started_on=today - dt.timedelta(days=30)
    )

    consent_services.consent_types_ensure(organisation=w.alder)
    w.granted_type = ConsentType.objects.get(organisation=w.alder, code="photos_online")
    sessions_type = ConsentType.objects.get(organisation=w.alder, code="online_sessions")
    # The guardian answered one request (so holds a receipt and a manage link)...
    (answered,) = consent_services.consent_request_send(
        child=w.child, guardians=[guardian], consent_types=[w.granted_type], by=w.therapist
    )
    signed = consent_services.consent_sign(
        token_digest=answered.token_sha256,
        answers={version.pk: "granted" for version in answered.items.all()},
        typed_name="Pat Parent",
        relationship="mother",
        signature_png="",
    )
    w.manage_token = signed.manage_token
    # A policy for parents approved since the guardian signed: theirs to read on their link.
    parents_draft = policy_services.policy_create(
        organisation=w.alder,
        by=w.admin,
        title="Code of conduct for parents and carers",
        category="conduct_parents",
        body="We treat each other with respect.",
        audience_parents=True,
    )
    w.parent_version = policy_services.version_approve(
        draft=parents_draft,
        by=w.admin,
        approved_on=today - dt.timedelta(days=1),
        approved_by_name="The trustees",
    )
    w.receipt_records = [record.pk for record in signed.records]
    # ...and has a new one open, whose link came by email.
    mail.outbox.clear()
    with capture(execute=True):
        consent_services.consent_request_send(
            child=w.child, guardians=[guardian], consent_types=[sessions_type], by=w.therapist
        )
    (link,) = {m for e in mail.outbox for m in re.findall(r"/c/([^/\s]+)/", e.body)}
    w.request_token = link
    # Another, for the pages that resend or cancel one.
    (w.spare_request,) = consent_services.consent_request_send(
        child=w.child, guardians=[guardian], consent_types=[sessions_type], by=w.therapist
    )
    w.takedown = TakedownTask.objects.create(
        organisation=w.alder,
        child=w.child,
        record=signed.records[0],
        what="A photo",
        where="The website",
        assigned_to=w.therapist,
        due_on=today,
    )

    # A concern the therapist raised, with the DSL's work on it.
    w.incident = incident_services.incident_raise(
        reporter=w.therapist,
        children=[w.child],
        occurred_at=now - dt.timedelta(hours=3),
        disclosed_at=now - dt.timedelta(hours=2),
        category="contact",
        incident_type="grooming",
        platform="A game's chat",
        what_happened="An adult asked Noor to move to a private app.",
        initial_risk="medium",
    )
    w.evidence = incident_services.evidence_add(
        incident=w.incident, by=w.dsl, name="screenshot.png", data=PNG
    )
    w.referral = incident_services.referral_add(
        incident=w.incident,
        by=w.dsl,
        agency="police",
        referred_on=today,
        family_consent="not_sought",
    )
    incident_services.incident_access_grant(incident=w.incident, staff=w.target, by=w.dsl)
    # A nude-image concern the therapist raised: described, never uploaded.
    w.nudes_incident = incident_services.incident_raise(
        reporter=w.therapist,
        children=[w.child],
        occurred_at=now - dt.timedelta(hours=5),
        disclosed_at=now - dt.timedelta(hours=4),
        category="conduct",
        incident_type="nude_images",
        what_happened="Noor said a classmate shared a photo of her; it was not looked at.",
        initial_risk="medium",
    )
    w.dsl_notice = Notice.objects.filter(recipient=w.dsl).first()
    assert w.dsl_notice is not None, "raising a concern tells the DSL"
    # An allegation the therapist raised about the deputy (a lead, who must still
    # never see it), naming the child; the DSL is its case manager.
    w.allegation = allegation_services.allegation_raise(
        raised_by=w.therapist,
        kind="allegation",
        about=w.deputy,
        what_was_alleged="Seen messaging Noor from a personal phone late at night.",
        children=[w.child],
    )
    assert w.allegation.case_manager == w.dsl

    # A child who left, whose child protection file the DSL sent (its link came by
    # email); and that file imported back as one received (a new child of Alder's).
    w.leaver = ChildFactory(
        organisation=w.alder,
        first_name="Lee",
        last_name="Leaver",
        active_from=today - dt.timedelta(days=400),
        discharged_on=today - dt.timedelta(days=1),
    )
    mail.outbox.clear()
    with capture(execute=True):
        started = incident_transfers.transfer_start(
            child=w.leaver,
            by=w.dsl,
            left_on=today - dt.timedelta(days=1),
            recipient_name="Sam Senior",
            recipient_role="DSL",
            recipient_setting="Oak Academy",
            recipient_email="dsl@oak.test",
            passphrase_route="phone",
        )
    w.transfer = started.transfer
    (w.transfer_token,) = {
        m for e in mail.outbox for m in re.findall(r"/incidents/file/([^/\s]+)/", e.body)
    }
    with w.transfer.package.open("rb") as package:
        w.received_file = incident_transfers.received_file_import(
            by=w.dsl, data=package.read(), passphrase=started.passphrase
        )

    # Records: a review of the incident (a safeguarding record: the DSL and deputies
    # decide), a legal hold over the child, and a parent's subject access request for it.
    w.retention_kind = incidents_retention.INCIDENTS.code
    w.dashboard_slug = "incidents-open"  # a table behind a dashboard figure
    # Online practice: a platform on Alder's register and the therapist's work phone.
    w.platform = practice_services.platform_add(
        organisation=w.alder, name="Licensed video", kind="video", by=w.dsl
    )
    w.work_device = practice_services.device_register(
        staff=w.therapist, description="Work mobile", by=w.therapist
    )
    w.online_account = practice_services.account_save(
        organisation=w.alder,
        by=w.dsl,
        platform="Instagram",
        handle="@alder",
        privacy="Private",
        holders=[w.dsl, w.admin],
        monitors=[w.dsl, w.deputy],
    )
    # A session the therapist planned for the child, a week ahead.
    w.planned_session, _ = planning.session_plan(
        child=w.child, staff=w.therapist, channel="video", planned_for=now + dt.timedelta(days=7)
    )
    # The therapist's session with the child: a copy of a message kept with it, and
    # the child would not switch the camera on (a follow-up, the therapist's).
    w.contact = contact_log(
        child=w.child,
        staff=w.therapist,
        happened_at=now - dt.timedelta(hours=1),
        channel="video",
        camera_refused=True,
        message_file=SimpleUploadedFile("message.png", PNG, content_type="image/png"),
        override_reason="The session went ahead: Noor needed it.",
    )
    w.follow_up = w.contact.follow_ups.get()
    # The DSL owns the organisation's recurring tasks (a therapist owns none).
    w.recurring_task = practice_services.tasks_ensure(organisation=w.alder)[0]
    # The DSL recorded it done with a picture of the filter test as its evidence.
    w.task_completion = practice_services.task_complete(
        task=w.recurring_task,
        by=w.dsl,
        done_on=today,
        evidence_file=SimpleUploadedFile("filters.png", PNG),
    )
    # The therapist's AI-risks training, with its certificate.
    w.training_record = compliance_services.training_record(
        staff=w.therapist,
        by=w.admin,
        kind="ai_risks",
        completed_on=today,
        delivery="external",
        certificate=SimpleUploadedFile("certificate.png", PNG),
    )
    # The DSL supervised the therapist: the child was discussed, and the therapist owns an action.
    w.supervision_session = supervision_services.session_record(
        by=w.dsl,
        supervisor=w.dsl,
        supervisee=w.therapist,
        held_on=today,
        notes="Workload and wellbeing.",
        discussions=[
            supervision_services.Discussion(child=w.child, discussed="Noor's chat worries.")
        ],
        actions=[
            supervision_services.ActionAgreed(
                owner=w.therapist, what="Talk to the parent", due_on=today
            )
        ],
    )
    w.supervision_action = w.supervision_session.actions.get()
    w.retention_review = RetentionReview.objects.create(
        organisation=w.alder,
        kind=w.retention_kind,
        object_type="incidents.incident",
        object_id=str(w.incident.pk),
        description=w.incident.reference,
        child=w.child,
        due_on=today,
    )
    w.legal_hold = retention.legal_hold_place(
        organisation=w.alder,
        scope=HoldScope.CHILD,
        child=w.child,
        by=w.dsl,
        reason="The police asked us to keep everything about this child.",
    )
    w.subject_access_request = subject_access.sar_record(
        organisation=w.alder,
        requester="Pat Parent",
        received_on=today,
        child=w.child,
        by=w.admin,
    )
    return w


def persona_sessions(w: World) -> dict[str, dict[str, object] | None]:
    """Each persona's session data (None: no session at all)."""

    def verified(user: User) -> dict[str, object]:
        client = Client()
        force_verified_login(client, user)
        return dict(client.session.items())

    def password_only(user: User) -> dict[str, object]:
        client = Client()
        client.force_login(user)
        return dict(client.session.items())

    parent = Client()
    opened = parent.get(f"/c/{w.request_token}/")
    assert opened.status_code == 302, "the parent's link works"
    session = parent.session
    session[ACCESS_TOKEN] = consent_services.token_hash(w.manage_token)
    session["consent_receipt"] = w.receipt_records
    session.save()
    return {
        "anonymous": None,
        "parent": dict(session.items()),
        "other_staff": verified(w.other_staff),
        "other_dsl": verified(w.other_dsl),
        "other_admin": verified(w.other_admin),
        "no_2fa": password_only(w.no_2fa),
        "unenrolled": password_only(w.unenrolled),
        "therapist": verified(w.therapist),
        "unallocated": verified(w.unallocated),
        "dsl": verified(w.dsl),
        "deputy": verified(w.deputy),
        "director": verified(w.director),
        "admin": verified(w.admin),
    }


def client_with(session_data: dict[str, object] | None) -> Client:
    """A browser holding a fresh copy of a persona's session."""
    client = Client(raise_request_exception=False)
    if session_data is not None:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store.update(session_data)
        store.create()
        client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


# --- the tests --------------------------------------------------------------------------------


def test_the_matrix_has_a_row_for_every_url_and_no_other() -> None:
    personas, rows = load_matrix()
    routes = project_routes()
    keys = [route.key for route in routes]
    problems = [f"two URL patterns share the name {k!r}" for k in keys if keys.count(k) > 1]
    problems += [
        f"{route.key!r} ({route.route}) is not in {MATRIX_FILE.name}: decide who may open it"
        for route in routes
        if route.key not in rows
    ]
    problems += [
        f"{key!r} is in {MATRIX_FILE.name} but no URL has that name"
        for key in rows
        if key not in keys
    ]
    for key, row in rows.items():
        if not row or set(row) - {*METHODS, "to"} or "GET" not in row:
            problems.append(f"{key!r}: give GET, POST where it matters, to, and nothing else")
            continue
        if "to" in row and not str(row["to"]).startswith("/"):
            problems.append(f"{key!r}: to is where its redirects go, a path starting with /")
        for method, cells in ((m, row[m]) for m in METHODS if m in row):
            if len(cells) != len(personas):
                problems.append(
                    f"{key!r} {method}: {len(cells)} cells for {len(personas)} personas"
                )
            problems += [
                f"{key!r} {method}: {cell!r} is not a status, login, setup or '302 /path'"
                for cell in cells
                if not VALID.match(str(cell))
            ]
    problems += [
        f"{route.key!r}: no sample value for its argument {name!r} (add it to ARGUMENTS)"
        for route in routes
        for name in missing_arguments(route)
    ]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_every_persona_gets_what_the_matrix_says_of_every_url(
    db: None, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "http://testserver"
    # The personas' sessions are made once and the walk takes minutes: their sign-in
    # still counts as confirming who they are (accounts.recent_auth) at its end.
    settings.RECENT_AUTH_SECONDS = 24 * 3600
    # Hundreds of 403s and 404s are the point here; a 500's traceback still shows.
    caplog.set_level(logging.ERROR, logger="django.request")
    # /healthz answers 503 when the broker is down: that is its job, tested elsewhere.
    # Here only who may reach it matters.
    monkeypatch.setattr("ops.health.broker_status", lambda: "ok")
    personas, rows = load_matrix()
    world = build_world(django_capture_on_commit_callbacks)
    sessions = persona_sessions(world)
    assert list(sessions) == personas, "the matrix's personas are the ones built here"
    # A URL the matrix or ARGUMENTS lacks fails the test above; here it is skipped.
    routes = {r.key: r for r in project_routes() if r.key in rows and not missing_arguments(r)}
    paths = {key: world.path_for(route) for key, route in routes.items()}
    for key, path in paths.items():
        assert resolve(urlsplit(path).path).func == routes[key].callback, f"{path} is not {key}"

    mismatches = []
    cells = 0
    for method in METHODS:  # every GET first: no POST can change what a GET sees
        for key, row in rows.items():
            if key not in routes or method not in row:
                continue
            for persona, expected in zip(personas, row[method], strict=True):
                client = client_with(sessions[persona])
                response = getattr(client, method.lower())(paths[key])
                cells += 1
                actual = outcome(response)
                if not matches(expected, actual, row.get("to")):
                    if str(expected) in {"301", "302"} and row.get("to"):
                        expected = f"{expected} {row['to']}"
                    mismatches.append(
                        f"  {method:4} {key:28} {paths[key]:48} {persona:12} "
                        f"expected {expected!s:8} got {actual}"
                    )
    if mismatches:
        pytest.fail(
            f"{len(mismatches)} of {cells} cells differ from {MATRIX_FILE.name}:\n"
            + "\n".join(mismatches),
            pytrace=False,
        )


def test_a_subject_access_export_holds_no_safeguarding_record_its_reader_may_not_open(
    db: None, settings, caplog, django_capture_on_commit_callbacks
) -> None:
    """The matrix sees statuses, not contents. An admin may not open the child's
    incident, its evidence or the child's chronology; a subject access export
    about the child must not hand them over either (refused, or without them)."""
    settings.SITE_URL = "http://testserver"
    caplog.set_level(logging.ERROR, logger="django.request")
    world = build_world(django_capture_on_commit_callbacks)
    sessions = persona_sessions(world)
    export = reverse("sar_export", args=[world.subject_access_request.pk])
    safeguarding = {
        "incident": reverse("incident_detail", args=[world.incident.pk]),
        "evidence": reverse("evidence_download", args=[world.evidence.pk]),
        "chronology": reverse("child_chronology_pdf", args=[world.child.pk]),
    }

    def safeguarding_files(persona: str) -> list[str] | None:
        response = client_with(sessions[persona]).get(export)
        if response.status_code != 200:
            return None
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        return [name for name in names if name.startswith(f"{subject_access.REVIEW_FOLDER}/")]

    # The DSL reads them all anyway, and the export holds them: the test can see them.
    assert all(
        client_with(sessions["dsl"]).get(url).status_code == 200 for url in safeguarding.values()
    )
    assert safeguarding_files("dsl")
    # The admin may open none of them, so the export must not hold them.
    opened = {
        what: client_with(sessions["admin"]).get(url).status_code
        for what, url in safeguarding.items()
    }
    assert not any(status == 200 for status in opened.values()), opened
    leaked = safeguarding_files("admin")
    if leaked:
        pytest.fail(
            f"The admin, who gets {opened} opening them, downloads them in a subject "
            "access export:\n  " + "\n  ".join(leaked),
            pytrace=False,
        )


@pytest.mark.parametrize(
    ("expected", "actual", "to", "same"),
    [
        ("302", "302 /children/4/", None, True),
        ("302", "302 /children/4/", "/children/", True),
        ("302", "302 /children/4/", "/staff/", False),
        ("302", "login", None, False),
        ("302", "setup", None, False),
        ("302 /consent/sign/", "302 /consent/sign/", None, True),
        ("302 /consent/sign/", "302 /consent/manage/", None, False),
        (404, "404", None, True),
        (200, "500", None, False),
        ("login", "setup", None, False),
    ],
)
def test_how_a_cell_is_read(expected: object, actual: str, to: str | None, same: bool) -> None:
    assert matches(expected, actual, to) is same
