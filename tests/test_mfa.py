"""MFA is open to everyone and required of CSU staff and coordinators before staff pages."""

import pytest
from django.urls import reverse

from tests.conftest import current_totp_code, give_totp

pytestmark = pytest.mark.django_db

TOTP_SETUP = "/accounts/2fa/totp/activate/"


def test_csu_officer_without_mfa_is_sent_to_totp_setup_from_staff_pages(client, csu_officer):
    client.force_login(csu_officer)

    for url in [reverse("activity_log"), "/admin/"]:
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, TOTP_SETUP)


def test_coordinator_without_mfa_is_sent_to_totp_setup_from_staff_pages(client, coordinators):
    client.force_login(coordinators["vngoc"])

    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, TOTP_SETUP)


def test_csu_officer_with_mfa_reaches_the_activity_log(client, csu_officer):
    give_totp(csu_officer)
    client.force_login(csu_officer)

    response = client.get(reverse("activity_log"))

    assert response.status_code == 200
    assert "<h1>Activity log</h1>" in response.content.decode()


def test_staff_page_refuses_people_without_the_role_with_403(client, focal_points, outsider):
    for person in [focal_points["a"], outsider]:
        client.force_login(person)
        response = client.get(reverse("activity_log"))
        assert response.status_code == 403
        assert "You are not allowed to see this page" in response.content.decode()


def test_staff_page_sends_the_public_to_login(client):
    response = client.get(reverse("activity_log"))

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/staff/activity/")


def test_home_page_tells_staff_to_set_up_mfa(client, csu_officer):
    client.force_login(csu_officer)

    response = client.get("/")

    assert "Set up two-factor authentication: your staff pages stay locked until you do." in response.content.decode()


def test_focal_point_may_set_up_mfa_and_is_never_forced(client, focal_points):
    client.force_login(focal_points["a"])

    assert client.get("/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert "Set up two-factor authentication" not in client.get("/").content.decode()


def test_login_with_totp_asks_for_the_code_before_letting_in(client, csu_officer, password):
    secret = give_totp(csu_officer)

    response = client.post(reverse("account_login"), {"login": csu_officer.email, "password": password})
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code(secret)})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert int(client.session["_auth_user_id"]) == csu_officer.pk


def test_setting_up_totp_asks_for_the_password_again(client, csu_officer, password):
    client.force_login(csu_officer)

    response = client.get(TOTP_SETUP)
    assert (response.status_code, response["Location"]) == (302, "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F")

    response = client.post(response["Location"], {"password": password})
    assert (response.status_code, response["Location"]) == (302, TOTP_SETUP)
    assert client.get(TOTP_SETUP).status_code == 200
