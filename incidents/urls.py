from django.urls import path

from incidents import views

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("new/", views.incident_new, name="incident_new"),
    path("counts/", views.incident_counts, name="incident_counts"),
    path("settings/", views.incident_settings, name="incident_settings"),
    path("<int:pk>/", views.incident_detail, name="incident_detail"),
    path("<int:pk>/raised/", views.incident_raised, name="incident_raised"),
    path("<int:pk>/triage/", views.incident_triage, name="incident_triage"),
    path("<int:pk>/action/", views.incident_action, name="incident_action"),
    path("<int:pk>/entries/new/", views.entry_add, name="incident_entry_add"),
    path("<int:pk>/referrals/new/", views.referral_add, name="incident_referral_add"),
    path("referrals/<int:pk>/outcome/", views.referral_outcome, name="referral_outcome"),
    path("referrals/<int:pk>/chase/", views.referral_chase, name="referral_chase"),
    path(
        "<int:pk>/sharing/new/",
        views.sharing_decision_add,
        name="incident_sharing_decision_add",
    ),
    path("<int:pk>/close/", views.incident_close, name="incident_close"),
    path("<int:pk>/sign-off/", views.incident_signoff, name="incident_signoff"),
    path(
        "<int:pk>/sign-off/decline/",
        views.incident_signoff_decline,
        name="incident_signoff_decline",
    ),
    path("<int:pk>/ico/", views.ico_record, name="incident_ico"),
    path("<int:pk>/evidence/new/", views.evidence_add, name="incident_evidence_add"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/preview/", views.evidence_preview, name="evidence_preview"),
    path("evidence/<int:pk>/image", views.evidence_image, name="evidence_image"),
    path(
        "<int:pk>/imagery/view-decision/",
        views.imagery_view_decision,
        name="incident_imagery_view_decision",
    ),
    path("<int:pk>/access/", views.incident_access, name="incident_access"),
    path(
        "<int:pk>/access/<int:staff_pk>/revoke/",
        views.incident_access_revoke,
        name="incident_access_revoke",
    ),
    path("children/<int:pk>/chronology/", views.child_chronology, name="child_chronology"),
    path(
        "children/<int:pk>/chronology.pdf", views.child_chronology_pdf, name="child_chronology_pdf"
    ),
]
