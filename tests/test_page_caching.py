"""Pages kept in the cache show every change at once, never another request's CSRF token, and the user's roles
come with the user: CSU's review queue, a session's statistics, the Redis cache client and the auth backends."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from organizations.models import OrganizationMember
from portal.backends import ModelBackend
from portal.cache import RedisCache
from portal.models import User
from portal.roles import read_roles
from sessions.enums import ParticipantStatus, RegistrationStatus
from tests.conftest import give_totp
from tests.fixtures_services import redis_url, require_redis
from tests.test_layout import ACCOUNT_NAV, CSU_NAV, FOCAL_POINT_NAV, PUBLIC_NAV, nav
from tests.test_programme import PROGRAMME, cnd70  # noqa: F401
from tests.test_review_pages import QUEUE, make_organization, make_participant, make_registration, now, queue, queue_rows, reload, session, sign_in, status_counts  # noqa: F401

pytestmark = pytest.mark.django_db

STATISTICS = "/sessions/cnd/70/statistics/"
SIGN_IN_NAV = [("/accounts/login/", "Sign in"), ("/accounts/signup/", "Sign up")]


def tokens(response) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())


def representatives(response) -> str:
    row = re.search(r"<th[^>]*>NGO representatives</th>\s*<td[^>]*>(.*?)</td>", response.content.decode())
    return row.group(1).strip()


# --- CSU's review queue --------------------------------------------------------------------------------------


def test_review_queue_kept_shows_a_decision_at_once(client, queue, csu_officer, django_assert_num_queries):
    sign_in(client, csu_officer)
    client.get(QUEUE)
    with django_assert_num_queries(1):  # the login session with the user and its roles: the rest is kept
        assert queue_rows(client.get(QUEUE))[1][-2] == "Submitted to the Civil Society Unit"

    client.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk]})
    response = client.get(QUEUE)

    assert reload(queue["prn"]).status == RegistrationStatus.APPROVED
    assert queue_rows(response)[1] == ["", "Prison Reform Network (PRN)", "Brazil", "Directly", "1", "—", "Approved", "7 Jan 2027, 10:30"]
    assert status_counts(response) == (
        "6 registrations: Submitted to the Civil Society Unit 1 · Awaiting endorsement by the umbrella body 1 · "
        "Endorsed by the umbrella body 1 · Approved 2 · Rejected 1"
    )


def test_review_queue_kept_whole_still_shows_a_waiting_message_once(client, queue, csu_officer):
    sign_in(client, csu_officer)
    client.get(QUEUE)
    client.get(QUEUE)  # kept whole now
    message = "1 registration approved. Its focal points and approved participants are told by e-mail."

    client.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk]})
    with_message, after = client.get(QUEUE), client.get(QUEUE)

    assert (message in with_message.content.decode(), message in after.content.decode()) == (True, False)
    assert queue_rows(with_message) == queue_rows(after)
    assert queue_rows(after)[1][-2] == "Approved"


def test_review_queue_kept_shows_a_renamed_organization_and_a_new_participant_at_once(client, queue, organizations, csu_officer):
    sign_in(client, csu_officer)
    client.get(QUEUE)
    organizations["b"].name = "Prison Reform International Network"
    organizations["b"].save()
    make_participant(queue["prn"], "Mwangi", "Joseph", position=1)

    assert queue_rows(client.get(QUEUE))[1][1:5] == ["Prison Reform International Network (PRN)", "Brazil", "Directly", "2"]


def test_review_queue_kept_carries_each_requests_own_csrf_token(queue, csu_officer):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    sign_in(first, csu_officer)
    second.force_login(csu_officer)
    first_page = first.get(QUEUE)
    second_page = second.get(QUEUE)  # from the cache

    # The language form's and the approval form's tokens, each this request's own.
    assert (len(tokens(first_page)), len(tokens(second_page))) == (2, 2)
    assert "csrf-token-of-the-request" not in second_page.content.decode()
    assert set(tokens(first_page)).isdisjoint(tokens(second_page))
    response = second.post(QUEUE, {"action": "bulk_approve", "ids": [queue["prn"].pk], "csrfmiddlewaretoken": tokens(second_page)[1]})
    assert (response.status_code, reload(queue["prn"]).status) == (302, RegistrationStatus.APPROVED)


def test_review_queue_keeps_nothing_for_a_made_up_parameter(client, queue, csu_officer, django_assert_num_queries):
    sign_in(client, csu_officer)
    client.get(QUEUE, {"utm_source": "mail"})
    with django_assert_num_queries(6):  # rendered again: login session with user, the session, the rows, counts, bodies, countries
        response = client.get(QUEUE, {"utm_source": "mail"})
    assert len(queue_rows(response)) == 6


def test_review_queue_kept_for_csu_is_still_not_found_for_anyone_else(client, queue, csu_officer, outsider, focal_points):
    sign_in(client, csu_officer)
    client.get(QUEUE)
    for person in (outsider, focal_points["a"]):
        client.force_login(person)
        assert client.get(QUEUE).status_code == 404


# --- A session's statistics ----------------------------------------------------------------------------------


def test_statistics_kept_show_an_approval_and_a_renamed_session_at_once(client, session, organizations, csu_officer):
    registration = make_registration(session, organizations["a"], RegistrationStatus.APPROVED)
    make_participant(registration, "Otieno", "Grace", status=ParticipantStatus.APPROVED)
    waiting = make_registration(session, organizations["b"])
    make_participant(waiting, "Silva", "Ana", status=ParticipantStatus.APPROVED)
    assert representatives(client.get(STATISTICS)) == "1"

    waiting.status = RegistrationStatus.APPROVED
    waiting.save()
    assert representatives(client.get(STATISTICS)) == "2"
    session.title = "Seventieth session of the CND"
    session.save()
    assert "<h1>Participation statistics of the Seventieth session of the CND</h1>" in client.get(STATISTICS).content.decode()


def test_statistics_of_an_unknown_session_are_not_found_and_keep_nothing(client, session):
    assert client.get("/sessions/cnd/71/statistics/").status_code == 404
    assert client.get("/sessions/cnd/71/statistics/").status_code == 404


# --- The user with its roles ---------------------------------------------------------------------------------


def test_backend_reads_the_user_with_its_roles_and_mfa_in_one_query(csu_officer, focal_points, django_assert_num_queries):
    sign_in(Client(), csu_officer)  # gives TOTP
    backend = ModelBackend()
    with django_assert_num_queries(1):
        staff = backend.get_user(csu_officer.pk)
    with django_assert_num_queries(1):
        focal_point = backend.get_user(focal_points["a"].pk)

    found = [(user._is_csu_staff, user._is_coordinator, user._is_focal_point, user._has_mfa) for user in (staff, focal_point)]
    assert found == [(True, False, False, True), (False, False, True, False)]
    assert (staff.email, focal_point.email) == (csu_officer.email, focal_points["a"].email)


def test_backend_answers_the_roles_as_the_rules_ask_them_for_every_mix(csu_officer, coordinators, focal_points, outsider):
    """On PostgreSQL the backend asks portal_user_roles() (migration portal.0004), elsewhere the ORM's subqueries:
    both must answer as portal.roles.read_roles() does, role by role."""
    coordinator = coordinators["vngoc"]
    OrganizationMember.objects.create(organization=focal_points["a"].organization_memberships.get().organization, user=coordinator)
    give_totp(coordinator)
    give_totp(csu_officer)
    other_group = Group.objects.create(name="Not CSU")
    outsider.groups.add(other_group)
    people = [csu_officer, coordinator, focal_points["a"], outsider]

    from_backend = [ModelBackend().get_user(person.pk) for person in people]
    from_questions = [User.objects.get(pk=person.pk) for person in people]
    for person in from_questions:
        read_roles(person)

    names = ("_is_csu_staff", "_is_coordinator", "_is_focal_point", "_has_mfa")
    answers = [[tuple(getattr(person, name) for name in names) for person in found] for found in (from_backend, from_questions)]
    assert answers[0] == answers[1] == [
        (True, False, False, True), (False, True, True, True), (False, False, True, False), (False, False, False, False),
    ]


def test_backend_finds_no_deleted_or_inactive_user(outsider, focal_points):
    focal_points["a"].is_active = False
    focal_points["a"].save()
    backend = ModelBackend()

    assert (backend.get_user(focal_points["a"].pk), backend.get_user(outsider.pk + 1000)) == (None, None)


def test_a_role_taken_away_is_gone_on_the_next_request(client, queue, csu_officer):
    sign_in(client, csu_officer)
    assert client.get(QUEUE).status_code == 200

    csu_officer.groups.clear()

    assert client.get(QUEUE).status_code == 404


# --- The Redis cache ------------------------------------------------------------------------------------------


@pytest.fixture
def redis_cache():
    require_redis()
    cache = RedisCache(redis_url(), {"KEY_PREFIX": "test-page-caching"})
    yield cache
    cache.clear()


def test_redis_cache_keeps_one_client_per_pool_and_reads_what_it_wrote(redis_cache):
    redis_cache.set_many({"a": ("version", "<p>part</p>"), "b": 2})

    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": ("version", "<p>part</p>"), "b": 2}
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    assert redis_cache.delete("a") is True
    assert redis_cache.get("a") is None



# --- Whole pages: each reader's own frame --------------------------------------------------------------------


@pytest.mark.parametrize("address", ["/organizations/", PROGRAMME, "/sessions/cnd/70/statistics/"])
def test_pages_kept_whole_show_each_reader_the_navigation_of_their_roles(client, cnd70, csu_officer, focal_points, address):
    give_totp(csu_officer)
    readers = [None, csu_officer, focal_points["a"], None]
    navigations = []
    for reader in readers * 2:  # the second round from the cache
        client.logout()
        if reader is not None:
            client.force_login(reader)
        response = client.get(address, {"page": "1"} if address == "/organizations/" else {})
        navigations.append(nav(response))
        assert ("csrf-token-of-the-request" in response.content.decode(), "messages of the request" in response.content.decode()) == (False, False)

    public, csu, focal_point = PUBLIC_NAV + SIGN_IN_NAV, PUBLIC_NAV + CSU_NAV + ACCOUNT_NAV, PUBLIC_NAV + FOCAL_POINT_NAV + ACCOUNT_NAV
    assert navigations == [public, csu, focal_point, public] * 2
