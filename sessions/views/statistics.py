"""Participation statistics: one session, a commission over the years, two sessions compared (CSU),
and every table as CSV or XLSX."""

import re
from functools import partial

import rules
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from organizations.exports import csv_chunks, neutralise, write_xlsx
from portal.caching import frame_variant, page_response, render_whole
from portal.middleware import staff_page

from .. import caching, statistics
from ..charts import table_chart
from ..models import Commission, Session

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_FORMATS = ("csv", "xlsx")


# --- Shared ------------------------------------------------------------------------------------------


def for_page(tables: list[statistics.Table], prefix: str, export_url) -> list[statistics.Table]:
    """Give each table its chart (`svg`) and the addresses of its exports (`csv_url`, `xlsx_url`) for the template."""
    for table in tables:
        table.svg = table_chart(table, chart_id=f"{prefix}-{table.key}-chart")
        table.csv_url = export_url(table.key, "csv")
        table.xlsx_url = export_url(table.key, "xlsx")
        # Columns of figures are right-aligned, so that units line up.
        numeric = [
            index > 0 and bool(table.rows) and all(_is_figure(row[index]) for row in table.rows)
            for index in range(len(table.header))
        ]
        table.display_header = list(zip(table.header, numeric))
        table.display_rows = [list(zip(row, numeric)) for row in table.rows]
    return tables


def _is_figure(cell) -> bool:
    return isinstance(cell, (int, statistics.Cell))


def table_response(table: statistics.Table, *, file_name: str, file_format: str, private: bool):
    """One table as a CSV (streamed, with a byte-order mark for spreadsheets) or XLSX download."""
    rows = table.export_rows()
    if file_format == "xlsx":
        # A sheet's name may not hold []:*?/\
        file, _count = write_xlsx(rows, title=re.sub(r"[\[\]:*?/\\]", " ", table.title), header=table.header)
        response = FileResponse(file, as_attachment=True, filename=f"{file_name}.xlsx", content_type=XLSX_CONTENT_TYPE)
    else:
        # write_xlsx guards its cells itself; in a CSV, a label typed as "=..." must stay text too.
        cells = ([neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
        response = StreamingHttpResponse(csv_chunks(cells, header=table.header), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{file_name}.csv")
    if private:
        # Exact figures: never kept by a shared cache.
        patch_cache_control(response, private=True, no_store=True)
    return response


def _table(tables: list[statistics.Table], key: str, file_format: str) -> statistics.Table:
    if file_format not in FILE_FORMATS:
        raise Http404
    for table in tables:
        if table.key == key:
            return table
    raise Http404


def _session(commission: str, number: int) -> Session:
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


# --- One session -----------------------------------------------------------------------------------------


def _session_tables(request, session: Session) -> tuple[statistics.SessionStatistics, list[statistics.Table], bool]:
    exact = rules.has_perm("sessions.view_exact_statistics", request.user)
    stats = statistics.cached_session_statistics(session)
    status_counts = statistics.cached_registration_status_counts(session) if exact else None
    return stats, statistics.session_tables(stats, exact=exact, status_counts=status_counts), exact


@require_GET
def session_statistics(request, commission: str, number: int):
    """One session's figures and the sentence CSU writes; exact gender and nationality counts for CSU only.

    The whole page is cached until what it counts changes (sessions.caching), per frame and in two variants:
    exact figures for those allowed to see them, suppressed ones for everyone else.
    """
    exact = rules.has_perm("sessions.view_exact_statistics", request.user)
    # Kept whole, frame included (portal.caching.render_whole), for each kind of reader.
    page = caching.cached_part(
        "statistics", commission, number, (exact, frame_variant(request)),
        partial(_session, commission, number),
        partial(_session_statistics_page, request),
    )  # fmt: skip
    return page_response(page, request)


def _session_statistics_page(request, session: Session) -> str:
    content = mark_safe(_session_statistics_body(request, session))  # our own template's
    return render_whole("sessions/statistics_session.html", {"session": session, "content": content}, request)


def _session_statistics_body(request, session: Session) -> str:
    stats, tables, exact = _session_tables(request, session)
    code, number = session.commission.code, session.number
    for_page(
        tables,
        "session",
        lambda key, file_format: reverse(
            "sessions:statistics_export",
            kwargs={"commission": code, "number": number, "table": key, "file_format": file_format},
        ),
    )
    by_key = {table.key: table for table in tables}
    return render_to_string(
        "sessions/statistics_session.html#body",
        {
            "session": session,
            "stats": stats,
            "exact": exact,
            "summary": by_key.pop("summary"),
            "public_tables": [table for table in by_key.values() if not table.csu_only],
            "csu_tables": [table for table in by_key.values() if table.csu_only],
        },
        request=request,
    )


@require_GET
def session_statistics_export(request, commission: str, number: int, table: str, file_format: str):
    session = _session(commission, number)
    _stats, tables, exact = _session_tables(request, session)
    chosen = _table(tables, table, file_format)
    return table_response(
        chosen, file_name=f"{session.commission.code}-{session.number}-{chosen.key}", file_format=file_format, private=exact
    )


# --- A commission over the years ----------------------------------------------------------------------


def statistics_index(request):
    """The commissions whose history can be followed, and CSU's comparison."""
    return render(
        request,
        "sessions/statistics_index.html",
        {
            "commissions": Commission.objects.order_by("abbreviation"),
            "can_compare": rules.has_perm("sessions.compare_sessions", request.user),
        },
    )


def _trend_tables(request, commission: Commission) -> tuple[list[statistics.TrendPoint], list[statistics.Table], bool]:
    exact = rules.has_perm("sessions.view_exact_statistics", request.user)
    points = statistics.commission_trends(commission)
    return points, statistics.trend_tables(points, exact=exact), exact


@require_GET
def commission_trends(request, commission: str):
    commission = get_object_or_404(Commission, code=commission)
    points, tables, exact = _trend_tables(request, commission)
    for_page(
        tables,
        "trend",
        lambda key, file_format: reverse(
            "sessions:trends_export", kwargs={"commission": commission.code, "table": key, "file_format": file_format}
        ),
    )
    return render(
        request,
        "sessions/statistics_trends.html",
        {
            "commission": commission,
            "points": points,
            "exact": exact,
            "public_tables": [table for table in tables if not table.csu_only],
            "csu_tables": [table for table in tables if table.csu_only],
            "can_compare": rules.has_perm("sessions.compare_sessions", request.user),
        },
    )


@require_GET
def commission_trends_export(request, commission: str, table: str, file_format: str):
    commission = get_object_or_404(Commission, code=commission)
    _points, tables, exact = _trend_tables(request, commission)
    chosen = _table(tables, table, file_format)
    return table_response(chosen, file_name=f"{commission.code}-trends-{chosen.key}", file_format=file_format, private=exact)


# --- Two sessions side by side (CSU) ---------------------------------------------------------------------


class CompareForm(forms.Form):
    """Two sessions to set side by side; a session is named "cnd-70" (an id is accepted in the address too)."""

    a = forms.ChoiceField(label=gettext_lazy("First session"))
    b = forms.ChoiceField(label=gettext_lazy("Second session"))

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(f"{session.commission.code}-{session.number}", session.title) for session in sessions]
        ids = {str(session.pk): f"{session.commission.code}-{session.number}" for session in sessions}
        for name in ("a", "b"):
            self.fields[name].choices = choices
            # An id in the address ("?a=12") selects the same session as "cnd-70".
            if self.is_bound and self.data.get(name) in ids:
                self.data = self.data.copy()
                self.data[name] = ids[self.data[name]]


def _compared(request) -> tuple[CompareForm, tuple[Session, Session] | None]:
    if not rules.has_perm("sessions.compare_sessions", request.user):
        raise Http404
    sessions = list(Session.objects.select_related("commission").order_by("-start_date", "commission__abbreviation"))
    form = CompareForm(request.GET if "a" in request.GET or "b" in request.GET else None, sessions=sessions)
    if not form.is_valid():
        return form, None
    return form, (statistics.find_session(form.cleaned_data["a"]), statistics.find_session(form.cleaned_data["b"]))


@staff_page
@login_required
@require_GET
def compare(request):
    form, pair = _compared(request)
    context = {"form": form, "pair": pair, "tables": []}
    if pair:
        first, second = (statistics.cached_session_statistics(session) for session in pair)
        query = urlencode({"a": form.cleaned_data["a"], "b": form.cleaned_data["b"]})
        context.update(
            first=first,
            second=second,
            tables=for_page(
                statistics.comparison_tables(first, second),
                "compare",
                lambda key, file_format: reverse("sessions:compare_export", kwargs={"table": key, "file_format": file_format})
                + "?"
                + query,
            ),
        )
    return render(request, "sessions/statistics_compare.html", context)


@staff_page
@login_required
@require_GET
def compare_export(request, table: str, file_format: str):
    form, pair = _compared(request)
    if not pair:
        raise Http404
    first, second = (statistics.cached_session_statistics(session) for session in pair)
    chosen = _table(statistics.comparison_tables(first, second), table, file_format)
    file_name = "compare-{}-{}-{}-{}-{}".format(
        pair[0].commission.code, pair[0].number, pair[1].commission.code, pair[1].number, chosen.key
    )
    return table_response(chosen, file_name=file_name, file_format=file_format, private=True)
