from django.urls import path

from children import flag_views, views

urlpatterns = [
    path("children/", views.child_list, name="child_list"),
    path("children/new/", views.child_create, name="child_create"),
    path("children/import/", views.child_import, name="child_import"),
    path("children/<int:pk>/", views.child_detail, name="child_detail"),
    path("children/<int:pk>/edit/", views.child_edit, name="child_edit"),
    path("children/<int:pk>/guardians/add/", views.guardian_add, name="guardian_add"),
    path(
        "children/<int:pk>/guardians/<int:link_pk>/edit/",
        views.guardian_edit,
        name="guardian_edit",
    ),
    path("children/<int:pk>/allocate/", views.allocation_add, name="allocation_add"),
    path("allocations/<int:pk>/end/", views.allocation_end, name="allocation_end"),
    path("children/<int:pk>/flags/add/", flag_views.child_flag_add, name="child_flag_add"),
    path("child-flags/<int:pk>/end/", flag_views.child_flag_end, name="child_flag_end"),
]
