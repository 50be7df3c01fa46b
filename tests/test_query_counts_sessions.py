"""Query counts and caches of the session and side-event pages that bench/run.py measures (issue 10).

A session's statistics (cached per session, in a public and an exact variant), one side event's page and the
programme's filters (cached with the public programme), CSU's review queue (its country choices cached). Each
cache is shown to forget what it keeps when what it shows changes.
"""

import re
from datetime import date

import pytest
from django.core.cache import cache
from django.utils import timezone

from events.enums import SideEventStatus, SpeakerGender
from events.models import SideEvent, Speaker
from organizations.models import Organization
from sessions import statistics
from sessions.enums import Channel, ParticipantStatus, RegistrationStatus
from sessions.models import Participant, Registration, Session
from tests.test_programme import PROGRAMME, add_programme, listed_events, main, rooms, slots  # noqa: F401
from tests.test_query_counts import cnd70  # noqa: F401
from tests.test_registration_pages import now  # noqa: F401
from tests.test_review_pages import QUEUE, add_registrations, queue_rows  # noqa: F401
from tests.test_review_pages import session as review_session  # noqa: F401
from tests.test_statistics import FEWER, F, M, OK, PAGE, hand_counted, make_organization, register, sign_in, table_rows, text, today  # noqa: F401

pytestmark = pytest.mark.django_db


# --- A session's statistics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("people", [1, 40])
def test_statistics_page_second_visit_makes_no_query(client, today, commissions, django_assert_num_queries, people):  # noqa: F811
    session = Session.objects.create(
        commission=commissions["cnd"], number=69, title="69th session", start_date=date(2026, 3, 9), end_date=date(2026, 3, 13),
        venue="Vienna International Centre",
    )  # fmt: skip
    organization = make_organization("Harm Reduction Coalition", "HRC", "KE")
    register(session, organization, RegistrationStatus.APPROVED, [(F, "KE", OK)] * people)
    first = client.get(PAGE)

    with django_assert_num_queries(0):  # the session is kept with the figures (sessions.caching)
        second = client.get(PAGE)

    assert main(second) == main(first)
    assert table_rows(text(second), "summary")[1] == ["NGO representatives", str(people)]


def test_statistics_page_public_and_csu_variants_are_kept_apart(client, hand_counted, csu_officer):  # noqa: F811
    public_before = table_rows(text(client.get(PAGE)), "gender")
    sign_in(client, csu_officer)
    exact = text(client.get(PAGE))
    client.logout()
    public_after = table_rows(text(client.get(PAGE)), "gender")

    assert public_before == public_after == [["Gender", "NGO representatives"], ["Female", FEWER], ["Male", FEWER], ["Other or not stated", FEWER]]
    assert table_rows(exact, "gender") == [["Gender", "NGO representatives"], ["Female", "3"], ["Male", "3"], ["Other or not stated", "1"]]
    assert table_rows(exact, "registration-status")[1:] == [["Submitted to the Civil Society Unit", "1"], ["Approved", "3"], ["Withdrawn", "1"]]


def test_statistics_csu_first_then_public_sees_no_exact_figure(client, hand_counted, csu_officer):  # noqa: F811
    sign_in(client, csu_officer)
    client.get(PAGE)
    client.logout()

    page = text(client.get(PAGE))

    assert table_rows(page, "nationalities")[1:] == [["Brazil", FEWER], ["Kenya", FEWER], ["Austria", FEWER], ["Germany", FEWER], ["Uganda", FEWER]]
    assert "For the Civil Society Unit" not in page


def _summary(client) -> dict[str, str]:
    return dict(table_rows(text(client.get(PAGE)), "summary")[1:])


@pytest.mark.parametrize(
    "change",
    ["participant approved", "registration rejected", "new approved registration", "side event accepted", "speaker added"],
)
def test_statistics_page_is_recounted_when_what_it_counts_changes(client, hand_counted, change):  # noqa: F811
    assert _summary(client)["NGO representatives"] == "7"
    cnd_69 = hand_counted["cnd_69"]
    if change == "participant approved":
        participant = Participant.objects.get(registration__session=cnd_69, status=ParticipantStatus.REJECTED)
        participant.status = ParticipantStatus.APPROVED
        participant.save()
        expected = {"NGO representatives": "8"}
    elif change == "registration rejected":
        registration = Registration.objects.get(session=cnd_69, organization=hand_counted["c"])
        registration.status = RegistrationStatus.REJECTED
        registration.save()
        expected = {"NGO representatives": "5", "Organizations": "2"}
    elif change == "new approved registration":
        register(cnd_69, hand_counted["d"], RegistrationStatus.APPROVED, [(M, "GH", OK)])
        expected = {"NGO representatives": "8", "Organizations": "4", "First-time organizations": "3"}
    elif change == "side event accepted":
        event = SideEvent.objects.get(session=cnd_69, status=SideEventStatus.SUBMITTED)
        event.status = SideEventStatus.ACCEPTED
        event.save()
        expected = {"Side events accepted": "3"}
    else:
        event = SideEvent.objects.get(session=cnd_69, lead_organization=hand_counted["c"])
        Speaker.objects.create(event=event, name="New speaker", gender=SpeakerGender.FEMALE, country="AT", position=5)
        expected = {}

    summary = _summary(client)
    assert {name: summary[name] for name in expected} == expected
    if change == "speaker added":
        assert table_rows(text(client.get(PAGE)), "panels")[1:3] == [["Women and men on the panel", FEWER], ["Only women on the panel", "0"]]


@pytest.mark.parametrize("change", ["organization renamed", "umbrella body renamed"])
def test_statistics_page_shows_new_names_of_what_every_session_shows(client, hand_counted, change):  # noqa: F811
    client.get(PAGE)
    if change == "organization renamed":
        organization = Organization.objects.get(pk=hand_counted["a"].pk)
        organization.name = "Harm Reduction Alliance International"
        organization.save()
        assert table_rows(text(client.get(PAGE)), "first-time-organizations")[1][0] == "Harm Reduction Alliance International"
    else:
        body = hand_counted["vngoc"]
        body.name = "Vienna NGO Committee"
        body.save()
        assert table_rows(text(client.get(PAGE)), "umbrella-bodies")[1:] == [["Vienna NGO Committee", "1", "3"]]


def test_statistics_change_in_another_session_keeps_this_sessions_figures(hand_counted):  # noqa: F811
    cnd_69, cnd_68 = hand_counted["cnd_69"], hand_counted["cnd_68"]
    key = statistics.cache_key("session", cnd_69.pk)
    other_key = statistics.cache_key("session", cnd_68.pk)

    registration = Registration.objects.get(session=cnd_68, organization=hand_counted["c"])
    registration.status = RegistrationStatus.REJECTED
    registration.save()

    assert statistics.cache_key("session", cnd_69.pk) == key
    assert statistics.cache_key("session", cnd_68.pk) != other_key


def test_statistics_version_changes_at_once_and_again_on_commit(hand_counted, django_capture_on_commit_callbacks):  # noqa: F811
    cnd_69 = hand_counted["cnd_69"]
    before = statistics.cache_key("session", cnd_69.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        registration = Registration.objects.get(session=cnd_69, organization=hand_counted["b"])
        registration.status = RegistrationStatus.WITHDRAWN
        registration.save()
        during = statistics.cache_key("session", cnd_69.pk)

    assert len(callbacks) == 1
    assert during != before
    assert statistics.cache_key("session", cnd_69.pk) not in (before, during)


def test_statistics_participant_saved_without_its_registration_at_hand_forgets_every_session(hand_counted):  # noqa: F811
    keys = {name: statistics.cache_key("session", hand_counted[name].pk) for name in ("cnd_68", "cnd_69")}
    participant = Participant.objects.filter(registration__session=hand_counted["cnd_69"]).first()
    participant = Participant.objects.get(pk=participant.pk)  # its registration not read

    participant.given_names = "Changed"
    participant.save()

    assert {name: statistics.cache_key("session", hand_counted[name].pk) for name in keys} != keys
    assert all(statistics.cache_key("session", hand_counted[name].pk) != key for name, key in keys.items())


# --- One side event's page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("speakers", [2, 12])
def test_event_page_second_visit_reads_nothing_and_shows_the_same(client, cnd70, rooms, slots, thematic_areas, focal_points, django_assert_num_queries, speakers):  # noqa: F811
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    Speaker.objects.bulk_create(Speaker(event=event, name=f"More {n}", gender="male", country="BR", position=5 + n) for n in range(speakers - 2))
    first = client.get(f"/events/{event.pk}/")

    with django_assert_num_queries(0):
        second = client.get(f"/events/{event.pk}/")
    client.force_login(focal_points["a"])
    signed_in = client.get(f"/events/{event.pk}/")

    assert main(second) == main(first) == main(signed_in)
    assert len(re.findall(r"(?:Speaker|More) \d+ — — ", main(first))) == speakers
    assert "<title>Side event 00 · UNODC</title>" in second.content.decode()


def test_event_page_cache_forgets_the_event_when_it_changes(client, cnd70, rooms, slots, thematic_areas):  # noqa: F811
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    client.get(f"/events/{event.pk}/")

    event.title = "A new title"
    event.save()
    Speaker.objects.create(event=event, name="Late Speaker", gender="female", country="KE", position=9)
    page = client.get(f"/events/{event.pk}/").content.decode()

    assert ("A new title" in page, "Late Speaker" in page, "<title>A new title · UNODC</title>" in page) == (True, True, True)


def test_event_page_of_an_unpublished_event_is_not_kept_as_missing(client, cnd70, rooms, slots, thematic_areas):  # noqa: F811
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    SideEvent.objects.filter(pk=event.pk).update(status=SideEventStatus.SUBMITTED)
    assert client.get(f"/events/{event.pk}/").status_code == 404

    event.status = SideEventStatus.ACCEPTED
    event.save()

    assert client.get(f"/events/{event.pk}/").status_code == 200


# --- The programme's filters --------------------------------------------------------------------------------


def test_programme_with_filters_second_visit_reads_nothing(client, cnd70, rooms, slots, thematic_areas, django_assert_num_queries):  # noqa: F811
    add_programme(cnd70, [rooms["m3"], rooms["board"]], slots, 12, [thematic_areas["youth"]])
    asked = {"room": rooms["m3"].pk, "theme": "youth"}
    first = client.get(PROGRAMME, asked)

    with django_assert_num_queries(0):
        second = client.get(PROGRAMME, asked)

    assert main(second) == main(first)
    assert len(listed_events(second)) == 6
    assert f'<option value="{rooms["m3"].pk}" selected>' in second.content.decode()


def test_programme_filter_choices_follow_the_programme(client, cnd70, rooms, slots, thematic_areas):  # noqa: F811
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    before = client.get(PROGRAMME).content.decode()
    assert (f'<option value="{rooms["board"].pk}"' in before, ">Drug policy</option>" in before) == (False, False)

    event.room = rooms["board"]
    event.save()
    event.themes.add(thematic_areas["drug-policy"])
    after = client.get(PROGRAMME).content.decode()

    assert (f'<option value="{rooms["board"].pk}"' in after, ">Drug policy</option>" in after) == (True, True)


def test_programme_invalid_filter_shows_its_error_from_the_cache_too(client, cnd70, rooms, slots, thematic_areas):  # noqa: F811
    add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    first = main(client.get(PROGRAMME, {"theme": "no-such-theme"}))
    second = main(client.get(PROGRAMME, {"theme": "no-such-theme"}))

    assert first == second
    assert "Please correct the errors below" in second


# --- CSU's review queue -------------------------------------------------------------------------------------


def _country_choices(response) -> list[str]:
    page = response.content.decode()
    select = page[page.index('name="country"') : page.index("</select>", page.index('name="country"'))]
    return re.findall(r'<option value="([A-Z]{2})"', select)


def test_review_queue_query_count_at_one_and_many_rows_on_second_visit(client, review_session, csu_officer, django_assert_num_queries):  # noqa: F811
    add_registrations(review_session, 1, 3)
    sign_in(client, csu_officer)
    client.get(QUEUE)
    # the login session with the user, its roles and MFA (portal.login_sessions); the session and the page's content
    # are kept (sessions.caching)
    with django_assert_num_queries(1):
        response = client.get(QUEUE)
    assert len(queue_rows(response)) == 1

    add_registrations(review_session, 120, 3, first=1)
    statistics.forget_statistics(review_session.pk)  # bulk inserts send no signal
    client.get(QUEUE)
    with django_assert_num_queries(1):
        response = client.get(QUEUE)
    assert len(queue_rows(response)) == 50


def test_review_queue_country_choices_follow_new_registrations(client, review_session, csu_officer):  # noqa: F811
    add_registrations(review_session, 2, 1)
    sign_in(client, csu_officer)
    assert _country_choices(client.get(QUEUE)) == ["BR", "KE"]

    organization = make_organization("Collectif Prison Dignité", "CPD", "FR")
    Registration.objects.create(
        session=review_session, organization=organization, channel=Channel.DIRECT, status=RegistrationStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )  # fmt: skip

    assert _country_choices(client.get(QUEUE)) == ["BR", "FR", "KE"]


def test_review_queue_filtered_page_counts_its_own_rows(client, review_session, csu_officer):  # noqa: F811
    add_registrations(review_session, 6, 1)
    sign_in(client, csu_officer)

    page = text(client.get(QUEUE, {"country": "KE"}))

    assert "2 registrations shown" in page
    assert "6 registrations:" in page
    assert cache.get(statistics.cache_key("queue-countries", review_session.pk)) == ["BR", "IN", "KE"]
