"""CSU's and the coordinators' side of delegations: the review queue, decisions, endorsements and exports."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory

from organizations.enums import EcosocStatus
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog
from sessions import statistics
from sessions.enums import (
    Attendance,
    Channel,
    Gender,
    ParticipantRole,
    ParticipantStatus,
    RegistrationStatus,
    Rule17Outcome,
)
from sessions.models import Participant, Registration, Session
from tests.conftest import give_totp, make_user
from umbrella.models import Coordinator

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2027, 1, 12, 10, 30, tzinfo=VIENNA)
CND_70 = "70th session of the Commission on Narcotic Drugs"
COSP_11 = "11th session of the Conference of the States Parties to the UNCAC"
QUEUE = "/sessions/cnd/70/registrations/"


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


def row_names(fragment: str) -> list[str]:
    """The organization named in each table row header of a piece of a page, with its acronym."""
    return [words(name) for name in re.findall(r'<th scope="row">(.*?)</th>', fragment)]


def buttons(fragment: str) -> list[str]:
    return [words(button) for button in re.findall(r"<button[^>]*>(.*?)</button>", fragment)]


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


def reload(registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def make_session(commission, number, title, start=date(2027, 3, 10)) -> Session:
    return Session.objects.create(
        commission=commission, number=number, title=title, start_date=start, end_date=start + timedelta(days=4),
        venue="Vienna International Centre",
        registration_opens=datetime(2026, 11, 1, tzinfo=VIENNA), registration_closes=datetime(2027, 2, 10, 23, 59, tzinfo=VIENNA),
    )


def make_registration(session, organization, status=RegistrationStatus.SUBMITTED, *, body=None, submitted=NOW, **extra) -> Registration:
    return Registration.objects.create(
        session=session, organization=organization, status=status,
        channel=Channel.UMBRELLA if body else Channel.DIRECT, umbrella_body=body,
        submitted_at=submitted, **extra,
    )


def make_participant(registration, family_name, given_names, *, position=0, **extra) -> Participant:
    values = {
        "gender": Gender.FEMALE, "nationality": "KE", "date_of_birth": date(1985, 4, 2), "passport_number": "A1234567",
        "passport_expiry": date(2031, 6, 30), "email": f"{given_names.split()[0].lower()}@example.test",
        "role": ParticipantRole.REPRESENTATIVE, "attendance": Attendance.IN_PERSON, **extra,
    }
    return Participant.objects.create(registration=registration, family_name=family_name, given_names=given_names, position=position, **values)


def make_organization(name, acronym, slug, country="KE", **extra) -> Organization:
    return Organization.objects.create(name=name, acronym=acronym, slug=slug, headquarters_country=country, verification_state="verified", **extra)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def session(commissions):
    return make_session(commissions["cnd"], 70, CND_70)


@pytest.fixture
def awaiting(session, organizations, bodies):
    """HRA registers for the CND through the VNGOC and waits for its endorsement."""
    registration = make_registration(session, organizations["a"], RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["vngoc"])
    make_participant(registration, "Otieno", "Grace Akinyi")
    return registration


@pytest.fixture
def submitted(session, organizations):
    """PRN registers directly for the CND; its delegation awaits CSU."""
    registration = make_registration(session, organizations["b"], submitted=NOW - timedelta(days=1))
    make_participant(registration, "Silva", "Ana Paula", nationality="BR")
    return registration


@pytest.fixture
def persona(client, csu_officer, coordinators, focal_points, outsider):
    def as_persona(name: str):
        user = {
            "public": None,
            "outsider": outsider,
            "focal point of the registrant": focal_points["a"],
            "focal point of another organization": focal_points["b"],
            "coordinator of another body": coordinators["alliance"],
            "coordinator of the body": coordinators["vngoc"],
            "csu": csu_officer,
        }[name]
        if user is not None:
            sign_in(client, user)
        return user

    return as_persona


# --- Who reaches which page ---------------------------------------------------------------------

PAGES = {
    "review queue": QUEUE,
    "participants csv": "/sessions/cnd/70/registrations/participants.csv",
    "participants xlsx": "/sessions/cnd/70/registrations/participants.xlsx",
    "rule 17 csv": "/sessions/cnd/70/registrations/rule-17.csv",
    "rule 17 xlsx": "/sessions/cnd/70/registrations/rule-17.xlsx",
    "endorsements": "/umbrella/vngoc/endorsements/",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPENS = {
    "review queue": f"page: Registrations for the {CND_70}",
    "participants csv": "file: text/csv; charset=utf-8",
    "participants xlsx": f"file: {XLSX}",
    "rule 17 csv": "file: text/csv; charset=utf-8",
    "rule 17 xlsx": f"file: {XLSX}",
    "endorsements": "page: Endorsements: Vienna NGO Committee on Drugs",
}
NOT_FOUND, LOGIN_FIRST = "404", "login first"
EXPECTED = {
    "public": dict.fromkeys(PAGES, LOGIN_FIRST),
    "outsider": dict.fromkeys(PAGES, NOT_FOUND),
    "focal point of the registrant": dict.fromkeys(PAGES, NOT_FOUND),
    "focal point of another organization": dict.fromkeys(PAGES, NOT_FOUND),
    "coordinator of another body": dict.fromkeys(PAGES, NOT_FOUND),
    "coordinator of the body": {**dict.fromkeys(PAGES, NOT_FOUND), "endorsements": OPENS["endorsements"]},
    "csu": OPENS,
}


def outcome(response) -> str:
    """What a person finds at an address: the page's heading, the file's type, or where they are sent."""
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        return "page: " + words(re.search(r"<h1[^>]*>(.*?)</h1>", text(response)).group(1))
    if response.status_code == 200:
        return f"file: {response['Content-Type']}"
    if response.status_code == 302 and response["Location"] == f"{LOGIN}?next={response.wsgi_request.path}":
        return LOGIN_FIRST
    return str(response.status_code)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_review_pages_answer_each_role(client, persona, awaiting, submitted, who):
    persona(who)

    found = {page: outcome(client.get(address)) for page, address in PAGES.items()}

    assert found == EXPECTED[who]
    # Only CSU's exports are logged; nobody else's attempt leaves a trace.
    exports = ActivityLog.objects.filter(action__endswith=".exported").count()
    assert exports == (4 if who == "csu" else 0)


def test_review_pages_of_an_unknown_session_or_body_are_not_found(client, session, bodies, csu_officer):
    sign_in(client, csu_officer)

    addresses = [
        "/sessions/cnd/71/registrations/", "/sessions/cnd/71/registrations/participants.csv",
        "/sessions/ccpcj/70/registrations/rule-17.xlsx", "/sessions/cnd/70/registrations/participants.pdf",
        "/umbrella/nobody/endorsements/",
    ]

    assert [client.get(address).status_code for address in addresses] == [404] * 5
    assert ActivityLog.objects.count() == 0


def test_review_queue_sends_csu_without_totp_to_set_it_up(client, session, csu_officer):
    client.force_login(csu_officer)

    response = client.get(QUEUE)

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")


# --- Review queue: the table, counts and filters ----------------------------------------------------------


def queue_rows(response) -> list[list[str]]:
    """Each row of the queue as the words of its cells (the checkbox cell says "select" when there is one)."""
    body = section(text(response), '<table class="review-queue">', "</table>")
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", section(body, "<tbody>", "</tbody>")):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
        rows.append(["select" if 'type="checkbox"' in cells[0] else "", *[words(cell) for cell in cells[1:]]])
    return rows


def status_counts(response) -> str:
    return words(re.search(r'<p class="status-counts">(.*?)</p>', text(response)).group(1))


@pytest.fixture
def queue(now, session, commissions, organizations, bodies):
    """Six registrations for the CND in various states, plus a draft and one for another session."""
    organizations["b"].ecosoc_status = EcosocStatus.SPECIAL
    organizations["b"].save()
    made = {
        "hra": make_registration(session, organizations["a"], RegistrationStatus.ENDORSED, body=bodies["vngoc"], submitted=NOW - timedelta(days=6)),
        "prn": make_registration(session, organizations["b"], submitted=NOW - timedelta(days=5)),
        "dpi": make_registration(session, make_organization("Drug Policy India", "DPI", "dpi", "IN"), RegistrationStatus.APPROVED, submitted=NOW - timedelta(days=4)),
        "yfa": make_registration(session, make_organization("Youth for Africa", "", "yfa", "KE"), RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["vngoc"], submitted=NOW - timedelta(days=3)),
        "rsn": make_registration(session, make_organization("Recovery Support Network", "RSN", "rsn", "BR", ecosoc_status=EcosocStatus.GENERAL), RegistrationStatus.REJECTED, submitted=NOW - timedelta(days=2)),
        "mhp": make_registration(session, make_organization("Mothers for Harm Prevention", "MHP", "mhp", "IN"), submitted=NOW - timedelta(hours=2), rule17_outcome=Rule17Outcome.PENDING),
    }
    make_participant(made["hra"], "Otieno", "Grace")
    make_participant(made["hra"], "Mwangi", "Peter", position=1)
    make_participant(made["prn"], "Silva", "Ana")
    make_registration(session, make_organization("Draft Only", "DO", "draft-only"), RegistrationStatus.DRAFT, submitted=None)
    make_registration(make_session(commissions["ccpcj"], 36, "36th session of the CCPCJ"), organizations["a"])
    return made


def test_review_queue_lists_the_sessions_registrations_past_the_draft_stage(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE)

    assert status_counts(response) == (
        "6 registrations: Submitted to the Civil Society Unit 2 · Awaiting endorsement by the umbrella body 1 · "
        "Endorsed by the umbrella body 1 · Approved 1 · Rejected 1"
    )
    assert queue_rows(response) == [
        ["select", "Harm Reduction Alliance (HRA)", "Kenya", "Through VNGOC", "2", "—", "Endorsed by the umbrella body", "6 Jan 2027, 10:30"],
        ["select", "Prison Reform Network (PRN)", "Brazil", "Directly", "1", "—", "Submitted to the Civil Society Unit", "7 Jan 2027, 10:30"],
        ["", "Drug Policy India (DPI)", "India", "Directly", "0", "—", "Approved", "8 Jan 2027, 10:30"],
        ["", "Youth for Africa", "Kenya", "Through VNGOC", "0", "—", "Awaiting endorsement by the umbrella body", "9 Jan 2027, 10:30"],
        ["", "Recovery Support Network (RSN)", "Brazil", "Directly", "0", "—", "Rejected", "10 Jan 2027, 10:30"],
        ["select", "Mothers for Harm Prevention (MHP)", "India", "Directly", "0", "On the rule 17 list, awaiting States", "Submitted to the Civil Society Unit", "12 Jan 2027, 08:30"],
    ]
    page = text(response)
    assert f'<a href="/sessions/registrations/{queue["hra"].pk}/">Harm Reduction Alliance</a>' in page
    assert buttons(section(page, "<main", "</main>")) == ["Show registrations", "Approve selected registrations"]
    assert re.findall(r'<a href="(/sessions/cnd/70/registrations/[^"]+)">', page) == [
        "/sessions/cnd/70/registrations/participants.csv", "/sessions/cnd/70/registrations/participants.xlsx",
        "/sessions/cnd/70/registrations/rule-17.csv", "/sessions/cnd/70/registrations/rule-17.xlsx",
    ]


def test_review_queue_shows_submission_times_in_the_sessions_time_zone(client, queue, session, csu_officer):
    session.time_zone = "America/New_York"
    session.save()
    sign_in(client, csu_officer)

    rows = queue_rows(client.get(QUEUE, {"status": "endorsed"}))

    assert [row[-1] for row in rows] == ["6 Jan 2027, 04:30"]


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({"status": "submitted"}, ["Prison Reform Network (PRN)", "Mothers for Harm Prevention (MHP)"]),
        ({"channel": "umbrella"}, ["Harm Reduction Alliance (HRA)", "Youth for Africa"]),
        ({"country": "IN"}, ["Drug Policy India (DPI)", "Mothers for Harm Prevention (MHP)"]),
        ({"ecosoc_status": "none"}, ["Harm Reduction Alliance (HRA)", "Drug Policy India (DPI)", "Youth for Africa", "Mothers for Harm Prevention (MHP)"]),
        ({"ecosoc_status": "general"}, ["Recovery Support Network (RSN)"]),
        ({"country": "BR", "status": "submitted"}, ["Prison Reform Network (PRN)"]),
        ({"channel": "direct", "country": "KE"}, []),
    ],
)
def test_review_queue_filters_registrations(client, queue, csu_officer, filters, names):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, filters)

    page = text(response)
    assert row_names(section(page, "<tbody>", "</tbody>") if names else "") == names
    assert words(re.search(r'<p class="result-count" role="status">(.*?)</p>', page).group(1)) == (
        f"{len(names)} registration shown" if len(names) == 1 else f"{len(names)} registrations shown"
    )
    if not names:
        assert "No registration matches these filters." in page
    # The counts per status describe the whole session, whatever the filters.
    assert status_counts(response).startswith("6 registrations: ")


def test_review_queue_filters_by_umbrella_body(client, queue, bodies, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"umbrella_body": bodies["vngoc"].pk})

    page = text(response)
    assert row_names(section(page, "<tbody>", "</tbody>")) == ["Harm Reduction Alliance (HRA)", "Youth for Africa"]
    # Only the bodies that cover the CND are offered, and only the registrants' countries.
    bodies_select = re.search(r'<select name="umbrella_body" id="id_umbrella_body">(.*?)</select>', page).group(1)
    countries_select = re.search(r'<select name="country" id="id_country">(.*?)</select>', page).group(1)
    assert [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", bodies_select)] == ["Any umbrella body", "VNGOC"]
    assert [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", countries_select)] == ["Any country", "Brazil", "India", "Kenya"]


def test_review_queue_with_an_invalid_filter_says_so_and_ignores_it(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"status": "draft"})

    page = text(response)
    assert "Status: Select a valid choice. draft is not one of the available choices." in words(section(page, "error-summary", "</div>"))
    assert len(row_names(section(page, "<tbody>", "</tbody>"))) == 6


def test_review_queue_without_registrations_says_so(client, session, csu_officer):
    make_registration(session, make_organization("Draft Only", "DO", "draft-only"), RegistrationStatus.DRAFT, submitted=None)
    sign_in(client, csu_officer)

    page = text(client.get(QUEUE))

    assert "No registration has been submitted for this session yet." in page
    assert "<table" not in page
    assert 'class="status-counts"' not in page


def test_review_queue_pages_by_fifty_and_keeps_the_filters(client, now, session, csu_officer):
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Organization {number:03}", slug=f"organization-{number:03}", headquarters_country="KE", verification_state="verified")
        for number in range(55)
    )
    Registration.objects.bulk_create(
        Registration(session=session, organization=organization, status=RegistrationStatus.SUBMITTED, submitted_at=NOW + timedelta(minutes=number))
        for number, organization in enumerate(organizations)
    )
    sign_in(client, csu_officer)

    first = text(client.get(QUEUE, {"country": "KE"}))
    second = text(client.get(QUEUE, {"country": "KE", "page": 2}))

    assert len(row_names(section(first, "<tbody>", "</tbody>"))) == 50
    assert row_names(section(second, "<tbody>", "</tbody>")) == [f"Organization {number:03}" for number in range(50, 55)]
    assert '<a href="?country=KE&amp;page=2" rel="next">Next</a>' in first
    assert '<a href="?country=KE&amp;page=1" rel="prev">Previous</a>' in second


def test_review_queue_without_registrations_awaiting_csu_offers_no_bulk_approval(client, queue, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(QUEUE, {"status": "approved"})

    assert queue_rows(response) == [["", "Drug Policy India (DPI)", "India", "Directly", "0", "—", "Approved", "8 Jan 2027, 10:30"]]
    assert buttons(section(text(response), "<main", "</main>")) == ["Show registrations"]


# --- Review queue: scale ----------------------------------------------------------------------------


def add_registrations(session, count: int, participants_each: int, *, first: int = 0) -> None:
    """Many submitted delegations at once (bulk inserts), for the scale test."""
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Bulk organization {number:04}", slug=f"bulk-{number:04}", headquarters_country=("KE", "BR", "IN")[number % 3],
            verification_state="verified",
        )
        for number in range(first, first + count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(session=session, organization=organization, status=RegistrationStatus.SUBMITTED, submitted_at=NOW)
        for organization in organizations
    )
    Participant.objects.bulk_create(
        Participant(
            registration=registration, family_name=f"Family{number}", given_names="Given", gender=Gender.MALE, nationality="KE",
            email=f"p{registration.pk}-{number}@example.test", position=number,
        )
        for registration in registrations
        for number in range(participants_each)
    )


def test_review_queue_query_count_does_not_grow_with_registrations(client, now, session, csu_officer, django_assert_num_queries):
    add_registrations(session, 3, 6)
    sign_in(client, csu_officer)
    # the login session with the user, its roles and MFA (portal.login_sessions), the session, the filter's countries, the counts per
    # status (their total is the unfiltered page's count), the page's rows, the umbrella bodies offered by the filter;
    # the page's content is then kept with its session until a registration changes (sessions.caching)
    with django_assert_num_queries(6):
        response = client.get(QUEUE)
    assert len(queue_rows(response)) == 3
    add_registrations(session, 497, 6, first=3)
    statistics.forget_statistics(session.pk)  # bulk inserts send no signal
    assert (session.registrations.count(), Participant.objects.filter(registration__session=session).count()) == (500, 3000)

    # The same queries: the page is read again at 500 registrations.
    with django_assert_num_queries(6):
        response = client.get(QUEUE)

    assert len(queue_rows(response)) == 50
    assert status_counts(response) == "500 registrations: Submitted to the Civil Society Unit 500"
    assert {row[4] for row in queue_rows(response)} == {"6"}


# --- Bulk approval -------------------------------------------------------------------------------------


def test_bulk_approval_approves_the_selected_and_explains_each_refusal(client, queue, csu_officer):
    sign_in(client, csu_officer)
    hra, prn, mhp, dpi = queue["hra"], queue["prn"], queue["mhp"], queue["dpi"]

    response = client.post(f"{QUEUE}?status=submitted", {"action": "bulk_approve", "ids": [hra.pk, prn.pk, mhp.pk]})

    assert (response.status_code, response["Location"]) == (302, f"{QUEUE}?status=submitted")
    assert shown_messages(response) == [
        "2 registrations approved. Their focal points and approved participants are told by e-mail.",
        "Mothers for Harm Prevention (MHP) was not approved. Mothers for Harm Prevention (MHP) is on the rule 17 list: "
        "record the States' answer before deciding.",
    ]
    assert [reload(registration).status for registration in (hra, prn, mhp, dpi)] == ["approved", "approved", "submitted", "approved"]
    assert list(Participant.objects.filter(registration=hra).values_list("status", flat=True)) == ["approved", "approved"]
    assert (actions_on(hra), actions_on(mhp)) == (["sessions.registration.approved"], [])


def test_bulk_approval_of_one_says_so_in_the_singular_and_refuses_a_decided_one_with_who_decided(client, queue, csu_officer):
    other = make_user("second@unodc.test", full_name="Sam Second")
    dpi = queue["dpi"]
    Registration.objects.filter(pk=dpi.pk).update(decided_by=other, decided_at=NOW - timedelta(hours=1))
    sign_in(client, csu_officer)

    response = client.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk, dpi.pk]})

    assert shown_messages(response) == [
        "1 registration approved. Its focal points and approved participants are told by e-mail.",
        "Drug Policy India (DPI) was not approved. Sam Second already decided on 12 January 2027, 09:30. The registration's "
        "status is now: Approved. Nothing else was changed.",
    ]


def test_bulk_approval_without_a_selection_or_of_another_session_changes_nothing(client, queue, commissions, csu_officer):
    other_session = Registration.objects.exclude(session__number=70).get()
    sign_in(client, csu_officer)

    nothing = shown_messages(client.post(QUEUE, {"action": "bulk_approve"}))
    foreign = shown_messages(client.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk, other_session.pk]}))
    unknown = client.post(QUEUE, {"action": "approve_everything", "ids": [queue["prn"].pk]})

    assert nothing == ["Select at least one registration to approve."]
    assert foreign == ["A selected registration is not in this session's queue. Reload the page; nothing was approved."]
    assert unknown.status_code == 404
    assert (reload(queue["prn"]).status, reload(other_session).status) == ("submitted", "submitted")
    assert ActivityLog.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "focal point of another organization", "coordinator of the body"])
def test_bulk_approval_by_anyone_but_csu_is_not_found(client, persona, queue, who):
    persona(who)

    response = client.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk]})

    assert response.status_code == 404
    assert reload(queue["prn"]).status == "submitted"


# --- Deciding on one registration ----------------------------------------------------------------------


def decide(client, registration, action, **data):
    return client.post(f"/sessions/registrations/{registration.pk}/decide/", {"action": action, **data})


ALL_ACTIONS = ["approve", "reject", "return", "rule17", "endorse", "decline"]
DATA = {"reason": "Not this time.", "outcome": "no_objection"}


@pytest.mark.parametrize("action", ALL_ACTIONS)
@pytest.mark.parametrize(
    "who", ["outsider", "focal point of the registrant", "focal point of another organization", "coordinator of another body"]
)
def test_decisions_by_people_without_the_right_are_not_found_and_change_nothing(client, persona, awaiting, submitted, who, action):
    persona(who)
    Registration.objects.filter(pk=submitted.pk).update(rule17_outcome=Rule17Outcome.PENDING)

    found = [decide(client, registration, action, **DATA).status_code for registration in (awaiting, submitted)]

    assert found == [404, 404]
    assert (reload(awaiting).status, reload(submitted).status, reload(submitted).rule17_outcome) == ("awaiting", "submitted", "pending")
    assert ActivityLog.objects.count() == 0


@pytest.mark.parametrize("action", ["approve", "reject", "return", "rule17"])
def test_coordinator_cannot_take_csus_decisions(client, persona, awaiting, action):
    persona("coordinator of the body")
    Registration.objects.filter(pk=awaiting.pk).update(status=RegistrationStatus.ENDORSED, rule17_outcome=Rule17Outcome.PENDING)

    response = decide(client, awaiting, action, **DATA)

    assert response.status_code == 404
    assert reload(awaiting).status == "endorsed"


def test_decide_sends_the_public_to_sign_in_and_refuses_get(client, persona, awaiting, csu_officer):
    address = f"/sessions/registrations/{awaiting.pk}/decide/"

    anonymous = client.post(address, {"action": "endorse"})
    sign_in(client, csu_officer)
    read = client.get(address)

    assert (anonymous.status_code, anonymous["Location"]) == (302, f"{LOGIN}?next={address}")
    assert read.status_code == 405
    assert reload(awaiting).status == "awaiting"


def test_unknown_decision_or_registration_is_not_found(client, awaiting, csu_officer):
    sign_in(client, csu_officer)

    unknown_action = decide(client, awaiting, "approve_everyone")
    unknown_registration = client.post("/sessions/registrations/999999/decide/", {"action": "endorse"})

    assert (unknown_action.status_code, unknown_registration.status_code) == (404, 404)


def test_coordinator_endorses_with_a_note(client, now, awaiting, coordinators, focal_points):
    sign_in(client, coordinators["vngoc"])

    response = decide(client, awaiting, "endorse", reason="A long-standing member.")

    assert (response.status_code, response["Location"]) == (302, f"/sessions/registrations/{awaiting.pk}/")
    assert shown_messages(response) == [
        "You endorsed the registration of Harm Reduction Alliance (HRA); it goes to the Civil Society Unit for a decision. "
        "Its focal points are told by e-mail."
    ]
    awaiting = reload(awaiting)
    assert (awaiting.status, awaiting.decided_by, awaiting.reason) == ("endorsed", coordinators["vngoc"], "A long-standing member.")
    assert actions_on(awaiting) == ["sessions.registration.endorsed"]


def test_coordinator_declines_with_a_reason(client, now, awaiting, coordinators):
    sign_in(client, coordinators["vngoc"])

    response = decide(client, awaiting, "decline", reason="Not a member in good standing.")

    assert shown_messages(response) == [
        "You declined the registration of Harm Reduction Alliance (HRA). Its focal points are told by e-mail, with your reason."
    ]
    awaiting = reload(awaiting)
    assert (awaiting.status, awaiting.reason) == ("declined", "Not a member in good standing.")
    assert list(awaiting.participants.values_list("status", flat=True)) == ["rejected"]


def test_decline_without_a_reason_is_refused_and_keeps_the_draft(client, now, awaiting, coordinators):
    sign_in(client, coordinators["vngoc"])

    response = decide(client, awaiting, "decline", reason="   ")

    assert (response.status_code, response["Location"]) == (302, f"/sessions/registrations/{awaiting.pk}/")
    assert shown_messages(response) == ["Give a reason: it is e-mailed to the organization's focal points."]
    assert reload(awaiting).status == "awaiting"
    assert client.session["decision_draft"] == {
        "registration": awaiting.pk, "action": "decline", "reason": "   ", "rejected": {},
        "errors": {"reason": ["Give a reason: it is e-mailed to the organization's focal points."]},
    }


def test_csu_endorses_in_place_of_the_body(client, now, awaiting, csu_officer):
    sign_in(client, csu_officer)

    response = decide(client, awaiting, "endorse")

    assert response.status_code == 302
    assert reload(awaiting).status == "endorsed"


@pytest.fixture
def conflicted(awaiting, coordinators, organizations):
    """The VNGOC's coordinator is also a focal point of HRA, whose delegation awaits the VNGOC."""
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["vngoc"])
    return awaiting


@pytest.mark.parametrize("action", ["endorse", "decline"])
def test_conflicted_coordinator_cannot_endorse_their_own_organization(client, now, conflicted, coordinators, action):
    sign_in(client, coordinators["vngoc"])

    response = decide(client, conflicted, action, reason="We are great.")

    assert response.status_code == 404
    assert reload(conflicted).status == "awaiting"
    assert ActivityLog.objects.count() == 0


def test_another_coordinator_of_the_body_endorses_a_conflicted_registration(client, now, conflicted, bodies):
    colleague = make_user("colleague@vngoc.test", full_name="Vera Colleague")
    Coordinator.objects.create(body=bodies["vngoc"], user=colleague)
    sign_in(client, colleague)

    response = decide(client, conflicted, "endorse")

    assert response.status_code == 302
    assert reload(conflicted).status == "endorsed"


def test_csu_rejects_with_a_reason(client, now, submitted, csu_officer):
    sign_in(client, csu_officer)

    response = decide(client, submitted, "reject", reason="The accreditation letter is not signed.")

    assert shown_messages(response) == [
        "The registration of Prison Reform Network (PRN) is rejected. Its focal points are told by e-mail, with your reason."
    ]
    submitted = reload(submitted)
    assert (submitted.status, submitted.reason, submitted.decided_by) == ("rejected", "The accreditation letter is not signed.", csu_officer)
    assert list(submitted.participants.values_list("status", flat=True)) == ["rejected"]


def test_csu_returns_for_changes_with_a_reason(client, now, submitted, csu_officer):
    sign_in(client, csu_officer)

    response = decide(client, submitted, "return", reason="Upload the letter on letterhead.")

    assert shown_messages(response) == [
        "The registration of Prison Reform Network (PRN) is returned for changes. Its focal points are told by e-mail, with "
        "your reason, and can change and submit it again."
    ]
    assert (reload(submitted).status, reload(submitted).reason) == ("returned", "Upload the letter on letterhead.")


@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_or_return_without_a_reason_is_refused(client, now, submitted, csu_officer, action):
    sign_in(client, csu_officer)

    response = decide(client, submitted, action, reason="")

    assert shown_messages(response) == ["Give a reason: it is e-mailed to the organization's focal points."]
    assert reload(submitted).status == "submitted"
    assert ActivityLog.objects.count() == 0


def test_too_long_a_reason_is_refused_by_the_form(client, now, submitted, csu_officer):
    sign_in(client, csu_officer)

    response = decide(client, submitted, "reject", reason="x" * 2001)

    assert shown_messages(response) == ["Reason: Ensure this value has at most 2000 characters (it has 2001)."]
    assert reload(submitted).status == "submitted"
    assert client.session["decision_draft"]["errors"] == {"reason": ["Ensure this value has at most 2000 characters (it has 2001)."]}


def test_stale_decision_says_who_decided_first_and_changes_nothing(client, now, submitted, csu_officer):
    other = make_user("second@unodc.test", full_name="Sam Second")
    Registration.objects.filter(pk=submitted.pk).update(
        status=RegistrationStatus.APPROVED, decided_by=other, decided_at=datetime(2027, 1, 12, 10, 5, tzinfo=VIENNA)
    )
    sign_in(client, csu_officer)

    response = decide(client, submitted, "reject", reason="Too late.")

    assert (response.status_code, response["Location"]) == (302, f"/sessions/registrations/{submitted.pk}/")
    assert shown_messages(response) == [
        "Sam Second already decided on 12 January 2027, 10:05. The registration's status is now: Approved. Nothing else was changed."
    ]
    assert (reload(submitted).status, reload(submitted).decided_by) == ("approved", other)
    assert ActivityLog.objects.count() == 0


def test_stale_endorsement_says_who_decided_first(client, now, awaiting, coordinators, csu_officer):
    Registration.objects.filter(pk=awaiting.pk).update(
        status=RegistrationStatus.ENDORSED, decided_by=csu_officer, decided_at=datetime(2027, 1, 12, 9, 0, tzinfo=VIENNA)
    )
    sign_in(client, coordinators["vngoc"])

    response = decide(client, awaiting, "decline", reason="Not a member.")

    assert shown_messages(response) == [
        "Clara Officer already decided on 12 January 2027, 09:00. The registration's status is now: Endorsed by the umbrella "
        "body. Nothing else was changed."
    ]
    assert reload(awaiting).status == "endorsed"


@pytest.fixture
def delegation(session, organizations, focal_points):
    """HRA's delegation of three, directly to CSU."""
    registration = make_registration(session, organizations["a"])
    people = [
        make_participant(registration, "Otieno", "Grace Akinyi", position=0, role=ParticipantRole.HEAD),
        make_participant(registration, "Mwangi", "Peter", position=1, gender=Gender.MALE),
        make_participant(registration, "Kamau", "Joseph", position=2, gender=Gender.MALE),
    ]
    return registration, people


@pytest.mark.django_db(transaction=True)
def test_csu_approves_two_and_rejects_one_participant_and_everyone_concerned_is_emailed(client, commissions, bodies, organizations, focal_points, csu_officer):
    session = make_session(commissions["cnd"], 70, CND_70)
    registration = make_registration(session, organizations["a"])
    make_participant(registration, "Otieno", "Grace Akinyi", role=ParticipantRole.HEAD)
    peter = make_participant(registration, "Mwangi", "Peter", position=1)
    joseph = make_participant(registration, "Kamau", "Joseph", position=2)
    sign_in(client, csu_officer)
    mail.outbox.clear()

    response = decide(
        client, registration, "approve", reason="Welcome to Vienna.",
        **{f"reject_{joseph.pk}": "on", f"reason_{joseph.pk}": "Already accredited by a government delegation.", f"reason_{peter.pk}": "ignored: not ticked"},
    )

    assert shown_messages(response) == [
        "The registration of Harm Reduction Alliance (HRA) is approved. Participants approved: 2; rejected: 1. Its focal "
        "points and the approved participants are told by e-mail."
    ]
    registration = reload(registration)
    assert (registration.status, registration.reason, registration.decided_by) == ("approved", "Welcome to Vienna.", csu_officer)
    assert list(registration.participants.order_by("position").values_list("status", "rejection_reason")) == [
        ("approved", ""), ("approved", ""), ("rejected", "Already accredited by a government delegation."),
    ]
    assert sorted((message.to, message.subject) for message in mail.outbox) == [
        (["focal@hra.test"], f"HRA: registration for the {CND_70} approved"),
        (["grace@example.test"], f"Your registration for the {CND_70} is confirmed"),
        (["peter@example.test"], f"Your registration for the {CND_70} is confirmed"),
    ]
    # The rejected participant gets no e-mail; the focal points' e-mail lists each participant's outcome.
    assert joseph.email not in {address for message in mail.outbox for address in message.to}
    to_focal_point = next(message for message in mail.outbox if message.to == ["focal@hra.test"])
    assert "- KAMAU, Joseph: Rejected (Already accredited by a government delegation.)" in to_focal_point.body
    entry = ActivityLog.objects.get(action="sessions.registration.approved")
    assert entry.new_values == {"status": "approved", "approved": 2, "rejected": "KAMAU, Joseph"}


def test_approve_with_a_ticked_participant_but_no_reason_is_refused_and_keeps_what_was_typed(client, now, delegation, csu_officer):
    registration, (grace, peter, joseph) = delegation
    sign_in(client, csu_officer)

    response = decide(client, registration, "approve", reason="Welcome.", **{f"reject_{peter.pk}": "on", f"reject_{joseph.pk}": "on", f"reason_{joseph.pk}": "Duplicate."})

    assert shown_messages(response) == ["Give a reason for rejecting MWANGI, Peter."]
    assert reload(registration).status == "submitted"
    assert list(registration.participants.values_list("status", flat=True)) == ["pending"] * 3
    assert client.session["decision_draft"] == {
        "registration": registration.pk, "action": "approve", "reason": "Welcome.",
        "rejected": {str(peter.pk): "", str(joseph.pk): "Duplicate."}, "errors": {},
    }


def test_approve_rejecting_everyone_is_refused(client, now, delegation, csu_officer):
    registration, people = delegation
    sign_in(client, csu_officer)

    response = decide(client, registration, "approve", **{f"{field}_{person.pk}": value for person in people for field, value in (("reject", "on"), ("reason", "No."))})

    assert shown_messages(response) == ["Every participant would be rejected: reject the registration instead."]
    assert reload(registration).status == "submitted"


def test_approve_while_rule17_is_pending_is_refused_then_allowed_after_no_objection(client, now, delegation, csu_officer):
    registration, _people = delegation
    Registration.objects.filter(pk=registration.pk).update(rule17_outcome=Rule17Outcome.PENDING)
    sign_in(client, csu_officer)

    refused = shown_messages(decide(client, registration, "approve"))
    recorded = shown_messages(decide(client, registration, "rule17", outcome="no_objection", note="Circulated on 1 December; no answer."))
    approved = shown_messages(decide(client, registration, "approve"))

    assert refused == ["Harm Reduction Alliance (HRA) is on the rule 17 list: record the States' answer before deciding."]
    assert recorded == [
        "No objection recorded for Harm Reduction Alliance (HRA) under rule 17: the registration can now be approved. Nobody "
        "is e-mailed until you decide."
    ]
    assert approved[0].startswith("The registration of Harm Reduction Alliance (HRA) is approved.")
    registration = reload(registration)
    assert (registration.status, registration.rule17_outcome) == ("approved", "no_objection")
    assert actions_on(registration) == ["sessions.registration.rule17_recorded", "sessions.registration.approved"]


def test_rule17_objection_leaves_only_rejection(client, now, delegation, csu_officer):
    registration, _people = delegation
    Registration.objects.filter(pk=registration.pk).update(rule17_outcome=Rule17Outcome.PENDING)
    sign_in(client, csu_officer)

    recorded = shown_messages(decide(client, registration, "rule17", outcome="objection"))
    approve = shown_messages(decide(client, registration, "approve"))

    assert recorded == [
        "Objection recorded for Harm Reduction Alliance (HRA) under rule 17: the registration can only be rejected. Nobody "
        "is e-mailed until you decide."
    ]
    assert approve == ["A State objected to Harm Reduction Alliance (HRA) under rule 17: the registration can only be rejected."]
    assert reload(registration).status == "submitted"


def test_rule17_without_an_answer_or_for_an_unlisted_organization_is_refused(client, now, delegation, csu_officer):
    registration, _people = delegation
    sign_in(client, csu_officer)

    unlisted = shown_messages(decide(client, registration, "rule17", outcome="no_objection"))
    Registration.objects.filter(pk=registration.pk).update(rule17_outcome=Rule17Outcome.PENDING)
    no_answer = shown_messages(decide(client, registration, "rule17", note="Nothing yet"))

    assert unlisted == ["This organization is not on the rule 17 list."]
    assert no_answer == ["Choose “no objection” or “objection”."]
    assert client.session["decision_draft"] == {
        "registration": registration.pk, "action": "rule17", "outcome": "", "note": "Nothing yet", "rejected": {},
        "errors": {"outcome": ["Choose “no objection” or “objection”."]},
    }
    assert reload(registration).rule17_outcome == "pending"


# --- The decision panel --------------------------------------------------------------------------------


def render_panel(client, registration, *, can_decide=False, can_endorse=False, user=None):
    """The panel as the registration page includes it, with the client's session (and its draft, if any)."""
    request = RequestFactory().get(f"/sessions/registrations/{registration.pk}/")
    request.session = client.session
    request.user = user
    html_text = render_to_string(
        "sessions/_decision_panel.html",
        {
            "registration": registration,
            "participants": list(registration.participants.all()),
            "can_decide": can_decide,
            "can_endorse": can_endorse,
        },
        request=request,
    )
    return re.sub(r"\s+", " ", html_text), request.session


def form_actions(panel: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="action" value="([a-z0-9]+)">', panel)


def test_panel_offers_csu_approve_return_and_reject_with_a_rejection_per_participant(client, now, delegation, csu_officer):
    registration, (grace, peter, joseph) = delegation

    panel, _session = render_panel(client, registration, can_decide=True, user=csu_officer)

    assert form_actions(panel) == ["approve", "return", "reject"]
    assert buttons(panel) == ["Approve the registration", "Return the registration for changes", "Reject the whole registration"]
    assert [words(label) for label in re.findall(r'<label for="decision-reject-\d+">(.*?)</label>', panel)] == [
        "Reject OTIENO, Grace Akinyi", "Reject MWANGI, Peter", "Reject KAMAU, Joseph"
    ]
    assert f'name="reason_{joseph.pk}"' in panel
    assert panel.count(f'action="/sessions/registrations/{registration.pk}/decide/"') == 3


def test_panel_asks_for_the_rule17_answer_before_approval(client, now, delegation, csu_officer):
    registration, _people = delegation
    registration.rule17_outcome = Rule17Outcome.PENDING

    panel, _session = render_panel(client, registration, can_decide=True, user=csu_officer)

    assert form_actions(panel) == ["rule17", "return", "reject"]
    assert buttons(panel) == ["Record the States’ answer", "Return the registration for changes", "Reject the whole registration"]
    assert "Harm Reduction Alliance is on the rule 17 list. So far: On the rule 17 list, awaiting States." in words(panel)
    assert "Record the States’ answer under rule 17 before approving." in words(panel)


def test_panel_offers_the_coordinator_endorse_and_decline(client, now, awaiting, coordinators):
    panel, _session = render_panel(client, awaiting, can_endorse=True, user=coordinators["vngoc"])

    assert form_actions(panel) == ["endorse", "decline"]
    assert buttons(panel) == ["Endorse the registration", "Decline to endorse the registration"]
    assert "Note to the organization (optional)" in words(panel)


def test_panel_shows_a_refused_decline_again_once_with_its_error(client, now, awaiting, coordinators):
    sign_in(client, coordinators["vngoc"])
    decide(client, awaiting, "decline", reason="")
    typed = "<Not> a member " + "x" * 1990

    decide(client, awaiting, "decline", reason=typed)
    panel, session_after = render_panel(client, awaiting, can_endorse=True, user=coordinators["vngoc"])

    decline = section(panel, 'value="decline"', "</form>")
    assert (
        '<textarea name="reason" id="decision-decline-reason" rows="3" maxlength="2000" required aria-invalid="true" '
        f'aria-describedby="decision-decline-reason_error">&lt;Not&gt; a member {"x" * 1990}</textarea>'
    ) in decline
    assert words(re.search(r'<ul class="field-errors" id="decision-decline-reason_error">(.*?)</ul>', decline).group(1)) == (
        "Ensure this value has at most 2000 characters (it has 2005)."
    )
    # The endorse form stays empty; the draft is gone once shown.
    assert '<textarea name="reason" id="decision-endorse-reason" rows="3" maxlength="2000"></textarea>' in panel
    assert "decision_draft" not in session_after


def test_panel_shows_a_refused_approval_again_with_the_ticked_participants(client, now, delegation, csu_officer):
    registration, (grace, peter, joseph) = delegation
    sign_in(client, csu_officer)
    decide(client, registration, "approve", reason="Welcome.", **{f"reject_{peter.pk}": "on", f"reject_{joseph.pk}": "on", f"reason_{joseph.pk}": "Duplicate."})

    panel, _session = render_panel(client, registration, can_decide=True, user=csu_officer)

    ticked = re.findall(r'<input type="checkbox" name="reject_(\d+)" id="decision-reject-\d+" checked>', panel)
    assert ticked == [str(peter.pk), str(joseph.pk)]
    assert f'<input type="text" name="reason_{joseph.pk}" id="decision-reason-{joseph.pk}" maxlength="2000" value="Duplicate.">' in panel
    assert f'<input type="text" name="reason_{peter.pk}" id="decision-reason-{peter.pk}" maxlength="2000" value="">' in panel
    assert '<textarea name="reason" id="decision-approve-reason" rows="2" maxlength="2000">Welcome.</textarea>' in panel


def test_panel_ignores_the_draft_of_another_registration(client, now, delegation, submitted, csu_officer):
    registration, _people = delegation
    sign_in(client, csu_officer)
    decide(client, submitted, "reject", reason="")

    panel, session_after = render_panel(client, registration, can_decide=True, user=csu_officer)

    assert "form-field-invalid" not in panel
    assert session_after["decision_draft"]["registration"] == submitted.pk


def test_successful_decision_drops_an_earlier_draft(client, now, awaiting, coordinators):
    sign_in(client, coordinators["vngoc"])
    decide(client, awaiting, "decline", reason="")

    decide(client, awaiting, "endorse")

    assert "decision_draft" not in client.session


# --- Endorsement queue ------------------------------------------------------------------------------------


def endorsement_sections(response) -> tuple[list[str], list[str]]:
    page = text(response)
    return (
        row_names(section(page, 'id="awaiting-heading"', "</section>")),
        [words(name) for name in re.findall(r'<th scope="row">(.*?)</th>', section(page, 'id="decided-heading"', "</section>"))],
    )


@pytest.fixture
def endorsements(now, session, commissions, organizations, bodies):
    """Registrations through the VNGOC in every state, one through the Alliance, and a draft."""
    cnd_71 = make_session(commissions["cnd"], 71, "71st session of the Commission on Narcotic Drugs", start=date(2028, 3, 13))
    made = {
        "hra-70": make_registration(session, organizations["a"], RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["vngoc"], submitted=NOW - timedelta(days=2)),
        "prn-70": make_registration(session, organizations["b"], RegistrationStatus.APPROVED, body=bodies["vngoc"], submitted=NOW - timedelta(days=9)),
        "hra-71": make_registration(cnd_71, organizations["a"], RegistrationStatus.DECLINED, body=bodies["vngoc"], submitted=NOW - timedelta(days=1)),
        "yfa-71": make_registration(cnd_71, make_organization("Youth for Africa", "", "yfa"), RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["vngoc"], submitted=NOW - timedelta(days=3)),
    }
    make_participant(made["hra-70"], "Otieno", "Grace")
    make_participant(made["hra-70"], "Mwangi", "Peter", position=1)
    make_registration(session, make_organization("Draft Only", "DO", "draft-only"), RegistrationStatus.DRAFT, body=bodies["vngoc"], submitted=None)
    ccpcj = make_session(commissions["ccpcj"], 36, "36th session of the CCPCJ")
    make_registration(ccpcj, organizations["b"], RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["alliance"])
    return made


def test_endorsement_queue_lists_awaiting_registrations_first_then_the_decided(client, endorsements, coordinators):
    sign_in(client, coordinators["vngoc"])

    response = client.get("/umbrella/vngoc/endorsements/")

    assert endorsement_sections(response) == (
        ["Youth for Africa", "Harm Reduction Alliance (HRA)"], ["Harm Reduction Alliance (HRA)", "Prison Reform Network (PRN)"]
    )
    page = text(response)
    assert f'<a href="/sessions/registrations/{endorsements["hra-71"].pk}/">Harm Reduction Alliance</a>' in page
    assert "2 registrations await endorsement" in page
    awaiting_rows = re.findall(r"<tr>(.*?)</tr>", section(page, 'id="awaiting-heading"', "</section>"))[1:]
    assert [[words(cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)] for row in awaiting_rows] == [
        ["Youth for Africa", "71st session of the Commission on Narcotic Drugs", "0", "9 Jan 2027, 10:30", "Endorse or decline Youth for Africa"],
        ["Harm Reduction Alliance (HRA)", CND_70, "2", "10 Jan 2027, 10:30", "Endorse or decline HRA"],
    ]
    assert f'<a href="/sessions/registrations/{endorsements["hra-70"].pk}/">Endorse or decline HRA</a>' in page
    decided = section(page, 'id="decided-heading"', "</section>")
    assert [words(badge) for badge in re.findall(r'<span class="badge[^"]*">(.*?)</span>', decided)] == [
        "Declined by the umbrella body", "Approved"
    ]


def test_endorsement_queue_tells_a_conflicted_coordinator_who_endorses(client, endorsements, coordinators, organizations):
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["vngoc"])
    sign_in(client, coordinators["vngoc"])

    page = text(client.get("/umbrella/vngoc/endorsements/"))

    assert "Endorse or decline HRA" not in page
    assert "Endorse or decline Youth for Africa" in page
    assert "You are a focal point of this organization: another coordinator or the Civil Society Unit endorses it." in page


def test_endorsement_queue_for_csu_shows_the_same_rows(client, endorsements, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/umbrella/vngoc/endorsements/")

    assert endorsement_sections(response) == (
        ["Youth for Africa", "Harm Reduction Alliance (HRA)"], ["Harm Reduction Alliance (HRA)", "Prison Reform Network (PRN)"]
    )


def test_endorsement_queue_without_registrations_says_so(client, bodies, coordinators):
    sign_in(client, coordinators["vngoc"])

    page = text(client.get("/umbrella/vngoc/endorsements/"))

    assert "0 registrations await endorsement" in page
    assert "No registration awaits endorsement." in page
    assert "No registration made through this body has been decided yet." in page


def test_endorsement_queue_query_count_does_not_grow_with_rows(client, now, session, organizations, bodies, coordinators, django_assert_num_queries):
    make_registration(session, organizations["a"], RegistrationStatus.AWAITING_ENDORSEMENT, body=bodies["vngoc"])
    sign_in(client, coordinators["vngoc"])
    # the login session with the user, its roles and MFA (portal.login_sessions), the body, the person's coordinated bodies,
    # the page's count, the person's organizations, the page's rows, the count awaiting
    with django_assert_num_queries(7):
        response = client.get("/umbrella/vngoc/endorsements/")
    assert endorsement_sections(response) == (["Harm Reduction Alliance (HRA)"], [])
    for number in range(8):
        registration = make_registration(
            session, make_organization(f"Member {number}", f"M{number}", f"member-{number}"),
            RegistrationStatus.AWAITING_ENDORSEMENT if number % 2 else RegistrationStatus.ENDORSED, body=bodies["vngoc"],
        )
        make_participant(registration, "Person", f"Number {number}")

    with django_assert_num_queries(7):
        response = client.get("/umbrella/vngoc/endorsements/")

    assert [len(names) for names in endorsement_sections(response)] == [5, 4]


# --- Exports -----------------------------------------------------------------------------------------


PARTICIPANTS_HEADER = [
    "Passport name", "Family name", "Given names", "Gender", "Nationality", "Date of birth", "Passport or ID number",
    "Valid until", "E-mail", "Role", "Attendance", "Organization", "Acronym", "Channel", "Umbrella body",
    "Visa letter requested",
]
RULE17_HEADER = ["Organization", "Acronym", "Headquarters country", "Website", "Description", "Registration status", "Rule 17"]


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def xlsx_rows(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [["" if cell is None else cell for cell in row] for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def approved(now, session, organizations, bodies):
    """Two approved delegations (one with a rejected participant), and one still awaiting CSU."""
    hra = make_registration(session, organizations["a"], RegistrationStatus.APPROVED, body=bodies["vngoc"])
    make_participant(hra, "Otieno", "Grace Akinyi", role=ParticipantRole.HEAD, needs_visa_letter=True, status=ParticipantStatus.APPROVED)
    make_participant(hra, "Kamau", "Joseph", position=1, status=ParticipantStatus.REJECTED, gender=Gender.MALE)
    make_participant(
        hra, "=HYPERLINK(\"http://evil.test\")", "Mallory", position=2, status=ParticipantStatus.APPROVED, gender=Gender.OTHER,
        nationality="TZ", passport_number="+99", attendance=Attendance.ONLINE, email="mallory@example.test",
    )
    prn = make_registration(session, organizations["b"], RegistrationStatus.APPROVED)
    make_participant(
        prn, "da Silva", "Ana Paula", status=ParticipantStatus.APPROVED, nationality="BR", date_of_birth=date(1990, 12, 1),
        passport_number="FZ998877", passport_expiry=date(2030, 1, 15), email="ana@example.test",
    )
    waiting = make_registration(session, make_organization("Drug Policy India", "DPI", "dpi", "IN"))
    make_participant(waiting, "Sharma", "Priya", nationality="IN")
    return hra, prn


EXPORTED_PARTICIPANTS = [
    [
        "OTIENO, Grace Akinyi", "Otieno", "Grace Akinyi", "Female", "Kenya", "1985-04-02", "A1234567", "2031-06-30",
        "grace@example.test", "Head of delegation", "In person", "Harm Reduction Alliance", "HRA",
        "Through an umbrella body", "Vienna NGO Committee on Drugs", "yes",
    ],
    [
        "'=HYPERLINK(\"HTTP://EVIL.TEST\"), Mallory", "'=HYPERLINK(\"http://evil.test\")", "Mallory", "Other or not stated",
        "Tanzania", "1985-04-02", "'+99", "2031-06-30", "mallory@example.test", "Representative",
        "Online", "Harm Reduction Alliance", "HRA", "Through an umbrella body", "Vienna NGO Committee on Drugs", "no",
    ],
    [
        "DA SILVA, Ana Paula", "da Silva", "Ana Paula", "Female", "Brazil", "1990-12-01", "FZ998877", "2030-01-15",
        "ana@example.test", "Representative", "In person", "Prison Reform Network", "PRN", "Directly", "", "no",
    ],
]


def test_participants_export_csv_lists_approved_participants_of_approved_delegations(client, approved, session, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/cnd/70/registrations/participants.csv")

    assert response["Content-Disposition"] == 'attachment; filename="cnd-70-participants-2027-01-12.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert csv_rows(response) == [PARTICIPANTS_HEADER, *EXPORTED_PARTICIPANTS]
    entry = ActivityLog.objects.get()
    assert (entry.action, entry.actor, entry.content_type.model, entry.object_id, entry.new_values, entry.note) == (
        "sessions.participants.exported", csu_officer, "session", str(session.pk), {"format": "csv", "rows": 3}, "",
    )


def test_participants_export_xlsx_has_the_same_rows(client, approved, session, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/cnd/70/registrations/participants.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="cnd-70-participants-2027-01-12.xlsx"'
    assert response["Cache-Control"] == "private, no-store"
    assert xlsx_rows(response) == [PARTICIPANTS_HEADER, *EXPORTED_PARTICIPANTS]
    assert list(ActivityLog.objects.values_list("action", "object_id", "new_values")) == [
        ("sessions.participants.exported", str(session.pk), {"format": "xlsx", "rows": 3})
    ]


def test_export_log_holds_no_personal_data(client, approved, csu_officer):
    sign_in(client, csu_officer)

    for file_format in ("csv", "xlsx"):
        b"".join(client.get(f"/sessions/cnd/70/registrations/participants.{file_format}").streaming_content)

    logged = " ".join(f"{entry.object_repr} {entry.old_values} {entry.new_values} {entry.note}" for entry in ActivityLog.objects.all())
    assert [secret in logged for secret in ("A1234567", "FZ998877", "1985-04-02", "Otieno", "grace@example.test")] == [False] * 5


def test_participants_export_of_a_session_without_approvals_has_only_the_header(client, session, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/cnd/70/registrations/participants.csv")

    assert csv_rows(response) == [PARTICIPANTS_HEADER]
    assert ActivityLog.objects.get().new_values == {"format": "csv", "rows": 0}


@pytest.fixture
def rule17_list(now, commissions, organizations):
    cosp = make_session(commissions["cosp"], 11, COSP_11, start=date(2027, 12, 13))
    organizations["a"].website = "https://hra.example"
    organizations["a"].description = "We   run harm reduction\nservices in Nairobi and Mombasa. " + "More. " * 80
    organizations["a"].save()
    organizations["b"].description = "@SUM(1+1) looks like a formula."
    organizations["b"].save()
    make_registration(cosp, organizations["b"], rule17_outcome=Rule17Outcome.OBJECTION)
    make_registration(cosp, organizations["a"], RegistrationStatus.APPROVED, rule17_outcome=Rule17Outcome.NO_OBJECTION)
    make_registration(cosp, make_organization("Anti-Corruption Kenya", "ACK", "ack"), rule17_outcome=Rule17Outcome.PENDING)
    make_registration(cosp, make_organization("ECOSOC Partner", "EP", "ep", ecosoc_status=EcosocStatus.GENERAL))
    return cosp


RULE17_ROWS = [
    ["Anti-Corruption Kenya", "ACK", "Kenya", "", "", "Submitted to the Civil Society Unit", "On the rule 17 list, awaiting States"],
    [
        "Harm Reduction Alliance", "HRA", "Kenya", "https://hra.example",
        # Spaces collapsed, cut at 300 characters with an ellipsis.
        ("We run harm reduction services in Nairobi and Mombasa. " + "More. " * 80)[:299] + "…",
        "Approved", "No objection",
    ],
    ["Prison Reform Network", "PRN", "Brazil", "", "'@SUM(1+1) looks like a formula.", "Submitted to the Civil Society Unit", "Objection"],
]


def test_rule17_export_csv_lists_the_organizations_on_the_list(client, rule17_list, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/cosp/11/registrations/rule-17.csv")

    assert response["Content-Disposition"] == 'attachment; filename="cosp-11-rule-17-2027-01-12.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(response)
    assert rows == [RULE17_HEADER, *RULE17_ROWS]
    assert len(rows[2][4]) == 300
    assert list(ActivityLog.objects.values_list("action", "actor", "object_id", "new_values")) == [
        ("sessions.rule17.exported", csu_officer.pk, str(rule17_list.pk), {"format": "csv", "rows": 3})
    ]


def test_rule17_export_xlsx_has_the_same_rows(client, rule17_list, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/cosp/11/registrations/rule-17.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="cosp-11-rule-17-2027-01-12.xlsx"'
    assert xlsx_rows(response) == [RULE17_HEADER, *RULE17_ROWS]
    assert list(ActivityLog.objects.values_list("action", "new_values")) == [("sessions.rule17.exported", {"format": "xlsx", "rows": 3})]
