"""iCalendar (RFC 5545) feeds of side events: a session's programme and one event."""

import datetime as dt
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils.translation import gettext as _

from .enums import EventFormat, SideEventStatus
from .models import SideEvent

PRODID = "-//UNODC Civil Society Unit//NGO engagement portal//EN"
UID_DOMAIN = "ngo-portal"
# The VTIMEZONE describes the zone's rules this long before and after the session: enough for any
# event of it, and far shorter than the library's default of 1970 to 2038.
TIME_ZONE_MARGIN = dt.timedelta(days=366)


def programme_calendar(session, events: Iterable[SideEvent]) -> icalendar.Calendar:
    """The session's programme as a calendar; cancelled events stay in it with STATUS:CANCELLED."""
    name = _("%(commission)s %(number)s: side events") % {
        "commission": session.commission.abbreviation,
        "number": session.number,
    }
    return _calendar(session, name, events)


def event_calendar(event: SideEvent) -> icalendar.Calendar:
    """One side event as a calendar of its own, to add to a personal calendar."""
    return _calendar(event.session, event.title, [event])


def programme_file_name(session) -> str:
    return f"{session.commission.code}-{session.number}-side-events.ics"


def event_file_name(event: SideEvent) -> str:
    return f"side-event-{event.pk}.ics"


def event_uid(event: SideEvent) -> str:
    """Never changes, whatever happens to the event: calendar programs recognize a moved event by it."""
    return f"{event.uid}@{UID_DOMAIN}"


def _calendar(session, name: str, events: Iterable[SideEvent]) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", session.time_zone)
    first_day = session.start_date - TIME_ZONE_MARGIN
    last_day = session.end_date + TIME_ZONE_MARGIN
    # Always the session's zone, even with no event yet: a calendar needs at least one component.
    calendar.add_component(icalendar.Timezone.from_tzid(session.time_zone, first_date=first_day, last_date=last_day))
    for event in events:
        calendar.add_component(_vevent(session, event))
    calendar.add_missing_timezones(first_date=first_day, last_date=last_day)
    return calendar


def _vevent(session, event: SideEvent) -> icalendar.Event:
    page = settings.PORTAL_BASE_URL.rstrip("/") + event.get_absolute_url()
    cancelled = event.status == SideEventStatus.CANCELLED
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", event.updated_at.astimezone(dt.UTC))
    vevent.add("dtstart", event.slot.starts_at.astimezone(session.tz))
    vevent.add("dtend", event.slot.ends_at.astimezone(session.tz))
    vevent.add("sequence", event.sequence)
    vevent.add("summary", _("Cancelled: %(title)s") % {"title": event.title} if cancelled else event.title)
    vevent.add("description", _description(event, page))
    vevent.add("location", f"{event.room.name}, {session.venue}")
    vevent.add("url", page)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    themes = [str(theme) for theme in event.themes.all()]
    if themes:
        vevent.add("categories", themes)
    return vevent


def _description(event: SideEvent, page: str) -> str:
    """Plain text: who organizes it, what it is about, where to join online, where to read more."""
    lines = [_("Lead organizer: %(organization)s") % {"organization": event.lead_organization.name}]
    co_organizers = [co.organization.name for co in event.confirmed_co_organizers]
    if co_organizers:
        lines.append(_("Co-organizers: %(organizations)s") % {"organizations": ", ".join(co_organizers)})
    if event.status == SideEventStatus.CANCELLED:
        lines.append(_("This side event is cancelled."))
    lines += ["", event.description.strip(), ""]
    if event.format in (EventFormat.ONLINE, EventFormat.HYBRID) and event.online_link:
        lines.append(_("Join online: %(link)s") % {"link": event.online_link})
    lines.append(_("More about this side event: %(link)s") % {"link": page})
    return "\n".join(lines)
