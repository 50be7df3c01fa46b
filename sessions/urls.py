"""Addresses of sessions and delegations. Fixed words come before <commission>."""

from django.urls import path

from events.views import application as side_event_application
from events.views import programme as side_event_programme
from events.views import review as side_event_review

from .views import files, manage, public, registration, review
from .views import statistics as session_statistics

app_name = "sessions"

urlpatterns = [
    path("", public.session_list, name="list"),
    path("new/", manage.session_create, name="create"),
    # A focal point's delegations, and one delegation (its page, its form, its files).
    path("registrations/", registration.my_registrations, name="my_registrations"),
    path("registrations/<int:registration_id>/", registration.registration_detail, name="registration"),
    path("registrations/<int:registration_id>/edit/", registration.registration_edit, name="registration_edit"),
    path("registrations/<int:registration_id>/edit/participant-row/", registration.participant_row, name="participant_row"),
    path("registrations/<int:registration_id>/decide/", review.decide, name="decide"),
    path("registrations/<int:registration_id>/letter.pdf", files.accreditation_letter, name="accreditation_letter"),
    path("participants/<int:participant_id>/photo/", files.participant_photo, name="participant_photo"),
    path("participants/<int:participant_id>/visa-letter.pdf", files.visa_letter, name="visa_letter"),
    path("visa-letter/<str:token>/", files.visa_letter_by_token, name="visa_letter_by_token"),
    # Participation statistics: the commissions' histories, and CSU's comparison of two sessions.
    path("statistics/", session_statistics.statistics_index, name="statistics_index"),
    path("statistics/compare/", session_statistics.compare, name="compare"),
    path("statistics/compare/<slug:table>.<str:file_format>", session_statistics.compare_export, name="compare_export"),
    path("<slug:commission>/statistics/", session_statistics.commission_trends, name="trends"),
    path(
        "<slug:commission>/statistics/<slug:table>.<str:file_format>",
        session_statistics.commission_trends_export,
        name="trends_export",
    ),
    # One session.
    path("<slug:commission>/<int:number>/", public.session_detail, name="detail"),
    path("<slug:commission>/<int:number>/edit/", manage.session_edit, name="edit"),
    path("<slug:commission>/<int:number>/register/", registration.register_start, name="register"),
    path("<slug:commission>/<int:number>/registrations/", review.review_queue, name="review_queue"),
    path(
        "<slug:commission>/<int:number>/registrations/participants.<str:file_format>",
        review.export_participants,
        name="export_participants",
    ),
    path("<slug:commission>/<int:number>/registrations/rule-17.<str:file_format>", review.export_rule17, name="export_rule17"),
    # The session's side events: applying, CSU's queue and grid, the public programme and its feed.
    path("<slug:commission>/<int:number>/side-events/apply/", side_event_application.apply, name="side_event_apply"),
    path("<slug:commission>/<int:number>/side-events/", side_event_review.review_queue, name="side_event_queue"),
    path("<slug:commission>/<int:number>/side-events/schedule/", side_event_review.schedule, name="side_event_schedule"),
    path("<slug:commission>/<int:number>/programme/", side_event_programme.programme, name="programme"),
    path("<slug:commission>/<int:number>/programme.ics", side_event_programme.programme_ics, name="programme_ics"),
    path("<slug:commission>/<int:number>/statistics/", session_statistics.session_statistics, name="statistics"),
    path(
        "<slug:commission>/<int:number>/statistics/<slug:table>.<str:file_format>",
        session_statistics.session_statistics_export,
        name="statistics_export",
    ),
]
