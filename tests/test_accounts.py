"""Sign-up, e-mail verification, login, password reset and enumeration prevention."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from portal.models import ActivityLog, Notification, User

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(client, email="newcomer@ngo.test"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


@pytest.mark.django_db(transaction=True)
def test_signup_verification_and_login_flow_lands_logged_in_on_home(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="newcomer@ngo.test")
    assert EmailAddress.objects.filter(user=user, verified=False).count() == 1
    assert [m.subject for m in mail.outbox] == ["[NGO portal] Please Confirm Your Email Address"]
    assert mail.outbox[0].to == ["newcomer@ngo.test"]
    # Not logged in before the address is confirmed.
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail.outbox[0])
    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    assert b"newcomer@ngo.test" in confirm_page.content

    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert EmailAddress.objects.get(user=user).verified is True

    home = client.get("/")
    assert "Welcome, newcomer@ngo.test" in home.content.decode()
    assert [m.subject for m in mail.outbox] == [
        "[NGO portal] Please Confirm Your Email Address",
        "Welcome to the UNODC NGO engagement portal",
    ]
    assert list(Notification.objects.values_list("kind", "status").order_by("id")) == [
        ("account/email/email_confirmation_signup", "sent"),
        ("welcome", "sent"),
    ]
    assert list(ActivityLog.objects.values_list("action", "actor")) == [("portal.user.email_confirmed", user.pk)]


@pytest.mark.django_db(transaction=True)
def test_login_with_unverified_email_is_sent_to_verification(client):
    sign_up(client)
    client.logout()
    mail.outbox.clear()

    response = client.post(reverse("account_login"), {"login": "newcomer@ngo.test", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_login_with_verified_email_and_wrong_password_fails_with_message(client, outsider):
    response = client.post(reverse("account_login"), {"login": outsider.email, "password": "wrong-password"})

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_login_is_case_insensitive_on_email(client, outsider, password):
    response = client.post(reverse("account_login"), {"login": outsider.email.upper(), "password": password})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == outsider.pk


@pytest.mark.django_db(transaction=True)
def test_signup_with_existing_email_looks_the_same_and_warns_the_owner(client, outsider):
    response = sign_up(client, email=outsider.email)

    # The visitor sees exactly what a new address would show...
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    # ...no second account exists, and the owner is told by e-mail.
    assert User.objects.filter(email__iexact=outsider.email).count() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([outsider.email], "[NGO portal] Account Already Exists"),
    ]


@pytest.mark.django_db(transaction=True)
def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, outsider):
    known = client.post(reverse("account_reset_password"), {"email": outsider.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.test"})

    assert (known.status_code, known["Location"]) == (302, reverse("account_reset_password_done"))
    assert (unknown.status_code, unknown["Location"]) == (302, reverse("account_reset_password_done"))
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([outsider.email], "[NGO portal] Password Reset Email"),
        (["nobody@nowhere.test"], "[NGO portal] Unknown Account"),
    ]


@pytest.mark.django_db(transaction=True)
def test_password_reset_link_sets_a_new_password(client, outsider):
    client.post(reverse("account_reset_password"), {"email": outsider.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    response = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    outsider.refresh_from_db()
    assert outsider.check_password(NEW_PASSWORD) is True


@pytest.mark.django_db(transaction=True)
def test_failed_logins_are_rate_limited(client, outsider, password):
    pages = [
        client.post(reverse("account_login"), {"login": outsider.email, "password": f"wrong-{n}"}).content.decode()
        for n in range(6)
    ]

    # 5 failures per 5 minutes per account (ACCOUNT_RATE_LIMITS["login_failed"]); the sixth is refused
    # even with the right password.
    too_many = "Too many failed login attempts. Try again later."
    assert [too_many in page for page in pages] == [False, False, False, False, False, True]
    response = client.post(reverse("account_login"), {"login": outsider.email, "password": password})
    assert too_many in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_changing_email_requires_reauthentication(client, outsider, password):
    client.force_login(outsider)
    # force_login leaves no record of a recent authentication in the session.
    response = client.post(reverse("account_email"), {"action_add": "", "email": "second@example.test"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert EmailAddress.objects.filter(email="second@example.test").exists() is False

    client.post(reverse("account_reauthenticate"), {"password": password})
    response = client.post(reverse("account_email"), {"action_add": "", "email": "second@example.test"})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=outsider, email="second@example.test", verified=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_signup_stores_the_language_the_person_used(client):
    client.cookies["django_language"] = "es"
    sign_up(client, email="ana@ngo.test")

    assert User.objects.get(email="ana@ngo.test").language == "es"
    assert Notification.objects.get(to_email="ana@ngo.test").language == "es"
