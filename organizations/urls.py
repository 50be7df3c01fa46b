"""Addresses of the stakeholder database. Fixed words come before <slug>: they are reserved slugs."""

from django.urls import path

from .views import directory, io, profile, review

app_name = "organizations"

urlpatterns = [
    path("", directory.organization_list, name="list"),
    path("export.<str:file_format>", io.export_directory, name="export"),
    path("import/", io.import_upload, name="import"),
    path("import/<str:token>/", io.import_preview, name="import_preview"),
    path("new/", profile.register_organization, name="register"),
    path("review/", review.review_queue, name="review_queue"),
    path("duplicates/", review.duplicate_list, name="duplicates"),
    path("merge/<slug:keep>/<slug:duplicate>/", review.merge, name="merge"),
    path("changes/<int:change_id>/", review.decide_change, name="decide_change"),
    path("<slug:slug>/", directory.organization_detail, name="detail"),
    path("<slug:slug>/edit/", profile.edit_organization, name="edit"),
    path("<slug:slug>/join/", profile.join_organization, name="join"),
    path("<slug:slug>/members/", profile.members, name="members"),
    path("<slug:slug>/verification/", review.decide_verification, name="decide_verification"),
]

# Slugs an organization may never take, because they are addresses above.
RESERVED_SLUGS = frozenset({"export", "import", "new", "review", "duplicates", "merge", "changes"})
