"""The delegation's journey in Chromium: a focal point registers two representatives (photos, the
accreditation letter) through VNGOC, with the keyboard alone; the coordinator endorses; CSU approves
one and rejects the other; the focal point reads the timeline and downloads the visa letter. Every
page is checked by axe-core and in French and Spanish (tests/journeys.py)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from fpdf import FPDF
from PIL import Image
from playwright.sync_api import expect

from organizations.enums import EcosocStatus
from sessions.enums import ParticipantStatus, RegistrationStatus
from sessions.models import Participant, Registration, Session
from tests.journeys import journey, links_in, sent, tab_to, type_date, wait_for_outbox  # noqa: F401  (fixture)
from umbrella.enums import MembershipStatus
from umbrella.models import MembershipCategory, UmbrellaMembership

pytestmark = pytest.mark.browser

CND70 = "70th session of the Commission on Narcotic Drugs"
HRA = "Harm Reduction Alliance (HRA)"


@pytest.fixture
def cnd70(commissions):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = (now + timedelta(days=60)).date()
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70, start_date=start, end_date=start + timedelta(days=4),
        venue="Vienna International Centre", registration_opens=now - timedelta(days=1), registration_closes=now + timedelta(days=10),
    )  # fmt: skip


@pytest.fixture
def hra_in_vngoc(organizations, bodies, coordinators, csu_officer):
    """HRA has no ECOSOC status, so it goes to CND as part of VNGOC's delegation; it is an active member."""
    hra = organizations["a"]
    hra.ecosoc_status = EcosocStatus.NONE
    hra.save()
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Full member")
    UmbrellaMembership.objects.create(organization=hra, body=bodies["vngoc"], category=category, status=MembershipStatus.ACTIVE)
    return hra


def letter(tmp_path):
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Accreditation of the delegation of the Harm Reduction Alliance")
    path = tmp_path / "letter.pdf"
    path.write_bytes(bytes(document.output()))
    return path


def photo(tmp_path, name, colour):
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (400, 500), colour).save(path, format="PNG")
    return path


def choose_file(page, field, path):
    """Open the file chooser from the keyboard (Space on the focused field) and pick `path`."""
    if not getattr(page, "_intercepts_file_choosers", False):
        # Playwright intercepts the browser's file dialog only once a listener exists; it is set up
        # asynchronously, so listen from the start, and make a round trip before the first key press.
        page.on("filechooser", lambda chooser: None)
        page.evaluate("1")
        page._intercepts_file_choosers = True
    tab_to(page, field)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(path))


def type_into(page, field, text):
    tab_to(page, field)
    page.keyboard.type(text)


def fill_participant(page, row, person, expiry):
    type_into(page, row.get_by_label("Family name"), person["family"])
    type_into(page, row.get_by_label("Given names"), person["given"])
    type_into(page, row.get_by_label("Gender"), person["gender"])  # a closed select picks by typed letters
    type_into(page, row.get_by_label("Nationality"), person["nationality"])
    type_date(page, row.get_by_label("Date of birth"), person["born"])
    type_into(page, row.get_by_label("Passport or ID number"), person["passport"])
    type_date(page, row.get_by_label("Passport or ID valid until"), expiry)
    type_into(page, row.get_by_label("E-mail"), person["email"])
    type_into(page, row.get_by_label("Role"), person["role"])
    choose_file(page, row.get_by_label("Photo"), person["photo"])
    if person["visa"]:
        tab_to(page, row.get_by_label("Needs a visa support letter"))
        page.keyboard.press("Space")


def test_a_delegation_is_registered_endorsed_decided_and_its_visa_letter_downloaded(
    journey, cnd70, hra_in_vngoc, focal_points, coordinators, csu_officer, live_server, tmp_path
):
    focal_point, coordinator_user = focal_points["a"], coordinators["vngoc"]
    people = [
        {"family": "Wanjiru", "given": "Grace Akinyi", "gender": "Female", "nationality": "Kenya", "born": date(1985, 6, 15),
         "passport": "AK1234567", "email": "grace@hra.example", "role": "Head", "visa": True,
         "photo": photo(tmp_path, "grace", "#4060a0")},
        {"family": "Otieno", "given": "Brian", "gender": "Male", "nationality": "Kenya", "born": date(1990, 2, 2),
         "passport": "AK7654321", "email": "brian@hra.example", "role": "Representative", "visa": False,
         "photo": photo(tmp_path, "brian", "#a06040")},
    ]  # fmt: skip
    expiry = cnd70.end_date + timedelta(days=3 * 365)

    # --- The focal point opens a draft through VNGOC.
    focal = journey.person(focal_point)
    focal.goto(journey.url("/sessions/cnd/70/"))
    journey.check(focal, "session")
    focal.get_by_role("button", name="Register your delegation").click()
    expect(focal).to_have_url(journey.url("/sessions/cnd/70/register/"))
    journey.check(focal)
    focal.get_by_role("group", name="How does the organization register?").get_by_label(
        "Through Vienna NGO Committee on Drugs, as part of its delegation"
    ).check()
    focal.get_by_role("button", name="Open the draft registration").click()
    registration = Registration.objects.get(organization=hra_in_vngoc, session=cnd70)
    expect(focal).to_have_url(journey.url(f"/sessions/registrations/{registration.pk}/edit/"))

    # --- The form, with the keyboard alone: the letter, a participant, a second row, a second participant.
    choose_file(focal, focal.get_by_label("Accreditation letter (PDF)"), letter(tmp_path))
    fill_participant(focal, focal.get_by_role("group", name="New participant 1", exact=True), people[0], expiry)
    tab_to(focal, focal.get_by_role("button", name="Add a participant"))
    with focal.expect_response(re.compile(r"/edit/participant-row/\?")):
        focal.keyboard.press("Enter")
    second = focal.get_by_role("group", name="New participant 2", exact=True)
    expect(second).to_be_visible()
    fill_participant(focal, second, people[1], expiry)
    journey.check(focal, "delegation-form")
    tab_to(focal, focal.get_by_role("button", name="Save and submit"))
    focal.keyboard.press("Enter")

    expect(focal).to_have_url(journey.url(f"/sessions/registrations/{registration.pk}/"))
    journey.check(focal)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.AWAITING_ENDORSEMENT
    grace, brian = registration.participants.order_by("family_name").reverse()
    assert [(p.family_name, p.given_names, p.gender, p.nationality.code, p.date_of_birth.isoformat(), p.passport_number,
             p.passport_expiry, p.email, p.role, p.needs_visa_letter, bool(p.photo)) for p in (grace, brian)] == [
        ("Wanjiru", "Grace Akinyi", "female", "KE", "1985-06-15", "AK1234567", expiry, "grace@hra.example", "head", True, True),
        ("Otieno", "Brian", "male", "KE", "1990-02-02", "AK7654321", expiry, "brian@hra.example", "representative", False, True),
    ]  # fmt: skip
    assert bool(registration.accreditation_letter)
    wait_for_outbox(2)
    assert sent() == [
        (f"HRA: registration for the {CND70} submitted", [focal_point.email]),
        (f"HRA asks VNGOC to endorse its delegation to the {CND70}", [coordinator_user.email]),
    ]

    # --- The coordinator follows the e-mail and endorses.
    asking = wait_for_outbox(2)[1]
    registration_url = journey.url(f"/sessions/registrations/{registration.pk}/")
    assert links_in(asking, live_server) == [journey.url("/umbrella/vngoc/endorsements/")]
    coordinator = journey.person(coordinator_user)
    coordinator.goto(links_in(asking, live_server)[0])
    journey.check(coordinator, "endorsement-queue")
    coordinator.get_by_role("link", name="Endorse or decline HRA").click()
    expect(coordinator).to_have_url(registration_url)
    journey.check(coordinator)
    coordinator.get_by_role("button", name="Endorse the registration", exact=True).click()
    expect(coordinator.get_by_role("status")).to_have_count(1)
    journey.check(coordinator)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ENDORSED
    wait_for_outbox(3)
    assert sent(2) == [(f"HRA: registration for the {CND70} endorsed", [focal_point.email])]
    assert links_in(mail.outbox[2], live_server) == [registration_url]

    # --- CSU approves Grace and rejects Brian.
    csu = journey.person(csu_officer)
    csu.goto(journey.url("/"))
    csu.get_by_role("link", name=f"1 registration for {CND70} awaits your decision.").click()
    expect(csu).to_have_url(journey.url("/sessions/cnd/70/registrations/"))
    csu.get_by_role("table").get_by_role("link", name="Harm Reduction Alliance").click()
    expect(csu).to_have_url(registration_url)
    journey.check(csu, "registration-decision")
    approve = csu.get_by_role("article", name="Approve")
    approve.get_by_label("Reject OTIENO, Brian", exact=True).check()
    approve.get_by_label("Reason for rejecting OTIENO, Brian, e-mailed to the focal points").fill("The passport number does not match the letter.")
    approve.get_by_role("button", name="Approve the registration", exact=True).click()
    expect(csu.get_by_role("status")).to_have_count(1)
    journey.check(csu)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED
    assert [(p.family_name, p.status) for p in registration.participants.order_by("family_name")] == [
        ("Otieno", ParticipantStatus.REJECTED), ("Wanjiru", ParticipantStatus.APPROVED)
    ]
    wait_for_outbox(5)
    assert sent(3) == [
        (f"HRA: registration for the {CND70} approved", [focal_point.email]),
        (f"Your registration for the {CND70} is confirmed", ["grace@hra.example"]),
    ]
    approved = mail.outbox[3]
    assert "OTIENO, Brian" in approved.body and "The passport number does not match the letter." in approved.body
    assert links_in(approved, live_server) == [registration_url]

    # --- The focal point follows the e-mail, reads the timeline and downloads Grace's visa letter.
    focal.goto(links_in(approved, live_server)[0])
    steps = focal.get_by_role("region", name="Timeline").get_by_role("row")
    expect(steps).to_have_count(6)
    whats = [text.split("\t")[2] for text in steps.all_inner_texts()[1:]]
    whos = [text.split("\t")[1] for text in steps.all_inner_texts()[1:]]
    assert whats == [
        "Draft started",
        "Draft saved\nAdded: WANJIRU, Grace Akinyi, OTIENO, Brian\nNew accreditation letter",
        "Submitted",
        "Endorsed by the umbrella body",
        "Approved by the Civil Society Unit\nParticipants rejected: OTIENO, Brian",
    ]
    assert whos == ["Focal point of HRA"] * 3 + ["Coordinator of VNGOC", "Clara Officer"]
    journey.check(focal, "registration-timeline")
    with focal.expect_download() as download:
        focal.get_by_role("link", name="Visa support letter").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert download.value.suggested_filename == "visa-support-letter-cnd-70.pdf"
    assert download.value.url == journey.url(f"/sessions/participants/{grace.pk}/visa-letter.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    expect(focal.get_by_role("link", name="Visa support letter")).to_have_count(1)  # Brian needs none

    journey.finish()
