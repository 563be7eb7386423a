from django.urls import path

from policies import agreement_views, views

urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("new/", views.policy_create, name="policy_create"),
    path("import/", views.policy_import, name="policy_import"),
    path("<int:pk>/", views.policy_detail, name="policy_detail"),
    path("<int:pk>/details/", views.policy_settings, name="policy_settings"),
    path("<int:pk>/compare/", views.policy_compare, name="policy_compare"),
    path("<int:pk>/review/", views.draft_start, name="draft_start"),
    path("<int:pk>/reviewed/", views.policy_reviewed, name="policy_reviewed"),
    path("<int:pk>/coverage/", views.policy_coverage, name="policy_coverage"),
    path("<int:pk>/coverage.pdf", views.coverage_pdf, name="policy_coverage_pdf"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/edit/", views.draft_edit, name="draft_edit"),
    path("versions/<int:pk>/approve/", views.version_approve, name="version_approve"),
    path("versions/<int:pk>/acknowledge/", views.version_acknowledge, name="version_acknowledge"),
    path("versions/<int:pk>/pdf/", views.version_pdf, name="version_pdf"),
    path(
        "agreements/children/<int:pk>/<int:version_pk>/",
        agreement_views.child_agreement_in_session,
        name="child_agreement_in_session",
    ),
    path(
        "agreements/outstanding/",
        agreement_views.children_outstanding,
        name="child_agreements_outstanding",
    ),
]
