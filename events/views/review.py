"""CSU's side of side events: the review queue, the decisions, the rooms and the schedule grid.

Staff pages (MFA), for CSU only: for anyone else, focal points and coordinators included,
they do not exist.
"""

import datetime as dt
import itertools
from dataclasses import dataclass

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from organizations.forms import add_service_error
from portal.middleware import staff_page
from sessions.models import Session

from .. import services
from ..enums import CoOrganizerStatus, SideEventStatus, SpeakerGender
from ..forms.review import (
    DEFAULT_SLOT_TIMES,
    DecisionForm,
    PlacementForm,
    QueueFilterForm,
    RoomCapacityForm,
    RoomForm,
    SlotTimesForm,
    slot_label,
)
from ..models import Room, SideEvent, Slot
from ..selectors import PanelIndicators
from ..selectors import review_queue as review_queue_of
from ..templatetags.side_event_review_tags import DRAFT_KEY

QUEUE_PER_PAGE = 50


def _csu_session(request, commission: str, number: int, permission: str) -> Session:
    """The session, for CSU; for anyone else these pages do not exist."""
    if not rules.has_perm(permission, request.user):
        raise Http404
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


# --- The review queue ------------------------------------------------------------------------------------


def _with_queue_facts(queue):
    """The queue with each application's place in it (first come, first served) and its speakers by gender.

    The place is counted in SQL against the whole queue, so that it stays the same when the
    list is filtered by status; the speakers are counted in the same query.
    """
    earlier = (
        queue.order_by()
        .filter(Q(submitted_at__lt=OuterRef("submitted_at")) | Q(submitted_at=OuterRef("submitted_at"), pk__lt=OuterRef("pk")))
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queue.annotate(
        position=Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0)) + 1,
        speaker_count=Count("speakers", distinct=True),
        women=Count("speakers", filter=Q(speakers__gender=SpeakerGender.FEMALE), distinct=True),
        men=Count("speakers", filter=Q(speakers__gender=SpeakerGender.MALE), distinct=True),
    )


@staff_page
@login_required
def review_queue(request, commission, number):
    """A session's side-event applications for CSU, first come first served: counts per status and a filter."""
    session = _csu_session(request, commission, number, "events.review")
    # A draft withdrawn before it was ever submitted never joined the queue.
    queue = review_queue_of(session).filter(submitted_at__isnull=False)
    form = QueueFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    shown = queue.filter(status=status) if status else queue
    page = Paginator(shown, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    # The page's rows, with their facts: the paginator only counts (without the subquery and joins).
    with_facts = _with_queue_facts(queue)
    if status:
        with_facts = with_facts.filter(status=status)
    rows = list(with_facts[page.start_index() - 1 : page.end_index()]) if page.paginator.count else []
    for event in rows:
        event.panel = PanelIndicators(
            speakers=event.speaker_count, women=event.women, men=event.men,
            other=event.speaker_count - event.women - event.men, regions=(), countries=0,
        )
    found = dict(queue.order_by().values_list("status").annotate(count=Count("pk")))
    counts = [(value, label, found[value]) for value, label in SideEventStatus.choices if found.get(value)]
    return render(
        request,
        "events/review_queue.html",
        {
            "session": session,
            "form": form,
            "status": status,
            "page": page,
            "rows": rows,
            "status_counts": counts,
            "total": sum(count for _value, _label, count in counts),
        },
    )


# --- Deciding on one application ---------------------------------------------------------------------------


# Each decision of the review panel, with the permission it needs.
DECISIONS = {
    "accept": "events.review",
    "waitlist": "events.review",
    "reject": "events.review",
    "return": "events.review",
    "cancel": "events.schedule",
}


def _organizers(event: SideEvent) -> str:
    """The lead organizer and the confirmed co-organizers, whose focal points the services e-mail."""
    names = [str(event.lead_organization)]
    names += [
        str(co_organizer.organization)
        for co_organizer in event.co_organizers.filter(status=CoOrganizerStatus.CONFIRMED).select_related("organization")
    ]
    return get_text_list(names, _("and"))


def _apply(action: str, event: SideEvent, reason: str, user) -> str:
    """Take the decision through its service; returns what to tell the person who took it."""
    if action == "cancel":
        event = services.cancel_side_event(event, by=user, reason=reason)
    else:
        event = services.review_side_event(event, action, by=user, reason=reason)
    names = {"title": event.title, "organizers": _organizers(event)}
    if action == "accept":
        return _(
            "The side event “%(title)s” is accepted. The focal points of %(organizers)s are told by e-mail. Place it in a "
            "room and slot on the schedule."
        ) % names
    if action == "waitlist":
        return _("The side event “%(title)s” is on the waiting list. The focal points of %(organizers)s are told by e-mail, with your reason.") % names
    if action == "reject":
        return _("The side event “%(title)s” is not accepted. The focal points of %(organizers)s are told by e-mail, with your reason.") % names
    if action == "return":
        return _(
            "The side event “%(title)s” is returned for changes. The focal points of %(organizers)s are told by e-mail, "
            "with your reason; once they submit it again it keeps its place in the queue."
        ) % names
    return _(
        "The side event “%(title)s” is cancelled and its room and slot are free again. The focal points of %(organizers)s "
        "are told by e-mail, with your reason; the programme and the calendar feeds show it as cancelled."
    ) % names


@staff_page
@login_required
@require_POST
def decide(request, event_id):
    """One decision on one application (accept, waitlist, reject, return, cancel); back to its page.

    A refused decision is told as an error message; what was typed is kept for the review
    panel (request.session["side_event_decision_draft"]), so nothing typed is lost.
    """
    event = get_object_or_404(SideEvent.objects.select_related("session__commission", "lead_organization"), pk=event_id)
    action = request.POST.get("action", "")
    permission = DECISIONS.get(action)
    if permission is None or not rules.has_perm(permission, request.user, event):
        raise Http404
    form = DecisionForm(request.POST)
    back = redirect("events:application", event_id=event.pk)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
        _keep_draft(request, event, action, {field: [str(error) for error in errors] for field, errors in form.errors.items()})
        return back
    try:
        message = _apply(action, event, form.cleaned_data["reason"], request.user)
    except PermissionDenied as denied:
        raise Http404 from denied
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        _keep_draft(request, event, action, error.message_dict if hasattr(error, "error_dict") else {})
        return back
    request.session.pop(DRAFT_KEY, None)
    messages.success(request, message)
    return back


def _keep_draft(request, event: SideEvent, action: str, errors: dict[str, list[str]]) -> None:
    """Keep what was typed into a refused decision, for the review panel (events/templatetags/side_event_review_tags.py)."""
    request.session[DRAFT_KEY] = {"event": event.pk, "action": action, "reason": request.POST.get("reason", ""), "errors": errors}


# --- Rooms ----------------------------------------------------------------------------------------------------


@dataclass
class RoomRow:
    room: Room
    form: RoomCapacityForm


@staff_page
@login_required
def rooms(request):
    """The rooms of every venue with their capacity: add one, change a capacity, delete an unused one."""
    if not rules.has_perm("events.schedule", request.user):
        raise Http404
    venues = [venue for venue in Session.objects.order_by("venue").values_list("venue", flat=True).distinct() if venue]
    add_form, capacity_forms = RoomForm(venues=venues), {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            add_form = RoomForm(request.POST, venues=venues)
            if _add_room(request, add_form):
                return redirect("events:rooms")
        elif action in ("capacity", "delete"):
            room_id = request.POST.get("room", "")
            room = get_object_or_404(Room, pk=int(room_id) if room_id.isdigit() else 0)
            if action == "delete":
                _delete_room(request, room)
                return redirect("events:rooms")
            capacity_forms[room.pk] = RoomCapacityForm(request.POST, auto_id=f"room-{room.pk}-%s")
            if _change_capacity(request, room, capacity_forms[room.pk]):
                return redirect("events:rooms")
        else:
            raise Http404
    scheduled = Count("side_events", filter=Q(side_events__status=SideEventStatus.ACCEPTED, side_events__slot__isnull=False))
    all_rooms = Room.objects.annotate(scheduled=scheduled).order_by("venue", "name")
    by_venue = [
        (
            venue,
            [
                RoomRow(
                    room,
                    capacity_forms.get(room.pk)
                    or RoomCapacityForm(initial={"capacity": room.capacity}, auto_id=f"room-{room.pk}-%s"),
                )
                for room in venue_rooms
            ],
        )
        for venue, venue_rooms in itertools.groupby(all_rooms, key=lambda room: room.venue)
    ]
    return render(request, "events/room_list.html", {"by_venue": by_venue, "add_form": add_form})


def _add_room(request, form: RoomForm) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        room = services.save_room(None, by=request.user, venue=data["venue"], name=data["name"], capacity=data["capacity"])
    except ValidationError as error:
        add_service_error(form, error)
        return False
    messages.success(
        request,
        _("%(room)s at %(venue)s is added, with %(capacity)s seats.") % {"room": room.name, "venue": room.venue, "capacity": room.capacity},
    )
    return True


def _change_capacity(request, room: Room, form: RoomCapacityForm) -> bool:
    if not form.is_valid():
        return False
    try:
        room = services.save_room(room, by=request.user, venue=room.venue, name=room.name, capacity=form.cleaned_data["capacity"])
    except ValidationError as error:
        add_service_error(form, error)
        return False
    messages.success(
        request,
        _("%(room)s at %(venue)s now has %(capacity)s seats.") % {"room": room.name, "venue": room.venue, "capacity": room.capacity},
    )
    return True


def _delete_room(request, room: Room) -> None:
    """Delete the room, or say why it stays (a side event was placed in it: models.PROTECT)."""
    try:
        services.delete_room(room, by=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("%(room)s at %(venue)s is deleted.") % {"room": room.name, "venue": room.venue})


# --- The schedule grid ----------------------------------------------------------------------------------------


@dataclass
class GridCell:
    room: Room
    event: SideEvent | None

    @property
    def over_capacity(self) -> bool:
        return self.event is not None and self.event.expected_audience > self.room.capacity


@dataclass
class GridRow:
    slot: Slot
    label: str
    cells: list[GridCell]


@dataclass
class GridDay:
    day: dt.date  # in the session's time zone
    rows: list[GridRow]


@dataclass
class Accepted:
    """An accepted event with the form that places it (or moves it, if it is already in the grid)."""

    event: SideEvent
    form: PlacementForm
    placed: bool


def _grid(session: Session, slots: list[Slot], rooms_here: list[Room], events: list[SideEvent]) -> tuple[list[GridDay], set[int]]:
    """The grid by day, and the ids of the events it shows."""
    zone = session.tz
    at = {(event.slot_id, event.room_id): event for event in events if event.slot_id is not None}
    days, shown = [], set()
    for day, day_slots in itertools.groupby(slots, key=lambda slot: timezone.localtime(slot.starts_at, zone).date()):
        rows = []
        for slot in day_slots:
            cells = [GridCell(room, at.get((slot.pk, room.pk))) for room in rooms_here]
            shown.update(cell.event.pk for cell in cells if cell.event)
            start, end = timezone.localtime(slot.starts_at, zone), timezone.localtime(slot.ends_at, zone)
            rows.append(GridRow(slot, f"{start:%H:%M}–{end:%H:%M}", cells))
        days.append(GridDay(day, rows))
    return days, shown


def _render_schedule(request, session: Session, *, bound: dict[int, PlacementForm] | None = None, slots_form=None):
    slots = list(session.slots.order_by("starts_at"))
    rooms_here = list(Room.objects.filter(venue=session.venue).order_by("name"))
    events = list(
        session.side_events.filter(status=SideEventStatus.ACCEPTED)
        .select_related("lead_organization", "room", "slot")
        .order_by("submitted_at", "pk")
    )
    days, shown = _grid(session, slots, rooms_here, events)
    bound = bound or {}
    accepted = [
        Accepted(
            event,
            bound.get(event.pk)
            or PlacementForm(
                rooms=rooms_here, slots=slots, zone=session.tz, auto_id=f"event-{event.pk}-%s",
                initial={"room": event.room_id, "slot": event.slot_id} if event.pk in shown else {},
            ),
            event.pk in shown,
        )
        for event in events
    ]
    if slots_form is None:
        zone = session.tz
        times = sorted({(timezone.localtime(slot.starts_at, zone).time(), timezone.localtime(slot.ends_at, zone).time()) for slot in slots})
        slots_form = SlotTimesForm(
            initial={"times": ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in times) or DEFAULT_SLOT_TIMES}
        )
    return render(
        request,
        "events/schedule_grid.html",
        {
            "session": session,
            "days": days,
            "rooms": rooms_here,
            "slot_count": len(slots),
            "unplaced": [item for item in accepted if not item.placed],
            "placed": [item for item in accepted if item.placed],
            "slots_form": slots_form,
        },
    )


@staff_page
@login_required
def schedule(request, commission, number):
    """The session's grid of rooms and slots: place and move accepted events, lay out the slots."""
    session = _csu_session(request, commission, number, "events.schedule")
    if request.method != "POST":
        return _render_schedule(request, session)
    action = request.POST.get("action")
    here = reverse("sessions:side_event_schedule", kwargs={"commission": session.commission.code, "number": session.number})
    if action == "slots":
        form = SlotTimesForm(request.POST)
        if form.is_valid():
            try:
                added = services.create_slots(session, by=request.user, times=form.cleaned_data["times"])
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if added:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)s slot added to the grid, for all the days of the session.",
                            "%(count)s slots added to the grid, for all the days of the session.",
                            added,
                        )
                        % {"count": added},
                    )
                else:
                    messages.info(request, _("These slots already exist; nothing was added."))
                return redirect(here)
        return _render_schedule(request, session, slots_form=form)
    if action != "place":
        raise Http404
    event_id = request.POST.get("event", "")
    event = get_object_or_404(session.side_events.select_related("room", "slot"), pk=int(event_id) if event_id.isdigit() else 0)
    slots = list(session.slots.order_by("starts_at"))
    rooms_here = list(Room.objects.filter(venue=session.venue).order_by("name"))
    form = PlacementForm(request.POST, rooms=rooms_here, slots=slots, zone=session.tz, auto_id=f"event-{event.pk}-%s")
    if not form.is_valid():
        return _render_schedule(request, session, bound={event.pk: form})
    room, slot = form.cleaned_data["room"], form.cleaned_data["slot"]
    before = (event.room_id, event.slot_id)
    try:
        placement = services.schedule_side_event(event, by=request.user, room=room, slot=slot)
    except PermissionDenied as denied:
        raise Http404 from denied
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(f"{here}#event-{event.pk}")
    names = {"title": event.title, "room": room.name, "slot": slot_label(slot, session.tz), "organizers": _organizers(event)}
    if before == (room.pk, slot.pk):
        messages.info(request, _("“%(title)s” is already in %(room)s on %(slot)s; nothing was changed.") % names)
    elif before[1] is not None:
        messages.success(request, _("“%(title)s” is moved to %(room)s on %(slot)s. The focal points of %(organizers)s are told by e-mail.") % names)
    else:
        messages.success(request, _("“%(title)s” is placed in %(room)s on %(slot)s. The focal points of %(organizers)s are told by e-mail.") % names)
    if placement.over_capacity:
        messages.warning(
            request,
            _("%(room)s may be too small for “%(title)s”: expected audience %(audience)s, room capacity %(capacity)s. The placement stands.")
            % {**names, "audience": event.expected_audience, "capacity": room.capacity},
        )
    return redirect(here)
