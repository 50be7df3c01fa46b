"""The public side of side events, for everyone: a session's programme, one event, their calendar feeds."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from portal.caching import frame_variant, page_response, render_whole
from sessions.models import Session

from .. import caching, calendar, selectors
from ..enums import LANGUAGE_CHOICES, EventFormat
from ..filters import ProgrammeFilter
from ..models import SideEvent

# Calendar programs poll feeds; five minutes of caching spares the database without delaying a move for long.
FEED_MAX_AGE = 300


@dataclass(frozen=True)
class Day:
    date: dt.date  # in the session's time zone
    events: list[SideEvent]


def by_day(events, tz) -> list[Day]:
    """Events in time order, grouped by their day in the session's time zone."""
    days: list[Day] = []
    for event in events:
        date = timezone.localtime(event.slot.starts_at, tz).date()
        if not days or days[-1].date != date:
            days.append(Day(date=date, events=[]))
        days[-1].events.append(event)
    return days


def _session(commission: str, number: int) -> Session:
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


@require_safe
def programme(request, commission: str, number: int):
    """A session's programme of side events by day, with filters by room, theme and format.

    The session, the list of events and the filters' fields (the page's costly parts, the same for everyone)
    are cached until the programme changes (events.caching), and so is the whole page for each frame (the roles
    in its navigation and the address asked: portal.caching.frame_variant).
    """
    has_filters = any(request.GET.values())
    # Only the filters' own parameters make a different list: anything else must not add cache entries.
    asked = sorted((name, value) for name in ProgrammeFilter.base_filters for value in request.GET.getlist(name) if value)
    # htmx asks for the results only; a history restore (back button, cache miss) wants the page.
    results_only = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    # The whole page too, frame included (portal.caching.render_whole), when the address holds nothing but filters:
    # read first and alone, so that a page served whole does not also fetch the parts it was made of.
    page_key = None
    if not results_only and all(name in ProgrammeFilter.base_filters for name in request.GET):
        page_key = caching.cache_key("programme-page", commission, number, asked, frame_variant(request))
        _version, (page,) = caching.read(page_key)
        if page is not None:
            response = page_response(page, request)
            patch_vary_headers(response, ["HX-Request"])
            return response
    session_key = caching.cache_key("session", commission, number)
    programme_key = caching.cache_key("programme", commission, number, asked)
    version, (session, cached) = caching.read(session_key, programme_key)
    if session is None:
        session = _session(commission, number)
        caching.keep(session_key, version, session)
    if cached is None:
        filterset = ProgrammeFilter(request.GET, selectors.programme(session))
        days = by_day(filterset.qs, session.tz)
        results = render_to_string(
            "events/programme.html#results",
            {"session": session, "days": days, "count": sum(len(day.events) for day in days), "has_filters": has_filters},
            request=request,
        )
        # The filters' fields and errors depend only on the parameters in the key and on the programme's rooms and themes.
        filter_errors = render_to_string("events/programme.html#filter-errors", {"form": filterset.form}, request=request)
        filter_fields = render_to_string("events/programme.html#filter-fields", {"form": filterset.form}, request=request)
        cached = (bool(days), results, filter_errors, filter_fields)
        caching.keep(programme_key, version, cached)
    feed_url = _feed_address(session)
    # Rendered by our own templates above.
    has_events, results, filter_errors, filter_fields = cached[0], mark_safe(cached[1]), mark_safe(cached[2]), mark_safe(cached[3])
    if results_only:
        response = HttpResponse(results)
    else:
        context = {
            "session": session,
            "filter_errors": filter_errors,
            "filter_fields": filter_fields,
            "has_events": has_events,
            "results": results,
            "has_filters": has_filters,
            "feed_url": feed_url,
            # The same feed for programs that subscribe on a click (webcal: is how calendar links say "subscribe").
            "webcal_url": "webcal://" + feed_url.split("://", 1)[-1],
        }
        if page_key:
            page = render_whole("events/programme.html", context, request)
            caching.keep(page_key, version, page)
            response = page_response(page, request)
        else:
            response = render(request, "events/programme.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _feed_address(session: Session) -> str:
    path = reverse("sessions:programme_ics", kwargs={"commission": session.commission.code, "number": session.number})
    return settings.PORTAL_BASE_URL.rstrip("/") + path


@require_safe
def event_detail(request, event_id: int):
    """One published side event (scheduled, or cancelled after it was); anything else does not exist here.

    The event's part of the page is the same for everyone: it is cached until the programme changes (events.caching).
    """
    key = caching.cache_key("event", event_id)
    version, (cached,) = caching.read(key)
    if cached is None:
        event = get_object_or_404(selectors.public_events(), pk=event_id)
        language_names = dict(LANGUAGE_CHOICES)
        context = {
            "event": event,
            "session": event.session,
            "event_languages": [language_names[code] for code in event.languages if code in language_names],
            "shows_online_link": event.format in (EventFormat.ONLINE, EventFormat.HYBRID) and bool(event.online_link),
        }
        cached = (event.title, render_to_string("events/sideevent_detail.html#body", context, request=request))
        caching.keep(key, version, cached)
    title, body = cached
    return render(request, "events/sideevent_detail.html", {"title": title, "body": mark_safe(body)})  # our own template


@require_safe
def programme_ics(request, commission: str, number: int):
    """The session's programme as an iCalendar feed, cancelled events included as cancelled.

    Cached until the programme changes (events.caching): feeds are polled far more often than they change.
    """
    key = caching.cache_key("feed", commission, number)
    version, (cached,) = caching.read(key)
    if cached is None:
        session = _session(commission, number)
        events = selectors.programme(session, include_cancelled=True)
        cached = (calendar.programme_calendar(session, events).to_ical(), calendar.programme_file_name(session))
        caching.keep(key, version, cached)
    ical, file_name = cached
    return _calendar_response(request, ical, file_name)


@require_safe
def event_ics(request, event_id: int):
    """One published side event as an iCalendar file."""
    event = get_object_or_404(selectors.public_events(), pk=event_id)
    return _calendar_response(request, calendar.event_calendar(event).to_ical(), calendar.event_file_name(event))


def _calendar_response(request, ical: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(ical, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, file_name)
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    # Programs polling the feed get "304 Not Modified" while nothing changed.
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)
