from django.urls import path

from consent import agreement_views, manage_views, signing_views, views

# Parents' pages: short public paths, since the links are typed or tapped on phones.
parent_urlpatterns = [
    path("c/<str:token>/", signing_views.consent_open, name="consent_open"),
    path("consent/sign/", signing_views.consent_sign, name="consent_sign"),
    path("consent/sign/check/", signing_views.consent_sign_check, name="consent_sign_check"),
    path("consent/receipt/", signing_views.consent_receipt, name="consent_receipt"),
    path(
        "consent/receipt/receipt.pdf",
        signing_views.consent_receipt_pdf,
        name="consent_receipt_pdf",
    ),
    path("m/<str:token>/", views.manage_open, name="consent_manage_open"),
    path("consent/manage/", manage_views.manage, name="consent_manage"),
    path("consent/manage/continue/", views.manage_continue, name="consent_manage_continue"),
    path("consent/manage/expired/", views.manage_expired, name="consent_manage_expired"),
    path("consent/manage/new-link/", manage_views.manage_link_request, name="consent_manage_link"),
    path(
        "consent/manage/policies/<int:version_pk>/",
        manage_views.manage_policy,
        name="consent_manage_policy",
    ),
    path(
        "consent/manage/withdraw/<int:child_pk>/<int:type_pk>/",
        manage_views.withdraw,
        name="consent_withdraw",
    ),
    path(
        "consent/manage/give/<int:child_pk>/<int:type_pk>/",
        manage_views.regrant_consent,
        name="consent_regrant",
    ),
    path(
        "consent/manage/agreement/<int:child_pk>/<int:version_pk>/",
        agreement_views.child_agreement,
        name="consent_child_agreement",
    ),
]

staff_urlpatterns = [
    path("children/<int:pk>/consent/request/", views.request_new, name="consent_request_new"),
    path("children/<int:pk>/consent/verbal/", views.verbal_new, name="consent_verbal_new"),
    path("children/<int:pk>/consent/paper/", views.paper_new, name="consent_paper_new"),
    path(
        "children/<int:pk>/consent/summary.pdf", views.child_consent_pdf, name="consent_summary_pdf"
    ),
    path("children/<int:pk>/consent/media/", views.media_uses, name="consent_media_uses"),
    path("consent/do-not-use/", views.do_not_use, name="consent_do_not_use"),
    path(
        "consent/policies-outstanding/",
        views.policies_outstanding,
        name="consent_policies_outstanding",
    ),
    path("consent/requests/<int:pk>/resend/", views.request_resend, name="consent_request_resend"),
    path("consent/requests/<int:pk>/cancel/", views.request_cancel, name="consent_request_cancel"),
    path("consent/takedowns/<int:pk>/done/", views.takedown_done, name="takedown_done"),
    path("consent/types/", views.consent_types, name="consent_types"),
    path("consent/types/<int:pk>/edit/", views.consent_type_edit, name="consent_type_edit"),
]

urlpatterns = parent_urlpatterns + staff_urlpatterns
