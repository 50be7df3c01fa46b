"""Forms of CSU's side of side events: the decisions, the queue's filter, rooms, the slot grid, placing events.

They only check the shape of what was posted; whether a decision, a placement or a room is
allowed (a reason where one is required, a free room and slot, a unique room name) is the
services' business, and their refusals are shown as they come.
"""

import datetime as dt
import re

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ..enums import SideEventStatus
from ..models import Room, Slot

REASON_MAX_LENGTH = 2000

# Drafts never reach the queue (selectors.review_queue).
QUEUE_STATUSES = [(status, label) for status, label in SideEventStatus.choices if status != SideEventStatus.DRAFT]


class DecisionForm(forms.Form):
    """One decision on one application, posted from the review panel (events/_review_panel.html)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea)


class QueueFilterForm(forms.Form):
    """Which of a session's applications CSU looks at."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *QUEUE_STATUSES])


# --- Rooms -------------------------------------------------------------------------------------------


class RoomForm(forms.Form):
    """A new room: its venue (one the sessions are held at, or typed), name and capacity."""

    # One of the two is needed (clean() says so); neither is required alone.
    venue = forms.ChoiceField(
        label=_("Venue of a session"), required=False, help_text=_("Choose one, or type another venue below.")
    )
    other_venue = forms.CharField(
        label=_("Or another venue"),
        required=False,
        max_length=200,
        help_text=_("Typed exactly as the sessions held there write it: a session’s grid offers the rooms of its own venue."),
    )
    name = forms.CharField(label=_("Room name"), max_length=100)
    capacity = forms.IntegerField(label=_("Capacity (seats)"), min_value=1, max_value=100000)

    def __init__(self, data=None, *, venues: list[str], **kwargs):
        super().__init__(data, **kwargs)
        self.fields["venue"].choices = [("", _("Another venue, typed below")), *((venue, venue) for venue in venues)]

    def clean(self):
        cleaned = super().clean()
        chosen, typed = cleaned.get("venue", ""), (cleaned.get("other_venue") or "").strip()
        if chosen and typed and typed != chosen:
            self.add_error("other_venue", _("Choose a venue or type another one, not both."))
        elif not chosen and not typed and not self.has_error("venue") and not self.has_error("other_venue"):
            self.add_error("venue", _("Choose the venue, or type it below if no session is held there yet."))
        cleaned["venue"] = chosen or typed
        return cleaned


class RoomCapacityForm(forms.Form):
    """A room's new capacity, from its row in the list of rooms."""

    capacity = forms.IntegerField(label=_("Capacity (seats)"), min_value=1, max_value=100000)


# --- The schedule ------------------------------------------------------------------------------------


def slot_label(slot: Slot, zone) -> str:
    """A slot as people at the venue read it: "Mon 15 Mar, 13:10–14:00" in the session's time zone."""
    start, end = timezone.localtime(slot.starts_at, zone), timezone.localtime(slot.ends_at, zone)
    return f"{formats.date_format(start, 'D j M, H:i')}–{formats.date_format(end, 'H:i')}"


class PlacementForm(forms.Form):
    """Where to put one accepted event: a room at the session's venue and one of the session's slots.

    The rooms and slots are given (fetched once for the whole grid), so that a page with a
    form per event makes no query per form. cleaned_data holds the Room and Slot objects.
    """

    room = forms.TypedChoiceField(label=_("Room"), coerce=int, error_messages={"required": _("Choose a room.")})
    slot = forms.TypedChoiceField(label=_("Slot"), coerce=int, error_messages={"required": _("Choose a slot.")})

    def __init__(self, data=None, *, rooms: list[Room], slots: list[Slot], zone, **kwargs):
        super().__init__(data, **kwargs)
        self.rooms = {room.pk: room for room in rooms}
        self.slots = {slot.pk: slot for slot in slots}
        self.fields["room"].choices = [
            ("", _("Choose a room")),
            *((room.pk, _("%(room)s (%(capacity)s seats)") % {"room": room.name, "capacity": room.capacity}) for room in rooms),
        ]
        self.fields["slot"].choices = [("", _("Choose a slot")), *((slot.pk, slot_label(slot, zone)) for slot in slots)]

    def clean_room(self) -> Room:
        return self.rooms[self.cleaned_data["room"]]

    def clean_slot(self) -> Slot:
        return self.slots[self.cleaned_data["slot"]]


TIME_RANGE = re.compile(r"^(\d{1,2})[:.h](\d{2})\s*[-–—]\s*(\d{1,2})[:.h](\d{2})$")
DEFAULT_SLOT_TIMES = "08:10-09:00, 13:10-14:00, 18:10-19:00"


def parse_time_ranges(text: str) -> list[tuple[dt.time, dt.time]]:
    """ "08:10-09:00, 13:10-14:00" -> [(08:10, 09:00), (13:10, 14:00)]; commas, semicolons or new lines between them."""
    ranges = []
    for piece in (part.strip() for part in re.split(r"[,;\n]", text)):
        if not piece:
            continue
        match = TIME_RANGE.match(piece)
        try:
            if match is None:
                raise ValueError
            start_hour, start_minute, end_hour, end_minute = (int(number) for number in match.groups())
            ranges.append((dt.time(start_hour, start_minute), dt.time(end_hour, end_minute)))
        except ValueError:
            raise forms.ValidationError(
                _("“%(piece)s” is not a time range. Write each slot as start-end in 24-hour time, such as 13:10-14:00, "
                  "and separate them with commas."),
                code="invalid",
                params={"piece": piece},
            ) from None
    return ranges


class SlotTimesForm(forms.Form):
    """The slot grid of a session: the same local times on every day of the session."""

    times = forms.CharField(
        label=_("Slot times, each day"),
        max_length=500,
        error_messages={"required": _("Give at least one time, such as 13:10-14:00.")},
    )

    def clean_times(self) -> list[tuple[dt.time, dt.time]]:
        ranges = parse_time_ranges(self.cleaned_data["times"])
        if not ranges:
            raise forms.ValidationError(_("Give at least one time, such as 13:10-14:00."), code="required")
        return ranges
