"""Addresses of the portal (see DESIGN.md, 'Addresses people can bookmark')."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organizations/", include("organizations.urls")),
    path("sessions/", include("sessions.urls")),
    path("umbrella/", include("umbrella.urls")),
    path("events/", include("events.urls")),
    path("staff/activity/", views.activity_log, name="activity_log"),
    path("staff/notifications/", views.undelivered_notifications_list, name="undelivered_notifications"),
    path(
        "staff/notifications/<int:notification_id>/resend/",
        views.resend_notification,
        name="resend_notification",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
