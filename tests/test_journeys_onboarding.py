"""A new NGO focal point's journey in Chromium, from the sign-up to membership of an umbrella body:
sign up, follow the verification link of the e-mail, register the organization; CSU verifies it from
its e-mail; the focal point applies to VNGOC and its coordinator accepts from theirs. Every page is
checked by axe-core and in French and Spanish (tests/journeys.py)."""

import re

import pytest
from playwright.sync_api import expect

from organizations.enums import VerificationState
from organizations.models import Organization
from tests.journeys import journey, links_in, sent, wait_for_outbox  # noqa: F401  (fixture)
from umbrella.enums import MembershipStatus
from umbrella.models import MembershipCategory, UmbrellaMembership

pytestmark = pytest.mark.browser

EMAIL = "ana@ciudadsegura.example"
PASSWORD = "a-long-and-unusual-passphrase-42"
NAME = "Ciudad Segura"
ORG = "Ciudad Segura (CS)"


@pytest.fixture
def vngoc(bodies, coordinators, csu_officer):
    MembershipCategory.objects.create(body=bodies["vngoc"], name="Full member", position=1)
    MembershipCategory.objects.create(body=bodies["vngoc"], name="Associate member", position=2)
    return bodies["vngoc"]


def test_a_new_focal_point_signs_up_registers_and_joins_an_umbrella_body(
    journey, vngoc, coordinators, csu_officer, live_server, thematic_areas
):
    # --- Sign up and confirm the e-mail address.
    newcomer = journey.person()
    newcomer.goto(journey.url("/"))
    newcomer.get_by_role("main").get_by_role("button", name="Create an account").click()
    expect(newcomer).to_have_url(journey.url("/accounts/signup/"))
    journey.check(newcomer, "sign-up")
    newcomer.get_by_label("Email", exact=True).fill(EMAIL)
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
    newcomer.get_by_label("Password (again)", exact=True).fill(PASSWORD)
    newcomer.get_by_role("main").get_by_role("button", name="Sign up").click()
    expect(newcomer).to_have_url(journey.url("/accounts/confirm-email/"))
    journey.check(newcomer)

    wait_for_outbox(1)
    assert sent() == [("[NGO portal] Please Confirm Your Email Address", [EMAIL])]
    (link,) = links_in(wait_for_outbox(1)[0], live_server)
    assert re.fullmatch(re.escape(journey.url("/accounts/confirm-email/")) + r"[^/]+/", link), link
    newcomer.goto(link)
    journey.check(newcomer)
    newcomer.get_by_role("main").get_by_role("button", name="Confirm").click()
    expect(newcomer).to_have_url(journey.url("/"))
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text("Welcome")
    wait_for_outbox(2)
    assert sent(1) == [("Welcome to the UNODC NGO engagement portal", [EMAIL])]
    journey.check(newcomer)

    # --- Register the organization, from the to-do on the home page.
    newcomer.get_by_role("link", name=re.compile("^Register your organization")).click()
    expect(newcomer).to_have_url(journey.url("/organizations/new/"))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Register an organization")
    journey.check(newcomer, "organization-registration")
    newcomer.get_by_label("Name", exact=True).fill(NAME)
    newcomer.get_by_label("Acronym (optional)", exact=True).fill("CS")
    newcomer.get_by_label("Kind of organization").select_option(label="Non-governmental organization")
    newcomer.get_by_label("Headquarters country").select_option(label="Mexico")
    newcomer.get_by_label("Website (optional)").fill("https://ciudadsegura.example")
    newcomer.get_by_label("Description (optional)").fill("Community safety and drug policy in Mexican cities.")
    newcomer.get_by_label("ECOSOC consultative status").select_option(label="None")
    newcomer.get_by_role("group", name="Thematic areas").get_by_label("Drug policy").check()
    newcomer.get_by_role("button", name="Register the organization").click()

    organization = Organization.objects.get(name=NAME)
    expect(newcomer).to_have_url(journey.url(f"/organizations/{organization.slug}/"))
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text(NAME)
    journey.check(newcomer)
    assert organization.verification_state == VerificationState.PENDING
    wait_for_outbox(4)
    assert sorted(sent(2)) == sorted([
        (f"We received the registration of {ORG}", [EMAIL]),
        (f"{ORG} awaits verification", [csu_officer.email]),
    ])  # fmt: skip

    # --- CSU follows its e-mail to the verification queue and verifies the organization.
    to_csu = next(message for message in wait_for_outbox(4) if message.to == [csu_officer.email])
    assert links_in(to_csu, live_server) == [journey.url("/organizations/review/")]
    csu = journey.person(csu_officer)
    csu.goto(links_in(to_csu, live_server)[0])
    expect(csu.get_by_role("heading", level=1)).to_have_text("Verification")
    journey.check(csu, "verification-queue")
    entry = csu.get_by_role("article", name=ORG)
    entry.get_by_role("button", name="Verify", exact=True).click()
    expect(csu.get_by_role("status")).to_have_text(f"{ORG} is verified and appears in the public directory; its focal points are told by e-mail.")
    journey.check(csu)
    organization.refresh_from_db()
    assert organization.verification_state == VerificationState.VERIFIED
    wait_for_outbox(5)
    assert sent(4) == [(f"{ORG} is verified", [EMAIL])]

    # --- The focal point follows that e-mail back to the organization and applies to VNGOC.
    (organization_link,) = links_in(mail_number(4), live_server)
    assert organization_link == journey.url(f"/organizations/{organization.slug}/")
    newcomer.goto(organization_link)
    journey.check(newcomer, "new-organization")
    newcomer.get_by_role("link", name="Apply for membership of an umbrella body").click()
    expect(newcomer).to_have_url(journey.url("/umbrella/"))
    journey.check(newcomer)
    newcomer.get_by_role("link", name="Vienna NGO Committee on Drugs").first.click()
    expect(newcomer).to_have_url(journey.url("/umbrella/vngoc/"))
    journey.check(newcomer)
    newcomer.get_by_role("button", name="Apply for membership of VNGOC").click()
    expect(newcomer).to_have_url(journey.url("/umbrella/vngoc/apply/"))
    journey.check(newcomer, "umbrella-application")
    newcomer.get_by_role("group", name="Membership category").get_by_label("Full member").check()
    newcomer.get_by_label("Motivation").fill("We work on drug policy in twelve Mexican cities and want to take part in CND.")
    newcomer.get_by_role("button", name="Send the application").click()
    membership = UmbrellaMembership.objects.get(organization=organization, body=vngoc)
    expect(newcomer).to_have_url(journey.url(membership.get_absolute_url()))
    journey.check(newcomer)
    wait_for_outbox(7)
    assert sorted(sent(5)) == sorted([
        (f"{ORG} applies to join VNGOC", [coordinators["vngoc"].email]),
        (f"The application of {ORG} to VNGOC is received", [EMAIL]),
    ])  # fmt: skip

    # --- The coordinator follows their e-mail to the application and accepts it.
    to_coordinator = next(message for message in mail_since(5) if message.to == [coordinators["vngoc"].email])
    assert links_in(to_coordinator, live_server) == [journey.url(membership.get_absolute_url())]
    coordinator = journey.person(coordinators["vngoc"])
    coordinator.goto(links_in(to_coordinator, live_server)[0])
    journey.check(coordinator, "umbrella-decision")
    coordinator.get_by_role("button", name="Accept CS as a member").click()
    expect(coordinator.get_by_role("status")).to_have_count(1)
    journey.check(coordinator)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    wait_for_outbox(8)
    assert sent(7) == [(f"{ORG} is now a member of VNGOC", [EMAIL])]
    assert links_in(mail_number(7), live_server) == [journey.url(membership.get_absolute_url())]

    journey.finish()


def mail_number(index):
    return wait_for_outbox(index + 1)[index]


def mail_since(index):
    return wait_for_outbox(index + 1)[index:]
