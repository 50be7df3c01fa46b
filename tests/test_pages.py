"""Home page, sessions pages, error pages and the security headers every page carries."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from portal import views
from tests.conftest import give_totp
from sessions.models import Session

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)


def make_session(commission, number, start, *, opens=None, closes=None):
    return Session.objects.create(
        commission=commission,
        number=number,
        title=f"{number}th session of the {commission.name}",
        start_date=start,
        end_date=start + dt.timedelta(days=4),
        venue="Vienna International Centre",
        registration_opens=opens,
        registration_closes=closes,
    )


@pytest.fixture
def cnd_sessions(commissions):
    cnd = commissions["cnd"]
    return {
        "past": make_session(cnd, 69, dt.date(2026, 3, 9)),
        "next": make_session(
            cnd, 70, dt.date(2027, 3, 15),
            opens=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            closes=dt.datetime(2027, 2, 14, 22, 59, tzinfo=dt.UTC),
        ),
    }


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@time_machine.travel(NOW, tick=False)
def test_home_shows_upcoming_sessions_to_the_public_with_registration_state(client, cnd_sessions):
    response = client.get("/")

    page = text(response)
    assert "70th session of the Commission on Narcotic Drugs" in page
    assert "69th session" not in page
    assert "Registration open until 14 February 2027, 23:59 Vienna time" in page  # the wording of issue 5
    assert 'href="/sessions/cnd/70/"' in page
    assert "Create an account" in page


def test_home_without_sessions_says_so(client):
    assert "No sessions are scheduled yet. Check back soon." in text(client.get("/"))


@time_machine.travel(NOW, tick=False)
def test_home_tells_a_focal_point_of_a_verified_organization_that_registration_is_open(client, cnd_sessions, focal_points):
    client.force_login(focal_points["a"])

    page = text(client.get("/"))

    assert "What needs your attention" in page
    assert (
        '<a href="/sessions/cnd/70/">Registration for 70th session of the Commission on Narcotic Drugs '
        "is open until 14 February 2027, 23:59 Vienna time.</a>"
    ) in page


def test_home_tells_a_focal_point_their_organization_awaits_verification(client, focal_points, organizations):
    organizations["b"].verification_state = "pending"
    organizations["b"].save()
    client.force_login(focal_points["b"])

    page = text(client.get("/"))

    assert "Prison Reform Network (PRN) awaits verification by the Civil Society Unit." in page


def test_home_tells_csu_how_many_organizations_await_verification(client, csu_officer, organizations):
    organizations["a"].verification_state = "pending"
    organizations["a"].save()
    client.force_login(csu_officer)

    page = text(client.get("/"))

    assert (
        '<a href="/organizations/review/">1 organizations await verification.</a>'
    ) in page


def test_home_invites_a_person_without_role_to_register_or_join(client, outsider):
    client.force_login(outsider)

    assert (
        '<a href="/organizations/new/">Register your organization, or find it in the directory and ask to join it '
        "as a focal point.</a>"
    ) in text(client.get("/"))


def test_home_with_nothing_to_do_has_an_empty_state(client, csu_officer):
    give_totp(csu_officer)
    client.force_login(csu_officer)

    assert "Nothing needs your attention right now." in text(client.get("/"))


@time_machine.travel(NOW, tick=False)
def test_home_query_count_does_not_grow_with_sessions(client, commissions, focal_points, django_assert_num_queries):
    client.force_login(focal_points["a"])
    make_session(commissions["cnd"], 70, dt.date(2027, 3, 15))
    # the login session with the user and its roles (portal.login_sessions), pending umbrella applications, member organizations, their side
    # events to act on, their registrations, open sessions, upcoming sessions
    with django_assert_num_queries(7):
        client.get("/")
    for number in range(71, 76):
        make_session(commissions["cnd"], number, dt.date(2027 + number - 70, 3, 15))
    with django_assert_num_queries(7):
        client.get("/")


@time_machine.travel(NOW, tick=False)
def test_sessions_list_separates_upcoming_and_past(client, cnd_sessions):
    page = text(client.get(reverse("sessions:list")))

    upcoming, past = page.split("Past sessions", 1)
    assert "70th session" in upcoming and "69th session" not in upcoming
    assert '<a href="/sessions/cnd/69/">69th session of the Commission on Narcotic Drugs</a>' in past


@time_machine.travel(NOW, tick=False)
def test_sessions_list_query_count_is_fixed(client, commissions, django_assert_num_queries):
    make_session(commissions["cnd"], 60, dt.date(2017, 3, 15))
    with django_assert_num_queries(3):  # upcoming, past count, past page
        client.get(reverse("sessions:list"))
    for number in range(61, 69):
        make_session(commissions["cnd"], number, dt.date(2018 + number - 61, 3, 15))
    with django_assert_num_queries(3):
        client.get(reverse("sessions:list"))


@time_machine.travel(NOW, tick=False)
def test_session_page_states_rule_and_quota(client, cnd_sessions):
    page = text(client.get("/sessions/cnd/70/"))

    assert "<h1>70th session of the Commission on Narcotic Drugs</h1>" in page
    assert "ECOSOC consultative status required (or through an umbrella body)" in page
    assert "<dt>Representatives per organization</dt><dd>10</dd>" in page


def test_unknown_session_answers_friendly_404(client, cnd_sessions):
    response = client.get("/sessions/cnd/99/")

    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_500_page_reassures_without_details():
    response = views.error_500(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Nothing you saved before this page has been lost." in response.content.decode()


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("url", ["/", "/sessions/", "/accounts/login/", "/accounts/signup/", "/nowhere/"])
def test_pages_have_no_inline_script_or_style(client, url, cnd_sessions):
    html = client.get(url).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style\b", html) == []
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []


def test_language_switcher_changes_the_language(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.cookies["django_language"].value == "es"
    assert '<html lang="es">' in client.get("/").content.decode()


def test_navigation_depends_on_role(client, csu_officer, focal_points):
    assert "Activity log" not in text(client.get("/"))
    client.force_login(focal_points["a"])
    assert "Activity log" not in text(client.get("/"))
    client.force_login(csu_officer)
    assert '<a href="/staff/activity/">Activity log</a>' in text(client.get("/"))
