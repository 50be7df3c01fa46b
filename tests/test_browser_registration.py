"""A focal point fills in their delegation's form in a real headless Chromium: adding and removing
participant rows (htmx and registration.js), saving a complete draft with its letter and a photo,
and an error that keeps everything typed.

The focal point is signed in by copying a session cookie made by Django's test client into the
browser, and the draft is started through the service, so each journey begins on the form itself.
The registration window is checked against the database's clock: the session opened yesterday and
closes in ten days, real time.
"""

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import expect

from organizations.enums import EcosocStatus
from sessions import services
from sessions.enums import Channel
from sessions.models import Participant, Registration, Session

pytestmark = pytest.mark.browser

VIENNA = ZoneInfo("Europe/Vienna")
CND70 = "70th session of the Commission on Narcotic Drugs"
CAMERA = "Test Camera Co."
FULL_NOTE = "The delegation is full: 2 representatives per organization. Remove one to add another."
PHOTO_AGAIN = "Choose the photo again: nothing was saved, and browsers do not keep a chosen file."
LETTER_AGAIN = "Choose the letter again: nothing was saved, and browsers do not keep a chosen file."
EXIF_MAKE = 0x010F  # the EXIF tag of the camera's maker


# --- Helpers ---------------------------------------------------------------------------------


def long_date(day) -> str:
    """A date as the pages write it in English: "4 March 2027"."""
    return f"{day.day} {day:%B %Y}"


def local(moment) -> str:
    """A moment as the pages write it, in Vienna time: "4 March 2027, 23:59"."""
    moment = moment.astimezone(VIENNA)
    return f"{long_date(moment)}, {moment:%H:%M}"


def sign_in(page, live_server, user):
    """Give the browser the session cookie of `user`, as if they had signed in."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def edit_url(live_server, registration) -> str:
    return f"{live_server.url}/sessions/registrations/{registration.pk}/edit/"


def pdf_file(tmp_path):
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Accreditation of the delegation of the Harm Reduction Alliance")
    path = tmp_path / "accreditation-letter.pdf"
    path.write_bytes(bytes(document.output()))
    return path


def png_with_exif(tmp_path, size=(400, 500)):
    """A PNG photo that carries an EXIF block (the camera's maker), as phones' photos do."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = CAMERA
    path = tmp_path / "grace.png"
    Image.new("RGB", size, "#4060a0").save(path, format="PNG", exif=exif)
    with Image.open(path) as written:
        assert written.getexif().get(EXIF_MAKE) == CAMERA  # the upload really has EXIF
    return path


def row(page, legend: str):
    """A participant's fieldset, by the legend the person reads."""
    return page.get_by_role("group", name=legend, exact=True)


def assert_clean_console(page):
    assert page.console_errors.csp_violations == [], "Content Security Policy violations"
    assert list(page.console_errors) == [], "errors in the browser console"


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def cnd70(transactional_db, commissions):
    """Registration opened yesterday and closes in ten days (real time); the session two months later."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = timezone.localdate() + timedelta(days=60)
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70,
        start_date=start, end_date=start + timedelta(days=4), venue="Vienna International Centre",
        registration_opens=now - timedelta(days=1), registration_closes=now + timedelta(days=10),
    )  # fmt: skip


@pytest.fixture
def draft(cnd70, organizations, focal_points):
    """HRA (ECOSOC special status) has a direct draft for CND 70, empty: no letter, no participant."""
    organization = organizations["a"]
    organization.ecosoc_status, organization.ecosoc_year = EcosocStatus.SPECIAL, 2010
    organization.save()
    return services.start_registration(cnd70, organization, by=focal_points["a"], channel=Channel.DIRECT)


@pytest.fixture
def form_page(live_server, browser_page, draft, focal_points):
    """The focal point of HRA, signed in, on the delegation's form."""
    page = browser_page
    sign_in(page, live_server, focal_points["a"])
    page.goto(edit_url(live_server, draft))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delegation of Harm Reduction Alliance (HRA) to {CND70}")
    return page


# --- Journeys ---------------------------------------------------------------------------------


def test_adding_a_row_keeps_what_was_typed_and_removing_a_new_row_asks_nothing(live_server, draft, form_page):
    page = form_page
    # Two places, so that the second row fills the delegation and the add button must step aside.
    Session.objects.filter(pk=draft.session_id).update(quota_per_organization=2)
    page.reload()
    url = page.url

    add = page.get_by_role("button", name="Add a participant", exact=True)
    full_note = page.get_by_text(FULL_NOTE)
    places = page.locator("#places-used")
    expect(places).to_have_text("0 of 2 places used")
    expect(page.locator("[data-participant-row]")).to_have_count(1)
    expect(full_note).to_be_hidden()

    first = row(page, "New participant 1")
    first.get_by_label("Family name").fill("Wanjiru")
    first.get_by_label("Given names").fill("Grace Akinyi")

    # A marker on the window survives only if the page is not loaded again.
    page.evaluate("window.notReloaded = true")
    with page.expect_response(re.compile(r"/edit/participant-row/\?")) as added:
        add.click()
    assert added.value.status == 200
    assert added.value.request.method == "GET"
    assert added.value.request.headers.get("hx-request") == "true"

    second = row(page, "New participant 2")
    expect(second).to_be_visible()
    expect(page.locator("[data-participant-row]")).to_have_count(2)
    assert page.url == url
    assert page.evaluate("window.notReloaded") is True
    expect(first.get_by_label("Family name")).to_have_value("Wanjiru")
    expect(first.get_by_label("Given names")).to_have_value("Grace Akinyi")
    # The page now posts both rows: the formset's count and the row count came with the new row.
    expect(page.locator("#id_participant-TOTAL_FORMS")).to_have_value("2")
    expect(page.locator("#participant-rows")).to_have_value("2")
    # The delegation is full on the page: no more "Add a participant", a note says why.
    expect(add).to_be_hidden()
    expect(full_note).to_be_visible()
    expect(places).to_have_text("0 of 2 places used")  # places count the saved participants only

    second.get_by_label("Family name").fill("Otieno")
    second.get_by_label("Given names").fill("Brian")

    requests = []
    page.on("request", lambda request: requests.append(request.url))
    second.get_by_role("button", name="Remove new participant 2", exact=True).click()

    expect(second).to_have_count(0)
    expect(page.locator("[data-participant-row]")).to_have_count(1)
    expect(page.get_by_text("Otieno")).to_have_count(0)
    assert requests == [], f"removing an unsaved row asked the server: {requests}"
    assert page.url == url
    assert page.evaluate("window.notReloaded") is True
    expect(first.get_by_label("Family name")).to_have_value("Wanjiru")
    expect(first.get_by_label("Given names")).to_have_value("Grace Akinyi")
    expect(first.get_by_label("Family name")).to_be_focused()  # the focus goes to the row left
    # A place is free again: the add button is back, the note gone, the row count down.
    expect(add).to_be_visible()
    expect(full_note).to_be_hidden()
    expect(page.locator("#participant-rows")).to_have_value("1")
    expect(places).to_have_text("0 of 2 places used")

    # Adding again gives a fresh, empty second row (not the removed one's values).
    with page.expect_response(re.compile(r"/edit/participant-row/\?")) as added_again:
        add.click()
    assert added_again.value.status == 200
    again = row(page, "New participant 2")
    expect(again).to_be_visible()
    expect(again.get_by_label("Family name")).to_have_value("")
    expect(again.get_by_label("Given names")).to_have_value("")
    expect(first.get_by_label("Family name")).to_have_value("Wanjiru")
    expect(add).to_be_hidden()
    expect(full_note).to_be_visible()
    assert page.url == url

    assert Participant.objects.count() == 0  # nothing was saved along the way
    assert_clean_console(page)


def test_a_complete_participant_with_letter_and_photo_is_saved_as_a_draft(live_server, draft, form_page, tmp_path):
    page = form_page
    session = draft.session
    expiry = session.end_date + timedelta(days=3 * 365)
    letter_path = pdf_file(tmp_path)
    photo_path = png_with_exif(tmp_path)

    page.get_by_label("Accreditation letter (PDF)").set_input_files(str(letter_path))
    first = row(page, "New participant 1")
    first.get_by_label("Family name").fill("Wanjiru")
    first.get_by_label("Given names").fill("Grace Akinyi")
    first.get_by_label("Gender").select_option(label="Female")
    first.get_by_label("Nationality").select_option(label="Kenya")
    first.get_by_label("Date of birth").fill("1985-06-15")
    first.get_by_label("Passport or ID number").fill("AK1234567")
    first.get_by_label("Passport or ID valid until").fill(expiry.isoformat())
    first.get_by_label("E-mail").fill("grace@hra.example")
    first.get_by_label("Role").select_option(label="Head of delegation")
    first.get_by_label("Attendance").select_option(label="Online")
    first.get_by_label("Photo").set_input_files(str(photo_path))

    page.get_by_role("button", name="Save draft", exact=True).click()

    saved = page.get_by_role("status")
    expect(saved).to_have_text(
        f"The draft is saved. Submit it before {local(session.registration_closes)}, Vienna time; "
        "until then it is not sent to anyone."
    )
    expect(page).to_have_url(edit_url(live_server, draft))
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#places-used")).to_have_text("1 of 10 places used")
    expect(page.get_by_role("link", name="See the uploaded accreditation letter (PDF)")).to_be_visible()
    saved_row = row(page, "WANJIRU, Grace Akinyi")
    expect(saved_row).to_be_visible()
    expect(saved_row.get_by_label("Family name")).to_have_value("Wanjiru")
    expect(saved_row.get_by_label("Passport or ID valid until")).to_have_value(expiry.isoformat())
    expect(saved_row.get_by_role("link", name="See the saved photo")).to_be_visible()
    expect(page.locator("[data-participant-row]")).to_have_count(1)

    participants = list(Participant.objects.all())
    assert len(participants) == 1
    participant = participants[0]
    assert participant.registration_id == draft.pk
    assert (
        participant.family_name, participant.given_names, participant.gender, participant.nationality.code,
        participant.date_of_birth.isoformat(), participant.passport_number, participant.passport_expiry,
        participant.email, participant.role, participant.attendance, participant.needs_visa_letter,
    ) == (
        "Wanjiru", "Grace Akinyi", "female", "KE", "1985-06-15", "AK1234567", expiry,
        "grace@hra.example", "head", "online", False,
    )  # fmt: skip

    registration = Registration.objects.get(pk=draft.pk)
    assert registration.status == "draft"
    assert registration.accreditation_letter
    with registration.accreditation_letter.open("rb") as stored_letter:
        assert stored_letter.read() == letter_path.read_bytes()

    assert participant.photo
    with participant.photo.open("rb") as stored_photo:
        content = stored_photo.read()
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        assert image.size == (400, 500)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert CAMERA.encode() not in content

    assert_clean_console(page)


def fill_with_expired_passport(page, session, tmp_path):
    """The letter, and one participant whose passport expires before the session ends, with a photo."""
    too_early = session.start_date - timedelta(days=10)
    page.get_by_label("Accreditation letter (PDF)").set_input_files(str(pdf_file(tmp_path)))
    first = row(page, "New participant 1")
    first.get_by_label("Family name").fill("Wanjiru")
    first.get_by_label("Given names").fill("Grace Akinyi")
    first.get_by_label("Gender").select_option(label="Female")
    first.get_by_label("Nationality").select_option(label="Kenya")
    first.get_by_label("Date of birth").fill("1985-06-15")
    first.get_by_label("Passport or ID number").fill("AK1234567")
    first.get_by_label("Passport or ID valid until").fill(too_early.isoformat())
    first.get_by_label("E-mail").fill("grace@hra.example")
    first.get_by_label("Photo").set_input_files(str(png_with_exif(tmp_path)))
    return too_early


def test_an_error_keeps_what_was_typed_and_saves_nothing(live_server, draft, form_page, tmp_path):
    page = form_page
    session = draft.session
    message = f"The passport or ID must be valid after the session ends on {long_date(session.end_date)}."
    too_early = fill_with_expired_passport(page, session, tmp_path)

    page.get_by_role("button", name="Save draft", exact=True).click()

    # The summary at the top: an alert, with the error as a link to its field; it takes the focus.
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert.get_by_role("heading", level=2)).to_have_text("Please correct the errors below; nothing was saved")
    expect(alert.get_by_role("listitem")).to_have_text([f"New participant 1, Passport or ID valid until: {message}"])
    expect(page.locator("[data-error-summary]")).to_be_focused()

    # Beside the field: the same message, which the field's description reads out.
    first = row(page, "New participant 1")
    expiry = first.get_by_label("Passport or ID valid until")
    field_errors = page.locator(".field-errors")
    expect(field_errors).to_have_count(1)
    expect(first.locator(".form-field-invalid .field-errors")).to_have_text(message)
    expect(expiry).to_have_attribute("aria-invalid", "true")
    expect(expiry).to_have_accessible_description(message)

    # Everything typed is still there; the chosen photo must be chosen again, and the page says so.
    expect(page).to_have_url(edit_url(live_server, draft))
    expect(first.get_by_label("Family name")).to_have_value("Wanjiru")
    expect(first.get_by_label("Given names")).to_have_value("Grace Akinyi")
    expect(first.get_by_label("Gender")).to_have_value("female")
    expect(first.get_by_label("Nationality")).to_have_value("KE")
    expect(first.get_by_label("Date of birth")).to_have_value("1985-06-15")
    expect(first.get_by_label("Passport or ID number")).to_have_value("AK1234567")
    expect(first.get_by_label("E-mail")).to_have_value("grace@hra.example")
    expect(expiry).to_have_value(too_early.isoformat())
    expect(first.get_by_text(PHOTO_AGAIN)).to_be_visible()
    expect(page.locator("#places-used")).to_have_text("0 of 10 places used")
    expect(page.get_by_role("status")).to_have_count(0)

    # The summary's link takes the person to the field.
    alert.get_by_role("link").click()
    expect(expiry).to_be_focused()

    assert Participant.objects.count() == 0
    registration = Registration.objects.get(pk=draft.pk)
    assert not registration.accreditation_letter
    assert registration.status == "draft"

    assert_clean_console(page)


def test_after_an_error_the_page_asks_to_choose_the_letter_again(live_server, draft, form_page, tmp_path):
    page = form_page
    fill_with_expired_passport(page, draft.session, tmp_path)

    page.get_by_role("button", name="Save draft", exact=True).click()

    expect(page.get_by_role("alert")).to_have_count(1)
    expect(page.get_by_label("Accreditation letter (PDF)")).to_have_value("")  # the browser dropped the file
    letter_section = page.get_by_role("region", name="Accreditation letter", exact=True)
    expect(letter_section.get_by_text(LETTER_AGAIN)).to_be_visible()
    assert not Registration.objects.get(pk=draft.pk).accreditation_letter
    assert_clean_console(page)
