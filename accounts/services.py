"""Staff accounts: invitations, roles, deactivation, second factors and sessions.

Each service is one transaction that changes the account, writes its audit
event and, where mail must go out, queues it for after the commit.
"""

import hashlib
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import LEAD_ROLES, Organisation, Role, StaffSession, User
from audit import services as audit
from common.queue import enqueue_on_commit
from common.registry import ANNOUNCEMENTS
from outbox.services import email_queue, mark_resent


def security_notice_queue(*, user: User, change: str) -> None:
    """Email the user, after the commit, that their sign-in methods changed."""
    from accounts.tasks import send_security_notice

    enqueue_on_commit(send_security_notice, user.pk, change, run_here_if_broker_down=True)


def _leads_to_tell(user: User, by: User | None) -> list[User]:
    """Who must hear that someone can now open every concern and case file: the
    DSL and deputies already in post, or, where there are none yet, the other admins."""
    colleagues = User.objects.of(user.organisation).exclude(pk=user.pk)
    told = list(colleagues.dsl_and_deputies())
    if not told and by is not None:
        told = list(colleagues.admins().exclude(pk=by.pk))
    return told


def _role_named(organisation: Organisation, role: str) -> str:
    """The role as the organisation names it (Designated Safeguarding Person in Wales)."""
    return organisation.titles.role(role)


def _tell_leads_of_new_lead(*, user: User, role: str, by: User | None, told: list[User]) -> None:
    """An admin alone can make anyone a lead, so the leads hear of it at once, in
    the portal and by email: a lead they did not expect is theirs to question."""
    appointer = by.full_name if by is not None else "a platform operator"
    title = (
        f"{user.full_name} ({user.email}) is now {_role_named(user.organisation, role)}, "
        f"made so by {appointer}. "
        "They can open every concern and case file. If you did not expect this, "
        "raise it with your director."
    )
    for announce in ANNOUNCEMENTS.items():
        announce(
            organisation=user.organisation,
            kind="accounts.lead_appointed",
            # The person appointed, and the moment: each appointment is its own
            # notice, however many there are in a day (the ledger keeps one per key).
            obj=user,
            stage=f"appointed-{timezone.now():%Y%m%d%H%M%S%f}",
            recipients=told,
            title=title,
            url=reverse("notice_list"),
        )


def _queue_invitation_email(user: User, by: User | None) -> None:
    from accounts.emails import KIND

    message = email_queue(to=user.email, purpose=user, kind=KIND, requested_by=by)
    # A new invitation answers any that failed before it.
    mark_resent(purpose=user, new=message)


def staff_invite(
    *,
    organisation: Organisation,
    invited_by: User | None,
    email: str,
    full_name: str,
    role: str,
) -> User | None:
    """Create an account with no usable password and email its invitation link.

    ``invited_by`` is None only when a platform operator invites from the command line.
    An address that already has an account with another organisation gets no new
    account and no link, only an email saying so; the caller is told nothing more
    than for any invitation sent (None instead of the account), so an admin cannot
    use this form to learn who works elsewhere.
    """
    email = get_user_model().objects.normalize_email(email).strip().lower()
    taken = ValidationError(
        {"email": "This email address cannot be invited. Check it, or ask which address to use."}
    )
    existing = User.objects.filter(email__iexact=email).select_related("organisation").first()
    if existing is not None and existing.organisation_id != organisation.pk:
        _invitation_to_another_organisations_member(
            member=existing, organisation=organisation, invited_by=invited_by, role=role
        )
        return None
    if existing is not None:
        raise taken
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                password=None,  # unusable until they accept the invitation
                full_name=full_name,
                organisation=organisation,
                role=role,
                invited_at=timezone.now(),
                invited_by=invited_by,
            )
            told = _leads_to_tell(user, invited_by) if role in LEAD_ROLES else []
            audit.record(
                action="staff.invited",
                actor=invited_by,
                organisation=organisation,
                actor_label=None if invited_by else "manage.py",
                obj=user,
                details={
                    "email": user.email,
                    "role": role,
                    **({"leads_told": [lead.email for lead in told]} if told else {}),
                },
            )
            if told:
                _tell_leads_of_new_lead(user=user, role=role, by=invited_by, told=told)
    except IntegrityError:
        # Two admins inviting the same address at the same moment.
        raise taken from None
    _queue_invitation_email(user, invited_by)
    return user


@transaction.atomic
def _invitation_to_another_organisations_member(
    *, member: User, organisation: Organisation, invited_by: User | None, role: str
) -> None:
    """Recorded in the member's own organisation's log, where it concerns their
    account, and the address is told that no second account was made."""
    from accounts.tasks import send_invitation_elsewhere_email

    audit.record(
        action="staff.invited_while_member_elsewhere",
        actor=invited_by,
        organisation=member.organisation,
        actor_label=None if invited_by else "manage.py",
        obj=member,
        details={"invited_to": organisation.slug, "role": role},
    )
    enqueue_on_commit(
        send_invitation_elsewhere_email,
        member.pk,
        organisation.pk,
        invited_by.pk if invited_by else None,
        run_here_if_broker_down=True,
    )


@transaction.atomic
def staff_invitation_resend(*, user: User, by: User) -> None:
    """Send a new invitation to someone who has not finished setting up.

    The old link stops working (the invitation time is part of its signature), and
    any password they chose is cleared: they choose one again from the new link.
    """
    if has_authenticator(user):
        raise ValidationError("This person has already set up their sign-in.")
    _restart_onboarding(user)
    audit.record(action="staff.invitation_resent", actor=by, obj=user)
    _queue_invitation_email(user, by)


def _restart_onboarding(user: User) -> None:
    user.set_unusable_password()
    user.invited_at = timezone.now()
    user.save(update_fields=["password", "invited_at"])


def has_authenticator(user: User) -> bool:
    return User.objects.filter(pk=user.pk).with_second_factor().exists()


@transaction.atomic
def staff_invitation_accept(*, user: User, password: str) -> None:
    """Set the invited person's first password. Their second factor comes next."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(action="staff.invitation_accepted", actor=user, obj=user)


def _other_working_admins(user: User) -> bool:
    """Whether someone else could still run the organisation's staff accounts.

    Only an admin who can actually sign in counts (a password and an authenticator),
    not one whose invitation is still pending. The organisation row is locked so two
    admins demoting each other at the same moment cannot both succeed.
    """
    Organisation.objects.select_for_update(no_key=True).filter(pk=user.organisation_id).first()
    return (
        User.objects.filter(organisation_id=user.organisation_id)
        .admins()
        .with_second_factor()
        .exclude(pk=user.pk)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exists()
    )


@transaction.atomic
def staff_role_change(*, user: User, role: str, by: User) -> None:
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    previous = user.role
    if previous == role:
        return
    if previous == Role.ADMIN and not _other_working_admins(user):
        raise ValidationError({"role": "The organisation must keep at least one active admin."})
    user.role = role
    user.save(update_fields=["role"])
    told = _leads_to_tell(user, by) if role in LEAD_ROLES else []
    audit.record(
        action="staff.role_changed",
        actor=by,
        obj=user,
        details={
            "from": previous,
            "to": role,
            **({"leads_told": [lead.email for lead in told]} if told else {}),
        },
    )
    if told:
        _tell_leads_of_new_lead(user=user, role=role, by=by, told=told)


@transaction.atomic
def staff_deactivate(*, user: User, by: User) -> int:
    """Stop someone signing in and end every session they have, at once."""
    if user.pk == by.pk:
        raise ValidationError("You cannot deactivate your own account.")
    if user.role == Role.ADMIN and not _other_working_admins(user):
        raise ValidationError("The organisation must keep at least one active admin.")
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    ended = sessions_end_for_user(user=user)
    audit.record(
        action="staff.deactivated",
        actor=by,
        obj=user,
        details={"sessions_ended": ended},
    )
    return ended


@transaction.atomic
def staff_reactivate(*, user: User, by: User) -> None:
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    # A lead let back in opens every case file again, as a new one would.
    told = _leads_to_tell(user, by) if user.role in LEAD_ROLES else []
    audit.record(
        action="staff.reactivated",
        actor=by,
        obj=user,
        details={"leads_told": [lead.email for lead in told]} if told else {},
    )
    if told:
        _tell_leads_of_new_lead(user=user, role=user.role, by=by, told=told)


@transaction.atomic
def two_factor_reset(*, user: User, by: User) -> int:
    """Remove every authenticator and backup code, end every session, and send a
    new invitation.

    The password is cleared too: otherwise whoever knows it could enrol their own
    authenticator first. Proving the email address again closes that gap.
    """
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    ended = sessions_end_for_user(user=user)
    _restart_onboarding(user)
    audit.record(
        action="two_factor.reset",
        actor=by,
        obj=user,
        details={"devices_removed": removed, "sessions_ended": ended},
    )
    _queue_invitation_email(user, by)
    return removed


@transaction.atomic
def two_factor_device_remove(*, user: User, device: TOTPDevice, signed_in_with: object) -> None:
    """Remove one of the user's own authenticators: never the last one, and never
    the one this session was verified with (sign in with another one first)."""
    # Lock the user, so two removals at once cannot leave them with none.
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    authenticators = TOTPDevice.objects.filter(user=user, confirmed=True)
    if device.user_id != user.pk:
        raise ValidationError("That is not one of your authenticators.")
    if getattr(signed_in_with, "persistent_id", None) == device.persistent_id:
        raise ValidationError(
            "You signed in with this authenticator. To remove it, sign in with another one first."
        )
    if authenticators.count() <= 1:
        raise ValidationError(
            "You must keep at least one authenticator. Add the new one before removing this."
        )
    name = device.name
    device.delete()
    audit.record(
        action="two_factor.device_removed",
        actor=user,
        obj=user,
        details={"device": name},
    )
    security_notice_queue(user=user, change="authenticator_removed")


@transaction.atomic
def passkey_register(
    *, user: User, helper: WebAuthnHelper, state: dict[str, Any], data: dict[str, Any]
) -> WebAuthnCredential:
    """Save a passkey from the browser's answer to the registration challenge.

    The library checks the answer; a passkey it rejects raises its own errors
    and nothing is saved or recorded.
    """
    credential = helper.register_complete(user=user, state=state, data=data)
    audit.record(
        action="two_factor.passkey_added",
        actor=user,
        obj=user,
        details={"passkey": credential.name, "passkey_id": credential.pk},
    )
    security_notice_queue(user=user, change="passkey_added")
    return credential


@transaction.atomic
def passkey_remove(*, user: User, credential: WebAuthnCredential, signed_in_with: object) -> None:
    """Remove one of the user's own passkeys, never the one this session was
    verified with. The authenticator app stays, so none is ever the last."""
    if credential.user_id != user.pk:
        raise ValidationError("That is not one of your passkeys.")
    if getattr(signed_in_with, "persistent_id", None) == credential.persistent_id:
        raise ValidationError(
            "You signed in with this passkey. To remove it, sign in another way first."
        )
    name, pk = credential.name, credential.pk
    credential.delete()
    audit.record(
        action="two_factor.passkey_removed",
        actor=user,
        obj=user,
        details={"passkey": name, "passkey_id": pk},
    )
    security_notice_queue(user=user, change="passkey_removed")


# The backup codes' device, by name: the name says whether the user has said
# they saved the codes (a column would need a table change in django-otp's app).
BACKUP_SAVED = "backup"
BACKUP_UNSAVED = "backup, not yet saved"


@transaction.atomic
def backup_codes_generate(*, user: User, count: int) -> list[str]:
    """Replace the user's backup codes with ``count`` new single-use ones.

    They work at once (a code written down before the tick still signs in), but
    the device keeps its "not yet saved" name until the user says they have saved
    them (backup_codes_saved), and until then nothing else in Safeguard opens."""
    # Lock the user: a double-submitted form must not make two sets of codes.
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_UNSAVED)
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit.record(
        action="two_factor.backup_codes_generated",
        actor=user,
        obj=user,
        details={"count": count},
    )
    security_notice_queue(user=user, change="backup_codes_generated")
    return codes


def backup_codes_unsaved(user: User) -> bool:
    """Codes made and shown, and not yet confirmed as saved."""
    return StaticDevice.objects.filter(user=user, name=BACKUP_UNSAVED).exists()


@transaction.atomic
def backup_codes_saved(*, user: User) -> bool:
    """The user says they have saved their codes."""
    saved = StaticDevice.objects.filter(user=user, name=BACKUP_UNSAVED).update(name=BACKUP_SAVED)
    if saved:
        audit.record(action="two_factor.backup_codes_saved", actor=user, obj=user)
    return bool(saved)


def session_remember(*, user: User, session_key: str | None) -> None:
    if session_key:
        StaffSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def sessions_end_for_user(*, user: User) -> int:
    """Delete every server-side session the user has; their next request is signed out."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(StaffSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    StaffSession.objects.filter(user=user).delete()
    return len(keys)


# --- who to tell --------------------------------------------------------------------------


@transaction.atomic
def who_to_tell_update(
    *,
    organisation: Organisation,
    by: User,
    online_presence_lead: User | None,
    urgent_route: str,
) -> Organisation:
    """The organisation's part of the who-to-tell directory (accounts.directory)."""
    if online_presence_lead is not None and (
        online_presence_lead.organisation_id != organisation.pk
        or not online_presence_lead.is_active
    ):
        raise ValidationError({"online_presence_lead": "Choose a current member of staff."})
    urgent_route = urgent_route.strip()
    changed: dict[str, dict[str, object]] = {}
    if organisation.online_presence_lead_id != (online_presence_lead and online_presence_lead.pk):
        changed["online_presence_lead"] = {
            "from": organisation.online_presence_lead_id,
            "to": online_presence_lead.pk if online_presence_lead else None,
        }
    if organisation.urgent_route != urgent_route:
        changed["urgent_route"] = {"from": organisation.urgent_route, "to": urgent_route}
    if changed:
        organisation.online_presence_lead = online_presence_lead
        organisation.urgent_route = urgent_route
        organisation.full_clean()
        organisation.save(update_fields=["online_presence_lead", "urgent_route"])
        audit.record(
            action="organisation.settings_changed",
            actor=by,
            obj=organisation,
            details={"changed": changed},
        )
    return organisation


@transaction.atomic
def staff_phone_update(*, staff: User, by: User, phone: str) -> User:
    """A work phone, shown in the directory when its holder is a lead."""
    phone = phone.strip()
    if staff.organisation_id != by.organisation_id:
        raise ValidationError("Not a member of your organisation.")
    if staff.phone != phone:
        audit.record(
            action="staff.phone_changed",
            actor=by,
            obj=staff,
            details={"from": staff.phone, "to": phone},
        )
        staff.phone = phone
        staff.save(update_fields=["phone"])
    return staff


@transaction.atomic
def parent_pages_update(
    *,
    organisation: Organisation,
    by: User,
    logo: tuple[bytes, str] | None,
    remove_logo: bool,
    contact_phone: str,
    contact_email: str,
    parent_language: str,
    safeguarding_title: str,
) -> Organisation:
    """What parents see of the service. ``logo`` is already checked and
    re-encoded (accounts.logos.logo_clean): its bytes and kind."""
    wanted = {
        "contact_phone": contact_phone.strip(),
        "contact_email": contact_email.strip(),
        "parent_language": parent_language,
        "safeguarding_title": safeguarding_title,
    }
    changed: dict[str, dict[str, object]] = {
        name: {"from": getattr(organisation, name), "to": value}
        for name, value in wanted.items()
        if getattr(organisation, name) != value
    }
    for name, value in wanted.items():
        setattr(organisation, name, value)
    old_logo = organisation.logo.name or ""
    if logo is not None:
        data, kind = logo
        name = f"{organisation.slug}-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"
        # save=False: the row is saved once below, after full_clean.
        organisation.logo.save(name, ContentFile(data), save=False)
        changed["logo"] = {"from": old_logo, "to": organisation.logo.name}
    elif remove_logo and old_logo:
        organisation.logo = None
        changed["logo"] = {"from": old_logo, "to": ""}
    if changed:
        organisation.full_clean()
        organisation.save(update_fields=[*wanted, "logo"])
        audit.record(
            action="organisation.settings_changed",
            actor=by,
            obj=organisation,
            details={"changed": changed},
        )
    return organisation
