"""Sessions in the database with the signed-in person as a column (portal.login_sessions): one query reads
the session and the person with their roles, and Django still decides who is signed in."""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import OrganizationMember
from portal.login_sessions import SessionStore
from portal.models import LoginSession, User
from portal.roles import read_roles
from tests.conftest import give_totp, make_user

pytestmark = pytest.mark.django_db

MINE = "/sessions/registrations/"  # signed-in people only
ROLES = ("_is_csu_staff", "_is_coordinator", "_is_focal_point", "_has_mfa")


def signed_in_as(response) -> str | None:
    user = response.wsgi_request.user
    return user.email if user.is_authenticated else None


def session_row(client) -> LoginSession:
    return LoginSession.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_signing_in_keeps_the_persons_id_with_the_session_and_signing_out_deletes_it(client, focal_points, password):
    person = focal_points["a"]
    response = client.post("/accounts/login/", {"login": person.email, "password": password})
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert list(LoginSession.objects.values_list("session_key", "user_id")) == [(key, person.pk)]

    client.post("/accounts/logout/")

    assert LoginSession.objects.filter(session_key=key).exists() is False
    assert signed_in_as(client.get("/")) is None


def test_a_signed_in_request_reads_its_session_and_person_with_roles_in_one_query(client, focal_points):
    client.force_login(focal_points["a"])
    client.get("/organizations/")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/organizations/")  # the directory, kept: no query of its own

    assert signed_in_as(response) == focal_points["a"].email
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":  # the session, its person and their roles (migration portal.0005)
        assert (sql.startswith("SELECT found.session_data, (found.person)."), " FROM portal_login_session(" in sql) == (True, True)
    else:  # the ORM's query: the session joined with its person, the roles as subqueries
        assert ('FROM "portal_loginsession" LEFT OUTER JOIN "portal_user"' in sql, sql.count("EXISTS(")) == (True, 4)


def test_the_roles_read_with_the_session_are_the_rules_answers_for_every_mix(client, csu_officer, coordinators, focal_points, outsider):
    coordinator = coordinators["vngoc"]
    OrganizationMember.objects.create(organization=focal_points["a"].organization_memberships.get().organization, user=coordinator)
    give_totp(coordinator)
    give_totp(csu_officer)
    outsider.groups.add(Group.objects.create(name="Not CSU"))
    people = [csu_officer, coordinator, focal_points["a"], outsider]

    from_sessions = []
    for person in people:
        client.force_login(person)
        store = SessionStore(client.session.session_key)
        store.load()
        from_sessions.append(store.user_read_with_session(person.pk))
    from_questions = [User.objects.get(pk=person.pk) for person in people]
    for person in from_questions:
        read_roles(person)

    answers = [[tuple(getattr(person, name) for name in ROLES) for person in found] for found in (from_sessions, from_questions)]
    assert answers[0] == answers[1] == [
        (True, False, False, True), (False, True, True, True), (False, False, True, False), (False, False, False, False),
    ]
    assert [person.email for person in from_sessions] == [person.email for person in people]


def test_a_password_changed_elsewhere_signs_the_session_out(client, focal_points):
    person = focal_points["a"]
    client.force_login(person)
    assert signed_in_as(client.get(MINE)) == person.email

    person.set_password("a-new-password-set-elsewhere")
    person.save()
    response = client.get(MINE)

    assert (signed_in_as(response), response.status_code) == (None, 302)
    assert LoginSession.objects.filter(user=person).exists() is False  # flushed by Django's check of the hash


def test_a_deactivated_person_is_signed_out_at_once(client, focal_points):
    person = focal_points["a"]
    client.force_login(person)
    assert signed_in_as(client.get(MINE)) == person.email

    User.objects.filter(pk=person.pk).update(is_active=False)

    assert signed_in_as(client.get(MINE)) is None


def test_deleting_a_person_deletes_their_sessions(client, focal_points, outsider):
    client.force_login(focal_points["a"])
    other = type(client)()
    other.force_login(outsider)

    focal_points["a"].delete()

    assert list(LoginSession.objects.values_list("user_id", flat=True)) == [outsider.pk]
    assert signed_in_as(client.get("/")) is None
    assert signed_in_as(other.get("/")) == outsider.email


def test_the_sessions_data_decides_who_is_signed_in_not_its_column(client, focal_points, outsider):
    """The column only lets the person be read with the session: where it disagrees with the session's data
    (which it never should), the person of the data is signed in, read by the backend's own query."""
    client.force_login(focal_points["a"])
    LoginSession.objects.update(user=outsider)

    assert signed_in_as(client.get(MINE)) == focal_points["a"].email

    LoginSession.objects.update(user=None)

    assert signed_in_as(client.get(MINE)) == focal_points["a"].email


def test_a_session_without_a_person_is_anonymous_and_keeps_its_data(client):
    session = client.session
    session["seen"] = "yes"
    session.save()

    response = client.get("/")

    assert signed_in_as(response) is None
    assert response.wsgi_request.session["seen"] == "yes"
    assert session_row(client).user_id is None


def test_an_expired_session_signs_nobody_in(client, focal_points):
    client.force_login(focal_points["a"])
    LoginSession.objects.update(expire_date="2000-01-01T00:00:00Z")

    assert signed_in_as(client.get(MINE)) is None


def test_the_applications_clock_decides_whether_a_session_has_expired(client, focal_points, time_machine):
    time_machine.move_to("2026-01-05T12:00:00Z")  # the database's clock is not moved
    client.force_login(focal_points["a"])

    assert signed_in_as(client.get(MINE)) == focal_points["a"].email

    time_machine.move_to("2027-01-05T12:00:00Z")  # past the session's two weeks

    assert signed_in_as(client.get(MINE)) is None


def test_the_migration_moves_live_sessions_over_with_their_person(client, focal_points, outsider):
    migration = importlib.import_module("portal.migrations.0005_login_session")
    old = DjangoSessionStore()
    old["_auth_user_id"] = str(focal_points["a"].pk)
    old["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[1]
    old["_auth_user_hash"] = focal_points["a"].get_session_auth_hash()
    old.create()
    anonymous = DjangoSessionStore()
    anonymous["seen"] = "yes"
    anonymous.create()
    gone = DjangoSessionStore()
    gone["_auth_user_id"] = str(outsider.pk + 1000)  # a person deleted since
    gone.create()
    expired = DjangoSessionStore()
    expired["_auth_user_id"] = str(outsider.pk)
    expired.create()
    DjangoSession.objects.filter(session_key=expired.session_key).update(expire_date="2000-01-01T00:00:00Z")

    migration.carry_over_sessions(apps, connection.schema_editor())

    carried = dict(LoginSession.objects.values_list("session_key", "user_id"))
    assert carried == {old.session_key: focal_points["a"].pk, anonymous.session_key: None, gone.session_key: None}
    assert DjangoSession.objects.count() == 0  # no copy left behind, that nothing would expire
    client.cookies[settings.SESSION_COOKIE_NAME] = old.session_key
    assert signed_in_as(client.get(MINE)) == focal_points["a"].email


def test_a_new_person_signs_up_into_a_session_with_their_id(client):
    person = make_user("new.person@example.test")
    client.force_login(person)

    assert session_row(client).user_id == person.pk
