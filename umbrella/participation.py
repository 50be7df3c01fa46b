"""Pages of an umbrella body's participation in sessions: per session and per member, for the body's
coordinators and CSU (kept apart from umbrella/views.py, which holds the membership pages)."""

import rules
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal.middleware import staff_page
from sessions import statistics
from sessions.views.statistics import for_page, table_response

from .models import UmbrellaBody


def _body_tables(request, slug: str) -> tuple[UmbrellaBody, list[statistics.Table]]:
    """The body and its tables, if this person coordinates it or is CSU; otherwise the page does not exist."""
    body = get_object_or_404(UmbrellaBody, slug=slug)
    if not rules.has_perm("umbrella.view_participation", request.user, body):
        raise Http404
    tables = statistics.body_tables(statistics.body_participation(body), statistics.members_attendance(body))
    return body, tables


@staff_page
@login_required
@require_GET
def participation(request, slug):
    body, tables = _body_tables(request, slug)
    for_page(
        tables,
        "body",
        lambda key, file_format: reverse(
            "umbrella:participation_export", kwargs={"slug": body.slug, "table": key, "file_format": file_format}
        ),
    )
    return render(
        request,
        "umbrella/umbrellabody_participation.html",
        {"body": body, "tables": tables, "commissions": body.commissions.order_by("abbreviation")},
    )


@staff_page
@login_required
@require_GET
def participation_export(request, slug, table, file_format):
    body, tables = _body_tables(request, slug)
    if file_format not in ("csv", "xlsx"):
        raise Http404
    chosen = next((candidate for candidate in tables if candidate.key == table), None)
    if chosen is None:
        raise Http404
    return table_response(chosen, file_name=f"{body.slug}-participation-{chosen.key}", file_format=file_format, private=True)
