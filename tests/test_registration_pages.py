"""A delegation from the focal point's side: starting it, filling it in (letter, participants, photos),
submitting it, following it; its page for coordinators and CSU; my registrations."""

import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from fpdf import FPDF
from PIL import Image

from organizations.enums import EcosocStatus, VerificationState
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog
from sessions import services
from sessions.enums import AdmissionRule, Channel, RegistrationStatus
from sessions.images import clean_photo
from sessions.models import Commission, Participant, Registration, Session
from sessions.services import ParticipantData
from tests.conftest import give_totp
from umbrella.enums import MembershipStatus
from umbrella.models import MembershipCategory, UmbrellaMembership

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
CND70 = "70th session of the Commission on Narcotic Drugs"
QUOTA_MESSAGE = (
    f"A delegation to {CND70} can have at most 10 representatives; this one would have 11. Remove one first."
)
PHOTO_NOT_IMAGE = "The photo must be a JPEG or PNG image. Choose a photo saved as .jpg or .png."
PHOTO_TOO_LARGE = "The photo must be a file of at most 5 MB. Choose a smaller photo."
PHOTO_TOO_SMALL = "The photo must be between 300×300 and 6000×6000 pixels; this one is 100×100."
LETTER_NOT_PDF = (
    "The accreditation letter must be a PDF file of at most 5 MB; this file is not a PDF. "
    "Save the signed letter as PDF and upload it again."
)


# --- Helpers ---------------------------------------------------------------------------------


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def main(response) -> str:
    page = response.content.decode()
    return words(page[page.index("<main") : page.index("</main>")])


def field_errors(response, field_id: str) -> list[str]:
    found = re.search(rf'<ul class="field-errors" id="{field_id}_error">(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def summary(response) -> list[str]:
    """The error summary's items, as words."""
    found = re.search(r'<div class="error-summary".*?<ul>(.*?)</ul>', response.content.decode(), re.S)
    return [words(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def summary_heading(response) -> str:
    found = re.search(r'<div class="error-summary".*?<h2>(.*?)</h2>', response.content.decode(), re.S)
    return words(found.group(1)) if found else ""


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def actions_on(target) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def sign_in(client, user):
    """Sign in; CSU and coordinators get TOTP first, as staff pages need it."""
    if user.groups.exists() or user.coordinator_links.exists():
        give_totp(user)
    client.force_login(user)
    return user


def pdf_bytes() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Accreditation of the delegation of the Harm Reduction Alliance")
    return bytes(document.output())


def letter(name="letter.pdf", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type="application/pdf")


def image_bytes(size=(400, 500), image_format="PNG", mode="RGB", exif=None) -> bytes:
    image = Image.new(mode, size, "#4060a0" if mode == "RGB" else 1)
    output = io.BytesIO()
    if exif is not None:
        image.save(output, format=image_format, exif=exif)
    else:
        image.save(output, format=image_format)
    return output.getvalue()


def photo(name="photo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/png")


def person(**overrides) -> dict:
    row = {
        "family_name": "Wanjiru",
        "given_names": "Grace Akinyi",
        "gender": "female",
        "nationality": "KE",
        "date_of_birth": "1985-06-15",
        "passport_number": "AK1234567",
        "passport_expiry": "2031-01-31",
        "email": "grace@hra.example",
        "role": "representative",
        "attendance": "in_person",
    }
    row.update(overrides)
    return row


def form_data(rows, *, initial=0, **extra) -> dict:
    data = {
        "participant-TOTAL_FORMS": str(len(rows)),
        "participant-INITIAL_FORMS": str(initial),
        "participant-MIN_NUM_FORMS": "0",
        "participant-MAX_NUM_FORMS": "10",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                value = "on"
            if value is not False:
                data[f"participant-{index}-{key}"] = value
    data.update(extra)
    return data


def saved_row(participant: Participant, **overrides) -> dict:
    """A saved participant's row as the form shows it, unchanged unless told."""
    row = {
        "participant_id": str(participant.pk),
        "family_name": participant.family_name,
        "given_names": participant.given_names,
        "gender": participant.gender,
        "nationality": participant.nationality.code,
        "date_of_birth": participant.date_of_birth.isoformat() if participant.date_of_birth else "",
        "passport_number": participant.passport_number,
        "passport_expiry": participant.passport_expiry.isoformat() if participant.passport_expiry else "",
        "email": participant.email,
        "role": participant.role,
        "attendance": participant.attendance,
    }
    if participant.needs_visa_letter:
        row["needs_visa_letter"] = True
    row.update(overrides)
    return row


def data_of(number: int, **overrides) -> ParticipantData:
    values = {
        "family_name": f"Delegate{number}",
        "given_names": "Amina",
        "gender": "female",
        "nationality": "KE",
        "date_of_birth": date(1980, 1, 1) + timedelta(days=number),
        "passport_number": f"P{number:07d}",
        "passport_expiry": date(2031, 1, 1),
        "email": f"delegate{number}@hra.example",
        "role": "head" if number == 0 else "representative",
        "attendance": "in_person",
    }
    values.update(overrides)
    return ParticipantData(**values)


def reload(registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def url(name: str, registration) -> str:
    return {
        "detail": f"/sessions/registrations/{registration.pk}/",
        "edit": f"/sessions/registrations/{registration.pk}/edit/",
        "row": f"/sessions/registrations/{registration.pk}/edit/participant-row/?index=1&rows=1",
    }[name]


# --- Fixtures ---------------------------------------------------------------------------------


def local(moment: datetime) -> str:
    """A moment as the pages write it, in Vienna time."""
    return f"{moment.astimezone(VIENNA):%-d %B %Y, %H:%M}"


@pytest.fixture
def now(time_machine):
    """The application's clock, stopped at the real time: the registration window is checked against the
    database's clock, which no time machine moves, so sessions open and close around the real time."""
    moment = datetime.now(VIENNA).replace(second=0, microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def cnd70(now, commissions):
    """Registration open for ten more days (until 23:59 Vienna time); the session five weeks later."""
    closes = (now + timedelta(days=10)).replace(hour=23, minute=59)
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70,
        start_date=(now + timedelta(days=40)).date(), end_date=(now + timedelta(days=44)).date(),
        venue="Vienna International Centre", registration_opens=now - timedelta(days=30), registration_closes=closes,
    )


@pytest.fixture
def members(now, bodies, organizations):
    """HRA (no ECOSOC status) is an active member of the VNGOC; PRN has ECOSOC special status."""
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Member", position=1)
    UmbrellaMembership.objects.create(
        organization=organizations["a"], body=bodies["vngoc"], category=category, status=MembershipStatus.ACTIVE, member_since=now
    )
    organizations["b"].ecosoc_status, organizations["b"].ecosoc_year = EcosocStatus.SPECIAL, 2010
    organizations["b"].save()
    return category


@pytest.fixture
def draft(cnd70, members, organizations, focal_points, bodies):
    """HRA's draft through the VNGOC, with one participant and no letter yet."""
    registration = services.start_registration(
        cnd70, organizations["a"], by=focal_points["a"], channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"]
    )
    return services.save_registration(registration, by=focal_points["a"], participants=[data_of(0)])


def complete(registration, by, count=1, family="Delegate"):
    """Give the draft `count` participants in all and a letter."""
    existing = registration.participants.count()
    return services.save_registration(
        registration, by=by, letter=letter(),
        participants=[data_of(number, family_name=f"{family}{number}") for number in range(existing, count)],
    )


@pytest.fixture
def submitted(draft, focal_points):
    """HRA's registration, submitted: it awaits the VNGOC's endorsement."""
    complete(draft, focal_points["a"], count=2)
    return services.submit_registration(draft, by=focal_points["a"])


@pytest.fixture
def prn_registration(cnd70, members, organizations, focal_points):
    """PRN's registration, directly, submitted to CSU."""
    registration = services.start_registration(cnd70, organizations["b"], by=focal_points["b"], channel=Channel.DIRECT)
    complete(registration, focal_points["b"], count=1, family="Costa")
    return services.submit_registration(registration, by=focal_points["b"])


# --- The whole way, through the pages ---------------------------------------------------------------


def test_registration_flow_from_start_to_submission(client, cnd70, members, organizations, focal_points, bodies):
    sign_in(client, focal_points["a"])
    start = client.get("/sessions/cnd/70/register/")
    assert start.status_code == 200
    assert "<input type=\"radio\" name=\"way\" value=\"body-%d\"" % bodies["vngoc"].pk in start.content.decode()
    assert (
        "CND admits NGOs in consultative status with ECOSOC directly. Without it, Harm Reduction Alliance (HRA) "
        "registers through an umbrella body of which it is a member."
    ) in main(start)

    response = client.post("/sessions/cnd/70/register/", {"organization": organizations["a"].pk, "way": f"body-{bodies['vngoc'].pk}"})
    registration = Registration.objects.get(organization=organizations["a"])
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/registrations/{registration.pk}/edit/"
    assert (registration.status, registration.channel, registration.umbrella_body) == ("draft", "umbrella", bodies["vngoc"])

    form = client.get(response["Location"])
    assert form.status_code == 200
    assert '<script src="/static/portal/registration.js" defer></script>' in form.content.decode()
    assert 'name="participant-0-family_name"' in form.content.decode()
    assert "0 of 10 places used" in main(form)

    saved = client.post(
        url("edit", registration),
        form_data([person(photo=photo())], accreditation_letter=letter(), save="1"),
    )
    assert saved.status_code == 302
    assert saved["Location"] == url("edit", registration)
    assert shown_messages(saved) == [
        f"The draft is saved. Submit it before {local(cnd70.registration_closes)}, Vienna time; until then it is not sent to anyone."
    ]
    grace = Participant.objects.get(registration=registration)
    assert (grace.passport_name, grace.passport_number, grace.date_of_birth, grace.nationality.code) == (
        "WANJIRU, Grace Akinyi", "AK1234567", date(1985, 6, 15), "KE",
    )
    assert grace.photo.name.startswith("photos/") and grace.photo.name.endswith(".png")
    assert reload(registration).accreditation_letter.read(5) == b"%PDF-"
    again = client.get(saved["Location"])
    assert "1 of 10 places used" in main(again)
    assert "See the saved photo" in main(again)

    submitted = client.post(
        url("edit", registration),
        form_data(
            [saved_row(grace), person(family_name="Otieno", given_names="Brian", email="brian@hra.example", passport_number="BX7654321", date_of_birth="1990-02-01", role="head")],
            initial=1, submit="1",
        ),
    )
    registration = reload(registration)
    assert submitted.status_code == 302
    assert submitted["Location"] == url("detail", registration)
    assert registration.status == RegistrationStatus.AWAITING_ENDORSEMENT
    assert shown_messages(submitted) == [
        "The registration is submitted. It now awaits endorsement by VNGOC, then the decision "
        "of the Civil Society Unit. We will e-mail you each step."
    ]
    assert [p.passport_name for p in registration.participants.all()] == ["WANJIRU, Grace Akinyi", "OTIENO, Brian"]
    assert actions_on(registration) == [
        "sessions.registration.started", "sessions.registration.saved", "sessions.registration.saved",
        "sessions.registration.submitted",
    ]

    detail = client.get(url("detail", registration))
    assert "Awaiting endorsement by VNGOC, then the decision of the Civil Society Unit." in main(detail)
    assert "AK1234567" in main(detail) and "15 June 1985" in main(detail)
    assert f'<img src="/sessions/participants/{grace.pk}/photo/"' in detail.content.decode()


def test_registration_form_keeps_typed_values_when_a_field_is_wrong(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    delegate = draft.participants.get()

    response = client.post(
        url("edit", draft),
        form_data(
            [saved_row(delegate), person(family_name="Njoroge", given_names="Peter Kamau", email="not-an-address", passport_expiry="2020-01-01")],
            initial=1, save="1",
        ),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Njoroge"' in page and 'value="Peter Kamau"' in page and 'value="not-an-address"' in page
    assert field_errors(response, "id_participant-1-email") == ["Enter a valid e-mail address, such as name@example.org."]
    session = draft.session
    end = f"{session.end_date:%-d %B %Y}"
    assert field_errors(response, "id_participant-1-passport_expiry") == [
        f"The passport or ID must be valid after the session ends on {end}."
    ]
    assert summary_heading(response) == "Please correct the errors below; nothing was saved"
    assert summary(response) == [
        f"New participant 2, Passport or ID valid until: The passport or ID must be valid after the session ends on {end}.",
        "New participant 2, E-mail: Enter a valid e-mail address, such as name@example.org.",
    ]
    assert list(draft.participants.values_list("family_name", flat=True)) == ["Delegate0"]
    assert actions_on(draft) == ["sessions.registration.started", "sessions.registration.saved"]


@pytest.mark.parametrize(
    ("born", "message"),
    [
        ("2030-01-01", "The date of birth must be in the past."),
        ("yesterday", "Enter a valid date."),
        (None, "A representative must be at least 16 years old on the first day of the session."),
        ("1900-01-01", "Check the date of birth: it makes the person older than 110."),
    ],
)
def test_registration_form_checks_the_date_of_birth(client, draft, focal_points, born, message):
    sign_in(client, focal_points["a"])
    if born is None:  # about fifteen years old on the first day of the session
        born = (draft.session.start_date - timedelta(days=15 * 365)).isoformat()

    response = client.post(url("edit", draft), form_data([person(date_of_birth=born)], save="1"))

    assert field_errors(response, "id_participant-0-date_of_birth") == [message]
    assert 'value="Wanjiru"' in response.content.decode()
    assert draft.participants.count() == 1


def test_registration_form_saves_a_draft_without_passport_number_but_submitting_needs_it(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    delegate = draft.participants.get()
    client.post(url("edit", draft), form_data([saved_row(delegate), person(passport_number="", date_of_birth="")], initial=1, save="1"))
    grace = draft.participants.get(family_name="Wanjiru")
    assert (grace.passport_number, grace.date_of_birth) == ("", None)
    client.get(url("edit", draft))  # the "saved" message is shown

    response = client.post(
        url("edit", draft),
        form_data([saved_row(delegate), saved_row(grace, given_names="Grace")], initial=2, accreditation_letter=letter(), submit="1"),
    )

    assert response.status_code == 200
    assert summary_heading(response) == "The delegation is saved, but it was not submitted"
    assert summary(response) == ["WANJIRU, Grace: enter the passport or ID number and the date of birth."]
    assert field_errors(response, "id_participant-1-date_of_birth") == ["Enter the date of birth: the badge needs it."]
    assert field_errors(response, "id_participant-1-passport_number") == ["Enter the passport or ID number: the badge needs it."]
    assert field_errors(response, "id_participant-0-date_of_birth") == []
    assert field_errors(response, "id_accreditation_letter") == []
    registration = reload(draft)
    assert registration.status == RegistrationStatus.DRAFT
    assert registration.accreditation_letter
    assert draft.participants.get(pk=grace.pk).given_names == "Grace"


def test_registration_form_refuses_a_letter_that_is_not_a_pdf(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    delegate = draft.participants.get()

    response = client.post(
        url("edit", draft),
        form_data([saved_row(delegate, family_name="Delegate-Zero")], initial=1, save="1",
                  accreditation_letter=letter("letter.pdf", b"<html>not a letter</html>")),
    )

    assert field_errors(response, "id_accreditation_letter") == [LETTER_NOT_PDF]
    assert 'value="Delegate-Zero"' in response.content.decode()
    assert not reload(draft).accreditation_letter
    assert draft.participants.get().family_name == "Delegate0"


def test_registration_form_refuses_a_letter_over_five_megabytes(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft),
        form_data([saved_row(draft.participants.get())], initial=1, save="1",
                  accreditation_letter=letter(content=pdf_bytes() + b"%" * (5 * 1024 * 1024))),
    )

    assert field_errors(response, "id_accreditation_letter") == [
        "The accreditation letter must be a PDF file of at most 5 MB; this one has 5.0 MB."
    ]
    assert not reload(draft).accreditation_letter


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("photo.gif", image_bytes(image_format="GIF"), content_type="image/gif"), PHOTO_NOT_IMAGE),
        (lambda: SimpleUploadedFile("photo.jpg", b"I am a text file, not a photo.", content_type="image/jpeg"), PHOTO_NOT_IMAGE),
        (lambda: photo(size=(100, 100)), PHOTO_TOO_SMALL),
        (lambda: SimpleUploadedFile("photo.png", image_bytes() + b"\0" * (5 * 1024 * 1024), content_type="image/png"), PHOTO_TOO_LARGE),
    ],
    ids=["gif", "text-named-jpg", "100x100", "over-5-mb"],
)
def test_registration_form_refuses_a_wrong_photo(client, draft, focal_points, upload, message):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data([person(photo=upload())], save="1"))

    assert field_errors(response, "id_participant-0-photo") == [message]
    assert 'value="Wanjiru"' in response.content.decode()
    assert "Choose the photo again" not in main(response)
    assert list(draft.participants.values_list("family_name", flat=True)) == ["Delegate0"]


def test_registration_form_asks_to_choose_again_only_photos_of_a_refused_post(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft),
        form_data([person(photo=photo()), person(family_name="Kamau", email="kamau@", passport_number="ZZ1")], save="1"),
    )

    assert field_errors(response, "id_participant-1-email") == ["Enter a valid e-mail address, such as name@example.org."]
    page = response.content.decode()
    first_row = page[page.index('id="participant-row-participant-0"') : page.index('id="participant-row-participant-1"')]
    second_row = page[page.index('id="participant-row-participant-1"') :]
    assert "Choose the photo again: nothing was saved, and browsers do not keep a chosen file." in words(first_row)
    assert "Choose the photo again" not in words(second_row)


def test_photo_is_reencoded_without_its_metadata(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x9003] = "2026:05:01 10:00:00"
    upload = SimpleUploadedFile("holiday.jpeg", image_bytes(size=(600, 800), image_format="JPEG", exif=exif), content_type="image/jpeg")
    assert Image.open(io.BytesIO(upload.read())).getexif()
    upload.seek(0)

    client.post(url("edit", draft), form_data([saved_row(draft.participants.get(), photo=upload)], initial=1, save="1"))

    stored = draft.participants.get().photo
    assert stored.name.endswith(".jpg")
    with stored.open("rb") as file:
        image = Image.open(file)
        image.load()
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (600, 800))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info


def test_clean_photo_keeps_png_as_png_and_drops_its_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home, Nairobi")
    output = io.BytesIO()
    Image.new("RGBA", (300, 300), (10, 20, 30, 255)).save(output, format="PNG", pnginfo=info)

    cleaned = clean_photo(SimpleUploadedFile("me.jpg", output.getvalue()))

    image = Image.open(cleaned)
    assert (cleaned.name, image.format, image.mode, image.size) == ("photo.png", "PNG", "RGBA", (300, 300))
    assert image.info == {}


def test_registration_form_removes_a_saved_participant(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    complete(draft, focal_points["a"], count=2)
    first, second = draft.participants.all()

    response = client.post(
        url("edit", draft),
        form_data([saved_row(first), saved_row(second, remove=True, email="broken")], initial=2, save="1"),
    )

    assert response.status_code == 302
    assert list(draft.participants.values_list("family_name", flat=True)) == ["Delegate0"]
    assert ActivityLog.objects.filter(action="sessions.registration.saved").latest("id").new_values == {
        "added": "-", "changed": "-", "removed": "DELEGATE1, Amina", "letter": "-",
    }


def test_registration_form_says_so_when_nothing_changed(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data([saved_row(draft.participants.get())], initial=1, save="1"))

    assert response.status_code == 302
    assert shown_messages(response) == ["Nothing changed: the delegation is as it was."]
    assert actions_on(draft) == ["sessions.registration.started", "sessions.registration.saved"]


def test_registration_form_ignores_an_empty_new_row(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft),
        form_data([saved_row(draft.participants.get()), {"role": "representative", "attendance": "in_person"}], initial=1, save="1"),
    )

    assert response.status_code == 302
    assert draft.participants.count() == 1


def test_registration_form_refuses_a_stale_participant(client, draft, focal_points, prn_registration):
    sign_in(client, focal_points["a"])
    theirs = prn_registration.participants.get()

    response = client.post(url("edit", draft), form_data([saved_row(theirs, family_name="Hijacked")], initial=1, save="1"))

    assert response.status_code == 200
    assert summary(response) == ["The list of participants changed meanwhile. Reload the page; nothing was saved."]
    assert prn_registration.participants.get().family_name == "Costa0"


def test_registration_form_refuses_two_heads_of_delegation(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft), form_data([saved_row(draft.participants.get()), person(role="head")], initial=1, save="1")
    )

    assert summary(response) == ["Name one head of delegation only."]
    assert draft.participants.count() == 1


# --- The quota --------------------------------------------------------------------------------


@pytest.fixture
def full_draft(draft, focal_points):
    return complete(draft, focal_points["a"], count=10)


def test_registration_form_of_a_full_delegation_offers_no_more_rows(client, full_draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("edit", full_draft))

    page = response.content.decode()
    assert "10 of 10 places used" in main(response)
    assert page.count("data-participant-row") == 10
    assert '<p class="full-note" data-full-note>' in page
    assert re.search(r'<button type="submit" name="add_participant"[^>]* hidden>', page)


def test_registration_form_refuses_an_eleventh_participant(client, full_draft, focal_points):
    sign_in(client, focal_points["a"])
    rows = [saved_row(participant) for participant in full_draft.participants.all()]

    response = client.post(
        url("edit", full_draft),
        form_data([*rows, person(family_name="Eleventh", email="eleventh@hra.example")], initial=10, save="1"),
    )

    assert response.status_code == 200
    assert summary(response) == [QUOTA_MESSAGE]
    assert 'value="Eleventh"' in response.content.decode()
    assert full_draft.participants.count() == 10


def test_participant_row_is_not_offered_beyond_the_quota(client, full_draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(f"/sessions/registrations/{full_draft.pk}/edit/participant-row/?index=10&rows=10")

    page = response.content.decode()
    assert response.status_code == 200
    assert "data-participant-row" not in page
    assert 'hx-swap-oob="true"' in page and "The delegation is full" in words(page)


# --- Adding rows ---------------------------------------------------------------------------------


def test_participant_row_returns_an_empty_row_with_the_next_prefix(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(f"/sessions/registrations/{draft.pk}/edit/participant-row/?index=3&rows=2", HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'name="(participant-\d+-[a-z_]+)"', page) == [
        f"participant-3-{name}" for name in (
            "participant_id", "family_name", "given_names", "gender", "nationality", "date_of_birth", "passport_number",
            "passport_expiry", "email", "role", "attendance", "photo", "needs_visa_letter",
        )
    ]
    assert "<legend>New participant 3</legend>" in page
    assert '<input type="hidden" name="participant-TOTAL_FORMS" value="4" id="id_participant-TOTAL_FORMS" hx-swap-oob="true">' in page
    assert f'hx-get="/sessions/registrations/{draft.pk}/edit/participant-row/?index=4"' in page
    assert '<input type="hidden" name="rows" id="participant-rows" value="3">' in page
    assert "<html" not in page


@pytest.mark.parametrize("index", ["", "minus", "30"])
def test_participant_row_refuses_a_bad_index(client, draft, focal_points, index):
    sign_in(client, focal_points["a"])

    response = client.get(f"/sessions/registrations/{draft.pk}/edit/participant-row/?index={index}")

    assert response.status_code == 400


def test_add_participant_without_javascript_saves_and_shows_one_more_row(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft), form_data([saved_row(draft.participants.get()), person()], initial=1, add_participant="1")
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url('edit', draft)}?add=1#participant-forms"
    assert draft.participants.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert page.count("data-participant-row") == 3
    assert 'name="participant-2-family_name"' in page
    assert '<input type="hidden" name="participant-TOTAL_FORMS" value="3"' in page


def test_add_participant_without_javascript_keeps_typed_values_when_refused(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft),
        form_data([saved_row(draft.participants.get()), person(family_name="Muthoni", email="wrong")], initial=1, add_participant="1"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Muthoni"' in page
    assert field_errors(response, "id_participant-1-email") == ["Enter a valid e-mail address, such as name@example.org."]
    assert page.count("data-participant-row") == 3
    assert '<input type="hidden" name="participant-TOTAL_FORMS" value="3"' in page
    assert draft.participants.count() == 1


# --- Submitting -----------------------------------------------------------------------------------


def test_submission_refused_by_the_service_keeps_the_saved_delegation(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft),
        form_data([saved_row(draft.participants.get()), person(family_name="Achieng")], initial=1, submit="1"),
    )

    assert response.status_code == 200
    assert summary_heading(response) == "The delegation is saved, but it was not submitted"
    assert summary(response) == ["Upload the accreditation letter, signed by the head of the organization."]
    assert field_errors(response, "id_accreditation_letter") == ["Upload the accreditation letter, signed by the head of the organization."]
    assert list(draft.participants.values_list("family_name", flat=True)) == ["Delegate0", "Achieng"]
    assert reload(draft).status == RegistrationStatus.DRAFT
    page = response.content.decode()
    achieng = draft.participants.get(family_name="Achieng")
    assert f'name="participant-1-participant_id" value="{achieng.pk}"' in page
    assert '<input type="hidden" name="participant-INITIAL_FORMS" value="2"' in page


def test_submission_after_the_deadline_is_refused_and_changes_nothing(client, now, draft, focal_points, time_machine):
    complete(draft, focal_points["a"], count=1)
    sign_in(client, focal_points["a"])
    # The deadline was a minute ago, and the application's clock is an hour past it. The database's clock,
    # which decides and which no time machine moves, is past it too.
    closes = now - timedelta(minutes=1)
    Session.objects.filter(pk=draft.session_id).update(registration_closes=closes)
    time_machine.move_to(closes + timedelta(hours=1), tick=False)
    before = actions_on(draft)

    response = client.post(url("detail", draft), {"action": "submit"})

    assert response.status_code == 200
    assert summary(response) == [
        f"Registration for {CND70} closed on {local(closes)}, Vienna time. Nothing was submitted."
    ]
    assert reload(draft).status == RegistrationStatus.DRAFT
    assert actions_on(draft) == before


def test_submit_from_the_registration_page(client, draft, focal_points):
    complete(draft, focal_points["a"], count=1)
    sign_in(client, focal_points["a"])

    response = client.post(url("detail", draft), {"action": "submit"})

    assert response.status_code == 302
    assert reload(draft).status == RegistrationStatus.AWAITING_ENDORSEMENT
    assert shown_messages(response) == [
        "The registration is submitted. It now awaits endorsement by VNGOC, then the decision of the Civil Society "
        "Unit. We will e-mail you each step."
    ]


def test_withdraw_from_the_registration_page(client, submitted, focal_points):
    sign_in(client, focal_points["a"])
    page = client.get(url("detail", submitted)).content.decode()
    assert re.search(r'<button type="submit" class="danger outline" data-confirm="Withdraw the registration for [^"]+">Withdraw the registration</button>', page)

    response = client.post(url("detail", submitted), {"action": "withdraw"})

    assert response.status_code == 302
    assert reload(submitted).status == RegistrationStatus.WITHDRAWN
    assert shown_messages(response) == [
        f"The registration of Harm Reduction Alliance (HRA) for {CND70} is withdrawn. Nobody is registered for it any more."
    ]


# --- An approved delegation -------------------------------------------------------------------------


@pytest.fixture
def approved(prn_registration, csu_officer):
    return services.approve_registration(prn_registration, by=csu_officer)


def test_approved_registration_form_warns_that_a_change_goes_back_to_csu(client, approved, focal_points):
    sign_in(client, focal_points["b"])

    response = client.get(url("edit", approved))

    assert (
        "This delegation is approved. If you save a change, it goes back to the Civil Society Unit, which decides on it "
        "again; until then the delegation is no longer approved."
    ) in main(response)
    assert re.findall(r'<button type="submit" name="(\w+)" value="1">([^<]+)</button>', response.content.decode()) == [
        ("save", "Save the changes and send them to the Civil Society Unit")
    ]


def test_approved_registration_changed_goes_back_to_csu(client, approved, focal_points):
    sign_in(client, focal_points["b"])
    participant = approved.participants.get()

    response = client.post(url("edit", approved), form_data([saved_row(participant, attendance="online")], initial=1, save="1"))

    registration = reload(approved)
    assert response.status_code == 302
    assert response["Location"] == url("detail", approved)
    assert (registration.status, registration.changed_after_approval) == (RegistrationStatus.SUBMITTED, True)
    assert shown_messages(response) == [
        "Your changes are saved. The delegation goes back to the Civil Society Unit, which decides on it again."
    ]
    detail = client.get(url("detail", approved))
    assert "Changed after approval: awaiting a new decision of the Civil Society Unit." in main(detail)


def test_submitted_registration_form_sends_back_to_its_page(client, submitted, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("edit", submitted))

    assert response.status_code == 302
    assert response["Location"] == url("detail", submitted)
    assert shown_messages(response) == [
        "This registration can no longer be changed. Its status: Awaiting endorsement by the umbrella body."
    ]


# --- Who sees what -------------------------------------------------------------------------------


def row_urls(registration) -> list[str]:
    return [url("detail", registration), url("edit", registration), url("row", registration)]


def test_registration_pages_need_sign_in(client, submitted):
    for address in [*row_urls(submitted), "/sessions/registrations/", "/sessions/cnd/70/register/"]:
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["outsider", "other focal point", "other coordinator"])
def test_registration_pages_are_404_for_people_without_a_part_in_it(client, submitted, outsider, focal_points, coordinators, who):
    person_ = {"outsider": outsider, "other focal point": focal_points["b"], "other coordinator": coordinators["alliance"]}[who]
    sign_in(client, person_)

    assert [client.get(address).status_code for address in row_urls(submitted)] == [404, 404, 404]
    for action in ("submit", "withdraw"):
        assert client.post(url("detail", submitted), {"action": action}).status_code == 404
    assert client.post(url("edit", submitted), form_data([person()], save="1")).status_code == 404
    assert reload(submitted).status == RegistrationStatus.AWAITING_ENDORSEMENT


def test_registration_page_for_the_body_coordinator_masks_personal_data(client, submitted, coordinators):
    sign_in(client, coordinators["vngoc"])
    first = submitted.participants.first()

    response = client.get(url("detail", submitted))

    assert response.status_code == 200
    page = main(response)
    assert first.passport_number not in page and "P0000000" not in page
    assert "••••00" in page
    cells = re.findall(r'<td data-label="Date of birth">(.*?)</td>', response.content.decode())
    assert cells == ["••••", "••••"]
    assert "/photo/" not in response.content.decode()
    assert "Edit the delegation" not in page and "Withdraw the registration" not in page
    assert "Endorse the registration" in page and "Decline to endorse the registration" in page


def test_registration_form_is_closed_to_the_body_coordinator_and_csu(client, submitted, coordinators, csu_officer):
    for person_ in (coordinators["vngoc"], csu_officer):
        sign_in(client, person_)
        response = client.get(url("edit", submitted))
        assert response.status_code == 302
        assert response["Location"] == url("detail", submitted)
        assert shown_messages(response) == ["Only the organization's focal points can change the delegation."]
        assert client.get(url("row", submitted)).status_code == 404
        client.logout()


def test_registration_page_for_csu_shows_everything(client, submitted, csu_officer):
    sign_in(client, csu_officer)
    first = submitted.participants.first()

    response = client.get(url("detail", submitted))

    page = main(response)
    assert first.passport_number in page
    assert re.findall(r'<td data-label="Date of birth">(.*?)</td>', response.content.decode()) == ["1 January 1980", "2 January 1980"]
    assert f"/sessions/registrations/{submitted.pk}/letter.pdf" in response.content.decode()
    # Awaiting the body's endorsement: CSU may endorse in its place, not yet decide.
    assert "Endorse the registration" in page and "Approve the registration" not in page


def test_registration_page_for_csu_offers_the_decision_once_endorsed(client, submitted, coordinators, csu_officer):
    services.endorse_registration(submitted, by=coordinators["vngoc"])
    sign_in(client, csu_officer)

    page = main(client.get(url("detail", submitted)))

    assert "Approve the registration" in page and "Endorse the registration" not in page
    assert "Endorsed by VNGOC; awaiting the decision of the Civil Society Unit." in page


def test_registration_page_staff_need_two_factor_authentication(client, submitted, coordinators):
    client.force_login(coordinators["vngoc"])

    response = client.get(url("detail", submitted))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_registration_page_for_the_focal_point(client, submitted, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", submitted))

    page = main(response)
    assert "P0000000" in page and "1 January 1980" in page
    assert "Awaiting endorsement by VNGOC, then the decision of the Civil Society Unit." in page
    assert "Withdraw the registration" in page
    assert "Edit the delegation" not in page and "Submit the registration" not in page
    assert "Decision" not in re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())
    timeline = re.findall(r'<td data-label="What">(.*?)</td>', response.content.decode(), re.S)
    assert [words(step) for step in timeline] == [
        "Draft started",
        "Draft saved Added: DELEGATE0, Amina",
        "Draft saved Added: DELEGATE1, Amina New accreditation letter",
        "Submitted",
    ]
    who = re.findall(r'<td data-label="Who">(.*?)</td>', response.content.decode())
    assert who == ["Focal point of HRA"] * 4


def test_registration_page_of_a_draft_offers_edit_and_submit(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", draft))

    assert re.findall(r'<a href="([^"]+)" role="button"[^>]*>Edit the delegation</a>', response.content.decode()) == [url("edit", draft)]
    assert "Submit the registration" in main(response)
    assert (
        f"A draft: nothing is sent yet. Submit it before {local(draft.session.registration_closes)}, Vienna time."
    ) in main(response)


def test_registration_page_shows_the_decision_reason_and_rejected_participants(client, prn_registration, focal_points, csu_officer):
    Participant.objects.filter(registration=prn_registration).update(needs_visa_letter=True)
    extra = Participant.objects.create(
        registration=prn_registration, family_name="Silva", given_names="Ana", gender="female", nationality="BR",
        date_of_birth=date(1979, 3, 3), passport_number="BR998877", passport_expiry=date(2032, 1, 1),
        email="ana@prn.example", position=5,
    )
    services.approve_registration(prn_registration, by=csu_officer, note="Welcome.", rejected={extra.pk: "Not a staff member of PRN."})
    costa = prn_registration.participants.get(family_name="Costa0")
    sign_in(client, focal_points["b"])

    response = client.get(url("detail", prn_registration))

    page = main(response)
    assert "Approved. The approved participants received a confirmation by e-mail." in page
    assert "Reason given by Clara Officer on" in page and "Welcome." in page
    assert "Not a staff member of PRN." in page
    links = re.findall(r'<a href="(/sessions/participants/\d+/visa-letter.pdf)">Visa support letter</a>', response.content.decode())
    assert links == [f"/sessions/participants/{costa.pk}/visa-letter.pdf"]
    timeline = [words(step) for step in re.findall(r'<td data-label="What">(.*?)</td>', response.content.decode(), re.S)]
    assert timeline[-1] == "Approved by the Civil Society Unit Participants rejected: SILVA, Ana Welcome."


def test_registration_page_shows_the_rule17_state(client, now, commissions, organizations, focal_points, csu_officer):
    cosp = Session.objects.create(
        commission=commissions["cosp"], number=11, title="Eleventh session of the UNCAC COSP",
        start_date=(now + timedelta(days=60)).date(), end_date=(now + timedelta(days=64)).date(), venue="Doha",
        registration_opens=now - timedelta(days=1), registration_closes=now + timedelta(days=20),
    )
    registration = services.start_registration(cosp, organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)
    complete(registration, focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", registration))

    assert re.search(r'<dd id="rule17-state">(.*?)</dd>', response.content.decode()).group(1) == "On the rule 17 list, awaiting States"


# --- Starting -------------------------------------------------------------------------------------


def test_register_start_for_an_ecosoc_organization_offers_direct_registration(client, cnd70, members, focal_points, organizations):
    sign_in(client, focal_points["b"])

    response = client.get("/sessions/cnd/70/register/")

    page = response.content.decode()
    assert re.findall(r'<input type="radio" name="way" value="([^"]+)"', page) == ["direct"]
    assert 'value="direct"' in page and "checked" in re.search(r'<input type="radio" name="way" value="direct"[^>]*>', page).group(0)

    response = client.post("/sessions/cnd/70/register/", {"organization": organizations["b"].pk, "way": "direct"})

    registration = Registration.objects.get(organization=organizations["b"])
    assert (registration.channel, registration.umbrella_body, registration.status) == ("direct", None, "draft")
    assert shown_messages(response) == [
        f"The draft registration of Prison Reform Network (PRN) for {CND70} is open. Add the participants and the "
        f"accreditation letter, then submit it before {local(cnd70.registration_closes)}, Vienna time."
    ]


def test_register_start_refuses_a_body_the_organization_is_not_member_of(client, cnd70, members, focal_points, organizations, bodies):
    sign_in(client, focal_points["b"])

    response = client.post("/sessions/cnd/70/register/", {"organization": organizations["b"].pk, "way": f"body-{bodies['vngoc'].pk}"})

    assert response.status_code == 200
    assert field_errors(response, "id_way") == [
        f"Select a valid choice. body-{bodies['vngoc'].pk} is not one of the available choices."
    ]
    assert not Registration.objects.exists()


def test_register_start_explains_when_no_way_is_open(client, cnd70, organizations, focal_points):
    sign_in(client, focal_points["a"])  # HRA: no ECOSOC status, member of no body

    response = client.get("/sessions/cnd/70/register/")

    page = main(response)
    assert "CND admits NGOs in consultative status with ECOSOC directly." in page
    assert (
        "Harm Reduction Alliance (HRA) is not an active member of an umbrella body that covers CND, so no way to "
        "register is open to it for this session."
    ) in page
    assert "<form method=\"post\"" not in response.content.decode()
    assert 'href="/umbrella/"' in response.content.decode()


def test_register_start_links_to_the_existing_registration(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get("/sessions/cnd/70/register/")

    page = main(response)
    assert "Harm Reduction Alliance (HRA) already has a registration for this session: Draft." in page
    assert f'href="{url("detail", draft)}"' in response.content.decode()
    assert 'name="way"' not in response.content.decode()


def test_register_start_when_registration_is_closed(client, now, cnd70, members, focal_points):
    Session.objects.filter(pk=cnd70.pk).update(registration_closes=now - timedelta(days=1))
    closes = Session.objects.get(pk=cnd70.pk).registration_closes
    sign_in(client, focal_points["b"])

    response = client.get("/sessions/cnd/70/register/")

    assert (
        f"Registration for {CND70} closed on {local(closes)}, Vienna time. No new delegation can be registered."
    ) in main(response)
    assert 'name="way"' not in response.content.decode()
    assert client.post("/sessions/cnd/70/register/", {"way": "direct"}).status_code == 200
    assert not Registration.objects.exists()


def test_register_start_when_registration_has_not_opened(client, now, cnd70, members, focal_points):
    Session.objects.filter(pk=cnd70.pk).update(registration_opens=now + timedelta(days=2))
    opens = Session.objects.get(pk=cnd70.pk).registration_opens
    sign_in(client, focal_points["b"])

    response = client.get("/sessions/cnd/70/register/")

    assert (
        f"Registration for {CND70} opens on {local(opens)}, Vienna time. Come back then to register your delegation."
    ) in main(response)
    assert 'name="way"' not in response.content.decode()


def test_register_start_for_someone_without_an_organization(client, cnd70, outsider):
    sign_in(client, outsider)

    response = client.get("/sessions/cnd/70/register/")

    assert "You are not a focal point of any organization yet." in main(response)
    assert 'href="/organizations/new/"' in response.content.decode()


def test_register_start_for_an_unverified_organization(client, cnd70, organizations, focal_points):
    Organization.objects.filter(pk=organizations["a"].pk).update(verification_state=VerificationState.PENDING)
    sign_in(client, focal_points["a"])

    response = client.get("/sessions/cnd/70/register/")

    assert "Your organization can register a delegation once the Civil Society Unit has verified it." in main(response)


def test_register_start_with_several_organizations_asks_which_one(client, cnd70, members, organizations, focal_points, bodies):
    OrganizationMember.objects.create(organization=organizations["b"], user=focal_points["a"])
    sign_in(client, focal_points["a"])

    chooser = client.get("/sessions/cnd/70/register/")
    assert re.findall(r'<option value="(\d+)">', chooser.content.decode()) == [str(organizations["a"].pk), str(organizations["b"].pk)]
    assert 'name="way"' not in chooser.content.decode()

    chosen = client.get(f"/sessions/cnd/70/register/?organization={organizations['a'].pk}")
    assert re.findall(r'<input type="radio" name="way" value="([^"]+)"', chosen.content.decode()) == [f"body-{bodies['vngoc'].pk}"]
    assert "You register the delegation of Harm Reduction Alliance (HRA)." in main(chosen)


def test_register_start_for_the_congress_asks_the_category(client, now, members, organizations, focal_points):
    congress = Commission.objects.create(code="congress", abbreviation="Crime Congress", name="Crime Congress", admission_rule=AdmissionRule.CONGRESS)
    Session.objects.create(
        commission=congress, number=15, title="Fifteenth Crime Congress", start_date=(now + timedelta(days=90)).date(),
        end_date=(now + timedelta(days=97)).date(), venue="Abu Dhabi",
        registration_opens=now - timedelta(days=1), registration_closes=now + timedelta(days=30),
    )
    sign_in(client, focal_points["b"])

    refused = client.post("/sessions/congress/15/register/", {"organization": organizations["b"].pk, "way": "direct"})
    assert field_errors(refused, "id_congress_category") == ["Choose the organization's category for the Congress."]

    client.post("/sessions/congress/15/register/", {"organization": organizations["b"].pk, "way": "direct", "congress_category": "ecosoc"})
    assert Registration.objects.get().congress_category == "ecosoc"


def test_register_start_for_a_rule17_session_explains_the_list(client, now, commissions, organizations, focal_points):
    Session.objects.create(
        commission=commissions["cosp"], number=11, title="Eleventh session of the UNCAC COSP",
        start_date=(now + timedelta(days=60)).date(), end_date=(now + timedelta(days=64)).date(), venue="Doha",
        registration_opens=now - timedelta(days=1), registration_closes=now + timedelta(days=20),
    )
    sign_in(client, focal_points["a"])

    response = client.get("/sessions/cosp/11/register/")

    assert "Harm Reduction Alliance (HRA) has no ECOSOC consultative status: registering directly puts it on the rule 17 list" in main(response)


# --- My registrations -------------------------------------------------------------------------------


def test_my_registrations_groups_upcoming_and_past(client, now, submitted, commissions, organizations, focal_points):
    past_session = Session.objects.create(
        commission=commissions["ccpcj"], number=34, title="34th session of the CCPCJ",
        start_date=(now - timedelta(days=200)).date(), end_date=(now - timedelta(days=196)).date(), venue="Vienna",
    )
    Registration.objects.create(session=past_session, organization=organizations["a"], status=RegistrationStatus.APPROVED)
    sign_in(client, focal_points["a"])

    response = client.get("/sessions/registrations/")

    page = response.content.decode()
    upcoming = page[page.index('id="upcoming-heading"') : page.index('id="past-heading"')]
    past = page[page.index('id="past-heading"') :]
    assert re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', upcoming) == [CND70]
    assert re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', past) == ["34th session of the CCPCJ"]
    assert re.findall(r'<td data-label="Participants" class="align-right">(\d+)</td>', page) == ["2", "0"]
    assert re.findall(r'<span class="badge badge-registration-\w+">([^<]+)</span>', page) == [
        "Awaiting endorsement by the umbrella body", "Approved",
    ]


def test_my_registrations_is_empty_and_links_to_open_sessions(client, cnd70, outsider):
    sign_in(client, outsider)

    response = client.get("/sessions/registrations/")

    assert "Your organizations have not registered for any session yet." in main(response)
    assert re.findall(r'<a href="(/sessions/[^"]+/register/)">', response.content.decode()) == ["/sessions/cnd/70/register/"]


def test_my_registrations_shows_no_other_organization(client, submitted, prn_registration, focal_points):
    sign_in(client, focal_points["b"])

    page = client.get("/sessions/registrations/").content.decode()

    assert re.findall(r'<td data-label="Organization">([^<]+)</td>', page) == ["Prison Reform Network (PRN)"]


def test_my_registrations_pages_over_fifty(client, now, commissions, organizations, focal_points):
    sessions_ = Session.objects.bulk_create(
        Session(
            commission=commissions["ccpcj"], number=number, title=f"Session {number}",
            start_date=(now + timedelta(days=number)).date(), end_date=(now + timedelta(days=number)).date(), venue="Vienna",
        )
        for number in range(1, 53)
    )
    Registration.objects.bulk_create(Registration(session=session, organization=organizations["a"]) for session in sessions_)
    sign_in(client, focal_points["a"])

    first = client.get("/sessions/registrations/").content.decode()
    second = client.get("/sessions/registrations/?page=2").content.decode()

    assert first.count('<th scope="row">') == 50 and second.count('<th scope="row">') == 2
    assert "Page 1 of 2" in first


# --- Query counts -----------------------------------------------------------------------------------


def test_my_registrations_query_count_does_not_grow(client, now, draft, commissions, organizations, focal_points, django_assert_num_queries):
    sign_in(client, focal_points["a"])
    # the login session with the user and its roles (portal.login_sessions), count, page of registrations
    with django_assert_num_queries(3):
        client.get("/sessions/registrations/")
    for number in range(1, 6):
        session = Session.objects.create(
            commission=commissions["ccpcj"], number=number, title=f"Session {number}",
            start_date=(now + timedelta(days=number)).date(), end_date=(now + timedelta(days=number)).date(), venue="Vienna",
        )
        registration = Registration.objects.create(session=session, organization=organizations["a"])
        Participant.objects.bulk_create(
            Participant(registration=registration, family_name=f"P{n}", given_names="A", gender="male", nationality="KE", email="p@example.org")
            for n in range(3)
        )
    with django_assert_num_queries(3):
        client.get("/sessions/registrations/")


@pytest.mark.parametrize("viewer", ["focal point", "coordinator", "csu"])
def test_registration_page_query_count_does_not_grow(
    client, submitted, focal_points, coordinators, csu_officer, django_assert_num_queries, viewer
):
    person_ = {"focal point": focal_points["a"], "coordinator": coordinators["vngoc"], "csu": csu_officer}[viewer]
    sign_in(client, person_)
    client.get(url("detail", submitted))  # the content type of registrations is cached from then on

    with django_assert_num_queries(QUERIES[viewer]):
        client.get(url("detail", submitted))
    Participant.objects.bulk_create(
        Participant(
            registration=submitted, family_name=f"Extra{number}", given_names="Amina", gender="female", nationality="KE",
            date_of_birth=date(1990, 1, number + 1), passport_number=f"X{number:07d}", passport_expiry=date(2031, 1, 1),
            email=f"extra{number}@hra.example", needs_visa_letter=True, position=10 + number,
        )
        for number in range(6)
    )
    services.endorse_registration(submitted, by=coordinators["vngoc"], note="Known to us.")
    with django_assert_num_queries(QUERIES[viewer]):
        client.get(url("detail", submitted))


# the login session with the user, its roles and MFA (portal.login_sessions), registration, is a focal point of it,
# bodies the person coordinates, participants, timeline
QUERIES = {"focal point": 6, "coordinator": 6, "csu": 6}


def test_returned_registration_form_shows_what_csu_asks_and_can_be_submitted_again(client, prn_registration, focal_points, csu_officer):
    services.return_registration(prn_registration, by=csu_officer, reason="Add the head of delegation.")
    sign_in(client, focal_points["b"])
    costa = prn_registration.participants.get()

    page = client.get(url("edit", prn_registration))
    assert "The Civil Society Unit asks for these changes: Add the head of delegation." in main(page)

    response = client.post(url("edit", prn_registration), form_data([saved_row(costa, role="head")], initial=1, submit="1"))

    assert response.status_code == 302
    assert reload(prn_registration).status == RegistrationStatus.SUBMITTED
    assert shown_messages(response) == [
        "The registration is submitted to the Civil Society Unit, which decides on it. We will e-mail you its decision."
    ]


def test_withdrawn_registration_form_sends_back_to_its_page(client, submitted, focal_points):
    services.withdraw_registration(submitted, by=focal_points["a"])
    sign_in(client, focal_points["a"])

    response = client.get(url("edit", submitted))

    assert response["Location"] == url("detail", submitted)
    assert shown_messages(response) == ["This registration can no longer be changed. Its status: Withdrawn."]
    detail = client.get(url("detail", submitted))
    assert "Withdrawn by the organization. The registration has ended." in main(detail)
    assert "Withdraw the registration" not in main(detail) and "Edit the delegation" not in main(detail)
