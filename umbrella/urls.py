"""Addresses of the umbrella bodies."""

from django.urls import path

from sessions.views import review

from . import participation, views

app_name = "umbrella"

urlpatterns = [
    path("", views.body_list, name="list"),
    path("<slug:slug>/", views.body_detail, name="detail"),
    path("<slug:slug>/apply/", views.apply, name="apply"),
    path("<slug:slug>/manage/", views.dashboard, name="dashboard"),
    path("<slug:slug>/manage/export.<str:file_format>", views.export_roster, name="export"),
    path("<slug:slug>/endorsements/", review.endorsement_queue, name="endorsements"),
    path("<slug:slug>/coordinators/", views.coordinators, name="coordinators"),
    path("<slug:slug>/memberships/<int:membership_id>/", views.membership_detail, name="membership"),
    path("<slug:slug>/participation/", participation.participation, name="participation"),
    path(
        "<slug:slug>/participation/<slug:table>.<str:file_format>",
        participation.participation_export,
        name="participation_export",
    ),
]
