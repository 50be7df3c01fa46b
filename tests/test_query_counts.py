"""Query counts of the benchmarked pages (bench/run.py) not covered elsewhere, and the public programme's cache.

Covered in their own modules: the directory (test_directory), an organization's page
(test_organization_pages), CSU's review queue (test_review_pages), the programme, its feed
and an event's page without cache (test_programme).
"""

from datetime import timedelta

import pytest
from django.core.cache import cache

from events import caching
from events.models import SideEvent
from sessions.enums import RegistrationStatus
from sessions.models import Registration, Session
from tests.test_programme import FEED, PROGRAMME, add_programme, listed_events, main, rooms, slots  # noqa: F401
from tests.test_registration_pages import form_data, letter, members, now, person  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def cnd70(now, commissions):  # noqa: F811
    """CND 70 in six weeks: registration open for ten more days, its programme being built."""
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title="70th session of the Commission on Narcotic Drugs",
        start_date=(now + timedelta(days=40)).date(), end_date=(now + timedelta(days=44)).date(), venue="Vienna International Centre",
        registration_opens=now - timedelta(days=30), registration_closes=now + timedelta(days=10),
        side_events_open=now - timedelta(days=1), side_events_close=now + timedelta(days=10),
    )


# --- The public programme's cache -------------------------------------------------------------------------------


def test_programme_second_visit_reads_nothing_from_the_database(client, cnd70, rooms, slots, thematic_areas, django_assert_num_queries):
    add_programme(cnd70, [rooms["m3"], rooms["board"]], slots, 12, [thematic_areas["youth"]])
    first = client.get(PROGRAMME)
    # The session, the events and the filters' fields (their rooms and themes) all come from the cache.
    with django_assert_num_queries(0):
        second = client.get(PROGRAMME)
    assert main(second) == main(first)
    assert len(listed_events(second)) == 12


@pytest.mark.parametrize("change", ["title", "cancel", "lead organization renamed", "speaker removed"])
def test_programme_cache_forgets_the_page_when_what_it_shows_changes(client, cnd70, rooms, slots, thematic_areas, change):
    [event, other] = add_programme(cnd70, [rooms["m3"]], slots, 2, [thematic_areas["youth"]])
    before = main(client.get(PROGRAMME))
    assert "Side event 00" in before
    if change == "title":
        event.title = "A new title"
        event.save()
        assert "A new title" in main(client.get(PROGRAMME))
    elif change == "cancel":
        SideEvent.objects.get(pk=event.pk).delete()
        assert "Side event 00" not in main(client.get(PROGRAMME))
    elif change == "lead organization renamed":
        lead = event.lead_organization
        lead.name = "Renamed Organization"
        lead.save()
        assert "Renamed Organization" in main(client.get(PROGRAMME))
    else:
        event.speakers.first().delete()
        # The programme does not list speakers, but the event's calendar entry is rebuilt all the same.
        assert client.get(FEED).status_code == 200
    assert "Side event 01" in main(client.get(PROGRAMME))


def test_programme_feed_is_cached_and_forgotten_when_an_event_moves(client, cnd70, rooms, slots, thematic_areas, django_assert_num_queries):
    [event] = add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    first = client.get(FEED).content
    with django_assert_num_queries(0):
        assert client.get(FEED).content == first
    event.room = rooms["board"]
    event.save()
    assert b"LOCATION:Boardroom B" in client.get(FEED).content.replace(b"\r\n ", b"")


def test_programme_cache_keys_ignore_parameters_that_are_not_filters(client, cnd70, rooms, slots, thematic_areas):
    add_programme(cnd70, [rooms["m3"]], slots, 1, [thematic_areas["youth"]])
    client.get(PROGRAMME)
    version = caching.public_version()
    keys_before = caching.cache_key("programme", cnd70.commission.code, cnd70.number, [])
    client.get(PROGRAMME, {"utm_source": "newsletter", "anything": "else"})
    assert caching.public_version() == version
    assert cache.get(keys_before) is not None


def test_programme_cache_version_changes_at_once_and_again_on_commit(cnd70, django_capture_on_commit_callbacks):
    version = caching.public_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cnd70.title = "Renamed session"
        cnd70.save()
        during = caching.public_version()
    assert during != version
    assert len(callbacks) == 1
    assert caching.public_version() not in (version, during)


# --- A registration submission ----------------------------------------------------------------------------------


def submission(organization_number: int, people: int) -> dict:
    rows = [
        person(family_name=f"Delegate{number}", email=f"delegate{number}@hra.example", passport_number=f"AK{number:07d}")
        for number in range(people)
    ]
    return form_data(rows, submit="1", accreditation_letter=letter())


# The login session with the person and their roles (one query); the registration (with session, organization, body,
# decider) and the view permission (no row of the form claims a saved participant: the view does not read them);
# then, saved and submitted in one transaction: the registration locked and read again with its window (its session,
# organization and body are the view's), the participants under the lock, the new participants in one insert, the
# duplicate check, one UPDATE of the registration for the save and the submission, the focal points and their
# notifications in one insert, the save's and the submission's log entries in one insert. Nothing grows with the
# number of participants.
SUBMISSION_QUERIES = 13


@pytest.mark.parametrize("people", [1, 3, 5])
def test_registration_submission_query_count_does_not_grow_with_participants(
    client, cnd70, members, organizations, focal_points, django_assert_num_queries, people
):
    from sessions import services

    registration = services.start_registration(cnd70, organizations["b"], by=focal_points["b"], channel="direct")
    client.force_login(focal_points["b"])
    with django_assert_num_queries(SUBMISSION_QUERIES):
        response = client.post(f"/sessions/registrations/{registration.pk}/edit/", submission(0, people))
    assert response.status_code == 302
    registration = Registration.objects.get(pk=registration.pk)
    assert (registration.status, registration.participants.count()) == (RegistrationStatus.SUBMITTED, people)


def test_a_delegations_participants_are_read_from_their_own_table_alone(cnd70, members, organizations, focal_points):
    """Participants are ordered by their registration's id, then place: ordering by "registration" would sort by the
    registration's own ordering, joining its session, commission and organization to list one delegation."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sessions import services
    from sessions.models import Participant

    registration = services.start_registration(cnd70, organizations["b"], by=focal_points["b"], channel="direct")
    for position, family_name in [(1, "Second"), (0, "First")]:
        Participant.objects.create(registration=registration, family_name=family_name, given_names="A", position=position)
    with CaptureQueriesContext(connection) as queries:
        names = [participant.family_name for participant in registration.participants.all()]
    assert (names, len(queries), "JOIN" in queries[0]["sql"]) == (["First", "Second"], 1, False)
