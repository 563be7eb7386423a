from django.urls import path

from accounts import logos
from accounts.views import directory, passkeys, sign_in, staff

urlpatterns = [
    path("account/login/", sign_in.sign_in, name="login"),
    path("account/logout/", sign_in.sign_out, name="logout"),
    path("account/two-factor/setup/", sign_in.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/qr/", sign_in.qr_code, name="two_factor_qr"),
    path("account/security/", sign_in.account_security, name="account_security"),
    path(
        "account/security/authenticators/add/",
        sign_in.authenticator_add,
        name="authenticator_add",
    ),
    path(
        "account/security/authenticators/<int:pk>/remove/",
        sign_in.authenticator_remove,
        name="authenticator_remove",
    ),
    path(
        "account/security/passkeys/register/begin/",
        passkeys.passkey_register_begin,
        name="passkey_register_begin",
    ),
    path(
        "account/security/passkeys/register/complete/",
        passkeys.passkey_register_complete,
        name="passkey_register_complete",
    ),
    path(
        "account/security/passkeys/messages.js",
        passkeys.passkey_script_messages,
        name="passkey_script_messages",
    ),
    path(
        "account/security/passkeys/<int:pk>/remove/",
        passkeys.passkey_remove,
        name="passkey_remove",
    ),
    path("account/security/backup-codes/", sign_in.backup_codes, name="backup_codes"),
    path("account/confirm/", sign_in.reauthenticate, name="reauthenticate"),
    path("account/", sign_in.profile, name="profile"),
    path("account/phone/", directory.phone_change, name="phone_change"),
    path("who-to-tell/", directory.who_to_tell, name="who_to_tell"),
    path("who-to-tell/change/", directory.who_to_tell_change, name="who_to_tell_change"),
    path("who-to-tell/parents/", directory.parent_pages_change, name="parent_pages_change"),
    # Public and short: the logo at the top of parents' pages.
    path("o/<slug:slug>/logo", logos.organisation_logo, name="organisation_logo"),
    path("account/password/", sign_in.password_change, name="password_change"),
    path(
        "account/invitation/<str:uidb64>/<str:token>/",
        sign_in.invitation_accept,
        name="invitation_accept",
    ),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/invite/", staff.staff_invite, name="staff_invite"),
    path("staff/<int:pk>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/role/", staff.staff_role, name="staff_role"),
    path("staff/<int:pk>/phone/", directory.staff_phone, name="staff_phone"),
    path("staff/<int:pk>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<int:pk>/reset-two-factor/",
        staff.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
    path(
        "staff/<int:pk>/resend-invitation/",
        staff.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
]
