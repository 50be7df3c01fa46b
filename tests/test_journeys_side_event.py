"""A side event's journey in Chromium: HRA applies with PRN as co-organizer, PRN confirms from its
e-mail, CSU accepts it and places it in a room and slot, and the public finds it on the programme.
Every page is checked by axe-core and in French and Spanish (tests/journeys.py)."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from events import services as event_services
from events.enums import CoOrganizerStatus, SideEventStatus
from events.models import Room, SideEvent
from sessions.models import Session
from tests.journeys import journey, links_in, sent, wait_for_outbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

CND70 = "70th session of the Commission on Narcotic Drugs"
TITLE = "Harm reduction behind bars"


@pytest.fixture
def cnd70(commissions, csu_officer, organizations, thematic_areas):
    """Side-event applications opened yesterday and close in ten days; one room, one slot a day."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = (now + timedelta(days=60)).date()
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70, start_date=start, end_date=start + timedelta(days=4),
        venue="Vienna International Centre", side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=10),
    )  # fmt: skip
    Room.objects.create(venue="Vienna International Centre", name="M3", capacity=60)
    event_services.create_slots(session, by=csu_officer, times=[(time(13, 10), time(14, 0))])
    return session


def test_a_side_event_is_applied_for_confirmed_accepted_scheduled_and_published(
    journey, cnd70, organizations, focal_points, csu_officer, live_server
):
    hra_person, prn_person = focal_points["a"], focal_points["b"]

    # --- HRA's focal point applies, naming PRN as co-organizer.
    lead = journey.person(hra_person)
    lead.goto(journey.url("/sessions/cnd/70/"))
    lead.get_by_role("button", name="Propose a side event").click()
    expect(lead).to_have_url(journey.url("/sessions/cnd/70/side-events/apply/"))
    lead.get_by_label("Title", exact=True).fill(TITLE)
    lead.get_by_label("Description").fill("Speakers from Kenya and Brazil present harm reduction services behind bars.")
    lead.get_by_role("group", name="Themes").get_by_label("Harm reduction").check()
    lead.get_by_label("Expected audience").fill("40")
    lead.get_by_label(re.compile("^Co-organizing organizations")).select_option(label="Prison Reform Network (PRN)")
    speaker = lead.get_by_role("group", name="Speaker 1", exact=True)
    speaker.get_by_label("Name", exact=True).fill("Grace Wanjiru")
    speaker.get_by_label("Gender").select_option(label="Woman")
    speaker.get_by_label("Country").select_option(label="Kenya")
    journey.check(lead, "side-event-application")
    lead.get_by_role("button", name="Save and submit").click()

    event = SideEvent.objects.get(title=TITLE)
    application_url = journey.url(f"/events/applications/{event.pk}/")
    expect(lead).to_have_url(application_url)
    journey.check(lead)
    assert event.status == SideEventStatus.SUBMITTED
    wait_for_outbox(2)
    assert sorted(sent()) == [
        ("HRA names PRN as co-organizer of a side event", [prn_person.email]),
        (f"Side event “{TITLE}”: application submitted", [hra_person.email]),
    ]

    # --- PRN's focal point follows the e-mail and confirms.
    invitation = next(message for message in mail.outbox if message.to == [prn_person.email])
    assert links_in(invitation, live_server) == [application_url]
    partner = journey.person(prn_person)
    partner.goto(links_in(invitation, live_server)[0])
    journey.check(partner)
    partner.get_by_role("button", name="Confirm that Prison Reform Network (PRN) co-organizes this event").click()
    expect(partner.get_by_role("status")).to_have_count(1)
    journey.check(partner)
    assert list(event.co_organizers.values_list("status", flat=True)) == [CoOrganizerStatus.CONFIRMED]
    wait_for_outbox(3)
    assert sent(2) == [(f"PRN confirms co-organizing “{TITLE}”", [hra_person.email])]
    assert links_in(mail.outbox[2], live_server) == [application_url]

    # --- CSU accepts it from the queue and places it.
    csu = journey.person(csu_officer)
    csu.goto(journey.url("/"))
    csu.get_by_role("link", name=re.compile("side-event application for .* awaits review")).click()
    journey.check(csu, "side-event-queue")
    csu.get_by_role("link", name=TITLE).first.click()
    expect(csu).to_have_url(application_url)
    journey.check(csu)
    csu.get_by_role("button", name="Accept the side event").click()
    expect(csu.get_by_role("status")).to_have_count(1)
    csu.get_by_role("link", name="Schedule it").click()
    journey.check(csu, "side-event-schedule")
    placement = csu.get_by_role("article", name=TITLE)
    placement.get_by_label("Room").select_option(index=1)
    placement.get_by_label("Slot").select_option(index=1)
    placement.get_by_role("button", name="Place the event").click()
    expect(csu.get_by_role("status")).to_have_count(1)
    journey.check(csu)
    event.refresh_from_db()
    first_slot = cnd70.slots.order_by("starts_at").first()
    assert (event.status, event.room.name, event.slot) == (SideEventStatus.ACCEPTED, "M3", first_slot)
    wait_for_outbox(7)
    assert sorted(sent(3)) == [
        (f"Side event “{TITLE}”: accepted", [hra_person.email]),
        (f"Side event “{TITLE}”: accepted", [prn_person.email]),
        (f"Side event “{TITLE}”: room and time set", [hra_person.email]),
        (f"Side event “{TITLE}”: room and time set", [prn_person.email]),
    ]
    assert links_in(mail.outbox[-1], live_server) == [application_url]

    # --- The public sees it on the programme.
    public = journey.person()
    public.goto(journey.url("/sessions/cnd/70/programme/"))
    expect(public.get_by_role("heading", level=3)).to_have_text([TITLE])
    journey.check(public, "programme-with-side-event")
    public.get_by_role("link", name=TITLE).click()
    expect(public).to_have_url(journey.url(f"/events/{event.pk}/"))
    journey.check(public, "side-event")

    journey.finish()
