"""Personal files of delegations: the accreditation letter, the photo and the visa support letter.

Each is served only through its view, to the people allowed to see it, privately and never
cached; everyone else gets a 404, as if the file did not exist.
"""

import datetime as dt
import io
import os
import re

import pytest
import time_machine
from django.core.files.base import ContentFile
from PIL import Image

from sessions.enums import Channel, ParticipantRole, ParticipantStatus, RegistrationStatus
from sessions.letters import LETTERHEAD, visa_letter_lines, visa_support_letter
from sessions.models import Participant, Registration, Session
from sessions.services import purge_personal_data
from sessions.tokens import visa_letter_token
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LETTER_BYTES = b"%PDF-1.4\n% the accreditation letter signed by the head of the organization\n%%EOF\n"
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def headers(response) -> dict[str, str]:
    return {
        name: response.get(name)
        for name in ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options")
    }


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def cnd_70(commissions):
    return Session.objects.create(
        commission=commissions["cnd"],
        number=70,
        title="70th session of the Commission on Narcotic Drugs",
        start_date=dt.date(2027, 3, 15),
        end_date=dt.date(2027, 3, 19),
        venue="Vienna International Centre, Vienna",
        registration_opens=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        registration_closes=dt.datetime(2027, 2, 14, 22, 59, tzinfo=dt.UTC),
    )


@pytest.fixture
def registration(cnd_70, organizations, bodies):
    """Organization A's approved delegation, registered through the VNGOC, with its letter."""
    registration = Registration.objects.create(
        session=cnd_70,
        organization=organizations["a"],
        channel=Channel.UMBRELLA,
        umbrella_body=bodies["vngoc"],
        status=RegistrationStatus.APPROVED,
        accreditation_letter=ContentFile(LETTER_BYTES, name="Letter of HRA.pdf"),
    )
    yield registration
    registration.refresh_from_db()
    if registration.accreditation_letter:
        registration.accreditation_letter.delete(save=False)


@pytest.fixture
def participant(registration):
    """An approved participant who asked for a visa support letter, with a PNG photo."""
    participant = Participant.objects.create(
        registration=registration,
        family_name="Brzęczyszczykiewicz",
        given_names="Łukasz",
        gender="male",
        nationality="PL",
        date_of_birth=dt.date(1985, 4, 2),
        passport_number="EA1234567",
        passport_expiry=dt.date(2031, 1, 31),
        email="lukasz@hra.example",
        role=ParticipantRole.REPRESENTATIVE,
        needs_visa_letter=True,
        status=ParticipantStatus.APPROVED,
        photo=ContentFile(png_bytes(), name="Łukasz passport photo.png"),
    )
    yield participant
    participant.refresh_from_db()
    if participant.photo:
        participant.photo.delete(save=False)


@pytest.fixture
def people(csu_officer, coordinators, focal_points, outsider):
    """Everyone, by role; CSU and coordinators with TOTP, as staff pages ask of them."""
    give_totp(csu_officer)
    for coordinator in coordinators.values():
        give_totp(coordinator)
    return {
        "csu": csu_officer,
        "focal_point": focal_points["a"],
        "other_focal_point": focal_points["b"],
        "coordinator": coordinators["vngoc"],
        "other_coordinator": coordinators["alliance"],
        "outsider": outsider,
    }


def status_by_role(client, people, url) -> dict[str, int]:
    statuses = {}
    for role, person in people.items():
        client.force_login(person)
        statuses[role] = client.get(url).status_code
        client.logout()
    return statuses


# --- The accreditation letter ------------------------------------------------------------------


def test_accreditation_letter_sends_the_public_to_sign_in(client, registration):
    url = f"/sessions/registrations/{registration.pk}/letter.pdf"

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={url}")


def test_accreditation_letter_is_served_to_whoever_may_see_the_registration(client, registration, people):
    url = f"/sessions/registrations/{registration.pk}/letter.pdf"

    assert status_by_role(client, people, url) == {
        "csu": 200,
        "focal_point": 200,
        "other_focal_point": 404,
        "coordinator": 200,  # the registration came through the coordinator's body
        "other_coordinator": 404,
        "outsider": 404,
    }


def test_accreditation_letter_is_a_private_attachment_with_a_neutral_name(client, registration, focal_points):
    client.force_login(focal_points["a"])

    response = client.get(f"/sessions/registrations/{registration.pk}/letter.pdf")

    assert headers(response) == {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="accreditation-letter-cnd-70.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    assert body(response) == LETTER_BYTES


def test_accreditation_letter_is_stored_under_a_random_name(registration):
    name = registration.accreditation_letter.name

    assert name.startswith("letters/") and name.endswith(".pdf") and "HRA" not in name


def test_accreditation_letter_without_a_file_is_not_found(client, cnd_70, organizations, focal_points):
    registration = Registration.objects.create(session=cnd_70, organization=organizations["a"])
    client.force_login(focal_points["a"])

    assert client.get(f"/sessions/registrations/{registration.pk}/letter.pdf").status_code == 404


def test_accreditation_letter_missing_from_the_disk_is_not_found(client, registration, focal_points):
    registration.accreditation_letter.delete(save=False)
    client.force_login(focal_points["a"])

    assert client.get(f"/sessions/registrations/{registration.pk}/letter.pdf").status_code == 404


def test_accreditation_letter_of_an_unknown_registration_is_not_found(client, people):
    client.force_login(people["csu"])

    assert client.get("/sessions/registrations/999999/letter.pdf").status_code == 404


def test_accreditation_letter_asks_csu_for_mfa_first(client, registration, csu_officer):
    client.force_login(csu_officer)

    response = client.get(f"/sessions/registrations/{registration.pk}/letter.pdf")

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")


# --- The participant's photo -------------------------------------------------------------------


def test_participant_photo_sends_the_public_to_sign_in(client, participant):
    url = f"/sessions/participants/{participant.pk}/photo/"

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={url}")


def test_participant_photo_is_served_to_csu_and_the_organizations_focal_points_only(client, participant, people):
    assert status_by_role(client, people, f"/sessions/participants/{participant.pk}/photo/") == {
        "csu": 200,
        "focal_point": 200,
        "other_focal_point": 404,
        "coordinator": 404,  # the body's coordinator sees the delegation, not its personal data
        "other_coordinator": 404,
        "outsider": 404,
    }


def test_participant_photo_is_a_private_png(client, participant, people):
    client.force_login(people["csu"])

    response = client.get(f"/sessions/participants/{participant.pk}/photo/")

    assert headers(response) == {
        "Content-Type": "image/png",
        "Content-Disposition": f'inline; filename="participant-{participant.pk}.png"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    assert body(response) == png_bytes()


def test_participant_photo_in_jpeg_is_served_as_jpeg(client, participant, focal_points):
    participant.photo.delete(save=False)
    participant.photo = ContentFile(jpeg_bytes(), name="photo.JPEG")
    participant.save()
    client.force_login(focal_points["a"])

    response = client.get(f"/sessions/participants/{participant.pk}/photo/")

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "image/jpeg", f'inline; filename="participant-{participant.pk}.jpeg"'
    )


def test_participant_photo_without_a_photo_is_not_found(client, participant, focal_points):
    participant.photo.delete(save=True)
    client.force_login(focal_points["a"])

    assert client.get(f"/sessions/participants/{participant.pk}/photo/").status_code == 404


# --- The visa support letter, for CSU and focal points ------------------------------------------


def test_visa_letter_sends_the_public_to_sign_in(client, participant):
    url = f"/sessions/participants/{participant.pk}/visa-letter.pdf"

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={url}")


def test_visa_letter_is_served_to_csu_and_the_organizations_focal_points_only(client, participant, people):
    assert status_by_role(client, people, f"/sessions/participants/{participant.pk}/visa-letter.pdf") == {
        "csu": 200,
        "focal_point": 200,
        "other_focal_point": 404,
        "coordinator": 404,
        "other_coordinator": 404,
        "outsider": 404,
    }


def test_visa_letter_is_a_private_pdf_attachment(client, participant, focal_points):
    client.force_login(focal_points["a"])

    response = client.get(f"/sessions/participants/{participant.pk}/visa-letter.pdf")

    assert headers(response) == {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="visa-support-letter-cnd-70.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    assert body(response).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("registration_status", "participant_status", "needs_visa_letter"),
    [
        (RegistrationStatus.SUBMITTED, ParticipantStatus.PENDING, True),
        (RegistrationStatus.ENDORSED, ParticipantStatus.PENDING, True),
        (RegistrationStatus.REJECTED, ParticipantStatus.REJECTED, True),
        (RegistrationStatus.WITHDRAWN, ParticipantStatus.PENDING, True),
        (RegistrationStatus.APPROVED, ParticipantStatus.REJECTED, True),
        (RegistrationStatus.APPROVED, ParticipantStatus.APPROVED, False),
    ],
    ids=["submitted", "endorsed", "rejected", "withdrawn", "participant-rejected", "not-asked-for"],
)
def test_visa_letter_exists_only_for_an_approved_participant_who_asked(
    client, registration, participant, people, registration_status, participant_status, needs_visa_letter
):
    Registration.objects.filter(pk=registration.pk).update(status=registration_status)
    Participant.objects.filter(pk=participant.pk).update(status=participant_status, needs_visa_letter=needs_visa_letter)
    client.force_login(people["csu"])

    assert client.get(f"/sessions/participants/{participant.pk}/visa-letter.pdf").status_code == 404
    client.logout()
    assert client.get(f"/sessions/visa-letter/{visa_letter_token(participant.pk)}/").status_code == 404


def test_visa_letter_of_an_unknown_participant_is_not_found(client, people):
    client.force_login(people["csu"])

    assert client.get("/sessions/participants/999999/visa-letter.pdf").status_code == 404
    assert client.get("/sessions/participants/999999/photo/").status_code == 404


# --- The visa support letter, from the participant's e-mail ----------------------------------------


def test_visa_letter_link_works_without_signing_in(client, participant):
    response = client.get(f"/sessions/visa-letter/{visa_letter_token(participant.pk)}/")

    assert response.status_code == 200
    assert headers(response) == {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="visa-support-letter-cnd-70.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    assert body(response).startswith(b"%PDF-")


def test_visa_letter_link_names_the_participant_by_signed_id_only(participant):
    token = visa_letter_token(participant.pk)

    assert "EA1234567" not in token and "lukasz" not in token.lower()


def test_visa_letter_link_tampered_with_is_not_found(client, participant):
    token = visa_letter_token(participant.pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/sessions/visa-letter/{tampered}/")

    assert response.status_code == 404
    assert "We could not find this page" in response.content.decode()


def test_visa_letter_link_for_another_participant_cannot_be_forged(client, participant):
    assert client.get(f"/sessions/visa-letter/{participant.pk}/").status_code == 404
    assert client.get(f"/sessions/visa-letter/{visa_letter_token(participant.pk + 1)}/").status_code == 404


def test_visa_letter_link_expires_after_180_days(client, participant):
    with time_machine.travel(NOW, tick=False):
        token = visa_letter_token(participant.pk)
    with time_machine.travel(NOW + dt.timedelta(days=179), tick=False):
        assert client.get(f"/sessions/visa-letter/{token}/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=181), tick=False):
        assert client.get(f"/sessions/visa-letter/{token}/").status_code == 404


# --- After the personal data is purged ------------------------------------------------------------


def test_files_are_gone_once_personal_data_is_purged(client, registration, participant, people):
    token = visa_letter_token(participant.pk)
    letter_path, photo_path = registration.accreditation_letter.path, participant.photo.path
    # 90 days of retention after the session's end on 19 March 2027.
    outcome = purge_personal_data(now=dt.datetime(2027, 7, 1, tzinfo=dt.UTC))
    assert (outcome.registrations, outcome.participants, outcome.files) == (1, 1, 2)
    client.force_login(people["csu"])

    statuses = [
        client.get(f"/sessions/registrations/{registration.pk}/letter.pdf").status_code,
        client.get(f"/sessions/participants/{participant.pk}/photo/").status_code,
        client.get(f"/sessions/participants/{participant.pk}/visa-letter.pdf").status_code,
    ]
    client.logout()
    statuses.append(client.get(f"/sessions/visa-letter/{token}/").status_code)

    assert statuses == [404, 404, 404, 404]
    assert (os.path.exists(letter_path), os.path.exists(photo_path)) == (False, False)


def test_files_of_a_purged_registration_are_refused_even_if_a_file_remained(client, registration, participant, people):
    # Marked purged, but the files still on disk (a purge interrupted between steps): still refused.
    Registration.objects.filter(pk=registration.pk).update(personal_data_purged_at=NOW)
    client.force_login(people["csu"])

    assert [
        client.get(f"/sessions/registrations/{registration.pk}/letter.pdf").status_code,
        client.get(f"/sessions/participants/{participant.pk}/photo/").status_code,
        client.get(f"/sessions/participants/{participant.pk}/visa-letter.pdf").status_code,
    ] == [404, 404, 404]


# --- The letter itself -------------------------------------------------------------------------------


def test_visa_letter_lines_say_who_attends_what_in_plain_english(participant):
    assert visa_letter_lines(participant, today=dt.date(2027, 3, 1)) == [
        "United Nations Office on Drugs and Crime – Civil Society Unit",
        "1 March 2027",
        "Subject: Visa support letter",
        "To whom it may concern",
        "This is to confirm that BRZĘCZYSZCZYKIEWICZ, Łukasz, national of Poland, passport/ID no. EA1234567, "
        "is registered as a representative of Harm Reduction Alliance at the 70th session of the Commission on "
        "Narcotic Drugs, Vienna International Centre, Vienna, from 15 March 2027 to 19 March 2027.",
        "This letter is issued at the participant's request to support their visa application. It does not commit "
        "the United Nations Office on Drugs and Crime to cover any costs of travel, accommodation or stay, which "
        "remain the responsibility of the participant or of the organization they represent.",
        "Civil Society Unit, UNODC",
    ]


def test_visa_letter_lines_name_a_head_of_delegation_and_the_english_name(participant, organizations):
    participant.role = ParticipantRole.HEAD
    participant.family_name, participant.given_names, participant.nationality = "Nguyễn", "Thị Minh Khai", "VN"
    organization = participant.registration.organization
    organization.name, organization.name_en = "Alianza de Reducción de Daños", "Harm Reduction Alliance"

    confirmation = visa_letter_lines(participant, today=dt.date(2027, 3, 1))[4]

    assert confirmation.startswith(
        "This is to confirm that NGUYỄN, Thị Minh Khai, national of Vietnam, passport/ID no. EA1234567, is registered "
        "as the head of the delegation of Alianza de Reducción de Daños (Harm Reduction Alliance) at the 70th session"
    )


def test_visa_letter_is_in_english_whatever_the_pages_language(participant):
    from django.utils import translation

    with translation.override("fr"):
        lines = visa_letter_lines(participant, today=dt.date(2027, 3, 1))

    assert (lines[1], "national of Poland" in lines[4], "from 15 March 2027 to 19 March 2027" in lines[4]) == (
        "1 March 2027", True, True,
    )


def test_visa_support_letter_is_a_one_page_pdf_with_the_bundled_font(participant):
    pdf = visa_support_letter(participant, today=dt.date(2027, 3, 1))

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page/") == 1
    assert b"/Count 1" in pdf
    # Both weights of the bundled font, embedded as subsets.
    assert sorted(re.findall(rb"/FontName /[A-Z]{6}\+(\w+)", pdf)) == [b"DejaVuSansBold", b"DejaVuSansBook"]
    # Nothing personal in the document's metadata.
    assert b"/Title (Visa support letter)" in pdf
    assert LETTERHEAD == "United Nations Office on Drugs and Crime – Civil Society Unit"
