"""Verbs of side events: apply, confirm co-organizing, review, schedule, move, cancel.

Each service checks that the actor may act and that the transition is allowed, locks the
rows it changes, writes the activity log and queues the e-mails in the same transaction.
A refusal raises ValidationError (shown to the person) or PermissionDenied.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from organizations.enums import VerificationState
from organizations.models import Organization, ThematicArea
from organizations.rules import is_focal_point_of
from organizations.services import focal_points_of
from portal.models import User
from portal.services import log_activity, notify_all
from sessions.models import Session

from .enums import CoOrganizerStatus, EventFormat, SideEventStatus
from .models import CoOrganizer, Room, SideEvent, Slot, Speaker

# Which status may follow which; nothing else ever sets a side event's status.
TRANSITIONS: dict[str, set[str]] = {
    SideEventStatus.DRAFT: {SideEventStatus.SUBMITTED, SideEventStatus.WITHDRAWN},
    SideEventStatus.RETURNED: {SideEventStatus.SUBMITTED, SideEventStatus.WITHDRAWN},
    SideEventStatus.SUBMITTED: {
        SideEventStatus.ACCEPTED, SideEventStatus.WAITLISTED, SideEventStatus.REJECTED, SideEventStatus.RETURNED,
        SideEventStatus.WITHDRAWN,
    },
    SideEventStatus.WAITLISTED: {SideEventStatus.ACCEPTED, SideEventStatus.REJECTED, SideEventStatus.WITHDRAWN},
    SideEventStatus.ACCEPTED: {SideEventStatus.CANCELLED, SideEventStatus.WITHDRAWN},
    SideEventStatus.REJECTED: set(),
    SideEventStatus.WITHDRAWN: set(),
    SideEventStatus.CANCELLED: set(),
}


@dataclass(frozen=True)
class Review:
    """One of CSU's decisions on an application."""

    from_statuses: tuple[str, ...]
    to_status: str
    reason_required: bool
    action: str


REVIEWS: dict[str, Review] = {
    "accept": Review((SideEventStatus.SUBMITTED, SideEventStatus.WAITLISTED), SideEventStatus.ACCEPTED, False, "events.side_event.accepted"),
    "waitlist": Review((SideEventStatus.SUBMITTED,), SideEventStatus.WAITLISTED, True, "events.side_event.waitlisted"),
    "reject": Review((SideEventStatus.SUBMITTED, SideEventStatus.WAITLISTED), SideEventStatus.REJECTED, True, "events.side_event.rejected"),
    "return": Review((SideEventStatus.SUBMITTED,), SideEventStatus.RETURNED, True, "events.side_event.returned"),
}
assert all(review.to_status in TRANSITIONS[status] for review in REVIEWS.values() for status in review.from_statuses)

EVENT_FIELDS = (
    "title", "description", "format", "online_link", "languages", "expected_audience", "co_sponsoring_states",
    "co_sponsoring_un_entities",
)


@dataclass
class SpeakerData:
    name: str
    title: str
    affiliation: str
    gender: str
    country: str


# --- Applying ------------------------------------------------------------------------------------


def side_event_window_is_open(session: Session) -> bool:
    """The session's side-event window, by the database's clock (inside the caller's transaction)."""
    return Session.objects.filter(pk=session.pk, side_events_open__lte=Now(), side_events_close__gt=Now()).exists()


def _window_refusal(session: Session) -> ValidationError:
    if session.side_events_open is None or session.side_events_close is None:
        return ValidationError(_("Side-event applications for %(session)s have not opened yet.") % {"session": session})
    if timezone.now() < session.side_events_open:
        opens = timezone.localtime(session.side_events_open, session.tz)
        return ValidationError(
            _("Side-event applications for %(session)s open on %(date)s, %(city)s time.")
            % {"session": session, "date": formats.date_format(opens, "j F Y, H:i"), "city": session.time_zone_label}
        )
    closes = timezone.localtime(session.side_events_close, session.tz)
    return ValidationError(
        _("Side-event applications for %(session)s closed on %(date)s, %(city)s time. Nothing was changed.")
        % {"session": session, "date": formats.date_format(closes, "j F Y, H:i"), "city": session.time_zone_label}
    )


def _check_content(data: Mapping[str, Any], speakers: list[SpeakerData]) -> dict[str, str]:
    errors = {}
    if data.get("format") in (EventFormat.ONLINE, EventFormat.HYBRID) and not (data.get("online_link") or "").strip():
        errors["online_link"] = _("An online or hybrid event needs the link where people join it.")
    for number, speaker in enumerate(speakers):
        if not speaker.name.strip():
            errors[f"speaker-{number}-name"] = _("Give each speaker's name.")
    return errors


def save_side_event(
    event: SideEvent | None,
    *,
    by: User,
    session: Session | None = None,
    organization: Organization | None = None,
    data: Mapping[str, Any],
    themes: Iterable[ThematicArea] = (),
    speakers: Iterable[SpeakerData] = (),
    co_organizers: Iterable[Organization] = (),
) -> SideEvent:
    """Create (event=None) or change a draft or returned application, inside the window.

    Side effects: saves the event, replaces its speakers, adds and removes co-organizers
    (a new one is asked to confirm by e-mail), logs `events.side_event.saved`.
    Refused, changing nothing: outside the window, a second application by the same lead
    organizer, an online event without a link, a speaker without a name.
    """
    speakers = list(speakers)
    co_organizers = [organization for organization in co_organizers]
    with transaction.atomic():
        if event is None:
            if session is None or organization is None:
                raise ValueError("A new application needs its session and lead organization.")
            if not is_focal_point_of(by, organization):
                raise PermissionDenied
            organization = Organization.objects.select_for_update().get(pk=organization.pk)
            if organization.verification_state != VerificationState.VERIFIED:
                raise ValidationError(
                    {"organization": _("%(organization)s can apply once the Civil Society Unit has verified it.") % {"organization": organization}}
                )
            existing = SideEvent.objects.filter(session=session, lead_organization=organization).first()
            if existing is not None:
                raise ValidationError(
                    {"organization": _("%(organization)s already leads a side event at %(session)s: “%(title)s”. One application per lead organizer.")
                     % {"organization": organization, "session": session, "title": existing.title}}
                )
            event = SideEvent(session=session, lead_organization=organization, created_by=by)
        else:
            event = SideEvent.objects.select_for_update().get(pk=event.pk)
            if not rules.has_perm("events.act_for_lead_organizer", by, event):
                raise PermissionDenied
            if not rules.has_perm("events.edit_application", by, event):
                raise ValidationError(_("This application can no longer be changed. Its status: %(status)s.") % {"status": event.get_status_display()})
        if not side_event_window_is_open(event.session):
            raise _window_refusal(event.session)
        errors = _check_content(data, speakers)
        lead_id = event.lead_organization_id
        if any(partner.pk == lead_id for partner in co_organizers):
            errors["co_organizers"] = _("The lead organizer cannot also be a co-organizer.")
        if errors:
            raise ValidationError(errors)
        creating = event.pk is None
        for name in EVENT_FIELDS:
            if name in data:
                setattr(event, name, data[name])
        if event.format == EventFormat.IN_PERSON:
            event.online_link = ""
        event.updated_at = timezone.now()
        event.full_clean(exclude=["session", "lead_organization", "themes"])
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError as error:  # two first saves at once: the constraint decides
            raise ValidationError({"organization": _("This organization already leads a side event at this session.")}) from error
        event.themes.set(themes)
        event.speakers.all().delete()
        Speaker.objects.bulk_create(
            Speaker(event=event, position=number, name=s.name.strip(), title=s.title, affiliation=s.affiliation, gender=s.gender, country=s.country)
            for number, s in enumerate(speakers)
        )
        wanted = {partner.pk: partner for partner in co_organizers}
        event.co_organizers.exclude(organization_id__in=wanted).delete()
        known = set(event.co_organizers.values_list("organization_id", flat=True))
        for partner_id, partner in wanted.items():
            if partner_id not in known:
                CoOrganizer.objects.create(event=event, organization=partner)
                notify_all(focal_points_of(partner), "events/co_organizer_invited", _context(event, by, partner=partner))
        log_activity(
            "events.side_event.created" if creating else "events.side_event.saved",
            actor=by, target=event, new={"title": event.title, "speakers": len(speakers), "co_organizers": len(wanted)},
        )
    return event


def submit_side_event(event: SideEvent, *, by: User) -> SideEvent:
    """Send the application to CSU, inside the window (by the database's clock); CSU reviews in this order."""
    with transaction.atomic():
        event = SideEvent.objects.select_for_update().get(pk=event.pk)
        if not rules.has_perm("events.act_for_lead_organizer", by, event):
            raise PermissionDenied
        if event.status not in (SideEventStatus.DRAFT, SideEventStatus.RETURNED):
            raise ValidationError(_("This application was already sent. Its status: %(status)s.") % {"status": event.get_status_display()})
        if not side_event_window_is_open(event.session):
            raise _window_refusal(event.session)
        problems = list(_check_content({"format": event.format, "online_link": event.online_link}, []).values())
        if not event.speakers.exists():
            problems.append(_("Name at least one speaker."))
        if problems:
            raise ValidationError(problems)
        old = event.status
        event.status = SideEventStatus.SUBMITTED
        # First come, first served: a returned application keeps its place in the queue.
        event.submitted_at = event.submitted_at or timezone.now()
        event.reason = ""
        event.save(update_fields=["status", "submitted_at", "reason"])
        log_activity("events.side_event.submitted", actor=by, target=event, old={"status": old}, new={"status": event.status})
        _notify_people(event, by, "submitted")
    return event


def withdraw_side_event(event: SideEvent, *, by: User) -> SideEvent:
    """The lead organizer withdraws its application (or its accepted event, freeing the room)."""
    with transaction.atomic():
        event = SideEvent.objects.select_for_update().get(pk=event.pk)
        if not rules.has_perm("events.act_for_lead_organizer", by, event):
            raise PermissionDenied
        if SideEventStatus.WITHDRAWN not in TRANSITIONS[event.status]:
            raise ValidationError(_("This application can no longer be withdrawn. Its status: %(status)s.") % {"status": event.get_status_display()})
        old = event.status
        was_scheduled = event.slot_id is not None
        event.status = SideEventStatus.WITHDRAWN
        if was_scheduled:
            event.sequence += 1
        event.updated_at = timezone.now()
        event.save(update_fields=["status", "sequence", "updated_at"])
        log_activity("events.side_event.withdrawn", actor=by, target=event, old={"status": old}, new={"status": event.status})
        _notify_people(event, by, "withdrawn")
    return event


def confirm_co_organizer(co_organizer: CoOrganizer, *, by: User, accept: bool) -> CoOrganizer:
    """A focal point of the named organization confirms (or declines) co-organizing; the lead organizer is told."""
    with transaction.atomic():
        co_organizer = CoOrganizer.objects.select_for_update().select_related("organization").get(pk=co_organizer.pk)
        if not is_focal_point_of(by, co_organizer.organization):
            raise PermissionDenied
        if co_organizer.status != CoOrganizerStatus.PENDING:
            raise ValidationError(_("%(organization)s already answered: %(status)s.") % {"organization": co_organizer.organization, "status": co_organizer.get_status_display()})
        co_organizer.status = CoOrganizerStatus.CONFIRMED if accept else CoOrganizerStatus.DECLINED
        co_organizer.decided_by, co_organizer.decided_at = by, timezone.now()
        co_organizer.save(update_fields=["status", "decided_by", "decided_at"])
        event = co_organizer.event
        log_activity(
            "events.co_organizer.confirmed" if accept else "events.co_organizer.declined",
            actor=by, target=event, new={"organization": str(co_organizer.organization)},
        )
        notify_all(
            focal_points_of(event.lead_organization), "events/co_organizer_answered",
            _context(event, by, partner=co_organizer.organization, accepted=accept),
        )
    return co_organizer


# --- Review -------------------------------------------------------------------------------------


def review_side_event(event: SideEvent, decision: str, *, by: User, reason: str = "") -> SideEvent:
    """CSU accepts, waitlists, rejects or returns an application, with a reason (optional to accept).

    Side effects: the status, logs the decision, e-mails the lead organizer's and the
    co-organizers' focal points. A rejected application that held a slot frees it.
    """
    review = REVIEWS[decision]
    if not rules.has_perm("events.review", by):
        raise PermissionDenied
    reason = reason.strip()
    if review.reason_required and not reason:
        raise ValidationError({"reason": _("Give a reason: it is e-mailed to the organizers.")})
    with transaction.atomic():
        event = SideEvent.objects.select_for_update().get(pk=event.pk)
        if event.status not in review.from_statuses:
            raise _changed_meanwhile(event)
        old = event.status
        event.status = review.to_status
        event.decided_by, event.decided_at, event.reason = by, timezone.now(), reason
        event.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        log_activity(review.action, actor=by, target=event, old={"status": old}, new={"status": event.status}, note=reason)
        _notify_people(event, by, decision)
    return event


def _changed_meanwhile(event: SideEvent) -> ValidationError:
    if event.decided_by is not None and event.decided_at is not None:
        return ValidationError(
            _("%(person)s already decided on %(date)s. The application's status is now: %(status)s. Nothing else was changed.")
            % {
                "person": event.decided_by,
                "date": formats.date_format(timezone.localtime(event.decided_at), "j F Y, H:i"),
                "status": event.get_status_display(),
            }
        )
    return ValidationError(_("Nothing was changed. The application's status is now: %(status)s.") % {"status": event.get_status_display()})


# --- Scheduling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    event: SideEvent
    over_capacity: bool  # the expected audience exceeds the room's capacity: a warning, not a refusal


def schedule_side_event(event: SideEvent, *, by: User, room: Room, slot: Slot, note: str = "") -> Placement:
    """CSU places an accepted event in a room and slot, or moves it there.

    The database refuses a room holding two events in one slot (a unique constraint), also
    when two officers place events at the same moment; the refusal names the event already
    there. Side effects: bumps the event's calendar SEQUENCE, logs `events.side_event.scheduled`
    (or `.rescheduled`), e-mails the organizers.
    """
    if not rules.has_perm("events.schedule", by):
        raise PermissionDenied
    if slot.session_id != event.session_id:
        raise ValidationError({"slot": _("Choose a slot of this event's session.")})
    if room.venue != event.session.venue:
        raise ValidationError({"room": _("Choose a room at %(venue)s.") % {"venue": event.session.venue}})
    with transaction.atomic():
        event = SideEvent.objects.select_for_update().get(pk=event.pk)
        if event.status != SideEventStatus.ACCEPTED:
            raise ValidationError(_("Only an accepted event can be scheduled. Its status: %(status)s.") % {"status": event.get_status_display()})
        if (event.room_id, event.slot_id) == (room.pk, slot.pk):
            return Placement(event=event, over_capacity=event.expected_audience > room.capacity)
        old = {"room": str(event.room or ""), "slot": str(event.slot or "")}
        moving = event.slot_id is not None
        event.room, event.slot = room, slot
        event.sequence += 1
        event.updated_at = timezone.now()
        try:
            with transaction.atomic():
                event.save(update_fields=["room", "slot", "sequence", "updated_at"])
        except IntegrityError as error:
            taken = SideEvent.objects.filter(room=room, slot=slot).exclude(pk=event.pk).filter(
                status__in=[SideEventStatus.ACCEPTED, SideEventStatus.SUBMITTED, SideEventStatus.WAITLISTED]
            ).first()
            if taken is None:
                raise ValidationError(
                    _("%(room)s is already taken at %(slot)s. Choose another room or slot.") % {"room": room, "slot": slot}
                ) from error
            raise ValidationError(
                _("%(room)s is already taken at %(slot)s by “%(title)s”. Choose another room or slot.")
                % {"room": room, "slot": slot, "title": taken.title}
            ) from error
        log_activity(
            "events.side_event.rescheduled" if moving else "events.side_event.scheduled",
            actor=by, target=event, old=old if moving else {}, new={"room": str(room), "slot": str(slot)}, note=note.strip(),
        )
        _notify_people(event, by, "rescheduled" if moving else "scheduled")
    return Placement(event=event, over_capacity=event.expected_audience > room.capacity)


def cancel_side_event(event: SideEvent, *, by: User, reason: str) -> SideEvent:
    """CSU cancels an accepted event; it stays in the calendar feeds as cancelled."""
    if not rules.has_perm("events.schedule", by):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: it is e-mailed to the organizers.")})
    with transaction.atomic():
        event = SideEvent.objects.select_for_update().get(pk=event.pk)
        if event.status != SideEventStatus.ACCEPTED:
            raise _changed_meanwhile(event)
        event.status = SideEventStatus.CANCELLED
        event.sequence += 1
        event.decided_by, event.decided_at, event.reason = by, timezone.now(), reason
        event.updated_at = timezone.now()
        event.save(update_fields=["status", "sequence", "decided_by", "decided_at", "reason", "updated_at"])
        log_activity("events.side_event.cancelled", actor=by, target=event, old={"status": SideEventStatus.ACCEPTED}, new={"status": event.status}, note=reason)
        _notify_people(event, by, "cancelled")
    return event


def create_slots(session: Session, *, by: User, times: Iterable[tuple[dt.time, dt.time]]) -> int:
    """CSU lays out the slot grid: each (start, end) local time on every day of the session. Returns how many were added."""
    if not rules.has_perm("events.schedule", by):
        raise PermissionDenied
    times = sorted(set(times))
    if not times:
        raise ValidationError({"times": _("Give at least one time, such as 13:10-14:00.")})
    for start, end in times:
        if end <= start:
            raise ValidationError({"times": _("A slot must end after it starts: %(start)s-%(end)s.") % {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}})
    added = 0
    with transaction.atomic():
        day = session.start_date
        while day <= session.end_date:
            for start, end in times:
                starts_at = dt.datetime.combine(day, start, tzinfo=session.tz)
                _slot, created = Slot.objects.get_or_create(
                    session=session, starts_at=starts_at, defaults={"ends_at": dt.datetime.combine(day, end, tzinfo=session.tz)}
                )
                added += created
            day += dt.timedelta(days=1)
        log_activity("events.slots.created", actor=by, target=session, new={"added": added})
    return added


# --- Telling people ------------------------------------------------------------------------------



def _context(event: SideEvent, by: User | None, **extra) -> dict:
    return {"event": event, "session": event.session, "organization": event.lead_organization, "actor": by, **extra}


def organizers_of(event: SideEvent) -> list[User]:
    """The focal points of the lead organizer and of the confirmed co-organizers, each once."""
    people = {person.pk: person for person in focal_points_of(event.lead_organization)}
    for co_organizer in event.co_organizers.filter(status=CoOrganizerStatus.CONFIRMED).select_related("organization"):
        for person in focal_points_of(co_organizer.organization):
            people.setdefault(person.pk, person)
    return list(people.values())


def _notify_people(event: SideEvent, by: User | None, change: str) -> None:
    notify_all(organizers_of(event), "events/side_event_status", _context(event, by, change=change))


# --- Rooms ---------------------------------------------------------------------------------------


def save_room(room: Room | None, *, by: User, venue: str, name: str, capacity: int | None) -> Room:
    """CSU adds a room at a venue (room=None) or changes one (its name, venue or capacity).

    Side effects: saves the room, logs `events.room.saved` with what changed.
    Refused, changing nothing: no venue or name, a capacity below 1, a name already used
    at that venue (in any case: "Room M1" and "room m1" are one room).
    """
    if not rules.has_perm("events.schedule", by):
        raise PermissionDenied
    venue, name = " ".join(venue.split()), " ".join(name.split())
    errors = {}
    if not venue:
        errors["venue"] = _("Give the venue where the room is.")
    if not name:
        errors["name"] = _("Give the room's name, as it is signposted at the venue.")
    if capacity is None or capacity < 1:
        errors["capacity"] = _("Give how many people the room seats: at least 1.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        creating = room is None
        if creating:
            room, old = Room(), {}
        else:
            room = Room.objects.select_for_update().get(pk=room.pk)
            old = {"venue": room.venue, "name": room.name, "capacity": room.capacity}
        duplicate = _("%(venue)s already has a room called %(name)s.") % {"venue": venue, "name": name}
        if Room.objects.filter(venue__iexact=venue, name__iexact=name).exclude(pk=room.pk).exists():
            raise ValidationError({"name": duplicate})
        room.venue, room.name, room.capacity = venue, name, capacity
        new = {"venue": venue, "name": name, "capacity": capacity}
        if not creating and new == old:
            return room
        try:
            with transaction.atomic():
                room.save()
        except IntegrityError as error:  # the same room added twice at once: the constraint decides
            raise ValidationError({"name": duplicate}) from error
        log_activity(
            "events.room.saved", actor=by, target=room,
            old={key: value for key, value in old.items() if value != new[key]},
            new={key: value for key, value in new.items() if creating or value != old[key]},
        )
    return room


def delete_room(room: Room, *, by: User) -> None:
    """CSU deletes a room no side event was ever placed in; logs `events.room.deleted`.

    Refused, changing nothing: a room holding a scheduled event, or one a cancelled or
    withdrawn event was placed in (the calendar feeds keep naming it).
    """
    if not rules.has_perm("events.schedule", by):
        raise PermissionDenied
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        placed = list(room.side_events.order_by("slot__starts_at", "pk").values_list("title", "status"))
        scheduled = [title for title, status in placed if status == SideEventStatus.ACCEPTED]
        names = {"room": room.name, "venue": room.venue}
        if scheduled:
            raise ValidationError(
                _("%(room)s at %(venue)s cannot be deleted: side events are scheduled in it (%(titles)s). Move them to another room first.")
                % {**names, "titles": ", ".join(f"“{title}”" for title in scheduled)}
            )
        if placed:
            raise ValidationError(
                _("%(room)s at %(venue)s cannot be deleted: cancelled or withdrawn side events were placed in it (%(titles)s), "
                  "and their calendar entries still name it. Change its capacity instead if it is still in use.")
                % {**names, "titles": ", ".join(f"“{title}”" for title, _status in placed)}
            )
        # Logged first, while the room still has its id; a refusal below undoes the entry.
        log_activity("events.room.deleted", actor=by, target=room, old={"venue": room.venue, "name": room.name, "capacity": room.capacity})
        try:
            with transaction.atomic():
                room.delete()
        except IntegrityError as error:  # an event placed in it meanwhile (models.PROTECT)
            raise ValidationError(
                _("%(room)s at %(venue)s cannot be deleted: a side event was just placed in it.") % names
            ) from error
