from django.urls import path

from allegations import views

urlpatterns = [
    path("", views.allegation_list, name="allegation_list"),
    path("new/", views.allegation_new, name="allegation_new"),
    path("raised/", views.allegation_raised, name="allegation_raised"),
    path("<int:pk>/", views.allegation_detail, name="allegation_detail"),
    path("<int:pk>/entries/new/", views.allegation_entry_add, name="allegation_entry_add"),
    path("<int:pk>/lado/", views.allegation_lado, name="allegation_lado"),
    path("<int:pk>/outcome/", views.allegation_outcome, name="allegation_outcome"),
    path("<int:pk>/close/", views.allegation_close, name="allegation_close"),
    path("<int:pk>/case-manager/", views.allegation_case_manager, name="allegation_case_manager"),
]
