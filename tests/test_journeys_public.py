"""The public's journey in Chromium: the directory with a filter and a search, an organization,
a session's programme of side events and its calendar feed. Every page is checked by axe-core
and in French and Spanish (tests/journeys.py)."""

import re
from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from playwright.sync_api import expect

from events import services as event_services
from events.enums import EventFormat
from events.models import Room
from events.services import SpeakerData
from organizations.enums import EcosocStatus, OrganizationKind, VerificationState
from organizations.models import Organization
from sessions.models import Session
from tests.journeys import journey  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

CND70 = "70th session of the Commission on Narcotic Drugs"
VIC = "Vienna International Centre"
EVENT_TITLE = "Harm reduction behind bars"


@pytest.fixture
def directory(organizations, thematic_areas):
    """Three verified organizations and one not yet verified, which the public never sees."""
    hra, prn = organizations["a"], organizations["b"]
    hra.ecosoc_status, hra.ecosoc_year, hra.kind = EcosocStatus.SPECIAL, 2010, OrganizationKind.NGO
    hra.description = "Harm reduction services in East Africa, in prisons and in the community."
    hra.website = "https://hra.example"
    hra.save()
    hra.thematic_areas.set([thematic_areas["harm-reduction"], thematic_areas["human-rights"]])
    prn.thematic_areas.set([thematic_areas["criminal-justice-and-prison-reform"]])
    Organization.objects.create(
        name="Youth Voices Network", acronym="YVN", slug="yvn", headquarters_country="MX",
        verification_state=VerificationState.VERIFIED,
    )  # fmt: skip
    Organization.objects.create(
        name="Harmony Recovery Association", acronym="HRAS", slug="hras", headquarters_country="KE",
        verification_state=VerificationState.PENDING,
    )  # fmt: skip
    return hra


@pytest.fixture
def programme(directory, organizations, focal_points, commissions, csu_officer, thematic_areas):
    """CND 70 next year, with HRA's side event scheduled on its first day (PRN co-organizes)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(days=120)).date()
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70, start_date=start, end_date=start + timedelta(days=4),
        venue=VIC, side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=10),
    )  # fmt: skip
    room = Room.objects.create(venue=VIC, name="M3", capacity=60)
    event_services.create_slots(session, by=csu_officer, times=[(time(13, 10), time(14, 0))])
    event = event_services.save_side_event(
        None, by=focal_points["a"], session=session, organization=organizations["a"],
        data={
            "title": EVENT_TITLE, "description": "Speakers from Kenya and Brazil present harm reduction in prisons.",
            "format": EventFormat.IN_PERSON, "online_link": "", "languages": ["en"], "expected_audience": 40,
            "co_sponsoring_states": [], "co_sponsoring_un_entities": "",
        },
        themes=[thematic_areas["harm-reduction"]],
        speakers=[SpeakerData(name="Grace Wanjiru", title="Director", affiliation="HRA", gender="female", country="KE")],
        co_organizers=[],
    )  # fmt: skip
    event_services.submit_side_event(event, by=focal_points["a"])
    event_services.review_side_event(event, "accept", by=csu_officer)
    event_services.schedule_side_event(event, by=csu_officer, room=room, slot=session.slots.order_by("starts_at").first())
    return session


def test_the_public_finds_an_organization_and_downloads_a_sessions_calendar(journey, programme, directory, tmp_path):
    page = journey.person()
    page.goto(journey.url("/"))
    journey.check(page, "home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory of organizations")
    expect(page.get_by_role("status")).to_have_text("3 organizations")
    journey.check(page, "directory")

    # A filter, then a search within it.
    filters = page.get_by_role("search").get_by_role("form", name="Search and filter organizations")
    filters.get_by_label("Headquarters country").select_option(label="Kenya")
    filters.get_by_role("button", name="Show organizations").click()
    expect(page.get_by_role("status")).to_have_text("1 organization")
    filters.get_by_label("Search names, acronyms and descriptions").fill("prisons")
    filters.get_by_role("button", name="Show organizations").click()
    expect(page).to_have_url(re.compile(r"q=prisons"))
    results = page.get_by_role("table")
    expect(results.get_by_role("rowheader")).to_have_text(["Harm Reduction Alliance (HRA)"])
    journey.check(page, name="/organizations/?headquarters_country=KE&q=prisons")

    results.get_by_role("link", name="Harm Reduction Alliance").click()
    expect(page).to_have_url(journey.url("/organizations/hra/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Harm Reduction Alliance")
    journey.check(page, "organization")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions", exact=True).click()
    journey.check(page)
    page.get_by_role("link", name=CND70).first.click()
    expect(page).to_have_url(journey.url("/sessions/cnd/70/"))
    journey.check(page)
    page.get_by_role("link", name=re.compile("programme", re.I)).first.click()
    expect(page).to_have_url(journey.url("/sessions/cnd/70/programme/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Side events at the {CND70}")
    expect(page.get_by_role("heading", level=3)).to_have_text([EVENT_TITLE])
    journey.check(page, "programme")

    with page.expect_download() as download:
        page.get_by_role("button", name="Subscribe to the calendar").click()
    assert download.value.url == journey.url("/sessions/cnd/70/programme.ics")
    assert download.value.suggested_filename == "cnd-70-side-events.ics"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert [str(vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT")] == [EVENT_TITLE]

    journey.finish()
