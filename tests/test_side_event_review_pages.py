"""CSU's side of side events: the review queue, the decisions and their e-mails, the schedule grid and the rooms."""

import html
import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from events import services
from events.enums import CoOrganizerStatus, SideEventStatus
from events.models import CoOrganizer, Room, SideEvent, Slot, Speaker
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog
from sessions.models import Session
from tests.conftest import give_totp, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VIENNA = ZoneInfo("Europe/Vienna")
CND_70 = "70th session of the Commission on Narcotic Drugs"
VIC = "Vienna International Centre"
QUEUE = "/sessions/cnd/70/side-events/"
SCHEDULE = "/sessions/cnd/70/side-events/schedule/"
ROOMS = "/events/rooms/"
# Submission times, in UTC; the pages show them in Vienna time (CET, UTC+1, in winter).
DAY = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


# --- Helpers ---------------------------------------------------------------------------------


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(fragment: str) -> str:
    """A piece of HTML as the words a reader sees."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def shown_messages(response) -> list[str]:
    """The messages waiting after this response; they are then dropped, as the next page would show them."""
    found = [str(message) for message in get_messages(response.wsgi_request)]
    client = response.client
    if "messages" in client.cookies:
        del client.cookies["messages"]
    return found


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def buttons(fragment: str) -> list[str]:
    return [words(button) for button in re.findall(r"<button[^>]*>(.*?)</button>", fragment)]


def field_errors(response) -> dict[str, list[str]]:
    """The errors shown next to each field, by the field's id."""
    page = response.content.decode()
    return {
        field: [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", errors, re.S)]
        for field, errors in re.findall(r'<ul class="field-errors" id="([\w-]+)_error">(.*?)</ul>', page, re.S)
    }


def sign_in(client, user):
    """Sign in; CSU and coordinators get TOTP first, as staff pages need it."""
    if user.groups.exists() or user.coordinator_links.exists():
        give_totp(user)
    client.force_login(user)
    return user


def actions_on(target) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def reload(event) -> SideEvent:
    return SideEvent.objects.select_related("room", "slot").get(pk=event.pk)


def make_session(commission, number=70, title=CND_70, *, start=date(2027, 3, 15), venue=VIC) -> Session:
    # The side-event window is checked against the database's clock: open now, whatever the date.
    now = timezone.now()
    return Session.objects.create(
        commission=commission, number=number, title=title, start_date=start, end_date=start + timedelta(days=4), venue=venue,
        side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=30),
    )


def make_organization(name, acronym, slug, country="KE") -> Organization:
    return Organization.objects.create(name=name, acronym=acronym, slug=slug, headquarters_country=country, verification_state="verified")


def make_event(session, organization, title, status=SideEventStatus.SUBMITTED, *, submitted=DAY, audience=40, genders=("female", "male"), **extra) -> SideEvent:
    event = SideEvent.objects.create(
        session=session, lead_organization=organization, title=title, description=f"About {title}.", status=status,
        submitted_at=submitted, expected_audience=audience, **extra,
    )
    Speaker.objects.bulk_create(
        Speaker(event=event, name=f"Speaker {number}", gender=gender, country="KE", position=number) for number, gender in enumerate(genders)
    )
    return event


def make_slot(session, day: date, start: str, end: str) -> Slot:
    return Slot.objects.create(
        session=session,
        starts_at=datetime.combine(day, time.fromisoformat(start), tzinfo=session.tz),
        ends_at=datetime.combine(day, time.fromisoformat(end), tzinfo=session.tz),
    )


def decide(client, event, action, **data):
    return client.post(f"/events/applications/{event.pk}/decide/", {"action": action, **data})


def place(client, event, room, slot):
    return client.post(SCHEDULE, {"action": "place", "event": event.pk, "room": room.pk, "slot": slot.pk})


def application_address(event) -> str:
    return f"/events/applications/{event.pk}/"


@pytest.fixture
def session(commissions):
    return make_session(commissions["cnd"])


@pytest.fixture
def third_organization(db):
    return make_organization("Youth for Africa", "YFA", "yfa", "NG")


@pytest.fixture
def third_focal_point(third_organization):
    user = make_user("focal@yfa.test", full_name="Focal point of YFA")
    OrganizationMember.objects.create(organization=third_organization, user=user)
    return user


@pytest.fixture
def application(session, organizations, focal_points):
    """HRA leads a submitted application; PRN confirmed co-organizing it."""
    event = make_event(session, organizations["a"], "Harm reduction in prisons")
    CoOrganizer.objects.create(event=event, organization=organizations["b"], status=CoOrganizerStatus.CONFIRMED)
    return event


@pytest.fixture
def persona(client, csu_officer, coordinators, focal_points, outsider, third_focal_point):
    def as_persona(name: str):
        user = {
            "public": None,
            "outsider": outsider,
            "focal point of the lead organizer": focal_points["a"],
            "focal point of a co-organizer": focal_points["b"],
            "focal point of another organization": third_focal_point,
            "coordinator": coordinators["vngoc"],
            "csu": csu_officer,
        }[name]
        if user is not None:
            sign_in(client, user)
        return user

    return as_persona


# --- Who reaches which page ---------------------------------------------------------------------

PAGES = {"review queue": QUEUE, "schedule": SCHEDULE, "rooms": ROOMS}
NOT_FOUND, LOGIN_FIRST = "404", "login first"
CSU_SEES = {
    "review queue": f"page: Side-event applications for the {CND_70}",
    "schedule": f"page: Side-event schedule of the {CND_70}",
    "rooms": "page: Rooms for side events",
}
WHO = [
    "public", "outsider", "focal point of the lead organizer", "focal point of a co-organizer",
    "focal point of another organization", "coordinator", "csu",
]
EXPECTED = {
    who: CSU_SEES if who == "csu" else dict.fromkeys(PAGES, LOGIN_FIRST if who == "public" else NOT_FOUND) for who in WHO
}


def outcome(response) -> str:
    """What a person finds at an address: the page's heading, or where they are sent."""
    if response.status_code == 200:
        return "page: " + words(re.search(r"<h1[^>]*>(.*?)</h1>", text(response)).group(1))
    if response.status_code == 302 and response["Location"] == f"{LOGIN}?next={response.wsgi_request.path}":
        return LOGIN_FIRST
    return str(response.status_code)


@pytest.mark.parametrize("who", WHO)
def test_staff_pages_answer_each_role(client, persona, application, who):
    persona(who)

    found = {page: outcome(client.get(address)) for page, address in PAGES.items()}

    assert found == EXPECTED[who]


def test_staff_pages_of_an_unknown_session_are_not_found(client, session, csu_officer):
    sign_in(client, csu_officer)

    addresses = ["/sessions/cnd/71/side-events/", "/sessions/ccpcj/70/side-events/schedule/"]

    assert [client.get(address).status_code for address in addresses] == [404, 404]


def test_staff_pages_send_csu_without_totp_to_set_it_up(client, session, csu_officer):
    client.force_login(csu_officer)

    found = [client.get(address) for address in PAGES.values()]

    assert [(response.status_code, response["Location"]) for response in found] == [(302, "/accounts/2fa/totp/activate/")] * 3


POSTS = {
    "accept": lambda client, event, room, slot: decide(client, event, "accept"),
    "waitlist": lambda client, event, room, slot: decide(client, event, "waitlist", reason="Full."),
    "reject": lambda client, event, room, slot: decide(client, event, "reject", reason="No."),
    "return": lambda client, event, room, slot: decide(client, event, "return", reason="Add a speaker."),
    "cancel": lambda client, event, room, slot: decide(client, event, "cancel", reason="Room closed."),
    "place": lambda client, event, room, slot: place(client, event, room, slot),
    "slots": lambda client, event, room, slot: client.post(SCHEDULE, {"action": "slots", "times": "07:00-08:00"}),
    "add room": lambda client, event, room, slot: client.post(ROOMS, {"action": "add", "venue": VIC, "name": "M9", "capacity": "20"}),
    "change capacity": lambda client, event, room, slot: client.post(ROOMS, {"action": "capacity", "room": room.pk, "capacity": "5"}),
    "delete room": lambda client, event, room, slot: client.post(ROOMS, {"action": "delete", "room": room.pk}),
}


def state(event, room) -> tuple:
    event = reload(event)
    return (
        event.status, event.room_id, event.slot_id, event.sequence, Room.objects.filter(pk=room.pk).values_list("capacity", flat=True).first(),
        Room.objects.count(), Slot.objects.count(), ActivityLog.objects.count(),
    )


@pytest.mark.parametrize("action", list(POSTS))
@pytest.mark.parametrize("who", [who for who in WHO if who != "csu"])
def test_actions_by_anyone_but_csu_are_not_found_and_change_nothing(client, persona, application, action, who):
    # Submitted events can be accepted, waitlisted, rejected, returned; an accepted one cancelled and placed.
    event = application
    if action in ("cancel", "place"):
        SideEvent.objects.filter(pk=event.pk).update(status=SideEventStatus.ACCEPTED)
    room = Room.objects.create(venue=VIC, name="M1", capacity=80)
    slot = make_slot(event.session, date(2027, 3, 15), "13:10", "14:00")
    before = state(event, room)
    persona(who)

    response = POSTS[action](client, event, room, slot)

    expected = f"{LOGIN}?next={response.wsgi_request.path}" if who == "public" else None
    assert (response.status_code, response.get("Location")) == ((302, expected) if who == "public" else (404, None))
    assert state(event, room) == before


def test_decide_refuses_get_an_unknown_action_or_event(client, application, csu_officer):
    sign_in(client, csu_officer)

    found = [
        client.get(f"/events/applications/{application.pk}/decide/").status_code,
        decide(client, application, "approve").status_code,
        client.post("/events/applications/999999/decide/", {"action": "accept"}).status_code,
    ]

    assert found == [405, 404, 404]
    assert reload(application).status == SideEventStatus.SUBMITTED


def test_unknown_schedule_or_room_action_is_not_found(client, session, csu_officer):
    sign_in(client, csu_officer)

    found = [
        client.post(SCHEDULE, {"action": "shuffle"}).status_code,
        client.post(SCHEDULE, {"action": "place", "event": "999999"}).status_code,
        client.post(SCHEDULE, {"action": "place", "event": "x"}).status_code,
        client.post(ROOMS, {"action": "paint"}).status_code,
        client.post(ROOMS, {"action": "delete", "room": "999999"}).status_code,
    ]

    assert found == [404] * 5


# --- The review queue ---------------------------------------------------------------------------------


def queue_rows(response) -> list[list[str]]:
    body = section(text(response), '<table class="side-event-queue">', "</table>")
    return [
        [words(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", section(body, "<tbody>", "</tbody>"))
    ]


def status_counts(response) -> str:
    return words(re.search(r'<p class="status-counts">(.*?)</p>', text(response)).group(1))


@pytest.fixture
def queue(session, commissions, organizations):
    """Six applications of the CND 70, created in another order than submitted, plus what never reaches the queue."""
    other = {
        slug: make_organization(name, slug.upper(), slug, country)
        for slug, name, country in [
            ("dpi", "Drug Policy India", "IN"), ("yfa", "Youth for Africa", "NG"), ("rsn", "Recovery Support Network", "BR"),
            ("mhp", "Mothers for Harm Prevention", "IN"), ("dft", "Draft Only", "KE"), ("wdr", "Withdrawn Draft", "KE"),
        ]
    }
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    slot = make_slot(session, date(2027, 3, 16), "13:10", "14:00")
    made = {
        "prn": make_event(session, organizations["b"], "Prisons and health", submitted=DAY + timedelta(hours=5), format="hybrid", online_link="https://meet.example/prn", audience=60, genders=("male", "male", "male")),
        "dpi": make_event(session, other["dpi"], "Opioid agonist therapy", SideEventStatus.ACCEPTED, submitted=DAY + timedelta(days=2), room=room, slot=slot, audience=120, genders=("female", "female", "male", "other")),
        "hra": make_event(session, organizations["a"], "Harm reduction in prisons", submitted=DAY, genders=("female",)),
        "yfa": make_event(session, other["yfa"], "Youth voices", SideEventStatus.WAITLISTED, submitted=DAY + timedelta(days=1), format="online", online_link="https://meet.example/yfa", genders=()),
        "rsn": make_event(session, other["rsn"], "Recovery and work", SideEventStatus.RETURNED, submitted=DAY + timedelta(hours=5, minutes=1)),
        "mhp": make_event(session, other["mhp"], "Mothers speak", SideEventStatus.REJECTED, submitted=DAY + timedelta(days=3), genders=("female", "female", "female", "male", "male")),
    }
    make_event(session, other["dft"], "Still a draft", SideEventStatus.DRAFT, submitted=None)
    make_event(session, other["wdr"], "Withdrawn before sending", SideEventStatus.WITHDRAWN, submitted=None)
    make_event(make_session(commissions["ccpcj"], 36, "36th session of the CCPCJ"), organizations["a"], "Another session's event")
    return made


QUEUE_ROWS = [
    ["1", "Harm reduction in prisons", "10 Jan 2027, 10:00", "Harm Reduction Alliance (HRA)", "In person", "40", "1", "Not balanced 1 woman, 0 men", "Submitted", "—"],
    ["2", "Prisons and health", "10 Jan 2027, 15:00", "Prison Reform Network (PRN)", "Hybrid", "60", "3", "Not balanced 0 women, 3 men", "Submitted", "—"],
    ["3", "Recovery and work", "10 Jan 2027, 15:01", "Recovery Support Network (RSN)", "In person", "40", "2", "Balanced 1 woman, 1 man", "Returned for changes", "—"],
    ["4", "Youth voices", "11 Jan 2027, 10:00", "Youth for Africa (YFA)", "Online", "40", "0", "—", "Waitlisted", "—"],
    ["5", "Opioid agonist therapy", "12 Jan 2027, 10:00", "Drug Policy India (DPI)", "In person", "120", "4", "Balanced 2 women, 1 man, 1 other", "Accepted", "Conference Room M1, Tue 16 Mar, 13:10–14:00"],
    ["6", "Mothers speak", "13 Jan 2027, 10:00", "Mothers for Harm Prevention (MHP)", "In person", "40", "5", "Balanced 3 women, 2 men", "Rejected", "—"],
]


def test_review_queue_lists_applications_first_come_first_served(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE)

    assert queue_rows(response) == QUEUE_ROWS
    assert status_counts(response) == "6 applications: Submitted 2 · Returned for changes 1 · Waitlisted 1 · Accepted 1 · Rejected 1"
    page = text(response)
    assert [f'<a href="{application_address(queue[key])}">' in page for key in ("hra", "prn", "rsn", "yfa", "dpi", "mhp")] == [True] * 6
    assert '<a href="/sessions/cnd/70/side-events/schedule/">Open the schedule grid</a>' in page
    assert '<a href="/events/rooms/">Rooms and capacities</a>' in page
    assert "6 applications shown" in page


@pytest.mark.parametrize(
    "status, numbers",
    [("submitted", ["1", "2"]), ("accepted", ["5"]), ("rejected", ["6"]), ("returned", ["3"]), ("waitlisted", ["4"])],
)
def test_review_queue_filters_by_status_and_keeps_each_applications_number(client, queue, csu_officer, status, numbers):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"status": status})

    assert [row[0] for row in queue_rows(response)] == numbers
    assert [row for row in QUEUE_ROWS if row[0] in numbers] == queue_rows(response)
    assert f'<a href="?status={status}" aria-current="true">' in text(response)


def test_review_queue_with_a_status_nobody_has_says_so(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"status": "cancelled"})

    page = text(response)
    assert "0 applications shown" in page
    assert '<p class="empty-state">No application has this status.</p>' in page
    assert '<table class="side-event-queue">' not in page


def test_review_queue_with_an_invalid_filter_says_so_and_shows_every_application(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"status": "draft"})

    assert field_errors(response) == {"id_status": ["Select a valid choice. draft is not one of the available choices."]}
    assert [row[0] for row in queue_rows(response)] == ["1", "2", "3", "4", "5", "6"]


def test_review_queue_without_applications_says_so(client, session, organizations, csu_officer):
    make_event(session, organizations["a"], "Still a draft", SideEventStatus.DRAFT, submitted=None)
    sign_in(client, csu_officer)

    response = client.get(QUEUE)

    page = text(response)
    assert '<p class="empty-state">No side-event application has been submitted for this session yet.</p>' in page
    assert "status-counts" not in page
    assert '<a href="/sessions/cnd/70/side-events/schedule/">Open the schedule grid</a>' in page


def test_review_queue_shows_times_in_the_sessions_time_zone(client, commissions, organizations, csu_officer):
    session = make_session(commissions["cnd"], 70, CND_70, venue="United Nations Headquarters")
    Session.objects.filter(pk=session.pk).update(time_zone="America/New_York")
    make_event(session, organizations["a"], "Late in Vienna", submitted=datetime(2027, 1, 10, 3, 30, tzinfo=UTC))
    sign_in(client, csu_officer)

    response = client.get(QUEUE)

    assert queue_rows(response)[0][2] == "9 Jan 2027, 22:30"


def add_applications(session, count, *, first=0):
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Organization {n}", slug=f"org-{n}", headquarters_country="KE", verification_state="verified")
        for n in range(first, first + count)
    )
    events = SideEvent.objects.bulk_create(
        SideEvent(session=session, lead_organization=organization, title=f"Event {n}", description=".", status=SideEventStatus.SUBMITTED, submitted_at=DAY + timedelta(minutes=n))
        for n, organization in enumerate(organizations, start=first)
    )
    Speaker.objects.bulk_create(
        Speaker(event=event, name=f"Speaker {k}", gender=("female", "male", "other")[k], country="KE", position=k)
        for event in events
        for k in range(3)
    )


# the login session with the user, its roles and MFA (portal.login_sessions), the session, the page's count,
# the page's rows (with their number and speakers counted in SQL), the counts per status
QUEUE_QUERIES = 5


def test_review_queue_query_count_does_not_grow_with_applications(client, session, csu_officer, django_assert_num_queries):
    add_applications(session, 1)
    sign_in(client, csu_officer)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert len(queue_rows(response)) == 1
    add_applications(session, 79, first=1)

    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)

    rows = queue_rows(response)
    assert (len(rows), rows[0][0], rows[-1][0]) == (50, "1", "50")
    assert {row[7] for row in rows} == {"Balanced 1 woman, 1 man, 1 other"}
    assert status_counts(response) == "80 applications: Submitted 80"
    second = queue_rows(client.get(QUEUE, {"page": 2}))
    assert (len(second), second[0][0], second[-1][0]) == (30, "51", "80")



# --- Decisions --------------------------------------------------------------------------------------------


DECIDED = {
    "accept": (
        "accepted", "accepted",
        "The side event “Harm reduction in prisons” is accepted. The focal points of Harm Reduction Alliance (HRA) and "
        "Prison Reform Network (PRN) are told by e-mail. Place it in a room and slot on the schedule.",
    ),
    "waitlist": (
        "waitlisted", "on the waiting list",
        "The side event “Harm reduction in prisons” is on the waiting list. The focal points of Harm Reduction Alliance "
        "(HRA) and Prison Reform Network (PRN) are told by e-mail, with your reason.",
    ),
    "reject": (
        "rejected", "not accepted",
        "The side event “Harm reduction in prisons” is not accepted. The focal points of Harm Reduction Alliance (HRA) and "
        "Prison Reform Network (PRN) are told by e-mail, with your reason.",
    ),
    "return": (
        "returned", "returned for changes",
        "The side event “Harm reduction in prisons” is returned for changes. The focal points of Harm Reduction Alliance "
        "(HRA) and Prison Reform Network (PRN) are told by e-mail, with your reason; once they submit it again it keeps "
        "its place in the queue.",
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", list(DECIDED))
def test_csu_decides_and_the_lead_and_confirmed_co_organizers_are_emailed(client, commissions, organizations, focal_points, csu_officer, action):
    session = make_session(commissions["cnd"])
    event = make_event(session, organizations["a"], "Harm reduction in prisons")
    CoOrganizer.objects.create(event=event, organization=organizations["b"], status=CoOrganizerStatus.CONFIRMED)
    pending = make_organization("Youth for Africa", "YFA", "yfa", "NG")
    CoOrganizer.objects.create(event=event, organization=pending)
    OrganizationMember.objects.create(organization=pending, user=make_user("focal@yfa.test"))
    colleague = make_user("colleague@hra.test")
    OrganizationMember.objects.create(organization=organizations["a"], user=colleague)
    sign_in(client, csu_officer)
    mail.outbox.clear()
    status, subject, message = DECIDED[action]

    response = decide(client, event, action, reason="  Thank you for applying.  ")

    assert (response.status_code, response["Location"]) == (302, application_address(event))
    assert shown_messages(response) == [message]
    event = reload(event)
    assert (event.status, event.reason, event.decided_by, event.sequence) == (status, "Thank you for applying.", csu_officer, 0)
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        (address, f"Side event “Harm reduction in prisons”: {subject}")
        for address in ["colleague@hra.test", "focal@hra.test", "focal@prn.test"]
    ]
    # An acceptance carries a note; the other decisions a reason.
    assert f"{'Note' if action == 'accept' else 'Reason'}: Thank you for applying." in mail.outbox[0].body
    assert actions_on(event) == [f"events.side_event.{status}"]


def test_accept_without_a_note_is_fine(client, application, csu_officer):
    sign_in(client, csu_officer)

    decide(client, application, "accept")

    assert (reload(application).status, reload(application).reason) == ("accepted", "")


@pytest.mark.parametrize("action", ["waitlist", "reject", "return", "cancel"])
def test_decision_without_a_reason_is_refused_and_keeps_the_draft(client, application, csu_officer, action):
    if action == "cancel":
        SideEvent.objects.filter(pk=application.pk).update(status=SideEventStatus.ACCEPTED)
    before = reload(application).status
    sign_in(client, csu_officer)

    response = decide(client, application, action, reason="   ")

    assert (response.status_code, response["Location"]) == (302, application_address(application))
    assert shown_messages(response) == ["Give a reason: it is e-mailed to the organizers."]
    assert reload(application).status == before
    assert client.session["side_event_decision_draft"] == {
        "event": application.pk, "action": action, "reason": "   ", "errors": {"reason": ["Give a reason: it is e-mailed to the organizers."]},
    }
    assert ActivityLog.objects.count() == 0


def test_too_long_a_reason_is_refused_by_the_form(client, application, csu_officer):
    sign_in(client, csu_officer)

    response = decide(client, application, "reject", reason="x" * 2001)

    assert shown_messages(response) == ["Reason: Ensure this value has at most 2000 characters (it has 2001)."]
    assert reload(application).status == "submitted"
    assert client.session["side_event_decision_draft"]["errors"] == {"reason": ["Ensure this value has at most 2000 characters (it has 2001)."]}


def test_stale_decision_says_who_decided_first_and_changes_nothing(client, application, csu_officer):
    colleague = make_user("colleague@unodc.test", full_name="Colm Colleague")
    colleague.groups.add(*csu_officer.groups.all())
    services.review_side_event(application, "reject", by=colleague, reason="Too late.")
    decided_at = timezone.localtime(reload(application).decided_at)
    sign_in(client, csu_officer)

    response = decide(client, application, "accept")

    assert shown_messages(response) == [
        f"Colm Colleague already decided on {decided_at:%-d %B %Y, %H:%M}. The application's status is now: Rejected. Nothing else was changed."
    ]
    assert (reload(application).status, reload(application).decided_by) == ("rejected", colleague)


def test_waitlisted_application_can_be_accepted_but_not_returned(client, application, csu_officer):
    sign_in(client, csu_officer)
    shown_messages(decide(client, application, "waitlist", reason="The rooms are full for now."))

    decided_at = timezone.localtime(reload(application).decided_at)

    refused = shown_messages(decide(client, application, "return", reason="Change it."))
    accepted = shown_messages(decide(client, application, "accept"))

    assert refused == [
        f"Clara Officer already decided on {decided_at:%-d %B %Y, %H:%M}. The application's status is now: Waitlisted. Nothing else was changed."
    ]
    assert accepted[0].startswith("The side event “Harm reduction in prisons” is accepted.")
    assert actions_on(application) == ["events.side_event.waitlisted", "events.side_event.accepted"]


def test_successful_decision_drops_an_earlier_draft(client, application, csu_officer):
    sign_in(client, csu_officer)
    decide(client, application, "reject", reason="")

    decide(client, application, "accept")

    assert "side_event_decision_draft" not in client.session


def test_returned_application_keeps_its_place_in_the_queue_when_submitted_again(client, queue, focal_points, csu_officer):
    sign_in(client, csu_officer)
    decide(client, queue["hra"], "return", reason="Name a second speaker.")

    services.submit_side_event(queue["hra"], by=focal_points["a"])

    assert (reload(queue["hra"]).status, reload(queue["hra"]).submitted_at) == ("submitted", DAY)
    rows = queue_rows(client.get(QUEUE))
    assert [row[:2] + row[8:9] for row in rows[:2]] == [
        ["1", "Harm reduction in prisons", "Submitted"], ["2", "Prisons and health", "Submitted"]
    ]
    assert actions_on(queue["hra"]) == ["events.side_event.returned", "events.side_event.submitted"]


# --- The review panel --------------------------------------------------------------------------------------


def render_panel(client, event, user):
    """The panel as the application page includes it, with the client's session (and its draft, if any)."""
    request = RequestFactory().get(application_address(event))
    request.session = client.session
    request.user = user
    page = render_to_string("events/_review_panel.html", {"event": event, "user": user}, request=request)
    request.session.save()  # as the session middleware would after the response
    return re.sub(r"\s+", " ", page), request.session


def form_actions(panel: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="action" value="([a-z]+)">', panel)


PANELS = {
    "submitted": (["accept", "waitlist", "return", "reject"], ["Accept the side event", "Put the side event on the waiting list", "Return the application for changes", "Reject the side event"]),
    "waitlisted": (["accept", "reject"], ["Accept the side event", "Reject the side event"]),
    "accepted": (["cancel"], ["Cancel the side event"]),
    "returned": ([], []),
    "rejected": ([], []),
    "cancelled": ([], []),
}


@pytest.mark.parametrize("status", list(PANELS))
def test_panel_offers_the_decisions_open_in_each_status(client, application, csu_officer, status):
    application.status = status

    panel, _session = render_panel(client, application, csu_officer)

    assert (form_actions(panel), buttons(panel)) == PANELS[status]
    assert panel.count(f'action="/events/applications/{application.pk}/decide/"') == len(PANELS[status][0])
    if not PANELS[status][0]:
        assert f"No decision is open on this application. Its status: {application.get_status_display()}." in words(panel)


def test_panel_labels_which_reasons_are_required(client, application, csu_officer):
    panel, _session = render_panel(client, application, csu_officer)

    labels = [words(label) for label in re.findall(r'<label for="decision-\w+-reason">(.*?)</label>', panel)]
    assert labels == [
        "Note to the organizers (optional)", "Reason, e-mailed to the organizers", "What to change, e-mailed to the organizers",
        "Reason for not accepting it, e-mailed to the organizers",
    ]
    assert '<textarea name="reason" id="decision-accept-reason" rows="3" maxlength="2000"></textarea>' in panel
    assert '<textarea name="reason" id="decision-reject-reason" rows="3" maxlength="2000" required></textarea>' in panel


def test_panel_of_an_accepted_event_links_to_the_schedule_and_says_where_it_is(client, application, csu_officer):
    application.status = SideEventStatus.ACCEPTED
    unplaced, _session = render_panel(client, application, csu_officer)
    application.room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    application.slot = make_slot(application.session, date(2027, 3, 16), "13:10", "14:00")

    placed, _session = render_panel(client, application, csu_officer)

    link = f'<a href="/sessions/cnd/70/side-events/schedule/#event-{application.pk}">'
    assert "Not placed in a room and slot yet." in words(unplaced)
    assert f"{link}Schedule it</a>" in unplaced
    assert "Scheduled in Conference Room M1 on Tuesday 16 March 2027, 13:10–14:00 (Vienna time)." in words(placed)
    assert f"{link}Move it on the schedule</a>" in placed


@pytest.mark.parametrize("who", ["outsider", "focal point of the lead organizer", "coordinator"])
def test_panel_offers_nothing_to_anyone_but_csu(client, persona, application, who):
    user = persona(who)

    panel, _session = render_panel(client, application, user)

    assert form_actions(panel) == []


def test_panel_shows_a_refused_decision_again_once_with_its_error(client, application, csu_officer):
    sign_in(client, csu_officer)
    decide(client, application, "return", reason="")
    decide(client, application, "return", reason="<Add> " + "x" * 1996)

    panel, session_after = render_panel(client, application, csu_officer)

    returned = section(panel, 'value="return"', "</form>")
    assert (
        '<textarea name="reason" id="decision-return-reason" rows="3" maxlength="2000" required aria-invalid="true" '
        f'aria-describedby="decision-return-reason_error">&lt;Add&gt; {"x" * 1996}</textarea>'
    ) in returned
    assert words(re.search(r'<ul class="field-errors" id="decision-return-reason_error">(.*?)</ul>', returned).group(1)) == (
        "Ensure this value has at most 2000 characters (it has 2002)."
    )
    # The other forms stay empty; the draft is gone once shown.
    assert '<textarea name="reason" id="decision-reject-reason" rows="3" maxlength="2000" required></textarea>' in panel
    assert "side_event_decision_draft" not in session_after
    assert "form-field-invalid" not in render_panel(client, application, csu_officer)[0]


def test_panel_ignores_the_draft_of_another_application(client, queue, csu_officer):
    sign_in(client, csu_officer)
    decide(client, queue["prn"], "reject", reason="")

    panel, session_after = render_panel(client, queue["hra"], csu_officer)

    assert "form-field-invalid" not in panel
    assert session_after["side_event_decision_draft"]["event"] == queue["prn"].pk


# --- The schedule grid ----------------------------------------------------------------------------------


def grid(response) -> list[tuple[str, list[str], list[list[str]]]]:
    """Each day's table: its caption, its column headings, and each row's cells as words."""
    tables = []
    for table in re.findall(r'<table class="schedule-grid">(.*?)</table>', text(response)):
        caption = words(re.search(r"<caption>(.*?)</caption>", table).group(1))
        heads = [words(head) for head in re.findall(r'<th scope="col">(.*?)</th>', table)]
        body = section(table, "<tbody>", "</tbody>")
        rows = [[words(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)] for row in re.findall(r"<tr>(.*?)</tr>", body)]
        tables.append((caption, heads, rows))
    return tables


def placement_forms(response, heading_id: str) -> list[tuple[str, str]]:
    """The events offered in one section of the page, with their form's button."""
    part = section(text(response), f'id="{heading_id}"', "</section>")
    return [
        (words(title), words(button))
        for title, button in re.findall(r'<h3 id="event-\d+-heading">(.*?)</h3>.*?<button type="submit">(.*?)</button>', part)
    ]


@pytest.fixture
def grid_setup(session, organizations, third_organization, commissions):
    """Two rooms at the VIC (and one elsewhere), slots on two days, three accepted events: one placed over capacity."""
    rooms = {
        "m1": Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80),
        "m2": Room.objects.create(venue=VIC, name="Boardroom B", capacity=150),
        "ny": Room.objects.create(venue="United Nations Headquarters", name="Conference Room 4", capacity=300),
    }
    slots = {
        "mon-lunch": make_slot(session, date(2027, 3, 15), "13:10", "14:00"),
        "mon-morning": make_slot(session, date(2027, 3, 15), "08:10", "09:00"),
        "tue-lunch": make_slot(session, date(2027, 3, 16), "13:10", "14:00"),
    }
    events = {
        "hra": make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED, audience=120, room=rooms["m1"], slot=slots["mon-lunch"]),
        "prn": make_event(session, organizations["b"], "Prisons and health", SideEventStatus.ACCEPTED, submitted=DAY + timedelta(hours=1), audience=60),
        "yfa": make_event(session, third_organization, "Youth voices", SideEventStatus.ACCEPTED, submitted=DAY + timedelta(hours=2), audience=30),
    }
    dpi = make_organization("Drug Policy India", "DPI", "dpi", "IN")
    make_event(session, dpi, "Only submitted", submitted=DAY + timedelta(hours=3))
    cancelled = make_organization("Cancelled Org", "CO", "co")
    make_event(session, cancelled, "Called off", SideEventStatus.CANCELLED, room=rooms["m2"], slot=slots["tue-lunch"])
    return rooms, slots, events


def test_schedule_grid_shows_each_day_with_rooms_slots_and_placed_events(client, grid_setup, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(SCHEDULE)

    heads = ["Time", "Boardroom B 150 seats", "Conference Room M1 80 seats"]
    assert grid(response) == [
        ("Monday 15 March 2027", heads, [
            ["08:10–09:00", "Free", "Free"],
            ["13:10–14:00", "Free", "Harm reduction in prisons Harm Reduction Alliance (HRA) Audience 120 Over capacity: 120 expected, 80 seats"],
        ]),
        ("Tuesday 16 March 2027", heads, [["13:10–14:00", "Free", "Free"]]),
    ]
    assert placement_forms(response, "unplaced-heading") == [("Prisons and health", "Place the event"), ("Youth voices", "Place the event")]
    assert placement_forms(response, "placed-heading") == [("Harm reduction in prisons", "Move the event")]
    page = text(response)
    assert "Rooms at Vienna International Centre; times in Vienna time." in words(page)
    # The select of rooms offers the venue's rooms only; the slots are in Vienna time.
    prn = section(page, f'id="event-{grid_setup[2]["prn"].pk}"', "</article>")
    assert [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", prn)] == [
        "Choose a room", "Boardroom B (150 seats)", "Conference Room M1 (80 seats)",
        "Choose a slot", "Mon 15 Mar, 08:10–09:00", "Mon 15 Mar, 13:10–14:00", "Tue 16 Mar, 13:10–14:00",
    ]
    # A placed event's form starts from where it is.
    hra = section(page, f'id="event-{grid_setup[2]["hra"].pk}"', "</article>")
    assert f'<option value="{grid_setup[0]["m1"].pk}" selected>' in hra
    assert f'<option value="{grid_setup[1]["mon-lunch"].pk}" selected>' in hra
    assert field_errors(response) == {}
    assert '<input type="text" name="times" value="08:10-09:00, 13:10-14:00"' in page


def test_schedule_grid_without_rooms_or_slots_says_what_to_do(client, session, organizations, csu_officer):
    make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED)
    sign_in(client, csu_officer)

    response = client.get(SCHEDULE)

    page = text(response)
    assert grid(response) == []
    assert "No room at Vienna International Centre yet. Add the venue’s rooms" in words(page)
    assert "No slots yet: lay out the slots of each day below." in words(page)
    assert "<select name=\"room\"" not in page
    assert placement_forms(response, "unplaced-heading") == []
    assert '<input type="text" name="times" value="08:10-09:00, 13:10-14:00, 18:10-19:00"' in page
    assert "The grid has 0 slots." in words(page)


@pytest.mark.django_db(transaction=True)
def test_csu_places_an_event_and_the_organizers_are_emailed(client, commissions, organizations, focal_points, csu_officer):
    session = make_session(commissions["cnd"])
    event = make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED, audience=60)
    CoOrganizer.objects.create(event=event, organization=organizations["b"], status=CoOrganizerStatus.CONFIRMED)
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    slot = make_slot(session, date(2027, 3, 16), "13:10", "14:00")
    sign_in(client, csu_officer)
    mail.outbox.clear()

    response = place(client, event, room, slot)

    assert (response.status_code, response["Location"]) == (302, SCHEDULE)
    assert shown_messages(response) == [
        "“Harm reduction in prisons” is placed in Conference Room M1 on Tue 16 Mar, 13:10–14:00. The focal points of "
        "Harm Reduction Alliance (HRA) and Prison Reform Network (PRN) are told by e-mail."
    ]
    event = reload(event)
    assert (event.room, event.slot, event.sequence, event.status) == (room, slot, 1, "accepted")
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("focal@hra.test", "Side event “Harm reduction in prisons”: room and time set"),
        ("focal@prn.test", "Side event “Harm reduction in prisons”: room and time set"),
    ]
    assert "takes place in Conference Room M1 on Tuesday 16 March 2027, 13:10–14:00 (Vienna time)." in mail.outbox[0].body
    assert actions_on(event) == ["events.side_event.scheduled"]
    cells = grid(client.get(SCHEDULE))[0][2]
    assert cells == [["13:10–14:00", "Harm reduction in prisons Harm Reduction Alliance (HRA) Audience 60"]]


@pytest.mark.django_db(transaction=True)
def test_csu_moves_an_event_its_sequence_grows_and_the_organizers_are_emailed(client, commissions, organizations, focal_points, csu_officer):
    session = make_session(commissions["cnd"])
    event = make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED, audience=60)
    m1 = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    m2 = Room.objects.create(venue=VIC, name="Boardroom B", capacity=150)
    monday = make_slot(session, date(2027, 3, 15), "13:10", "14:00")
    friday = make_slot(session, date(2027, 3, 19), "18:10", "19:00")
    sign_in(client, csu_officer)
    shown_messages(place(client, event, m1, monday))
    mail.outbox.clear()

    response = place(client, event, m2, friday)

    assert shown_messages(response) == [
        "“Harm reduction in prisons” is moved to Boardroom B on Fri 19 Mar, 18:10–19:00. The focal points of Harm "
        "Reduction Alliance (HRA) are told by e-mail."
    ]
    event = reload(event)
    assert (event.room, event.slot, event.sequence) == (m2, friday, 2)
    assert [(message.to[0], message.subject) for message in mail.outbox] == [
        ("focal@hra.test", "Side event “Harm reduction in prisons”: moved to a new room or time")
    ]
    assert actions_on(event) == ["events.side_event.scheduled", "events.side_event.rescheduled"]
    moved = ActivityLog.objects.get(action="events.side_event.rescheduled")
    assert (moved.old_values, moved.new_values) == (
        {"room": "Conference Room M1", "slot": "Mon 15 Mar, 13:10–14:00"}, {"room": "Boardroom B", "slot": "Fri 19 Mar, 18:10–19:00"}
    )


def test_placing_an_event_where_it_already_is_changes_nothing(client, grid_setup, csu_officer):
    rooms, slots, events = grid_setup
    sign_in(client, csu_officer)

    response = place(client, events["hra"], rooms["m1"], slots["mon-lunch"])

    assert shown_messages(response) == [
        "“Harm reduction in prisons” is already in Conference Room M1 on Mon 15 Mar, 13:10–14:00; nothing was changed.",
        "Conference Room M1 may be too small for “Harm reduction in prisons”: expected audience 120, room capacity 80. The placement stands.",
    ]
    assert (reload(events["hra"]).sequence, ActivityLog.objects.count()) == (0, 0)


def test_placing_an_event_in_too_small_a_room_warns_but_the_placement_stands(client, grid_setup, csu_officer):
    rooms, slots, events = grid_setup
    SideEvent.objects.filter(pk=events["prn"].pk).update(expected_audience=200)
    sign_in(client, csu_officer)

    response = place(client, events["prn"], rooms["m2"], slots["tue-lunch"])

    assert shown_messages(response) == [
        "“Prisons and health” is placed in Boardroom B on Tue 16 Mar, 13:10–14:00. The focal points of Prison Reform "
        "Network (PRN) are told by e-mail.",
        "Boardroom B may be too small for “Prisons and health”: expected audience 200, room capacity 150. The placement stands.",
    ]
    prn = reload(events["prn"])
    assert (prn.room, prn.slot, prn.sequence) == (rooms["m2"], slots["tue-lunch"], 1)
    tuesday = grid(client.get(SCHEDULE))[1]
    assert tuesday[2] == [
        ["13:10–14:00", "Prisons and health Prison Reform Network (PRN) Audience 200 Over capacity: 200 expected, 150 seats", "Free"]
    ]


def test_a_second_event_in_the_same_room_and_slot_is_refused_and_nothing_changes(client, grid_setup, csu_officer):
    rooms, slots, events = grid_setup
    sign_in(client, csu_officer)

    response = place(client, events["prn"], rooms["m1"], slots["mon-lunch"])

    assert (response.status_code, response["Location"]) == (302, f"{SCHEDULE}#event-{events['prn'].pk}")
    assert shown_messages(response) == [
        "Conference Room M1 is already taken at Mon 15 Mar, 13:10–14:00 by “Harm reduction in prisons”. Choose another room or slot."
    ]
    prn = reload(events["prn"])
    assert (prn.room, prn.slot, prn.sequence) == (None, None, 0)
    assert (reload(events["hra"]).room, reload(events["hra"]).sequence) == (rooms["m1"], 0)
    assert ActivityLog.objects.count() == 0


def test_placement_without_a_room_or_slot_is_shown_next_to_the_fields(client, grid_setup, csu_officer):
    rooms, slots, events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(SCHEDULE, {"action": "place", "event": events["prn"].pk, "room": "", "slot": "999999"})

    assert response.status_code == 200
    prn = events["prn"].pk
    assert field_errors(response) == {
        f"event-{prn}-room": ["Choose a room."],
        f"event-{prn}-slot": ["Select a valid choice. 999999 is not one of the available choices."],
    }
    assert reload(events["prn"]).slot is None


def test_a_room_of_another_venue_cannot_be_chosen(client, grid_setup, csu_officer):
    rooms, slots, events = grid_setup
    sign_in(client, csu_officer)

    response = place(client, events["prn"], rooms["ny"], slots["tue-lunch"])

    assert field_errors(response) == {
        f"event-{events['prn'].pk}-room": [f"Select a valid choice. {rooms['ny'].pk} is not one of the available choices."]
    }
    assert reload(events["prn"]).slot is None


def test_only_an_accepted_event_can_be_placed(client, grid_setup, csu_officer):
    rooms, slots, _events = grid_setup
    submitted = SideEvent.objects.get(title="Only submitted")
    sign_in(client, csu_officer)

    response = place(client, submitted, rooms["m2"], slots["tue-lunch"])

    assert shown_messages(response) == ["Only an accepted event can be scheduled. Its status: Submitted."]
    assert reload(submitted).slot is None


def test_an_event_of_another_session_is_not_found_on_this_grid(client, grid_setup, commissions, organizations, csu_officer):
    rooms, slots, _events = grid_setup
    elsewhere = make_event(make_session(commissions["ccpcj"], 36, "36th session of the CCPCJ"), organizations["a"], "Elsewhere", SideEventStatus.ACCEPTED)
    sign_in(client, csu_officer)

    response = place(client, elsewhere, rooms["m2"], slots["tue-lunch"])

    assert response.status_code == 404
    assert reload(elsewhere).slot is None


@pytest.mark.django_db(transaction=True)
def test_cancelling_keeps_the_event_as_cancelled_and_frees_its_room_and_slot(client, commissions, organizations, focal_points, csu_officer):
    session = make_session(commissions["cnd"])
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    slot = make_slot(session, date(2027, 3, 16), "13:10", "14:00")
    first = make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED, room=room, slot=slot, sequence=1)
    second = make_event(session, organizations["b"], "Prisons and health", SideEventStatus.ACCEPTED)
    sign_in(client, csu_officer)
    mail.outbox.clear()

    cancelled = shown_messages(decide(client, first, "cancel", reason="The speakers cannot travel."))
    placed = shown_messages(place(client, second, room, slot))

    assert cancelled == [
        "The side event “Harm reduction in prisons” is cancelled and its room and slot are free again. The focal points of "
        "Harm Reduction Alliance (HRA) are told by e-mail, with your reason; the programme and the calendar feeds show it as cancelled."
    ]
    first = reload(first)
    assert (first.status, first.room, first.slot, first.sequence, first.reason) == ("cancelled", room, slot, 2, "The speakers cannot travel.")
    assert placed[0].startswith("“Prisons and health” is placed in Conference Room M1 on Tue 16 Mar, 13:10–14:00.")
    assert (reload(second).room, reload(second).slot) == (room, slot)
    assert [(message.to[0], message.subject) for message in mail.outbox] == [
        ("focal@hra.test", "Side event “Harm reduction in prisons”: cancelled"),
        ("focal@prn.test", "Side event “Prisons and health”: room and time set"),
    ]
    assert "Reason: The speakers cannot travel." in mail.outbox[0].body
    assert actions_on(first) == ["events.side_event.cancelled"]
    assert grid(client.get(SCHEDULE))[0][2] == [["13:10–14:00", "Prisons and health Prison Reform Network (PRN) Audience 40"]]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent placement needs PostgreSQL's row locks and unique index")
@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_in_one_room_and_slot_let_exactly_one_through(commissions, organizations, csu_officer):
    session = make_session(commissions["cnd"])
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    slot = make_slot(session, date(2027, 3, 16), "13:10", "14:00")
    events = [
        make_event(session, organizations["a"], "Harm reduction in prisons", SideEventStatus.ACCEPTED),
        make_event(session, organizations["b"], "Prisons and health", SideEventStatus.ACCEPTED),
    ]
    barrier = threading.Barrier(2)
    outcomes = {}

    def place_at_once(event):
        try:
            barrier.wait()
            services.schedule_side_event(event, by=csu_officer, room=room, slot=slot)
            outcomes[event.title] = "placed"
        except ValidationError as error:
            outcomes[event.title] = error.messages[0]
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=place_at_once, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winner = next(title for title, result in outcomes.items() if result == "placed")
    loser = next(title for title in outcomes if title != winner)
    assert outcomes[loser] == (
        f"Conference Room M1 is already taken at Tue 16 Mar, 13:10–14:00 by “{winner}”. Choose another room or slot."
    )
    assert list(SideEvent.objects.filter(room=room, slot=slot).values_list("title", "sequence")) == [(winner, 1)]
    assert list(SideEvent.objects.filter(title=loser).values_list("room", "slot", "sequence")) == [(None, None, 0)]
    assert ActivityLog.objects.filter(action="events.side_event.scheduled").count() == 1


def add_grid(session, *, days: int, times: list[tuple[str, str]], rooms: int, events: int):
    """Rooms at the venue, slots on each day, and accepted events filling the grid cell by cell (the rest unplaced)."""
    made_rooms = [Room.objects.create(venue=session.venue, name=f"Room {n:02d}", capacity=50) for n in range(rooms)]
    slots = [make_slot(session, session.start_date + timedelta(days=d), start, end) for d in range(days) for start, end in times]
    cells = [(room, slot) for slot in slots for room in made_rooms]
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Organization {n}", slug=f"org-{n}", headquarters_country="KE", verification_state="verified") for n in range(events)
    )
    SideEvent.objects.bulk_create(
        SideEvent(
            session=session, lead_organization=organization, title=f"Event {n}", description=".", status=SideEventStatus.ACCEPTED,
            submitted_at=DAY + timedelta(minutes=n), expected_audience=40 + n,
            room=cells[n][0] if n < len(cells) - 1 else None, slot=cells[n][1] if n < len(cells) - 1 else None,
        )
        for n, organization in enumerate(organizations)
    )


# the login session with the user, its roles and MFA (portal.login_sessions), the session, its slots, the rooms
# at its venue, its accepted events
SCHEDULE_QUERIES = 5


def test_schedule_grid_query_count_does_not_grow_with_events_rooms_or_slots(client, commissions, csu_officer, django_assert_num_queries):
    small = make_session(commissions["cnd"])
    add_grid(small, days=1, times=[("13:10", "14:00")], rooms=1, events=1)
    sign_in(client, csu_officer)
    with django_assert_num_queries(SCHEDULE_QUERIES):
        response = client.get(SCHEDULE)
    assert [len(rows) for _caption, _heads, rows in grid(response)] == [1]
    assert len(placement_forms(response, "unplaced-heading")) == 1
    SideEvent.objects.all().delete()
    Slot.objects.all().delete()
    Room.objects.all().delete()
    Organization.objects.filter(slug__startswith="org-").delete()
    add_grid(small, days=5, times=[("08:10", "09:00"), ("13:10", "14:00"), ("18:10", "19:00")], rooms=4, events=70)

    with django_assert_num_queries(SCHEDULE_QUERIES):
        response = client.get(SCHEDULE)

    tables = grid(response)
    assert [len(rows) for _caption, _heads, rows in tables] == [3, 3, 3, 3, 3]
    assert len(tables[0][1]) == 5
    assert (len(placement_forms(response, "placed-heading")), len(placement_forms(response, "unplaced-heading"))) == (59, 11)



# --- The slot grid ------------------------------------------------------------------------------------------


def test_slots_are_laid_out_from_typed_times_on_every_day_of_the_session(client, session, csu_officer):
    sign_in(client, csu_officer)

    response = client.post(SCHEDULE, {"action": "slots", "times": "13:10-14:00; 8:10–9:00,\n18.10-19.00, "})

    assert (response.status_code, response["Location"]) == (302, SCHEDULE)
    assert shown_messages(response) == ["15 slots added to the grid, for all the days of the session."]
    starts = [timezone.localtime(slot.starts_at, VIENNA) for slot in Slot.objects.order_by("starts_at")]
    assert len(starts) == 15
    assert [(start.day, start.strftime("%H:%M")) for start in starts[:4]] == [(15, "08:10"), (15, "13:10"), (15, "18:10"), (16, "08:10")]
    first = Slot.objects.order_by("starts_at").first()
    assert (first.starts_at, first.ends_at) == (datetime(2027, 3, 15, 7, 10, tzinfo=UTC), datetime(2027, 3, 15, 8, 0, tzinfo=UTC))
    assert actions_on(session) == ["events.slots.created"]
    again = client.post(SCHEDULE, {"action": "slots", "times": "08:10-09:00, 10:00-10:50"})
    assert shown_messages(again) == ["5 slots added to the grid, for all the days of the session."]
    assert Slot.objects.count() == 20
    page = text(client.get(SCHEDULE))
    assert '<input type="text" name="times" value="08:10-09:00, 10:00-10:50, 13:10-14:00, 18:10-19:00"' in page
    assert shown_messages(client.post(SCHEDULE, {"action": "slots", "times": "13:10-14:00"})) == ["These slots already exist; nothing was added."]


@pytest.mark.parametrize(
    "typed, error",
    [
        ("", "Give at least one time, such as 13:10-14:00."),
        (" , ;", "Give at least one time, such as 13:10-14:00."),
        ("lunch", "“lunch” is not a time range. Write each slot as start-end in 24-hour time, such as 13:10-14:00, and separate them with commas."),
        ("08:10-09:00, 25:00-26:00", "“25:00-26:00” is not a time range. Write each slot as start-end in 24-hour time, such as 13:10-14:00, and separate them with commas."),
        ("14:00-13:10", "A slot must end after it starts: 14:00-13:10."),
    ],
)
def test_bad_slot_times_are_explained_next_to_the_field_and_nothing_is_added(client, session, csu_officer, typed, error):
    sign_in(client, csu_officer)

    response = client.post(SCHEDULE, {"action": "slots", "times": typed})

    assert response.status_code == 200
    assert field_errors(response) == {"id_times": [error]}
    assert f'value="{html.escape(typed, quote=True)}"' in response.content.decode() or typed == ""
    assert Slot.objects.count() == 0


# --- Rooms -----------------------------------------------------------------------------------------------


def room_tables(response) -> list[tuple[str, list[list[str]]]]:
    page = text(response)
    found = []
    for heading, table in re.findall(r'<h2 id="venue-\d+-heading">(.*?)</h2>\s*<div class="table-wrap">\s*<table class="room-list">(.*?)</table>', page):
        rows = []
        for row in re.findall(r'<tr id="room-\d+">(.*?)</tr>', table):
            name = words(re.search(r'<th scope="row">(.*?)</th>', row).group(1))
            capacity = re.search(r'name="capacity" value="(\d*)"', row).group(1)
            scheduled = words(re.findall(r"<td[^>]*>(.*?)</td>", row)[1])
            rows.append([name, capacity, scheduled])
        found.append((words(heading), rows))
    return found


@pytest.fixture
def venues(commissions):
    make_session(commissions["cnd"])
    make_session(commissions["cosp"], 11, "11th session of the Conference of the States Parties to the UNCAC", venue="Doha Exhibition Centre")


def test_rooms_are_listed_by_venue_with_capacity_and_scheduled_events(client, grid_setup, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(ROOMS)

    assert room_tables(response) == [
        ("United Nations Headquarters", [["Conference Room 4", "300", "0"]]),
        ("Vienna International Centre", [["Boardroom B", "150", "0"], ["Conference Room M1", "80", "1"]]),
    ]
    assert buttons(section(text(response), "<main", "</main>"))[:3] == ["Change the capacity of Conference Room 4", "Delete Conference Room 4", "Change the capacity of Boardroom B"]


def test_rooms_page_without_rooms_says_so_and_offers_the_sessions_venues(client, venues, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(ROOMS)

    page = text(response)
    assert "No room yet. Add the rooms of a venue below" in words(page)
    venue_select = section(page, '<select name="venue"', "</select>")
    assert [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", venue_select)] == [
        "Another venue, typed below", "Doha Exhibition Centre", "Vienna International Centre"
    ]


# the login session with the user, its roles and MFA (portal.login_sessions), the sessions' venues, the rooms with their
# scheduled events counted
ROOMS_QUERIES = 3


def test_rooms_page_query_count_does_not_grow_with_rooms(client, grid_setup, csu_officer, django_assert_num_queries):
    sign_in(client, csu_officer)
    with django_assert_num_queries(ROOMS_QUERIES):
        client.get(ROOMS)
    Room.objects.bulk_create(Room(venue=f"Venue {n % 5}", name=f"Room {n}", capacity=10 + n) for n in range(60))

    with django_assert_num_queries(ROOMS_QUERIES):
        response = client.get(ROOMS)

    assert sum(len(rows) for _venue, rows in room_tables(response)) == 63



@pytest.mark.parametrize(
    "posted, venue",
    [({"venue": VIC}, VIC), ({"other_venue": "  Hofburg  Palace "}, "Hofburg Palace"), ({"venue": VIC, "other_venue": VIC}, VIC)],
)
def test_csu_adds_a_room_at_a_chosen_or_typed_venue(client, venues, csu_officer, posted, venue):
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "add", "name": " Conference  Room M7 ", "capacity": "90", **posted})

    assert (response.status_code, response["Location"]) == (302, ROOMS)
    assert shown_messages(response) == [f"Conference Room M7 at {venue} is added, with 90 seats."]
    room = Room.objects.get()
    assert (room.venue, room.name, room.capacity) == (venue, "Conference Room M7", 90)
    entry = ActivityLog.objects.get()
    assert (entry.action, entry.old_values, entry.new_values) == ("events.room.saved", {}, {"venue": venue, "name": "Conference Room M7", "capacity": 90})


@pytest.mark.parametrize(
    "posted, errors",
    [
        ({"venue": "", "other_venue": "", "name": "M7", "capacity": "90"}, {"id_venue": ["Choose the venue, or type it below if no session is held there yet."]}),
        ({"venue": VIC, "other_venue": "Hofburg", "name": "M7", "capacity": "90"}, {"id_other_venue": ["Choose a venue or type another one, not both."]}),
        ({"venue": "Atlantis", "name": "M7", "capacity": "90"}, {"id_venue": ["Select a valid choice. Atlantis is not one of the available choices."]}),
        ({"venue": VIC, "name": "", "capacity": "0"}, {"id_name": ["This field is required."], "id_capacity": ["Ensure this value is greater than or equal to 1."]}),
        ({"venue": VIC, "name": "conference room m1", "capacity": "20"}, {"id_name": ["Vienna International Centre already has a room called conference room m1."]}),
    ],
)
def test_adding_a_room_with_bad_input_explains_next_to_the_field(client, venues, csu_officer, posted, errors):
    Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "add", **posted})

    assert response.status_code == 200
    assert field_errors(response) == errors
    assert list(Room.objects.values_list("name", flat=True)) == ["Conference Room M1"]
    assert ActivityLog.objects.count() == 0


def test_csu_changes_a_rooms_capacity(client, grid_setup, csu_officer):
    rooms, _slots, _events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "capacity", "room": rooms["m1"].pk, "capacity": "130"})

    assert shown_messages(response) == ["Conference Room M1 at Vienna International Centre now has 130 seats."]
    assert Room.objects.get(pk=rooms["m1"].pk).capacity == 130
    entry = ActivityLog.objects.get()
    assert (entry.action, entry.old_values, entry.new_values) == ("events.room.saved", {"capacity": 80}, {"capacity": 130})
    # The grid no longer warns: 120 expected, 130 seats.
    assert "Over capacity" not in text(client.get(SCHEDULE))


def test_a_capacity_below_one_is_explained_next_to_the_rooms_field(client, grid_setup, csu_officer):
    rooms, _slots, _events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "capacity", "room": rooms["m1"].pk, "capacity": "0"})

    assert response.status_code == 200
    assert field_errors(response) == {f"room-{rooms['m1'].pk}-capacity": ["Ensure this value is greater than or equal to 1."]}
    assert (
        f'<input type="number" name="capacity" value="0" min="1" max="100000" required aria-invalid="true" '
        f'aria-describedby="room-{rooms["m1"].pk}-capacity_error" id="room-{rooms["m1"].pk}-capacity">'
    ) in response.content.decode()
    assert Room.objects.get(pk=rooms["m1"].pk).capacity == 80


def test_csu_deletes_an_unused_room(client, grid_setup, csu_officer):
    rooms, _slots, _events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "delete", "room": rooms["ny"].pk})

    assert shown_messages(response) == ["Conference Room 4 at United Nations Headquarters is deleted."]
    assert not Room.objects.filter(pk=rooms["ny"].pk).exists()
    entry = ActivityLog.objects.get()
    assert (entry.action, entry.object_repr, entry.old_values) == (
        "events.room.deleted", "Conference Room 4", {"venue": "United Nations Headquarters", "name": "Conference Room 4", "capacity": 300}
    )


def test_a_room_with_a_scheduled_event_cannot_be_deleted(client, grid_setup, csu_officer):
    rooms, _slots, _events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "delete", "room": rooms["m1"].pk})

    assert shown_messages(response) == [
        "Conference Room M1 at Vienna International Centre cannot be deleted: side events are scheduled in it "
        "(“Harm reduction in prisons”). Move them to another room first."
    ]
    assert Room.objects.filter(pk=rooms["m1"].pk).exists()
    assert ActivityLog.objects.count() == 0


def test_a_room_a_cancelled_event_was_placed_in_cannot_be_deleted(client, grid_setup, csu_officer):
    rooms, _slots, _events = grid_setup
    sign_in(client, csu_officer)

    response = client.post(ROOMS, {"action": "delete", "room": rooms["m2"].pk})

    assert shown_messages(response) == [
        "Boardroom B at Vienna International Centre cannot be deleted: cancelled or withdrawn side events were placed in "
        "it (“Called off”), and their calendar entries still name it. Change its capacity instead if it is still in use."
    ]
    assert Room.objects.filter(pk=rooms["m2"].pk).exists()


def test_room_services_are_for_csu_only(focal_points, coordinators):
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)

    for person in (focal_points["a"], coordinators["vngoc"]):
        with pytest.raises(PermissionDenied):
            services.save_room(None, by=person, venue=VIC, name="M2", capacity=10)
        with pytest.raises(PermissionDenied):
            services.delete_room(room, by=person)

    assert list(Room.objects.values_list("name", flat=True)) == ["Conference Room M1"]


def test_saving_a_room_unchanged_logs_nothing(csu_officer):
    room = Room.objects.create(venue=VIC, name="Conference Room M1", capacity=80)

    services.save_room(room, by=csu_officer, venue=VIC, name="Conference Room M1", capacity=80)

    assert ActivityLog.objects.count() == 0


def test_application_page_shows_the_panel_with_a_refused_decision_once(client, application, csu_officer):
    sign_in(client, csu_officer)
    shown_messages(decide(client, application, "reject", reason=""))

    first = text(client.get(application_address(application)))
    again = text(client.get(application_address(application)))

    assert form_actions(first) == ["accept", "waitlist", "return", "reject"]
    assert (
        '<textarea name="reason" id="decision-reject-reason" rows="3" maxlength="2000" required aria-invalid="true" '
        'aria-describedby="decision-reject-reason_error"></textarea>'
    ) in first
    assert "Give a reason: it is e-mailed to the organizers." in words(section(first, 'value="reject"', "</form>"))
    assert "form-field-invalid" not in section(again, 'class="decision-panel"', "</section>")
