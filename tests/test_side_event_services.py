"""Side-event services: one application per lead organizer, the window, co-organizers, review, scheduling.

The side-event window is checked against the database's clock, so sessions here open and
close around the real time.
"""

import datetime as dt
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from events import services
from events.enums import SideEventStatus
from events.models import CoOrganizer, Room, SideEvent, Slot
from events.selectors import panel_indicators, programme
from events.services import SpeakerData
from portal.models import ActivityLog
from sessions.models import Session

pytestmark = pytest.mark.django_db(transaction=True)

DATA = {
    "title": "Harm reduction in prisons",
    "description": "What works, from three continents.",
    "format": "in_person",
    "online_link": "",
    "languages": ["en", "fr"],
    "expected_audience": 60,
    "co_sponsoring_states": ["PT", "KE"],
    "co_sponsoring_un_entities": "UNAIDS",
}
SPEAKERS = [
    SpeakerData("Amina Yusuf", "Director", "HRA", "female", "KE"),
    SpeakerData("João Silva", "Researcher", "PRN", "male", "BR"),
]


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def actions(event) -> list[str]:
    content_type = ContentType.objects.get_for_model(SideEvent)
    return list(ActivityLog.objects.filter(content_type=content_type, object_id=str(event.pk)).order_by("id").values_list("action", flat=True))


@pytest.fixture
def cnd(commissions):
    now = timezone.now()
    start = (now + dt.timedelta(days=60)).date()
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title="70th session of the Commission on Narcotic Drugs",
        start_date=start, end_date=start + dt.timedelta(days=4), venue="Vienna International Centre",
        side_events_open=now - dt.timedelta(days=5), side_events_close=now + dt.timedelta(days=5),
    )


def apply(session, organization, by, **changes) -> SideEvent:
    return services.save_side_event(
        None, by=by, session=session, organization=organization, data={**DATA, **changes}, speakers=SPEAKERS
    )


@pytest.fixture
def accepted(cnd, organizations, focal_points, csu_officer):
    event = apply(cnd, organizations["a"], focal_points["a"])
    services.submit_side_event(event, by=focal_points["a"])
    services.review_side_event(event, "accept", by=csu_officer)
    mail.outbox.clear()
    return SideEvent.objects.get(pk=event.pk)


@pytest.fixture
def grid(cnd, csu_officer):
    services.create_slots(cnd, by=csu_officer, times=[(dt.time(13, 10), dt.time(14, 0)), (dt.time(8, 10), dt.time(9, 0))])
    rooms = [Room.objects.create(venue=cnd.venue, name=name, capacity=capacity) for name, capacity in (("M3", 80), ("Boardroom A", 40))]
    return rooms, list(Slot.objects.filter(session=cnd).order_by("starts_at"))


def test_apply_saves_a_draft_with_speakers_and_asks_co_organizers_to_confirm(cnd, organizations, focal_points, thematic_areas):
    event = services.save_side_event(
        None, by=focal_points["a"], session=cnd, organization=organizations["a"], data=DATA, speakers=SPEAKERS,
        co_organizers=[organizations["b"]],
    )

    assert (event.status, event.lead_organization, list(event.speakers.values_list("name", flat=True))) == (
        "draft", organizations["a"], ["Amina Yusuf", "João Silva"]
    )
    assert list(CoOrganizer.objects.values_list("organization__acronym", "status")) == [("PRN", "pending")]
    assert sent() == [([focal_points["b"].email], "HRA names PRN as co-organizer of a side event")]
    assert actions(event) == ["events.side_event.created"]


def test_a_second_application_by_the_same_lead_organizer_is_refused(cnd, organizations, focal_points):
    apply(cnd, organizations["a"], focal_points["a"])

    with pytest.raises(ValidationError) as refused:
        apply(cnd, organizations["a"], focal_points["a"], title="Another one")

    assert refused.value.message_dict == {
        "organization": [
            "Harm Reduction Alliance (HRA) already leads a side event at 70th session of the Commission on Narcotic Drugs: "
            "“Harm reduction in prisons”. One application per lead organizer."
        ]
    }
    assert SideEvent.objects.count() == 1


def test_bad_input_is_refused_with_a_message_per_field(cnd, organizations, focal_points, outsider):
    with pytest.raises(ValidationError) as refused:
        services.save_side_event(
            None, by=focal_points["a"], session=cnd, organization=organizations["a"],
            data={**DATA, "format": "online", "online_link": " "},
            speakers=[SpeakerData("", "Professor", "University", "female", "FR")],
        )
    assert refused.value.message_dict == {
        "online_link": ["An online or hybrid event needs the link where people join it."],
        "speaker-0-name": ["Give each speaker's name."],
    }
    with pytest.raises(PermissionDenied):
        apply(cnd, organizations["a"], outsider)
    assert SideEvent.objects.count() == 0


def test_applications_outside_the_window_are_refused(cnd, organizations, focal_points):
    event = apply(cnd, organizations["a"], focal_points["a"])
    Session.objects.filter(pk=cnd.pk).update(side_events_close=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(ValidationError) as refused:
        services.submit_side_event(event, by=focal_points["a"])

    assert refused.value.messages[0].startswith("Side-event applications for 70th session of the Commission on Narcotic Drugs closed on ")
    assert SideEvent.objects.get().status == "draft"


def test_co_organizer_confirms_and_then_hears_of_decisions(cnd, organizations, focal_points, csu_officer):
    event = services.save_side_event(
        None, by=focal_points["a"], session=cnd, organization=organizations["a"], data=DATA, speakers=SPEAKERS,
        co_organizers=[organizations["b"]],
    )
    with pytest.raises(PermissionDenied):
        services.confirm_co_organizer(event.co_organizers.get(), by=focal_points["a"], accept=True)
    services.confirm_co_organizer(event.co_organizers.get(), by=focal_points["b"], accept=True)
    services.submit_side_event(event, by=focal_points["a"])
    mail.outbox.clear()

    services.review_side_event(event, "accept", by=csu_officer)

    assert sorted(sent()) == [
        ([focal_points["a"].email], "Side event “Harm reduction in prisons”: accepted"),
        ([focal_points["b"].email], "Side event “Harm reduction in prisons”: accepted"),
    ]


def test_review_follows_the_transitions_and_needs_reasons(cnd, organizations, focal_points, csu_officer):
    event = apply(cnd, organizations["a"], focal_points["a"])
    with pytest.raises(ValidationError):
        services.review_side_event(event, "accept", by=csu_officer)  # a draft is not CSU's yet
    services.submit_side_event(event, by=focal_points["a"])
    first_submitted = SideEvent.objects.get().submitted_at
    with pytest.raises(ValidationError) as no_reason:
        services.review_side_event(event, "return", by=csu_officer, reason="")
    assert no_reason.value.message_dict == {"reason": ["Give a reason: it is e-mailed to the organizers."]}
    with pytest.raises(PermissionDenied):
        services.review_side_event(event, "accept", by=focal_points["a"])

    services.review_side_event(event, "return", by=csu_officer, reason="Add a speaker from Asia.")
    services.save_side_event(event, by=focal_points["a"], data=DATA, speakers=[*SPEAKERS, SpeakerData("Li Wei", "", "", "female", "CN")])
    services.submit_side_event(event, by=focal_points["a"])
    services.review_side_event(event, "waitlist", by=csu_officer, reason="The grid is full for now.")
    services.review_side_event(event, "accept", by=csu_officer)

    event.refresh_from_db()
    assert event.submitted_at == first_submitted  # first come, first served: a returned one keeps its place
    assert [entry for entry in actions(event) if entry != "events.side_event.saved"] == [
        "events.side_event.created", "events.side_event.submitted", "events.side_event.returned",
        "events.side_event.submitted", "events.side_event.waitlisted", "events.side_event.accepted",
    ]


def test_scheduling_moves_bump_the_sequence_and_tell_the_organizers(accepted, grid, csu_officer, focal_points):
    (m3, boardroom), (morning, lunch, *_rest) = grid

    placement = services.schedule_side_event(accepted, by=csu_officer, room=boardroom, slot=lunch)
    assert placement.over_capacity is True  # 60 expected, 40 seats: a warning, the placement stands
    placement = services.schedule_side_event(accepted, by=csu_officer, room=m3, slot=morning)

    event = SideEvent.objects.get()
    assert (event.room, event.slot, event.sequence, placement.over_capacity) == (m3, morning, 2, False)
    assert sent() == [
        ([focal_points["a"].email], "Side event “Harm reduction in prisons”: room and time set"),
        ([focal_points["a"].email], "Side event “Harm reduction in prisons”: moved to a new room or time"),
    ]
    assert "takes place in M3 on " in mail.outbox[1].body
    assert list(programme(event.session)) == [event]


def test_a_room_never_holds_two_events_in_one_slot(accepted, grid, cnd, organizations, focal_points, csu_officer):
    (m3, _boardroom), (morning, *_rest) = grid
    services.schedule_side_event(accepted, by=csu_officer, room=m3, slot=morning)
    other = apply(cnd, organizations["b"], focal_points["b"], title="Prison reform in Brazil")
    services.submit_side_event(other, by=focal_points["b"])
    services.review_side_event(other, "accept", by=csu_officer)

    with pytest.raises(ValidationError) as refused:
        services.schedule_side_event(other, by=csu_officer, room=m3, slot=morning)

    assert refused.value.messages == [f"M3 is already taken at {morning} by “Harm reduction in prisons”. Choose another room or slot."]
    assert SideEvent.objects.get(pk=other.pk).slot is None

    # Cancelled, the first event frees the room; it stays (cancelled) for the calendar feeds.
    services.cancel_side_event(accepted, by=csu_officer, reason="The speakers cannot travel.")
    services.schedule_side_event(other, by=csu_officer, room=m3, slot=morning)
    assert list(SideEvent.objects.order_by("pk").values_list("status", "room__name")) == [("cancelled", "M3"), ("accepted", "M3")]
    assert list(programme(cnd, include_cancelled=True).values_list("status", flat=True)) == ["cancelled", "accepted"]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the constraint under concurrency needs PostgreSQL")
def test_concurrent_scheduling_into_one_room_and_slot_places_one_event(accepted, grid, cnd, organizations, focal_points, csu_officer):
    (m3, _boardroom), (morning, *_rest) = grid
    other = apply(cnd, organizations["b"], focal_points["b"], title="Prison reform in Brazil")
    services.submit_side_event(other, by=focal_points["b"])
    services.review_side_event(other, "accept", by=csu_officer)
    barrier = threading.Barrier(2)
    outcomes = {}

    def place(event):
        try:
            barrier.wait()
            services.schedule_side_event(event, by=csu_officer, room=m3, slot=morning)
            outcomes[event.pk] = "placed"
        except ValidationError as error:
            outcomes[event.pk] = error.messages[0]
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=place, args=(event,)) for event in (accepted, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcome == "placed" for outcome in outcomes.values()) == [False, True]
    assert SideEvent.objects.filter(room=m3, slot=morning).count() == 1


def test_create_slots_lays_the_grid_in_the_sessions_time_zone_once(cnd, csu_officer):
    times = [(dt.time(8, 10), dt.time(9, 0)), (dt.time(13, 10), dt.time(14, 0)), (dt.time(18, 10), dt.time(19, 0))]

    assert services.create_slots(cnd, by=csu_officer, times=times) == 15
    assert services.create_slots(cnd, by=csu_officer, times=times) == 0

    first = Slot.objects.filter(session=cnd).order_by("starts_at").first()
    local = timezone.localtime(first.starts_at, cnd.tz)
    assert (local.date(), local.time(), first.ends_at - first.starts_at) == (cnd.start_date, dt.time(8, 10), dt.timedelta(minutes=50))
    with pytest.raises(ValidationError) as refused:
        services.create_slots(cnd, by=csu_officer, times=[(dt.time(14, 0), dt.time(13, 10))])
    assert refused.value.message_dict == {"times": ["A slot must end after it starts: 14:00-13:10."]}


def test_panel_indicators_count_genders_and_regions():
    indicators = panel_indicators([*SPEAKERS, SpeakerData("Li Wei", "", "", "female", "CN"), SpeakerData("Sam", "", "", "other", "CN")])

    assert (indicators.speakers, indicators.women, indicators.men, indicators.other, indicators.countries) == (4, 2, 1, 1, 3)
    assert indicators.regions == ("African States", "Asia-Pacific States", "Latin American and Caribbean States")
    assert indicators.balanced is True
    assert panel_indicators(SPEAKERS[:1]).balanced is False
