from django.contrib import admin
from django.urls import include, path

from safeguard.views import (
    accounts,
    children,
    compliance,
    core,
    dashboard,
    notices,
    retention,
    staff,
)

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    # Signing in and second factors
    path("account/login/", accounts.sign_in, name="login"),
    path("account/logout/", accounts.sign_out, name="logout"),
    path("account/two-factor/setup/", accounts.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/qr/", accounts.qr_code, name="two_factor_qr"),
    path("account/security/", accounts.account_security, name="account_security"),
    path(
        "account/security/authenticators/add/",
        accounts.authenticator_add,
        name="authenticator_add",
    ),
    path(
        "account/security/authenticators/<int:pk>/remove/",
        accounts.authenticator_remove,
        name="authenticator_remove",
    ),
    path("account/security/backup-codes/", accounts.backup_codes, name="backup_codes"),
    path("account/", accounts.profile, name="profile"),
    path("account/password/", accounts.password_change, name="password_change"),
    path(
        "account/invitation/<str:uidb64>/<str:token>/",
        accounts.invitation_accept,
        name="invitation_accept",
    ),
    # In-app notices (reminders)
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/<int:pk>/open/", notices.notice_open, name="notice_open"),
    path("notices/read-all/", notices.notice_read_all, name="notice_read_all"),
    # Children, guardians and caseloads
    path("children/", children.child_list, name="child_list"),
    path("children/new/", children.child_create, name="child_create"),
    path("children/import/", children.child_import, name="child_import"),
    path("children/<int:pk>/", children.child_detail, name="child_detail"),
    path("children/<int:pk>/edit/", children.child_edit, name="child_edit"),
    path("children/<int:pk>/guardians/add/", children.guardian_add, name="guardian_add"),
    path(
        "children/<int:pk>/guardians/<int:link_pk>/edit/",
        children.guardian_edit,
        name="guardian_edit",
    ),
    path("children/<int:pk>/allocate/", children.allocation_add, name="allocation_add"),
    path("allocations/<int:pk>/end/", children.allocation_end, name="allocation_end"),
    # Consent (the consent app): parents' links and staff pages
    path("", include("consent.urls")),
    # Policies (the policies app)
    path("policies/", include("policies.urls")),
    # The DSL's incident log (the incidents app)
    path("incidents/", include("incidents.urls")),
    # Online practice: platforms, work devices and the contact log's rules
    path("practice/", include("practice.urls")),
    # The review-due dashboard and board report
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard/tables/<slug:slug>/", dashboard.dashboard_table, name="dashboard_table"),
    path("dashboard/tables/<slug:slug>.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("dashboard/board-report.pdf", dashboard.board_report, name="board_report"),
    # Retention, legal holds and subject access requests
    path("retention/", retention.retention_home, name="retention_home"),
    path("retention/rules/<slug:kind>/", retention.retention_rule, name="retention_rule"),
    path("retention/reviews/<int:pk>/", retention.retention_review, name="retention_review"),
    path(
        "retention/reviews/<int:pk>/confirm/",
        retention.retention_review_confirm,
        name="retention_review_confirm",
    ),
    path("retention/holds/new/", retention.legal_hold_new, name="legal_hold_new"),
    path(
        "retention/holds/<int:pk>/release/",
        retention.legal_hold_release,
        name="legal_hold_release",
    ),
    path("subject-access/", retention.sar_list, name="sar_list"),
    path("subject-access/<int:pk>/", retention.sar_detail, name="sar_detail"),
    path("subject-access/<int:pk>/export.zip", retention.sar_export, name="sar_export"),
    path("subject-access/<int:pk>/complete/", retention.sar_complete, name="sar_complete"),
    # Staff compliance (DBS and training)
    path("staff/compliance/", compliance.staff_compliance, name="staff_compliance"),
    path(
        "staff/<int:pk>/compliance/",
        compliance.staff_compliance_detail,
        name="staff_compliance_detail",
    ),
    # Staff management (organisation admins)
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/invite/", staff.staff_invite, name="staff_invite"),
    path("staff/<int:pk>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/role/", staff.staff_role, name="staff_role"),
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
    path("admin/", admin.site.urls),
]
