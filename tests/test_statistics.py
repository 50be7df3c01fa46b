"""Participation statistics: figures checked against a hand-counted fixture, who sees what, exports,
charts, and a fixed number of queries however many participants."""

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import translation

from events.enums import SideEventStatus, SpeakerGender
from events.models import Room, SideEvent, Slot, Speaker
from organizations.enums import EcosocStatus, RegionalGroup, VerificationState
from organizations.models import Organization
from sessions import statistics
from sessions.charts import Bar, Series, bar_chart, line_chart, nice_step
from sessions.enums import Channel, Gender, ParticipantStatus, RegistrationStatus
from sessions.models import Participant, Registration, Session
from sessions.statistics import Cell, ordinal, suppress
from tests.conftest import give_totp
from umbrella.enums import MembershipStatus
from umbrella.models import UmbrellaMembership

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
TODAY = datetime(2026, 11, 22, 10, 0, tzinfo=VIENNA)
PAGE = "/sessions/cnd/69/statistics/"
TRENDS = "/sessions/cnd/statistics/"
SENTENCE = (
    "At its 69th session, the CND welcomed 7 NGO representatives from 3 organizations in 3 countries and 3 regional groups."
)
FEWER = "fewer than 5"


# --- Helpers ---------------------------------------------------------------------------------------


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def table_rows(page: str, key: str) -> list[list[str]]:
    """The rows of the table in the section `key` as the reader sees them, header first."""
    start = page.index(f'id="{key}-heading"')
    table = page[page.index("<table", start) : page.index("</table>", start)]
    return [
        [words(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table)
    ]


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def read_xlsx(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def sign_in(client, user):
    if user.groups.exists() or user.coordinator_links.exists():
        give_totp(user)
    client.force_login(user)
    return user


def make_session(commission, number, start) -> Session:
    return Session.objects.create(
        commission=commission, number=number, title=f"{number}th session of the {commission.name}", start_date=start,
        end_date=start + timedelta(days=4), venue="Vienna International Centre",
    )  # fmt: skip


def make_organization(name, acronym, country, ecosoc=EcosocStatus.NONE, year=None) -> Organization:
    return Organization.objects.create(
        name=name, acronym=acronym, slug=acronym.lower(), headquarters_country=country, ecosoc_status=ecosoc,
        ecosoc_year=year, verification_state=VerificationState.VERIFIED,
    )  # fmt: skip


def register(session, organization, status, people, *, body=None) -> Registration:
    """A registration with its participants: (gender, nationality, participant status)."""
    registration = Registration.objects.create(
        session=session, organization=organization, status=status,
        channel=Channel.UMBRELLA if body else Channel.DIRECT, umbrella_body=body,
    )  # fmt: skip
    for position, (gender, nationality, participant_status) in enumerate(people):
        Participant.objects.create(
            registration=registration, family_name=f"Person{position}", given_names="Test", gender=gender,
            nationality=nationality, email=f"p{registration.pk}-{position}@example.test", status=participant_status,
            position=position,
        )  # fmt: skip
    return registration


F, M, O = Gender.FEMALE, Gender.MALE, Gender.OTHER
OK, NO, WAIT = ParticipantStatus.APPROVED, ParticipantStatus.REJECTED, ParticipantStatus.PENDING


@pytest.fixture
def today(time_machine):
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def hand_counted(today, commissions, bodies, organizations, thematic_areas):
    """A small history counted by hand.

    CND 68 (2025): C attends with 1 approved participant; A's registration is rejected.
    CND 69 (2026), counted: A (KE, African, no ECOSOC status, through VNGOC) 3 of 4 (one rejected),
    B (BR, Latin American, special status) 2, C (AT, Western European, general status) 2: 7 people from
    3 organizations in 3 countries and 3 regional groups; women 3, men 3, other 1. Not counted: D's
    withdrawn registration, E's submitted one. First time at the CND: A (rejected before) and B (only
    at the CCPCJ before). Side events: A's accepted and scheduled (a woman and a man), C's accepted
    unscheduled (two men), B's submitted, D's rejected.
    """
    cnd, ccpcj = commissions["cnd"], commissions["ccpcj"]
    a, b = organizations["a"], organizations["b"]
    Organization.objects.filter(pk=b.pk).update(ecosoc_status=EcosocStatus.SPECIAL, ecosoc_year=2015)
    c = make_organization("Wiener Suchthilfe Verein", "WSV", "AT", EcosocStatus.GENERAL, 2001)
    d = make_organization("Ghana Recovery Network", "GRN", "GH")
    e = make_organization("Collectif Prison Dignité", "CPD", "FR")
    vngoc = bodies["vngoc"]
    UmbrellaMembership.objects.create(organization=a, body=vngoc, status=MembershipStatus.ACTIVE)
    UmbrellaMembership.objects.create(organization=c, body=vngoc, status=MembershipStatus.ACTIVE)
    UmbrellaMembership.objects.create(organization=e, body=vngoc, status=MembershipStatus.APPLIED)

    cnd_68 = make_session(cnd, 68, date(2025, 3, 10))
    cnd_69 = make_session(cnd, 69, date(2026, 3, 9))
    make_session(cnd, 70, date(2027, 3, 8))
    ccpcj_34 = make_session(ccpcj, 34, date(2025, 5, 19))
    register(cnd_68, c, RegistrationStatus.APPROVED, [(F, "AT", OK)])
    register(cnd_68, a, RegistrationStatus.REJECTED, [(F, "KE", NO)])
    register(ccpcj_34, b, RegistrationStatus.APPROVED, [(M, "BR", OK)])
    register(cnd_69, a, RegistrationStatus.APPROVED, [(F, "KE", OK), (F, "KE", OK), (M, "UG", OK), (F, "KE", NO)], body=vngoc)
    register(cnd_69, b, RegistrationStatus.APPROVED, [(M, "BR", OK), (O, "BR", OK)])
    register(cnd_69, c, RegistrationStatus.APPROVED, [(F, "AT", OK), (M, "DE", OK)])
    register(cnd_69, d, RegistrationStatus.WITHDRAWN, [(F, "GH", WAIT), (M, "GH", WAIT)])
    register(cnd_69, e, RegistrationStatus.SUBMITTED, [(F, "FR", WAIT)])

    room = Room.objects.create(venue="Vienna International Centre", name="Boardroom A", capacity=40)
    slot = Slot.objects.create(
        session=cnd_69, starts_at=datetime(2026, 3, 9, 13, 10, tzinfo=VIENNA), ends_at=datetime(2026, 3, 9, 14, 0, tzinfo=VIENNA)
    )
    events = [
        (a, SideEventStatus.ACCEPTED, ["drug-policy", "harm-reduction"], [SpeakerGender.FEMALE, SpeakerGender.MALE], True),
        (c, SideEventStatus.ACCEPTED, ["drug-policy"], [SpeakerGender.MALE, SpeakerGender.MALE], False),
        (b, SideEventStatus.SUBMITTED, ["gender"], [SpeakerGender.FEMALE], False),
        (d, SideEventStatus.REJECTED, ["drug-policy"], [SpeakerGender.FEMALE], False),
    ]
    for organization, status, themes, genders, scheduled in events:
        event = SideEvent.objects.create(
            session=cnd_69, lead_organization=organization, title=f"Event of {organization.acronym}", description="…",
            status=status, room=room if scheduled else None, slot=slot if scheduled else None,
        )  # fmt: skip
        event.themes.set([thematic_areas[slug] for slug in themes])
        for position, gender in enumerate(genders):
            Speaker.objects.create(event=event, name=f"Speaker {position}", gender=gender, country="AT", position=position)
    return {"cnd_68": cnd_68, "cnd_69": cnd_69, "a": a, "b": b, "c": c, "d": d, "e": e, "vngoc": vngoc}


# --- The figures ---------------------------------------------------------------------------------------


def test_session_statistics_match_the_hand_counted_fixture(hand_counted):
    stats = statistics.session_statistics(hand_counted["cnd_69"])

    assert (stats.representatives, stats.organizations, stats.countries, stats.regional_groups) == (7, 3, 3, 3)
    assert stats.genders == [("female", "Female", 3), ("male", "Male", 3), ("other", "Other or not stated", 1)]
    assert stats.by_regional_group == [
        statistics.Row("african", "African States", 1, 3),
        statistics.Row("latin_american_caribbean", "Latin American and Caribbean States", 1, 2),
        statistics.Row("western_european_other", "Western European and other States", 1, 2),
    ]
    assert stats.by_ecosoc_status == [
        statistics.Row("general", "General", 1, 2),
        statistics.Row("special", "Special", 1, 2),
        statistics.Row("none", "None", 1, 3),
    ]
    assert stats.by_channel == [
        statistics.Row("direct", "Directly", 2, 4),
        statistics.Row("umbrella", "Through an umbrella body", 1, 3),
    ]
    assert stats.by_umbrella_body == [statistics.Row("VNGOC", "Vienna NGO Committee on Drugs", 1, 3)]
    assert stats.nationalities == [("BR", "Brazil", 2), ("KE", "Kenya", 2), ("AT", "Austria", 1), ("DE", "Germany", 1), ("UG", "Uganda", 1)]
    assert [organization.acronym for organization in stats.first_time_organizations] == ["HRA", "PRN"]
    assert (stats.side_events, stats.side_events_scheduled) == (2, 1)
    assert stats.side_event_themes == [("Drug policy", 2), ("Harm reduction", 1)]
    assert stats.panels == [
        ("mixed", "Women and men on the panel", 1),
        ("only_women", "Only women on the panel", 0),
        ("only_men", "Only men on the panel", 1),
        ("neither", "No woman or man listed", 0),
    ]
    assert stats.speakers == [("female", "Woman", 1), ("male", "Man", 3), ("other", "Other or not stated", 0)]
    assert stats.sentence == SENTENCE


def test_session_statistics_registration_status_counts_for_csu(hand_counted):
    assert statistics.registration_status_counts(hand_counted["cnd_69"]) == {
        "registrations": [
            ("submitted", "Submitted to the Civil Society Unit", 1),
            ("approved", "Approved", 3),
            ("withdrawn", "Withdrawn", 1),
        ],
        "participants": [("pending", "Awaiting decision", 0), ("approved", "Approved", 7), ("rejected", "Rejected", 1)],
    }


def test_session_statistics_of_a_session_without_participants(hand_counted):
    stats = statistics.session_statistics(Session.objects.get(commission__code="cnd", number=70))

    assert (stats.representatives, stats.organizations, stats.first_time_organizations, stats.side_events) == (0, 0, [], 0)
    assert stats.sentence == "No NGO representatives were approved for the 70th session of the CND."


def test_participation_sentence_singular_and_all_five_regional_groups(today, commissions):
    session = make_session(commissions["cnd"], 61, date(2018, 3, 12))
    stats = statistics.SessionStatistics(session=session, representatives=1, organizations=1, countries=1, regional_groups=1)
    assert stats.sentence == (
        "At its 61st session, the CND welcomed 1 NGO representative from 1 organization in 1 country and 1 regional group."
    )
    stats = statistics.SessionStatistics(session=session, representatives=230, organizations=67, countries=41, regional_groups=5)
    assert stats.sentence == (
        "At its 61st session, the CND welcomed 230 NGO representatives from 67 organizations in 41 countries and all five "
        "regional groups."
    )


def test_participation_sentence_of_a_session_not_over_yet(today, commissions):
    session = make_session(commissions["cnd"], 70, date(2027, 3, 8))
    stats = statistics.SessionStatistics(session=session, representatives=2, organizations=1, countries=1, regional_groups=1)

    assert stats.sentence == (
        "For its 70th session, the CND has so far approved 2 NGO representatives from 1 organization in 1 country and "
        "1 regional group."
    )


def test_ordinal_per_language():
    assert [ordinal(number, "en") for number in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 69, 70, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "69th", "70th", "101st", "111th", "112th",
    ]  # fmt: skip
    assert [ordinal(number, "fr") for number in (1, 2, 70)] == ["1re", "2e", "70e"]
    assert [ordinal(number, "es") for number in (1, 70)] == ["1.º", "70.º"]
    with translation.override("fr"):
        assert ordinal(69) == "69e"


def test_suppress_small_cells_and_the_one_that_would_reveal_them():
    assert suppress([3, 3, 1], exact=True) == [Cell(3), Cell(3), Cell(1)]
    assert suppress([12, 7, 3], exact=False) == [Cell(12), Cell(7, "complementary"), Cell(3, "small")]
    assert suppress([2, 3, 10], exact=False) == [Cell(2, "small"), Cell(3, "small"), Cell(10)]
    assert suppress([9, 0, 6], exact=False) == [Cell(9), Cell(0), Cell(6)]
    assert [str(cell) for cell in suppress([12, 7, 3], exact=False)] == ["12", "not shown", FEWER]


def test_commission_trends_match_the_hand_counted_fixture(hand_counted):
    points = statistics.commission_trends(hand_counted["cnd_69"].commission)

    assert [
        (p.session.number, p.representatives, p.organizations, p.countries, p.regional_groups, p.side_events, p.by_regional_group)
        for p in points
    ] == [
        (68, 1, 1, 1, 1, 0, {"western_european_other": 1}),
        (69, 7, 3, 3, 3, 2, {"african": 3, "latin_american_caribbean": 2, "western_european_other": 2}),
    ]
    assert [point.genders for point in points] == [
        [("female", "Female", 1), ("male", "Male", 0), ("other", "Other or not stated", 0)],
        [("female", "Female", 3), ("male", "Male", 3), ("other", "Other or not stated", 1)],
    ]


def test_body_participation_match_the_hand_counted_fixture(hand_counted):
    rows = statistics.body_participation(hand_counted["vngoc"])

    assert [
        (row.label, row.organizations_through_body, row.representatives_through_body, row.member_organizations, row.member_representatives)
        for row in rows
    ] == [("CND 68", 0, 0, 1, 1), ("CND 69", 1, 3, 2, 5)]
    assert [
        (organization.acronym, organization.sessions_attended, organization.through_body, organization.representatives_sent)
        for organization in statistics.members_attendance(hand_counted["vngoc"])
    ] == [("WSV", 2, 0, 3), ("HRA", 1, 1, 3)]


def test_find_session_by_id_or_by_commission_and_number(hand_counted):
    cnd_69 = hand_counted["cnd_69"]

    assert [statistics.find_session(reference) for reference in (str(cnd_69.pk), "cnd-69", "CND-69", "cnd-99", "x", "")] == [
        cnd_69, cnd_69, cnd_69, None, None, None,
    ]  # fmt: skip


# --- The session's page ---------------------------------------------------------------------------------


def test_session_statistics_page_public_shows_figures_sentence_and_suppressed_gender(client, hand_counted):
    response = client.get(PAGE)

    page = text(response)
    assert response.status_code == 200
    assert SENTENCE in page
    assert table_rows(page, "summary") == [
        ["Figure", "Number"], ["NGO representatives", "7"], ["Organizations", "3"],
        ["Countries (organizations' headquarters)", "3"], ["Regional groups", "3"], ["First-time organizations", "2"],
        ["Side events accepted", "2"], ["Side events scheduled", "1"],
    ]  # fmt: skip
    assert table_rows(page, "regional-groups") == [
        ["Regional group", "Organizations", "NGO representatives"],
        ["African States", "1", "3"], ["Asia-Pacific States", "0", "0"], ["Eastern European States", "0", "0"],
        ["Latin American and Caribbean States", "1", "2"], ["Western European and other States", "1", "2"],
    ]  # fmt: skip
    assert table_rows(page, "gender") == [["Gender", "NGO representatives"], ["Female", FEWER], ["Male", FEWER], ["Other or not stated", FEWER]]
    assert table_rows(page, "nationalities")[1:] == [["Brazil", FEWER], ["Kenya", FEWER], ["Austria", FEWER], ["Germany", FEWER], ["Uganda", FEWER]]
    assert table_rows(page, "first-time-organizations") == [
        ["Organization", "Acronym", "Headquarters country", "Regional group"],
        ["Harm Reduction Alliance", "HRA", "Kenya", "African States"],
        ["Prison Reform Network", "PRN", "Brazil", "Latin American and Caribbean States"],
    ]
    assert table_rows(page, "umbrella-bodies") == [
        ["Umbrella body", "Organizations", "NGO representatives"], ["Vienna NGO Committee on Drugs", "1", "3"]
    ]
    assert table_rows(page, "side-event-themes") == [["Theme", "Side events"], ["Drug policy", "2"], ["Harm reduction", "1"]]
    assert "counts by gender and nationality below 5 are shown as “fewer than 5”" in html.unescape(page)
    assert "For the Civil Society Unit" not in page
    assert 'id="registration-status-heading"' not in page


@pytest.mark.parametrize("persona", ["outsider", "focal_point", "coordinator"])
def test_session_statistics_page_other_roles_see_the_public_version(client, hand_counted, persona, outsider, focal_points, coordinators):
    user = {"outsider": outsider, "focal_point": focal_points["a"], "coordinator": coordinators["vngoc"]}[persona]
    sign_in(client, user)

    page = text(client.get(PAGE))

    assert table_rows(page, "gender")[1:] == [["Female", FEWER], ["Male", FEWER], ["Other or not stated", FEWER]]
    assert ("For the Civil Society Unit" in page, 'id="participant-status-heading"' in page) == (False, False)


def test_session_statistics_page_csu_sees_exact_figures_and_its_section(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    page = text(client.get(PAGE))

    assert table_rows(page, "gender") == [["Gender", "NGO representatives"], ["Female", "3"], ["Male", "3"], ["Other or not stated", "1"]]
    assert table_rows(page, "speakers")[1:] == [["Woman", "1"], ["Man", "3"], ["Other or not stated", "0"]]
    assert table_rows(page, "nationalities")[1:] == [["Brazil", "2"], ["Kenya", "2"], ["Austria", "1"], ["Germany", "1"], ["Uganda", "1"]]
    assert "For the Civil Society Unit" in page
    assert table_rows(page, "registration-status") == [
        ["Status", "Registrations"], ["Submitted to the Civil Society Unit", "1"], ["Approved", "3"], ["Withdrawn", "1"]
    ]
    assert table_rows(page, "participant-status")[1:] == [["Awaiting decision", "0"], ["Approved", "7"], ["Rejected", "1"]]


def test_session_statistics_page_unknown_session_is_404(client, hand_counted):
    assert [client.get(url).status_code for url in ("/sessions/cnd/99/statistics/", "/sessions/xyz/69/statistics/")] == [404, 404]


def test_session_statistics_page_charts_are_accessible_images_without_style_attributes(client, hand_counted):
    page = client.get(PAGE).content.decode()

    charts = re.findall(r"<svg[^>]*>", page)
    assert len(charts) == 5  # regional groups, ECOSOC status, channels, umbrella bodies, themes (the gender ones: all suppressed)
    assert all('role="img"' in svg and 'aria-labelledby="' in svg for svg in charts)
    assert '<title id="session-regional-groups-chart-title">By UN regional group</title>' in page
    assert (
        '<desc id="session-regional-groups-chart-desc">Bar chart of ngo representatives by regional group. '
        "The figures are in the table beside it.</desc>"
    ) in page
    assert "style=" not in page
    assert "<script>" not in page


def test_session_statistics_page_links_from_the_session_page(client, hand_counted):
    assert f'href="{PAGE}"' in client.get("/sessions/cnd/69/").content.decode()


# --- Exports ---------------------------------------------------------------------------------------------


def test_session_statistics_export_csv_public_is_suppressed(client, hand_counted):
    response = client.get(f"{PAGE}gender.csv")

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert response["Content-Disposition"] == 'attachment; filename="cnd-69-gender.csv"'
    assert read_csv(response) == [["Gender", "NGO representatives"], ["Female", FEWER], ["Male", FEWER], ["Other or not stated", FEWER]]


def test_session_statistics_export_csv_regional_groups(client, hand_counted):
    assert read_csv(client.get(f"{PAGE}regional-groups.csv")) == [
        ["Regional group", "Organizations", "NGO representatives"],
        ["African States", "1", "3"], ["Asia-Pacific States", "0", "0"], ["Eastern European States", "0", "0"],
        ["Latin American and Caribbean States", "1", "2"], ["Western European and other States", "1", "2"],
    ]  # fmt: skip


def test_session_statistics_export_xlsx_csu_exact(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(f"{PAGE}gender.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="cnd-69-gender.xlsx"'
    assert "no-store" in response["Cache-Control"]
    assert read_xlsx(response) == [["Gender", "NGO representatives"], ["Female", 3], ["Male", 3], ["Other or not stated", 1]]


def test_session_statistics_export_csu_table_is_404_for_the_public(client, hand_counted, outsider):
    sign_in(client, outsider)

    assert [
        client.get(f"{PAGE}{path}").status_code
        for path in ("registration-status.csv", "participant-status.xlsx", "gender.pdf", "unknown.csv")
    ] == [404, 404, 404, 404]


def test_session_statistics_export_neutralises_formulas(client, hand_counted):
    Organization.objects.filter(acronym="HRA").update(name="=HYPERLINK(\"http://evil\")")

    rows = read_csv(client.get(f"{PAGE}first-time-organizations.csv"))

    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"


# --- Trends ----------------------------------------------------------------------------------------------


def test_commission_trends_page_public(client, hand_counted):
    page = text(client.get(TRENDS))

    assert table_rows(page, "participation") == [
        ["Session (year)", "NGO representatives", "Organizations", "Countries", "Regional groups"],
        ["68 (2025)", "1", "1", "1", "1"],
        ["69 (2026)", "7", "3", "3", "3"],
    ]
    assert table_rows(page, "regional-groups")[1:] == [["68 (2025)", "0", "0", "0", "0", "1"], ["69 (2026)", "3", "0", "0", "2", "2"]]
    assert table_rows(page, "side-events")[1:] == [["68 (2025)", "0"], ["69 (2026)", "2"]]
    assert len(re.findall(r'<svg[^>]*role="img"', page)) == 3
    assert 'id="gender-heading"' not in page
    assert f'href="{PAGE}"' in page


def test_commission_trends_page_csu_sees_gender(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    page = text(client.get(TRENDS))

    assert table_rows(page, "gender") == [
        ["Session (year)", "Female", "Male", "Other or not stated"], ["68 (2025)", "1", "0", "0"], ["69 (2026)", "3", "3", "1"]
    ]


def test_commission_trends_export_csv_and_gender_only_for_csu(client, hand_counted, csu_officer):
    assert read_csv(client.get(f"{TRENDS}side-events.csv")) == [["Session (year)", "Side events accepted"], ["68 (2025)", "0"], ["69 (2026)", "2"]]
    assert client.get(f"{TRENDS}gender.csv").status_code == 404
    sign_in(client, csu_officer)
    assert read_csv(client.get(f"{TRENDS}gender.csv"))[2] == ["69 (2026)", "3", "3", "1"]


def test_commission_trends_page_of_an_unknown_commission_is_404(client, hand_counted):
    assert client.get("/sessions/nope/statistics/").status_code == 404


def test_statistics_index_lists_commissions_and_the_comparison_only_for_csu(client, hand_counted, csu_officer):
    page = client.get("/sessions/statistics/").content.decode()
    assert ('href="/sessions/cnd/statistics/"' in page, 'href="/sessions/statistics/compare/"' in page) == (True, False)
    sign_in(client, csu_officer)
    assert 'href="/sessions/statistics/compare/"' in client.get("/sessions/statistics/").content.decode()


# --- Comparing two sessions (CSU) -----------------------------------------------------------------------------


def test_compare_sessions_csu_sees_both_side_by_side(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/statistics/compare/", {"a": hand_counted["cnd_68"].pk, "b": "cnd-69"})

    page = text(response)
    assert table_rows(page, "figures") == [
        ["Figure", "CND 68", "CND 69", "Change"], ["NGO representatives", "1", "7", "+6"], ["Organizations", "1", "3", "+2"],
        ["Countries", "1", "3", "+2"], ["Regional groups", "1", "3", "+2"], ["First-time organizations", "1", "2", "+1"],
        ["Side events", "0", "2", "+2"],
    ]  # fmt: skip
    assert table_rows(page, "gender")[1:] == [["Female", "1", "3", "+2"], ["Male", "0", "3", "+3"], ["Other or not stated", "0", "1", "+1"]]
    assert table_rows(page, "regional-groups")[1:] == [
        ["Western European and other States", "1", "2", "+1"], ["African States", "0", "3", "+3"],
        ["Latin American and Caribbean States", "0", "2", "+2"],
    ]  # fmt: skip
    assert '<option value="cnd-68" selected>' in page


def test_compare_sessions_export(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/sessions/statistics/compare/figures.csv", {"a": "cnd-68", "b": "cnd-69"})

    assert response["Content-Disposition"] == 'attachment; filename="compare-cnd-68-cnd-69-figures.csv"'
    assert read_csv(response)[:3] == [["Figure", "CND 68", "CND 69", "Change"], ["NGO representatives", "1", "7", "6"], ["Organizations", "1", "3", "2"]]


def test_compare_sessions_form_without_choice_shows_no_tables(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    page = text(client.get("/sessions/statistics/compare/"))

    assert ('<label for="id_a">First session</label>' in page, 'id="figures-heading"' in page) == (True, False)
    assert "Select a valid choice" in text(client.get("/sessions/statistics/compare/", {"a": "cnd-99", "b": "cnd-69"}))


def test_compare_sessions_is_404_for_everyone_but_csu(client, hand_counted, outsider, focal_points, coordinators):
    responses = []
    for user in (outsider, focal_points["a"], coordinators["vngoc"]):
        sign_in(client, user)
        responses.append(client.get("/sessions/statistics/compare/", {"a": "cnd-68", "b": "cnd-69"}).status_code)
        responses.append(client.get("/sessions/statistics/compare/figures.csv", {"a": "cnd-68", "b": "cnd-69"}).status_code)
    client.logout()
    anonymous = client.get("/sessions/statistics/compare/")
    assert responses == [404] * 6
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/accounts/login/?next=/sessions/statistics/compare/")


# --- An umbrella body's participation --------------------------------------------------------------------------


def test_body_participation_page_for_its_coordinator(client, hand_counted, coordinators):
    sign_in(client, coordinators["vngoc"])

    page = text(client.get("/umbrella/vngoc/participation/"))

    assert table_rows(page, "sessions") == [
        ["Session", "Organizations through the body", "NGO representatives through the body", "Members attending", "Members' NGO representatives"],
        ["CND 68", "0", "0", "1", "1"],
        ["CND 69", "1", "3", "2", "5"],
    ]
    assert table_rows(page, "members") == [
        ["Organization", "Sessions attended", "Of which through the body", "NGO representatives sent"],
        ["Wiener Suchthilfe Verein", "2", "0", "3"],
        ["Harm Reduction Alliance", "1", "1", "3"],
    ]
    assert len(re.findall(r'<svg[^>]*role="img"', page)) == 1


def test_body_participation_export_xlsx(client, hand_counted, csu_officer):
    sign_in(client, csu_officer)

    response = client.get("/umbrella/vngoc/participation/members.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="vngoc-participation-members.xlsx"'
    assert read_xlsx(response)[1:] == [["Wiener Suchthilfe Verein", 2, 0, 3], ["Harm Reduction Alliance", 1, 1, 3]]


def test_body_participation_is_404_for_other_bodies_and_roles(client, hand_counted, coordinators, focal_points, outsider):
    statuses = []
    for user in (coordinators["alliance"], focal_points["a"], outsider):
        sign_in(client, user)
        statuses += [client.get("/umbrella/vngoc/participation/").status_code, client.get("/umbrella/vngoc/participation/sessions.csv").status_code]
    assert statuses == [404] * 6


def test_body_participation_linked_from_the_dashboard(client, hand_counted, coordinators):
    sign_in(client, coordinators["vngoc"])

    assert 'href="/umbrella/vngoc/participation/"' in client.get("/umbrella/vngoc/manage/").content.decode()


# --- Charts --------------------------------------------------------------------------------------------------


def test_bar_chart_escapes_labels_and_leaves_suppressed_bars_out():
    svg = bar_chart(
        chart_id="c", title="Gender <b>", description="Bars",
        bars=[Bar("Women & girls", 12, "12"), Bar("Men", None, FEWER)],
    )  # fmt: skip

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 720 80" aria-labelledby="c-title c-desc"')
    assert '<title id="c-title">Gender &lt;b&gt;</title><desc id="c-desc">Bars</desc>' in svg
    assert "Women &amp; girls" in svg
    assert svg.count("<rect") == 1
    assert f">{FEWER}</text>" in svg


def test_line_chart_draws_one_line_per_series_with_a_legend():
    svg = line_chart(
        chart_id="t", title="Trend", description="Lines", x_labels=["2018", "2019", "2020"],
        series=[Series("Representatives", [100, 140, 90]), Series("Organizations", [20, 30, 25])],
    )  # fmt: skip

    assert svg.count("<polyline") == 2
    assert ">Representatives</text>" in svg and ">Organizations</text>" in svg
    assert [label for label in ("2018", "2019", "2020") if f">{label}</text>" not in svg] == []
    assert 'stroke-dasharray="6 3"' in svg


def test_nice_step_rounds_the_grid():
    assert [nice_step(value) for value in (0, 3, 10, 37, 230, 1800)] == [1, 1, 5, 10, 100, 500]


# --- A fixed number of queries ------------------------------------------------------------------------------------


def _crowd(session, count: int, organizations_count: int) -> None:
    """`count` approved participants of `organizations_count` new organizations, by bulk_create."""
    groups = list(RegionalGroup.values)
    countries_by_group = {"african": "KE", "asia_pacific": "IN", "eastern_european": "PL", "latin_american_caribbean": "BR", "western_european_other": "AT"}
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Crowd organization {number}", slug=f"crowd-{session.pk}-{number}",
            headquarters_country=countries_by_group[groups[number % 5]], regional_group=groups[number % 5],
            verification_state=VerificationState.VERIFIED,
        )
        for number in range(organizations_count)
    )  # fmt: skip
    registrations = Registration.objects.bulk_create(
        Registration(session=session, organization=organization, status=RegistrationStatus.APPROVED) for organization in organizations
    )
    Participant.objects.bulk_create(
        Participant(
            registration=registrations[number % organizations_count], family_name=f"P{number}", given_names="Crowd",
            gender=Gender.values[number % 3], nationality="AT", email=f"p{number}@example.test", status=ParticipantStatus.APPROVED,
        )
        for number in range(count)
    )  # fmt: skip


@pytest.mark.parametrize("participants, organizations_count", [(3, 1), (3000, 300)])
def test_session_statistics_page_fixed_number_of_queries(client, today, commissions, participants, organizations_count, django_assert_num_queries):
    session = make_session(commissions["cnd"], 69, date(2026, 3, 9))
    _crowd(session, participants, organizations_count)

    # The session, its approved registrations' ids, then the figures (nine); the page is cached afterwards.
    with django_assert_num_queries(11):
        response = client.get(PAGE)

    assert table_rows(text(response), "summary")[1] == ["NGO representatives", str(participants)]


@pytest.mark.parametrize("sessions_count", [1, 12])
def test_commission_trends_page_fixed_number_of_queries(client, today, commissions, sessions_count, django_assert_num_queries):
    for number in range(sessions_count):
        _crowd(make_session(commissions["cnd"], 58 + number, date(2015 + number, 3, 9)), 20, 4)

    with django_assert_num_queries(5):
        response = client.get(TRENDS)

    assert len(table_rows(text(response), "participation")) == sessions_count + 1


@pytest.mark.parametrize("sessions_count", [1, 6])
def test_body_participation_page_fixed_number_of_queries(client, today, commissions, bodies, coordinators, sessions_count, django_assert_num_queries):
    sign_in(client, coordinators["vngoc"])
    for number in range(sessions_count):
        session = make_session(commissions["cnd"], 60 + number, date(2017 + number, 3, 9))
        _crowd(session, 10, 2)
        Registration.objects.filter(session=session).update(channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"])
        for organization in Organization.objects.filter(registrations__session=session):
            UmbrellaMembership.objects.create(organization=organization, body=bodies["vngoc"], status=MembershipStatus.ACTIVE)
    client.get("/umbrella/vngoc/participation/")  # the session and MFA checks settle

    # the login session with the user, its roles and MFA (portal.login_sessions), the body, the person's coordinated bodies,
    # the figures per session, the organizations, the body's commissions
    with django_assert_num_queries(6):
        response = client.get("/umbrella/vngoc/participation/")

    assert len(table_rows(text(response), "sessions")) == sessions_count + 1
