"""The emails to parents about consent: the request (written when it is sent),
the email that a policy for parents is new or changed, and the receipt.

The link's token exists only in the email: each send makes a new one and keeps
only its hash, so a retried or resent email carries the link that works and
any earlier, undelivered one never will.
"""

import logging
from typing import Any

from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext

from accounts.models import User
from audit import services as audit
from children.models import Child, ChildGuardian, Guardian
from common.emails import send_email
from common.registry import EMAIL_COMPOSERS, POLICY_PUBLISHED

# Imported for its composer: the withdrawal confirmation lives with the manage link's services.
from consent import regrant  # noqa: F401
from consent.models import ConsentRecord, ConsentRequest, GuardianAccess, RequestStatus
from consent.parent_policies import POLICY_CHANGED_KIND, policy_change_emails_queue
from consent.wording import shown_name
from outbox.composers import Composed, Composer
from policies import reach
from policies.models import Acknowledgement, PolicyVersion

log = logging.getLogger(__name__)

KIND = "consent.request"


def _compose(consent_request: ConsentRequest) -> Composed | None:
    from consent import services

    if consent_request.status != RequestStatus.SENT or consent_request.is_expired:
        return None
    token, digest = services._token()
    ConsentRequest.objects.filter(pk=consent_request.pk).update(token_sha256=digest)
    organisation = consent_request.organisation
    # In the organisation's own language: no parent has chosen one yet. (A Welsh
    # service's families get Welsh, and the page the link opens offers English.)
    with translation.override(organisation.parent_language or settings.LANGUAGE_CODE):
        context = {
            "guardian": consent_request.guardian,
            "child": consent_request.child,
            "organisation": organisation,
            "link": settings.SITE_URL + reverse("consent_open", args=[token]),
            "days": services.REQUEST_VALID_DAYS,
            "items": [
                shown_name(version)
                for version in consent_request.items.select_related("consent_type")
            ],
        }
        # The subject never names the child: it shows on lock screens and in
        # shared inboxes.
        return Composed(
            subject=pgettext(
                "consent signing", "Please answer: a consent request from %(organisation)s"
            )
            % {"organisation": organisation.name},
            body=render_to_string("emails/consent_request.txt", context),
            html=render_to_string("emails/consent_request.html", context),
        )


def _visible(user: User, consent_request: ConsentRequest) -> bool:
    from consent.permissions import get_consent_request_for_user

    try:
        get_consent_request_for_user(user, consent_request.pk)
    except Http404:
        return False
    return True


def _resend(*, purpose: ConsentRequest, by: User) -> Any:
    from consent import services

    return services.consent_request_resend(consent_request=purpose, by=by)


EMAIL_COMPOSERS.register(
    Composer(
        kind=KIND,
        label="consent request",
        compose=_compose,
        visible_to=_visible,
        # Whoever may see a child may ask its parents for consent.
        may_resend=_visible,
        url=lambda consent_request: reverse("child_detail", args=[consent_request.child_id]),
        still_wanted=lambda consent_request: (
            consent_request.status == RequestStatus.SENT and not consent_request.is_expired
        ),
        resend=_resend,
    )
)


# --- a parent-facing policy changed ----------------------------------------------------------


def _still_a_parent(guardian: Guardian) -> bool:
    current = Child.objects.filter(organisation_id=guardian.organisation_id).active(
        timezone.localdate()
    )
    return ChildGuardian.objects.filter(
        guardian=guardian, parental_responsibility=True, child__in=current
    ).exists()


def _compose_policy_changed(guardian: Guardian) -> Composed | None:
    """What the parent has yet to read, as it stands when the email goes, with a
    manage link made now: read already, or no longer a parent here, and nothing
    is sent."""
    from consent import services

    unread = reach.guardian_unread(guardian)
    if not unread or not guardian.email or not _still_a_parent(guardian):
        return None
    token, digest = services._token()
    GuardianAccess.objects.create(guardian=guardian, token_sha256=digest)
    audit.record(
        action="consent.manage_link_sent",
        organisation=guardian.organisation,
        actor_label=f"guardian:{guardian.pk}",
        obj=guardian,
        details={"why": "policy changed"},
    )
    # "Changed" only to someone who agreed to an earlier version of one of them.
    changed = Acknowledgement.objects.filter(
        guardian=guardian, version__policy__in=[binding.policy for binding in unread]
    ).exists()
    context = {
        "guardian": guardian,
        "organisation": guardian.organisation,
        "unread": unread,
        "changed": changed,
        "link": settings.SITE_URL + reverse("consent_manage_open", args=[token]),
    }
    # In the organisation's first language for parents, as the request was.
    with translation.override(guardian.organisation.parent_language or settings.LANGUAGE_CODE):
        subject = (
            gettext("A policy you agreed to has changed")
            if changed
            else gettext("Please read: a policy for parents and carers at %(organisation)s")
            % {"organisation": guardian.organisation.name}
        )
        return Composed(
            subject=subject,
            body=render_to_string("emails/consent_policy_changed.txt", context),
            html=render_to_string("emails/consent_policy_changed.html", context),
        )


def _sees_guardian(user: User, guardian: Guardian) -> bool:
    from children.permissions import children_visible_to

    return (
        guardian.organisation_id == user.organisation_id
        and children_visible_to(user).filter(guardian_links__guardian=guardian).exists()
    )


EMAIL_COMPOSERS.register(
    Composer(
        kind=POLICY_CHANGED_KIND,
        label="policy to read",
        compose=_compose_policy_changed,
        visible_to=_sees_guardian,
        may_resend=_sees_guardian,
        url=lambda guardian: reverse("consent_policies_outstanding"),
        still_wanted=lambda guardian: bool(reach.guardian_unread(guardian)),
    )
)


def _policy_published(*, version: PolicyVersion) -> None:
    policy_change_emails_queue(version=version)


POLICY_PUBLISHED.register(_policy_published)


# --- the receipt, after signing ------------------------------------------------------------


def send_receipt(
    records: list[ConsentRecord],
    receipt_sha256: str,
    access_token: str,
    policies: list[PolicyVersion],
) -> None:
    """After the commit: nothing here may fail the parent's request, whose answers
    are already saved. A failure is logged; the receipt page still shows."""
    from consent.forms import ANSWER_WORDS
    from consent.pdf import render_receipt_pdf

    first = records[0]
    try:
        # Written in the language the parent signed in, whoever's thread sends it.
        with translation.override(first.language):
            context = {
                "guardian": first.guardian,
                "child": first.child,
                "organisation": first.organisation,
                "records": records,
                # The form's own words for each answer, in the language signed in.
                "answers": [
                    (
                        shown_name(record.type_version, record.language),
                        str(ANSWER_WORDS.get(record.decision, record.get_decision_display())),
                    )
                    for record in records
                ],
                "reference": first.reference,
                "receipt_sha256": receipt_sha256,
                "policies": policies,
                "manage_link": settings.SITE_URL
                + reverse("consent_manage_open", args=[access_token]),
            }
            # The subject names the organisation, never the child: a subject
            # line shows on lock screens and in shared inboxes.
            send_email(
                to=first.guardian.email,
                subject=pgettext("consent signing", "Your consent receipt from %(organisation)s")
                % {"organisation": first.organisation.name},
                template="consent_receipt",
                context=context,
                html=False,
                attachments=[
                    (
                        f"consent-receipt-{first.reference or receipt_sha256[:12]}.pdf",
                        render_receipt_pdf(records, policies=policies),
                        "application/pdf",
                    )
                ],
            )
    except Exception:
        log.exception("Consent receipt for %s not sent", first.child_id)
