"""The public side of side events: a session's programme, one event's page, and their calendar feeds."""

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from events import services
from events.enums import CoOrganizerStatus, EventFormat, SideEventStatus
from events.models import CoOrganizer, Room, SideEvent, Slot, Speaker
from events.services import SpeakerData
from organizations.enums import VerificationState
from organizations.models import Organization, OrganizationMember, ThematicArea
from sessions.models import Session
from tests.conftest import give_totp, make_user

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
NEW_YORK = ZoneInfo("America/New_York")
VIC = "Vienna International Centre"
UNHQ = "United Nations Headquarters"
CND70 = "70th session of the Commission on Narcotic Drugs"
COSP11 = "11th session of the Conference of the States Parties to the UNCAC"
# CND 70 from Monday 15 to Friday 19 March 2027 (Vienna is on CET, UTC+1, until 28 March).
MONDAY = date(2027, 3, 15)
BASE_URL = "https://portal.example"
PROGRAMME = "/sessions/cnd/70/programme/"
FEED = "/sessions/cnd/70/programme.ics"
HRA_DESCRIPTION = (
    "Prisons hold many people who use drugs. Speakers from Kenya and Brazil present harm reduction services "
    "behind bars: what they cost, what they change, and how prison administrations came to accept them."
)
NOT_PUBLISHED = "The programme of side events is not published yet."
NO_MATCH = "No side event matches these filters."


# --- Helpers ---------------------------------------------------------------------------------


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def main(response) -> str:
    page = response.content.decode()
    return words(page[page.index("<main") : page.index("</main>")])


def days(response) -> list[tuple[str, list[str]]]:
    """The programme as the visitor reads it: each day's heading and the titles under it, in order."""
    page = response.content.decode()
    return [
        (words(heading), [words(title) for title in re.findall(r"<h3><a [^>]*>(.*?)</a></h3>", body, re.S)])
        for heading, body in re.findall(r'<section class="programme-day"[^>]*>\s*<h2[^>]*>(.*?)</h2>(.*?)</section>', page, re.S)
    ]


def listed_events(response) -> list[str]:
    """Each event of the programme as one line of words."""
    page = response.content.decode()
    return [words(item) for item in re.findall(r'<li class="programme-event">(.*?)</li>', page, re.S)]


def options(response, name: str) -> list[str]:
    page = response.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


def summary(response) -> list[str]:
    found = re.search(r'<div class="error-summary".*?<ul>(.*?)</ul>', response.content.decode(), re.S)
    return [words(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def hrefs(response, text: str) -> list[str]:
    page = response.content.decode()
    return [html.unescape(href) for href, label in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', page, re.S) if words(label) == text]


def sign_in(client, user):
    """Sign in; CSU gets TOTP first, as staff need it."""
    if user.groups.exists():
        give_totp(user)
    client.force_login(user)
    return user


def parse(response) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(response.content)


def vevents(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(vevent["UID"]): vevent for vevent in calendar.walk("VEVENT")}


def uid(event: SideEvent) -> str:
    return f"{event.uid}@ngo-portal"


def reload(event: SideEvent) -> SideEvent:
    return SideEvent.objects.get(pk=event.pk)


def speaker(name, title, affiliation, gender, country) -> SpeakerData:
    return SpeakerData(name=name, title=title, affiliation=affiliation, gender=gender, country=country)


def apply(session, organization, focal_point, *, title, themes=(), co_organizers=(), speakers=None, **data) -> SideEvent:
    """An application saved and submitted by the lead organizer's focal point, as the services do it."""
    values = {
        "title": title,
        "description": f"About {title}.",
        "format": EventFormat.IN_PERSON,
        "online_link": "",
        "languages": ["en"],
        "expected_audience": 40,
        "co_sponsoring_states": [],
        "co_sponsoring_un_entities": "",
    }
    values.update(data)
    event = services.save_side_event(
        None, by=focal_point, session=session, organization=organization, data=values, themes=themes,
        speakers=speakers or [speaker("Ana Pérez", "Director", organization.name, "female", "MX")], co_organizers=co_organizers,
    )
    return services.submit_side_event(event, by=focal_point)


def publish(event, csu, room, slot) -> SideEvent:
    """CSU accepts the application and places it in a room and slot."""
    services.review_side_event(event, "accept", by=csu)
    return services.schedule_side_event(event, by=csu, room=room, slot=slot).event


def answer(event, organization, person, *, accept: bool) -> None:
    services.confirm_co_organizer(CoOrganizer.objects.get(event=event, organization=organization), by=person, accept=accept)


def add_programme(session, rooms, slots, count: int, themes) -> list[SideEvent]:
    """`count` scheduled events, straight in the database, each with its themes, two speakers and a confirmed co-organizer."""
    SideEvent.objects.filter(session=session).delete()
    events = []
    for number in range(count):
        lead, partner = (
            Organization.objects.get_or_create(
                slug=f"org-{number}{suffix}",
                defaults={"name": f"Organization {number}{suffix}", "headquarters_country": "AT", "verification_state": VerificationState.VERIFIED},
            )[0]
            for suffix in ("", "-partner")
        )
        event = SideEvent.objects.create(
            session=session, lead_organization=lead, title=f"Side event {number:02d}", description="About it.",
            status=SideEventStatus.ACCEPTED, room=rooms[number % len(rooms)], slot=slots[number // len(rooms)],
        )
        event.themes.set(themes)
        Speaker.objects.bulk_create(
            Speaker(event=event, name=f"Speaker {position}", gender="female", country="AT", position=position) for position in range(2)
        )
        CoOrganizer.objects.create(event=event, organization=partner, status=CoOrganizerStatus.CONFIRMED)
        events.append(event)
    return events


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.PORTAL_BASE_URL = BASE_URL + "/"


@pytest.fixture
def now(time_machine):
    """The application's clock, stopped at the real time: the side-event window is checked against the
    database's clock, which no time machine moves, so the window opens and closes around the real time."""
    moment = datetime.now(UTC).replace(microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def cnd70(now, commissions):
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70, start_date=MONDAY, end_date=MONDAY + timedelta(days=4), venue=VIC,
        side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=10),
    )


@pytest.fixture
def rooms(cnd70):
    return {
        "m3": Room.objects.create(venue=VIC, name="M3", capacity=60),
        "board": Room.objects.create(venue=VIC, name="Boardroom B", capacity=20),
        "m7": Room.objects.create(venue=VIC, name="M7", capacity=100),
    }


@pytest.fixture
def slots(cnd70, csu_officer) -> list[Slot]:
    """Two a day: Monday 08:10 and 13:10, Tuesday 08:10 and 13:10, ... (Vienna time)."""
    services.create_slots(cnd70, by=csu_officer, times=[(time(8, 10), time(9, 0)), (time(13, 10), time(14, 0))])
    return list(cnd70.slots.order_by("starts_at"))


@pytest.fixture
def youth(db):
    """A third verified organization, with its focal point."""
    organization = Organization.objects.create(
        name="Youth Voices Network", acronym="YVN", slug="yvn", headquarters_country="MX", verification_state=VerificationState.VERIFIED
    )
    person = make_user("focal@yvn.test", full_name="Focal point of YVN")
    OrganizationMember.objects.create(organization=organization, user=person)
    return organization, person


@pytest.fixture
def events(cnd70, rooms, slots, organizations, focal_points, csu_officer, youth, thematic_areas) -> dict[str, SideEvent]:
    """The programme of CND 70.

    Monday 08:10, M3: YVN's "Young people and drug policy", in person.
    Monday 13:10, M3: HRA's "Harm reduction behind bars", hybrid; PRN co-organizes (confirmed), YVN was asked (no answer yet).
    Tuesday 08:10, Boardroom B: PRN's "Alternatives to prison", in person; YVN declined co-organizing.
    """
    yvn, yvn_person = youth
    hra = apply(
        cnd70, organizations["a"], focal_points["a"], title="Harm reduction behind bars", description=HRA_DESCRIPTION,
        format=EventFormat.HYBRID, online_link="https://meet.example/hra-prisons", languages=["en", "fr"],
        co_sponsoring_states=["AT", "KE"], co_sponsoring_un_entities="UNAIDS, WHO",
        themes=[thematic_areas["harm-reduction"], thematic_areas["human-rights"]],
        co_organizers=[organizations["b"], yvn],
        speakers=[
            speaker("Grace Wanjiru", "Director", "Harm Reduction Alliance", "female", "KE"),
            speaker("Tomás Silva", "Researcher", "University of São Paulo", "male", "BR"),
        ],
    )
    answer(hra, organizations["b"], focal_points["b"], accept=True)
    prn = apply(
        cnd70, organizations["b"], focal_points["b"], title="Alternatives to prison",
        themes=[thematic_areas["criminal-justice-and-prison-reform"]], co_organizers=[yvn],
    )
    answer(prn, yvn, yvn_person, accept=False)
    young = apply(cnd70, yvn, yvn_person, title="Young people and drug policy", themes=[thematic_areas["youth"], thematic_areas["drug-policy"]])
    return {
        "hra": publish(hra, csu_officer, rooms["m3"], slots[1]),
        "prn": publish(prn, csu_officer, rooms["board"], slots[2]),
        "yvn": publish(young, csu_officer, rooms["m3"], slots[0]),
    }


@pytest.fixture
def cosp11(now, commissions):
    """A session in New York (on EDT, UTC-4, from 14 March 2027)."""
    return Session.objects.create(
        commission=commissions["cosp"], number=11, title=COSP11, start_date=MONDAY, end_date=MONDAY + timedelta(days=2), venue=UNHQ,
        time_zone="America/New_York", side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=10),
    )


@pytest.fixture
def new_york_event(cosp11, organizations, focal_points, csu_officer) -> SideEvent:
    """HRA's event at 20:00 New York time on Monday 15 March: already 01:00 on Tuesday in Vienna."""
    services.create_slots(cosp11, by=csu_officer, times=[(time(20, 0), time(21, 0))])
    room = Room.objects.create(venue=UNHQ, name="Conference Room 6", capacity=80)
    event = apply(cosp11, organizations["a"], focal_points["a"], title="Whistle-blowers in the health sector")
    return publish(event, csu_officer, room, cosp11.slots.order_by("starts_at").first())


# --- The programme --------------------------------------------------------------------------


def test_programme_groups_events_by_day_in_time_order(client, events):
    response = client.get(PROGRAMME)
    assert response.status_code == 200
    assert days(response) == [
        ("Monday 15 March 2027", ["Young people and drug policy", "Harm reduction behind bars"]),
        ("Tuesday 16 March 2027", ["Alternatives to prison"]),
    ]
    assert "3 side events" in main(response)


def test_programme_shows_each_event_with_time_room_organizers_format_and_themes(client, events):
    response = client.get(PROGRAMME)
    assert listed_events(response) == [
        "08:10–09:00 Vienna time · M3 Young people and drug policy Lead organizer Youth Voices Network "
        "Format In person Themes Drug policy, Youth",
        "13:10–14:00 Vienna time · M3 Harm reduction behind bars Lead organizer Harm Reduction Alliance "
        "Co-organizers Prison Reform Network Format Hybrid Themes Harm reduction, Human rights",
        "08:10–09:00 Vienna time · Boardroom B Alternatives to prison Lead organizer Prison Reform Network "
        "Format In person Themes Criminal justice and prison reform",
    ]
    page = response.content.decode()
    assert f'<h3><a href="/events/{events["hra"].pk}/">Harm reduction behind bars</a></h3>' in page
    assert '<a href="/organizations/hra/">Harm Reduction Alliance</a>' in page
    assert '<time datetime="2027-03-15T13:10:00+01:00">13:10–14:00 Vienna time</time>' in page


def test_programme_never_shows_an_unconfirmed_or_declining_co_organizer(client, events):
    response = client.get(PROGRAMME)
    # YVN appears once: as the lead organizer of its own event, never as HRA's (pending) or PRN's (declined) co-organizer.
    assert main(response).count("Youth Voices Network") == 1
    assert [line for line in listed_events(response) if "Co-organizers" in line] == [listed_events(response)[1]]


def test_programme_shows_times_in_a_new_york_session_s_time_zone(client, new_york_event):
    response = client.get("/sessions/cosp/11/programme/")
    # 20:00 in New York is 01:00 the next day in Vienna: the day and the time are New York's.
    assert days(response) == [("Monday 15 March 2027", ["Whistle-blowers in the health sector"])]
    assert listed_events(response) == [
        "20:00–21:00 New York time · Conference Room 6 Whistle-blowers in the health sector "
        "Lead organizer Harm Reduction Alliance Format In person"
    ]
    assert '<time datetime="2027-03-15T20:00:00-04:00">' in response.content.decode()
    assert "Times are New York time." in main(response)


def test_programme_leaves_out_what_is_not_published(client, events, cnd70, rooms, slots, csu_officer):
    """Cancelled, accepted but not placed, submitted and withdrawn events are not on the programme."""
    services.cancel_side_event(events["prn"], by=csu_officer, reason="The organizers cannot travel.")
    lead = {}
    for number, state in enumerate(["accepted", "submitted", "withdrawn"]):
        organization = Organization.objects.create(
            name=f"Unlisted {state}", slug=f"unlisted-{state}", headquarters_country="AT", verification_state=VerificationState.VERIFIED
        )
        person = make_user(f"focal@{state}.test")
        OrganizationMember.objects.create(organization=organization, user=person)
        lead[state] = apply(cnd70, organization, person, title=f"Unlisted {state} event")
    services.review_side_event(lead["accepted"], "accept", by=csu_officer)
    publish(lead["withdrawn"], csu_officer, rooms["m7"], slots[3])
    services.withdraw_side_event(lead["withdrawn"], by=lead["withdrawn"].lead_organization.members.get().user)

    response = client.get(PROGRAMME)
    assert days(response) == [("Monday 15 March 2027", ["Young people and drug policy", "Harm reduction behind bars"])]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"room": "board"}, ["Alternatives to prison"]),
        ({"room": "m3"}, ["Young people and drug policy", "Harm reduction behind bars"]),
        ({"theme": "harm-reduction"}, ["Harm reduction behind bars"]),
        ({"theme": "youth"}, ["Young people and drug policy"]),
        ({"format": "hybrid"}, ["Harm reduction behind bars"]),
        ({"format": "in_person"}, ["Young people and drug policy", "Alternatives to prison"]),
        ({"room": "m3", "format": "in_person"}, ["Young people and drug policy"]),
        ({"room": "board", "theme": "drug-policy", "format": ""}, []),
        ({"format": "online"}, []),
    ],
)
def test_programme_filters_by_room_theme_and_format(client, events, rooms, query, titles):
    query = {key: rooms[value].pk if key == "room" else value for key, value in query.items()}
    response = client.get(PROGRAMME, query)
    assert [title for _day, day_titles in days(response) for title in day_titles] == titles
    assert summary(response) == []
    assert (NO_MATCH in main(response)) == (not titles)
    assert hrefs(response, "Clear all filters") == [PROGRAMME] * (1 if titles else 2)


def test_programme_offers_only_the_rooms_and_themes_of_its_events(client, events):
    response = client.get(PROGRAMME)
    assert options(response, "room") == ["Any room", "Boardroom B", "M3"]  # M7 holds no event
    assert options(response, "theme") == [
        "Any theme", "Criminal justice and prison reform", "Drug policy", "Harm reduction", "Human rights", "Youth"
    ]
    assert options(response, "format") == ["Any format", "In person", "Online", "Hybrid"]
    assert hrefs(response, "Clear all filters") == []


def test_programme_filter_by_a_theme_of_no_event_says_so_and_shows_the_rest(client, events, rooms):
    response = client.get(PROGRAMME, {"theme": "firearms", "room": rooms["m3"].pk})
    assert summary(response) == ["Theme: Select a valid choice. That choice is not one of the available choices."]
    assert days(response) == [("Monday 15 March 2027", ["Young people and drug policy", "Harm reduction behind bars"])]


def test_programme_filters_answer_htmx_with_the_results_only(client, events, rooms):
    response = client.get(PROGRAMME, {"room": rooms["board"].pk}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and "<form" not in page
    assert words(page) == (
        "1 side event Tuesday 16 March 2027 08:10–09:00 Vienna time · Boardroom B Alternatives to prison "
        "Lead organizer Prison Reform Network Format In person Themes Criminal justice and prison reform"
    )
    assert "HX-Request" in response["Vary"]


def test_programme_empty_says_it_is_not_published_yet(client, cnd70, rooms, slots, organizations, focal_points):
    apply(cnd70, organizations["a"], focal_points["a"], title="Submitted, not yet accepted")
    response = client.get(PROGRAMME)
    assert response.status_code == 200
    assert days(response) == []
    assert NOT_PUBLISHED in main(response)
    assert "<form method=\"get\"" not in response.content.decode()  # nothing to filter
    # The calendar can be subscribed to before the programme is out: it fills in as events are placed.
    assert hrefs(response, "Subscribe to the calendar") == [BASE_URL + FEED]


def test_programme_links_to_the_calendar_feed_and_its_webcal_variant(client, events):
    response = client.get(PROGRAMME)
    assert hrefs(response, "Subscribe to the calendar") == [BASE_URL + FEED]
    assert hrefs(response, "Open the subscription in your calendar program") == ["webcal://portal.example" + FEED]


def test_programme_of_an_unknown_session_is_404(client, cnd70):
    assert client.get("/sessions/cnd/71/programme/").status_code == 404
    assert client.get("/sessions/ccpcj/70/programme/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider", "focal point of another organization", "csu"])
def test_programme_is_the_same_for_everyone(client, events, outsider, youth, csu_officer, who):
    expected = main(client.get(PROGRAMME))
    user = {"anonymous": None, "outsider": outsider, "focal point of another organization": youth[1], "csu": csu_officer}[who]
    if user is not None:
        sign_in(client, user)
    response = client.get(PROGRAMME)
    assert response.status_code == 200
    assert listed_events(response)[1] == (
        "13:10–14:00 Vienna time · M3 Harm reduction behind bars Lead organizer Harm Reduction Alliance "
        "Co-organizers Prison Reform Network Format Hybrid Themes Harm reduction, Human rights"
    )
    assert main(response) == expected


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # session; events and their themes, speakers and confirmed co-organizers; the rooms and themes offered
        ("anonymous", 7),
        # + the login session with the user and its roles (portal.login_sessions)
        ("focal point", 8),
    ],
)
def test_programme_query_count_does_not_grow_with_events(
    client, cnd70, rooms, slots, focal_points, thematic_areas, django_assert_num_queries, who, queries
):
    if who == "focal point":
        client.force_login(focal_points["a"])
    themes = [thematic_areas["drug-policy"], thematic_areas["youth"]]
    room_list = [rooms["m3"], rooms["board"]]
    add_programme(cnd70, room_list, slots, 1, themes)
    with django_assert_num_queries(queries):
        response = client.get(PROGRAMME)
    assert len(listed_events(response)) == 1

    add_programme(cnd70, room_list, slots, 12, themes)
    with django_assert_num_queries(queries):
        response = client.get(PROGRAMME)
    assert len(listed_events(response)) == 12
    # + the room and the theme asked for; the session comes from the cache (events.caching)
    with django_assert_num_queries(queries + 1):
        response = client.get(PROGRAMME, {"room": rooms["m3"].pk, "theme": "youth", "format": "in_person"})
    assert len(listed_events(response)) == 6


# --- One event's page -----------------------------------------------------------------------


def test_event_page_shows_the_public_fields(client, events):
    event = events["hra"]
    response = client.get(f"/events/{event.pk}/")
    assert response.status_code == 200
    assert main(response) == (
        f"Side events at the {CND70} Harm reduction behind bars "
        "When Monday 15 March 2027, 13:10–14:00 Vienna time "
        "Where M3, Vienna International Centre "
        "Format Hybrid · Join online "
        "Languages English, French "
        "Themes Harm reduction, Human rights "
        "Lead organizer Harm Reduction Alliance "
        "Co-organizers Prison Reform Network "
        "Co-sponsoring States Austria, Kenya "
        "Co-sponsoring UN entities UNAIDS, WHO "
        "Add to my calendar "
        f"About the side event {HRA_DESCRIPTION} "
        "Speakers Name Title or function Affiliation Country "
        "Grace Wanjiru Director Harm Reduction Alliance Kenya "
        "Tomás Silva Researcher University of São Paulo Brazil"
    )
    assert hrefs(response, "Join online") == ["https://meet.example/hra-prisons"]
    assert hrefs(response, "Harm Reduction Alliance") == ["/organizations/hra/"]
    assert hrefs(response, "Prison Reform Network") == ["/organizations/prn/"]
    assert hrefs(response, "Add to my calendar") == [f"/events/{event.pk}.ics"]
    assert hrefs(response, f"Side events at the {CND70}") == [PROGRAMME]


def test_event_page_never_shows_gender_the_pending_co_organizer_or_the_review(client, events):
    page = main(client.get(f"/events/{events['hra'].pk}/"))
    for private in ("Youth Voices Network", "female", "Woman", "Gender", "Accepted", "Expected audience"):
        assert private not in page


def test_event_page_of_an_in_person_event_has_no_online_link(client, events):
    response = client.get(f"/events/{events['prn'].pk}/")
    assert "Format In person Languages English" in main(response)
    assert hrefs(response, "Join online") == []
    assert "Co-organizers" not in main(response)  # YVN declined


def test_event_page_of_a_cancelled_event_says_so(client, events, csu_officer):
    services.cancel_side_event(events["hra"], by=csu_officer, reason="The room is needed for informal consultations.")
    response = client.get(f"/events/{events['hra'].pk}/")
    assert response.status_code == 200
    page = main(response)
    assert page.startswith(
        f"Side events at the {CND70} Harm reduction behind bars Cancelled This side event is cancelled: it will not take place. "
        "When Monday 15 March 2027, 13:10–14:00 Vienna time Where M3, Vienna International Centre Format Hybrid Languages"
    )
    assert "informal consultations" not in page  # CSU's reason goes to the organizers only
    assert hrefs(response, "Join online") == []
    assert hrefs(response, "Add to my calendar") == []


def test_event_page_in_a_new_york_session_shows_new_york_time(client, new_york_event):
    response = client.get(f"/events/{new_york_event.pk}/")
    assert "When Monday 15 March 2027, 20:00–21:00 New York time Where Conference Room 6, United Nations Headquarters" in main(response)


@pytest.mark.parametrize("state", ["draft", "submitted", "waitlisted", "rejected", "accepted, not placed", "withdrawn after placing"])
def test_event_page_and_file_of_an_unpublished_event_are_404(client, cnd70, rooms, slots, organizations, focal_points, csu_officer, state):
    lead, person = organizations["a"], focal_points["a"]
    event = services.save_side_event(
        None, by=person, session=cnd70, organization=lead, data={"title": "Not public", "description": "Not yet."},
        speakers=[speaker("Grace Wanjiru", "", "", "female", "KE")],
    )
    if state != "draft":
        services.submit_side_event(event, by=person)
    if state in ("waitlisted", "rejected"):
        decision = {"waitlisted": "waitlist", "rejected": "reject"}[state]
        services.review_side_event(event, decision, by=csu_officer, reason="Too many applications.")
    if state == "accepted, not placed":
        services.review_side_event(event, "accept", by=csu_officer)
    if state == "withdrawn after placing":
        publish(event, csu_officer, rooms["m3"], slots[0])
        services.withdraw_side_event(event, by=person)
    assert reload(event).status == {
        "draft": "draft", "submitted": "submitted", "waitlisted": "waitlisted", "rejected": "rejected",
        "accepted, not placed": "accepted", "withdrawn after placing": "withdrawn",
    }[state]
    # Not even its own focal point or CSU see it here: their pages are the application's.
    for user in (None, person, csu_officer):
        if user is not None:
            sign_in(client, user)
        assert client.get(f"/events/{event.pk}/").status_code == 404
        assert client.get(f"/events/{event.pk}.ics").status_code == 404


def test_event_page_of_an_unknown_event_is_404(client, events):
    assert client.get(f"/events/{max(event.pk for event in events.values()) + 1}/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "outsider", "focal point of another organization", "csu"])
def test_event_page_is_the_same_for_everyone(client, events, outsider, youth, csu_officer, who):
    url = f"/events/{events['hra'].pk}/"
    expected = main(client.get(url))
    user = {"anonymous": None, "outsider": outsider, "focal point of another organization": youth[1], "csu": csu_officer}[who]
    if user is not None:
        sign_in(client, user)
    response = client.get(url)
    assert response.status_code == 200
    assert main(response) == expected


@pytest.mark.parametrize(("who", "queries"), [("anonymous", 4), ("focal point", 5)])
def test_event_page_query_count_does_not_grow_with_speakers_themes_or_co_organizers(
    client, cnd70, rooms, slots, focal_points, thematic_areas, django_assert_num_queries, who, queries
):
    """The event, its themes, speakers and confirmed co-organizers (+ the session and the user with its roles,
    when signed in)."""
    if who == "focal point":
        client.force_login(focal_points["a"])
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    with django_assert_num_queries(queries):
        assert client.get(f"/events/{event.pk}/").status_code == 200
    event.themes.set(ThematicArea.objects.all()[:6])
    Speaker.objects.bulk_create(Speaker(event=event, name=f"More {n}", gender="male", country="BR", position=5 + n) for n in range(6))
    for n in range(4):
        partner = Organization.objects.create(name=f"Partner {n}", slug=f"partner-{n}", headquarters_country="AT", verification_state=VerificationState.VERIFIED)
        CoOrganizer.objects.create(event=event, organization=partner, status=CoOrganizerStatus.CONFIRMED)
    with django_assert_num_queries(queries):
        response = client.get(f"/events/{event.pk}/")
    assert "Co-organizers Organization 0-partner, Partner 0, Partner 1, Partner 2, Partner 3 Add" in main(response).replace(" , ", ", ")
    assert "Speaker 1 — — Austria More 0 — — Brazil" in main(response)


# --- Calendar feeds -------------------------------------------------------------------------


def test_programme_feed_is_a_publishable_calendar_with_the_session_s_time_zone(client, events):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="cnd-70-side-events.ics"'
    assert response["Cache-Control"] == "public, max-age=300"
    calendar = parse(response)
    assert (
        str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["CALSCALE"]), str(calendar["METHOD"]),
        str(calendar["X-WR-CALNAME"]), str(calendar["X-WR-TIMEZONE"]),
    ) == ("-//UNODC Civil Society Unit//NGO engagement portal//EN", "2.0", "GREGORIAN", "PUBLISH", "CND 70: side events", "Europe/Vienna")
    assert [str(timezone["TZID"]) for timezone in calendar.walk("VTIMEZONE")] == ["Europe/Vienna"]
    assert calendar.get_missing_tzids() == set()
    assert list(vevents(calendar)) == [uid(events["yvn"]), uid(events["hra"]), uid(events["prn"])]


def test_programme_feed_event_has_every_property_right(client, events, slots):
    event = reload(events["hra"])
    vevent = vevents(parse(client.get(FEED)))[uid(event)]
    start, end = vevent["DTSTART"].dt, vevent["DTEND"].dt
    assert (start, end) == (slots[1].starts_at, slots[1].ends_at)
    assert (start.tzinfo, end.tzinfo) == (VIENNA, VIENNA)
    assert (start.hour, start.minute, end.hour, end.minute) == (13, 10, 14, 0)
    assert vevent["DTSTAMP"].dt == event.updated_at
    assert vevent["DTSTAMP"].to_ical() == event.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode()  # in UTC
    assert vevent["SEQUENCE"] == 1  # placed once
    assert str(vevent["SUMMARY"]) == "Harm reduction behind bars"
    assert str(vevent["LOCATION"]) == "M3, Vienna International Centre"
    assert str(vevent["URL"]) == f"{BASE_URL}/events/{event.pk}/"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["DESCRIPTION"]) == (
        "Lead organizer: Harm Reduction Alliance\n"
        "Co-organizers: Prison Reform Network\n"
        "\n"
        f"{HRA_DESCRIPTION}\n"
        "\n"
        "Join online: https://meet.example/hra-prisons\n"
        f"More about this side event: {BASE_URL}/events/{event.pk}/"
    )
    assert [str(category) for category in vevent["CATEGORIES"].cats] == ["Harm reduction", "Human rights"]


def test_programme_feed_raw_text_uses_crlf_folded_lines_and_tzid(client, events):
    body = client.get(FEED).content
    assert body.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith(b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert body.count(b"\n") == body.count(b"\r\n")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long DESCRIPTION is folded
    assert b"DTSTART;TZID=Europe/Vienna:20270315T131000\r\n" in body
    assert b"DTEND;TZID=Europe/Vienna:20270315T140000\r\n" in body
    assert b"LOCATION:M3\\, Vienna International Centre\r\n" in body


def test_programme_feed_keeps_the_uid_and_raises_the_sequence_when_an_event_moves(client, events, rooms, slots, csu_officer, time_machine, now):
    before = vevents(parse(client.get(FEED)))[uid(events["hra"])]
    time_machine.move_to(now + timedelta(hours=2), tick=False)
    services.schedule_side_event(events["hra"], by=csu_officer, room=rooms["m7"], slot=slots[5])  # Wednesday 13:10
    after = vevents(parse(client.get(FEED)))[uid(events["hra"])]
    assert str(after["UID"]) == str(before["UID"]) == uid(events["hra"])
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (1, 2)
    assert (before["DTSTART"].dt, after["DTSTART"].dt) == (slots[1].starts_at, slots[5].starts_at)
    assert after["DTSTART"].dt == datetime(2027, 3, 17, 13, 10, tzinfo=VIENNA)
    assert str(after["LOCATION"]) == "M7, Vienna International Centre"
    assert (before["DTSTAMP"].dt, after["DTSTAMP"].dt) == (now, now + timedelta(hours=2))


def test_programme_feed_keeps_a_cancelled_event_as_cancelled(client, events, csu_officer):
    services.cancel_side_event(events["prn"], by=csu_officer, reason="The organizers cannot travel.")
    calendar = parse(client.get(FEED))
    assert list(vevents(calendar)) == [uid(events["yvn"]), uid(events["hra"]), uid(events["prn"])]
    vevent = vevents(calendar)[uid(events["prn"])]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 2  # placed, then cancelled
    assert str(vevent["SUMMARY"]) == "Cancelled: Alternatives to prison"
    assert str(vevent["DESCRIPTION"]).splitlines()[:2] == ["Lead organizer: Prison Reform Network", "This side event is cancelled."]
    # The page's programme no longer lists it.
    assert days(client.get(PROGRAMME)) == [("Monday 15 March 2027", ["Young people and drug policy", "Harm reduction behind bars"])]


def test_programme_feed_of_a_new_york_session_is_in_new_york_time(client, new_york_event):
    response = client.get("/sessions/cosp/11/programme.ics")
    calendar = parse(response)
    assert [str(timezone["TZID"]) for timezone in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    vevent = vevents(calendar)[uid(new_york_event)]
    assert vevent["DTSTART"].dt == datetime(2027, 3, 16, 0, 0, tzinfo=UTC) == reload(new_york_event).slot.starts_at
    assert vevent["DTSTART"].dt.tzinfo == NEW_YORK
    assert b"DTSTART;TZID=America/New_York:20270315T200000\r\n" in response.content
    assert str(vevent["LOCATION"]) == "Conference Room 6, United Nations Headquarters"
    assert response["Content-Disposition"] == 'inline; filename="cosp-11-side-events.ics"'


def test_programme_feed_without_events_still_describes_the_time_zone(client, cnd70):
    calendar = parse(client.get(FEED))
    assert [component.name for component in calendar.subcomponents] == ["VTIMEZONE"]
    assert str(calendar["X-WR-CALNAME"]) == "CND 70: side events"


def test_programme_feed_answers_not_modified_while_nothing_changed(client, events, csu_officer):
    etag = client.get(FEED)["ETag"]
    assert client.get(FEED, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.cancel_side_event(events["prn"], by=csu_officer, reason="The organizers cannot travel.")
    assert client.get(FEED, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_programme_feed_of_an_unknown_session_is_404(client, cnd70):
    assert client.get("/sessions/cnd/71/programme.ics").status_code == 404


# The session; the events and their themes, speakers and confirmed co-organizers. A feed never reads the
# signed-in person: the same for everyone.
@pytest.mark.parametrize(("who", "queries"), [("anonymous", 5), ("focal point", 5)])
def test_programme_feed_query_count_does_not_grow_with_events(
    client, cnd70, rooms, slots, focal_points, thematic_areas, django_assert_num_queries, who, queries
):
    if who == "focal point":
        client.force_login(focal_points["a"])
    themes = [thematic_areas["youth"]]
    add_programme(cnd70, [rooms["m3"], rooms["board"]], slots, 1, themes)
    with django_assert_num_queries(queries):
        assert len(vevents(parse(client.get(FEED)))) == 1
    add_programme(cnd70, [rooms["m3"], rooms["board"]], slots, 12, themes)
    with django_assert_num_queries(queries):
        assert len(vevents(parse(client.get(FEED)))) == 12


def test_event_file_holds_the_one_event(client, events, slots):
    event = reload(events["hra"])
    response = client.get(f"/events/{event.pk}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'inline; filename="side-event-{event.pk}.ics"'
    assert response["Cache-Control"] == "public, max-age=300"
    calendar = parse(response)
    assert str(calendar["X-WR-CALNAME"]) == "Harm reduction behind bars"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(timezone["TZID"]) for timezone in calendar.walk("VTIMEZONE")] == ["Europe/Vienna"]
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == uid(event)
    assert vevent["DTSTART"].dt == slots[1].starts_at
    assert vevent["SEQUENCE"] == 1
    assert str(vevent["SUMMARY"]) == "Harm reduction behind bars"
    # The same entry as in the session's feed, so that a calendar holding both sees one event.
    assert vevent.to_ical() == vevents(parse(client.get(FEED)))[uid(event)].to_ical()


def test_event_file_of_a_cancelled_event_says_cancelled(client, events, csu_officer):
    services.cancel_side_event(events["hra"], by=csu_officer, reason="The room is needed.")
    [vevent] = parse(client.get(f"/events/{events['hra'].pk}.ics")).walk("VEVENT")
    assert (str(vevent["STATUS"]), vevent["SEQUENCE"]) == ("CANCELLED", 2)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "csu"])
def test_feeds_are_the_same_for_everyone(client, events, outsider, csu_officer, who):
    expected = (client.get(FEED).content, client.get(f"/events/{events['hra'].pk}.ics").content)
    user = {"anonymous": None, "outsider": outsider, "csu": csu_officer}[who]
    if user is not None:
        sign_in(client, user)
    assert (client.get(FEED).content, client.get(f"/events/{events['hra'].pk}.ics").content) == expected

