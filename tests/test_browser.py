"""A newcomer signs up, confirms their e-mail and lands signed in, in a real headless Chromium.

The live server runs in a thread of this process, so the e-mails it sends (delivered
eagerly into Django's locmem outbox) are visible here.
"""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect


pytestmark = pytest.mark.browser

CONFIRMATION_SUBJECT = "[NGO portal] Please Confirm Your Email Address"
WELCOME_SUBJECT = "Welcome to the UNODC NGO engagement portal"


def outbox_subjects():
    return [message.subject for message in mail.outbox]


def wait_for_outbox(length, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < length and time.monotonic() < deadline:
        time.sleep(0.05)
    return outbox_subjects()


def test_newcomer_signs_up_confirms_their_email_and_lands_signed_in(live_server, transactional_db, browser_page):
    page = browser_page
    email = "newcomer@example.test"
    password = "a-long-and-unusual-passphrase-42"

    page.goto(live_server.url + "/")
    navigation = page.get_by_role("navigation", name="Main")
    # The navigation's "Sign up" is a link styled as a button (role="button").
    sign_up = navigation.get_by_role("link", name="Sign up", exact=True)
    sign_up.or_(navigation.get_by_role("button", name="Sign up", exact=True)).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))

    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)", exact=True).fill(password)
    page.locator("main form").get_by_role("button", name=re.compile("sign up", re.I)).click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"verify your e-?mail", re.I))

    assert wait_for_outbox(1) == [CONFIRMATION_SUBJECT]
    confirmation = mail.outbox[0]
    assert confirmation.to == [email]
    links = re.findall(r"https?://\S+/accounts/confirm-email/[^/\s]+/", confirmation.body)
    assert links, f"no confirmation link in the e-mail:\n{confirmation.body}"
    link = links[0]
    assert link.startswith(live_server.url + "/accounts/confirm-email/"), link

    page.goto(link)
    page.locator("main form").get_by_role("button", name=re.compile("confirm", re.I)).click()

    expect(page).to_have_url(live_server.url + "/")
    assert page.url == live_server.url + "/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(navigation.get_by_text("My account", exact=True)).to_be_visible()
    expect(page.get_by_text("Sign in", exact=True)).to_have_count(0)

    assert wait_for_outbox(2) == [CONFIRMATION_SUBJECT, WELCOME_SUBJECT]
    assert mail.outbox[1].to == [email]

    assert page.console_errors.csp_violations == [], "Content Security Policy violations"
    assert list(page.console_errors) == [], "errors in the browser console"
