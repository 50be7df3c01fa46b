"""CSU's day in Chromium: the verification queue, the review queue of a session with filters and a
bulk approval, an export of the approved participants, and the session's statistics. Every page is
checked by axe-core and in French and Spanish (tests/journeys.py)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from organizations.enums import EcosocStatus, VerificationState
from organizations.models import Organization, OrganizationMember
from sessions.enums import Attendance, Channel, Gender, ParticipantRole, RegistrationStatus
from sessions.models import Participant, Registration, Session
from tests.conftest import make_user
from tests.journeys import journey, links_in, sent, wait_for_outbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

CND70 = "70th session of the Commission on Narcotic Drugs"


def participant(registration, family_name, given_names, nationality, position):
    return Participant.objects.create(
        registration=registration, family_name=family_name, given_names=given_names, position=position,
        gender=Gender.FEMALE, nationality=nationality, date_of_birth=date(1985, 4, 2), passport_number=f"P{position}{family_name[:3].upper()}",
        passport_expiry=date(2035, 6, 30), email=f"{given_names.split()[0].lower()}@example.test",
        role=ParticipantRole.REPRESENTATIVE, attendance=Attendance.IN_PERSON,
    )  # fmt: skip


@pytest.fixture
def day(commissions, organizations, focal_points, csu_officer):
    """CND 70 with three submitted delegations (two from Kenya, one from Brazil), and a new organization to verify."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = (now + timedelta(days=60)).date()
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70, start_date=start, end_date=start + timedelta(days=4),
        venue="Vienna International Centre", registration_opens=now - timedelta(days=10), registration_closes=now + timedelta(days=10),
    )  # fmt: skip
    kenyan = Organization.objects.create(
        name="Nairobi Recovery Network", acronym="NRN", slug="nrn", headquarters_country="KE",
        verification_state=VerificationState.VERIFIED, ecosoc_status=EcosocStatus.SPECIAL,
    )  # fmt: skip
    OrganizationMember.objects.create(organization=kenyan, user=make_user("focal@nrn.test", full_name="Focal point of NRN"))
    for organization in (organizations["a"], organizations["b"]):
        organization.ecosoc_status = EcosocStatus.SPECIAL
        organization.save()
    registrations = {}
    for number, (organization, people) in enumerate([
        (organizations["a"], [("Wanjiru", "Grace Akinyi", "KE")]),
        (kenyan, [("Kamau", "Joseph", "KE"), ("Njeri", "Mary", "KE")]),
        (organizations["b"], [("Silva", "Tomás", "BR")]),
    ]):  # fmt: skip
        registration = Registration.objects.create(
            session=session, organization=organization, status=RegistrationStatus.SUBMITTED, channel=Channel.DIRECT,
            submitted_at=now - timedelta(hours=5 - number),
        )  # fmt: skip
        for position, (family, given, nationality) in enumerate(people):
            participant(registration, family, given, nationality, position)
        registrations[organization.slug] = registration
    newcomer = Organization.objects.create(name="Ciudad Segura", acronym="CS", slug="cs", headquarters_country="MX")
    OrganizationMember.objects.create(organization=newcomer, user=make_user("ana@cs.test", full_name="Ana Segura"))
    return session, registrations


def test_csu_verifies_reviews_approves_in_bulk_exports_and_reads_the_statistics(journey, day, csu_officer, live_server, tmp_path):
    session, registrations = day
    csu = journey.person(csu_officer)
    csu.goto(journey.url("/"))
    journey.check(csu, "csu-home")

    # --- The verification queue.
    csu.get_by_role("navigation", name="Main").get_by_role("link", name="Verification").click()
    expect(csu).to_have_url(journey.url("/organizations/review/"))
    journey.check(csu)
    csu.get_by_role("article", name="Ciudad Segura (CS)").get_by_role("button", name="Verify", exact=True).click()
    expect(csu.get_by_role("status")).to_have_text("Ciudad Segura (CS) is verified and appears in the public directory; its focal points are told by e-mail.")
    expect(csu.get_by_text("No organization awaits verification.")).to_be_visible()
    journey.check(csu)
    wait_for_outbox(1)
    assert sent() == [("Ciudad Segura (CS) is verified", ["ana@cs.test"])]

    # --- The review queue, from the to-do on the home page; filtered to Kenya.
    csu.get_by_role("navigation", name="Main").get_by_role("link", name="NGO engagement portal").click()
    csu.get_by_role("link", name=f"3 registrations for {CND70} await your decision.").click()
    expect(csu).to_have_url(journey.url("/sessions/cnd/70/registrations/"))
    expect(csu.get_by_role("status")).to_have_text("3 registrations shown")
    journey.check(csu, "review-queue")
    filters = csu.get_by_role("search").get_by_role("form", name="Filter registrations")
    filters.get_by_label("Status", exact=True).select_option(label="Submitted to the Civil Society Unit")
    filters.get_by_label("Headquarters country").select_option(label="Kenya")
    filters.get_by_role("button", name="Show registrations").click()
    expect(csu.get_by_role("status")).to_have_text("2 registrations shown")
    table = csu.get_by_role("table")
    expect(table.get_by_role("rowheader")).to_have_text(["Harm Reduction Alliance (HRA)", "Nairobi Recovery Network (NRN)"])
    journey.check(csu)

    # --- A bulk approval of the two.
    table.get_by_label("Select Harm Reduction Alliance").check()
    table.get_by_label("Select Nairobi Recovery Network").check()
    csu.get_by_role("button", name="Approve selected registrations").click()
    expect(csu.get_by_role("status")).to_have_text([
        "2 registrations approved. Their focal points and approved participants are told by e-mail.",
        "0 registrations shown",  # the filter kept "Submitted": nothing from Kenya is left to decide
    ])  # fmt: skip
    journey.check(csu)
    statuses = dict(Registration.objects.values_list("organization__slug", "status"))
    assert statuses == {"hra": RegistrationStatus.APPROVED, "nrn": RegistrationStatus.APPROVED, "prn": RegistrationStatus.SUBMITTED}
    wait_for_outbox(6)
    assert sent(1) == [
        (f"HRA: registration for the {CND70} approved", ["focal@hra.test"]),
        (f"Your registration for the {CND70} is confirmed", ["grace@example.test"]),
        (f"NRN: registration for the {CND70} approved", ["focal@nrn.test"]),
        (f"Your registration for the {CND70} is confirmed", ["joseph@example.test"]),
        (f"Your registration for the {CND70} is confirmed", ["mary@example.test"]),
    ]
    assert links_in(mail.outbox[1], live_server) == [journey.url(f"/sessions/registrations/{registrations['hra'].pk}/")]

    # --- The export of the approved participants.
    with csu.expect_download() as download:
        csu.get_by_role("link", name="Export the approved participants as CSV").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert download.value.suggested_filename == f"cnd-70-participants-{timezone.localdate():%Y-%m-%d}.csv"
    assert rows[0][:3] == ["Passport name", "Family name", "Given names"]
    assert [(row[0], row[11]) for row in rows[1:]] == [
        ("WANJIRU, Grace Akinyi", "Harm Reduction Alliance"),
        ("KAMAU, Joseph", "Nairobi Recovery Network"),
        ("NJERI, Mary", "Nairobi Recovery Network"),
    ]

    # --- The statistics of the session.
    csu.goto(journey.url("/sessions/cnd/70/"))
    csu.get_by_role("link", name="Participation statistics").click()
    expect(csu).to_have_url(journey.url("/sessions/cnd/70/statistics/"))
    journey.check(csu, "statistics")
    expect(csu.get_by_role("heading", level=1)).to_have_text(f"Participation statistics of the {CND70}")

    journey.finish()
