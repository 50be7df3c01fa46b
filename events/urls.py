"""Addresses of side events (DESIGN.md: /events/<id>/ and /events/<id>.ics); a session's programme lives under /sessions/."""

from django.urls import path

from .views import application, programme, review

app_name = "events"

urlpatterns = [
    path("<int:event_id>/", programme.event_detail, name="detail"),
    path("<int:event_id>.ics", programme.event_ics, name="ics"),
    path("applications/", application.my_applications, name="my_applications"),
    path("applications/indicators/", application.panel_indicators, name="indicators"),
    path("applications/<int:event_id>/", application.application_detail, name="application"),
    path("applications/<int:event_id>/edit/", application.application_edit, name="edit"),
    path("applications/<int:event_id>/speaker-row/", application.speaker_row, name="speaker_row"),
    path("applications/<int:event_id>/decide/", review.decide, name="decide"),
    path("rooms/", review.rooms, name="rooms"),
]
