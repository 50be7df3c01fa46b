"""Pages of the umbrella bodies: rosters, applying, deciding, the coordinator dashboard, exports and coordinators."""

import csv
import html
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from allauth.mfa.models import Authenticator
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail

from organizations.enums import EcosocStatus, VerificationState
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog, Notification
from tests.conftest import give_totp, make_user
from umbrella import services
from umbrella.enums import MembershipStatus
from umbrella.models import Coordinator, MembershipCategory, UmbrellaBody, UmbrellaMembership

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOTP_SETUP = "/accounts/2fa/totp/activate/"
VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2026, 11, 22, 18, 4, tzinfo=VIENNA)
ALLIANCE = "Alliance of NGOs on Crime Prevention and Criminal Justice"
VNGOC = "Vienna NGO Committee on Drugs"
MOTIVATION = "We run prison reform programmes in Kenya and want to speak at the CCPCJ."


# --- Helpers ---------------------------------------------------------------------------------


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def words(fragment: str) -> str:
    """A piece of HTML as the words a reader sees."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def field_errors(response, field: str, prefix: str = "id") -> list[str]:
    """The errors shown beside one field (portal/_field.html)."""
    found = re.search(rf'<ul class="field-errors" id="{prefix}_{field}_error">(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def queued() -> list[tuple[str, str]]:
    """E-mails written to the outbox (delivery waits for a commit that a test transaction never makes)."""
    return list(Notification.objects.order_by("pk").values_list("to_email", "subject"))


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def actions_on(target) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def section(response, start: str, end: str) -> str:
    page = text(response)
    return page[page.index(start) : page.index(end, page.index(start))]


def row_names(fragment: str) -> list[str]:
    """The organization named in each table row header of a piece of a page."""
    return [words(name) for name in re.findall(r'<th scope="row">(.*?)(?: <span class="acronym">.*?)?</th>', fragment)]


def buttons(response) -> list[str]:
    """The buttons of the page's content (not of the navigation)."""
    return [words(button) for button in re.findall(r"<button[^>]*>(.*?)</button>", section(response, "<main", "</main>"))]


def sign_in(client, user):
    """Sign in; CSU and coordinators get TOTP first, as staff pages need it."""
    needs_mfa = user.groups.exists() or user.coordinator_links.exists()
    if needs_mfa and not Authenticator.objects.filter(user=user).exists():
        give_totp(user)
    client.force_login(user)
    return user


def make_organization(name, acronym, slug, country, *, state=VerificationState.VERIFIED, **extra) -> Organization:
    return Organization.objects.create(
        name=name, acronym=acronym, slug=slug, headquarters_country=country, verification_state=state, **extra
    )


def make_membership(organization, body, category, status=MembershipStatus.ACTIVE, **extra) -> UmbrellaMembership:
    if status in (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED):
        extra.setdefault("member_since", NOW)
    return UmbrellaMembership.objects.create(organization=organization, body=body, category=category, status=status, **extra)


def reload(membership) -> UmbrellaMembership:
    return UmbrellaMembership.objects.get(pk=membership.pk)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def categories(bodies):
    return {
        "full": MembershipCategory.objects.create(body=bodies["alliance"], name="Full member", position=1),
        "associate": MembershipCategory.objects.create(
            body=bodies["alliance"], name="Associate member", description="Without a vote", position=2
        ),
        "vngoc": MembershipCategory.objects.create(body=bodies["vngoc"], name="Member", position=1),
    }


@pytest.fixture
def application(now, bodies, categories, organizations, focal_points, coordinators):
    """The Harm Reduction Alliance's pending application to the Alliance, sent by its focal point."""
    return services.apply_for_membership(
        organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["full"], motivation=MOTIVATION
    )


@pytest.fixture
def alliance_members(now, bodies, categories, organizations):
    """HRA (Kenya, no ECOSOC status) and PRN (Brazil, special status) are active; a third is suspended and one applies."""
    organizations["b"].ecosoc_status, organizations["b"].ecosoc_year = EcosocStatus.SPECIAL, 2010
    organizations["b"].save()
    drug_policy = make_organization("Drug Policy Brazil", "DPB", "dpb", "BR")
    youth = make_organization("Youth Forum Austria", "YFA", "yfa", "AT")
    return {
        "hra": make_membership(organizations["a"], bodies["alliance"], categories["full"]),
        "prn": make_membership(organizations["b"], bodies["alliance"], categories["associate"]),
        "dpb": make_membership(drug_policy, bodies["alliance"], categories["full"], MembershipStatus.SUSPENDED),
        "yfa": make_membership(
            youth, bodies["alliance"], categories["associate"], MembershipStatus.APPLIED, motivation="Youth."
        ),
    }


# --- Public list and body page ---------------------------------------------------------------


def test_body_page_lists_only_active_members_of_verified_organizations(client, alliance_members, bodies, categories):
    unverified = make_organization("Newcomers Network", "NN", "nn", "GH", state=VerificationState.PENDING)
    make_membership(unverified, bodies["alliance"], categories["full"])
    declined = make_organization("Declined Association", "DA", "da", "FR")
    make_membership(declined, bodies["alliance"], categories["full"], MembershipStatus.DECLINED)
    withdrawn = make_organization("Withdrawn Society", "WS", "ws", "DE")
    make_membership(withdrawn, bodies["alliance"], categories["full"], MembershipStatus.WITHDRAWN)

    response = client.get("/umbrella/alliance/")

    roster = section(response, 'id="roster-heading"', "</section>")
    assert response.status_code == 200
    assert '<p class="result-count">2 active member organizations, verified by the Civil Society Unit</p>' in roster
    assert row_names(roster) == ["Harm Reduction Alliance", "Prison Reform Network"]
    assert (
        '<th scope="row"><a href="/organizations/prn/">Prison Reform Network</a> <span class="acronym">(PRN)</span></th> '
        '<td data-label="Headquarters">Brazil</td> <td data-label="Category">Associate member</td> '
        '<td data-label="Member since">November 2026</td>'
    ) in roster


def test_body_page_with_one_member_says_so_in_the_singular(client, now, bodies, categories, organizations):
    make_membership(organizations["a"], bodies["vngoc"], categories["vngoc"])

    roster = section(client.get("/umbrella/vngoc/"), 'id="roster-heading"', "</section>")

    assert '<p class="result-count">1 active member organization, verified by the Civil Society Unit</p>' in roster
    assert row_names(roster) == ["Harm Reduction Alliance"]


def test_body_page_without_members_shows_the_empty_state(client, bodies, coordinators):
    response = client.get("/umbrella/vngoc/")

    page = text(response)
    assert "<h1>Vienna NGO Committee on Drugs (VNGOC)</h1>" in page
    assert "<dt>Membership categories</dt><dd>—</dd>" in page
    assert "<dt>Coordinators</dt><dd>Coordinator of VNGOC</dd>" in page
    assert '<p class="result-count">0 active member organizations, verified by the Civil Society Unit</p>' in page
    assert '<p class="empty-state">No member organization is listed yet.</p>' in page
    # The public has no button to apply, manage or appoint.
    assert '<p class="button-row">' not in page


def test_body_page_of_an_unknown_body_is_not_found(client, bodies):
    assert client.get("/umbrella/nowhere/").status_code == 404


def test_body_page_offers_each_role_its_buttons(client, bodies, csu_officer, coordinators, focal_points):
    links = {}
    people = {"focal point": focal_points["a"], "coordinator": coordinators["alliance"], "csu": csu_officer}
    for persona, user in people.items():
        sign_in(client, user)
        found = re.search(r'<p class="button-row">(.*?)</p>', text(client.get("/umbrella/alliance/")))
        links[persona] = re.findall(r'<a href="([^"]+)"', found.group(1))

    assert links == {
        "focal point": ["/umbrella/alliance/apply/"],
        "coordinator": ["/umbrella/alliance/apply/", "/umbrella/alliance/manage/"],
        "csu": ["/umbrella/alliance/apply/", "/umbrella/alliance/manage/", "/umbrella/alliance/coordinators/"],
    }


def test_list_page_counts_the_public_roster_of_each_body(client, alliance_members, bodies, categories):
    unverified = make_organization("Newcomers Network", "NN", "nn", "GH", state=VerificationState.PENDING)
    make_membership(unverified, bodies["alliance"], categories["full"])

    response = client.get("/umbrella/")

    cards = {
        words(re.search(r"<header>(.*?)</header>", card).group(1)): words(card.split("</header>", 1)[1])
        for card in re.findall(r"<article>(.*?)</article>", text(response))
    }
    assert cards == {
        f"{ALLIANCE} (Alliance)": "Founded in 1972. 2 member organizations Covers: CCPCJ",
        "UNCAC Coalition": "Founded in 2006. 0 member organizations Covers: UNCAC COSP",
        f"{VNGOC} (VNGOC)": "Founded in 1983. 0 member organizations Covers: CND",
    }


def test_list_page_orders_bodies_by_name(client, bodies, commissions):
    # Created in reverse order of their names, so that neither insertion nor id order is alphabetical.
    for letter in "ZYXWVUTSRQ":
        UmbrellaBody.objects.create(name=f"{letter} Network of NGOs", acronym=letter, slug=f"network-{letter.lower()}")

    response = client.get("/umbrella/")

    names = [words(name) for name in re.findall(r"<article> <header><a [^>]*><strong>(.*?)</strong>", text(response))]
    assert len(names) == 13
    assert names == sorted(names)


def test_list_page_without_bodies_shows_the_empty_state(client, db):
    assert '<p class="empty-state">No umbrella body is listed yet.</p>' in text(client.get("/umbrella/"))


def test_body_page_query_count_does_not_grow_with_rows(
    client, now, bodies, categories, organizations, django_assert_num_queries
):
    make_membership(organizations["a"], bodies["alliance"], categories["full"])
    # body, its commissions, categories, coordinators, the roster's count, the roster's page
    with django_assert_num_queries(6):
        client.get("/umbrella/alliance/")
    for number in range(6):
        organization = make_organization(f"Network {number}", f"N{number}", f"network-{number}", "BR")
        make_membership(organization, bodies["alliance"], categories["associate"])
    with django_assert_num_queries(6):
        response = client.get("/umbrella/alliance/")
    assert len(row_names(section(response, 'id="roster-heading"', "</section>"))) == 7


def test_list_page_query_count_does_not_grow_with_rows(
    client, now, bodies, categories, organizations, django_assert_num_queries
):
    make_membership(organizations["a"], bodies["alliance"], categories["full"])
    # bodies with their roster sizes, their commissions
    with django_assert_num_queries(2):
        client.get("/umbrella/")
    for number in range(4):
        body = UmbrellaBody.objects.create(name=f"Network {number}", acronym=f"N{number}", slug=f"network-{number}")
        body.commissions.add(*bodies["alliance"].commissions.all())
        organization = make_organization(f"Member {number}", f"M{number}", f"member-{number}", "BR")
        make_membership(organization, body, MembershipCategory.objects.create(body=body, name="Member"))
    with django_assert_num_queries(2):
        response = client.get("/umbrella/")
    assert text(response).count("<article>") == 7


# --- Who reaches which page ----------------------------------------------------------------------

PAGES = {
    "dashboard": "/umbrella/alliance/manage/",
    "export_csv": "/umbrella/alliance/manage/export.csv",
    "export_xlsx": "/umbrella/alliance/manage/export.xlsx",
    "membership": "/umbrella/alliance/memberships/{membership}/",
    "coordinators": "/umbrella/alliance/coordinators/",
}
OPENS = {
    "dashboard": f"page: Coordinator dashboard: {ALLIANCE}",
    "export_csv": "file: text/csv; charset=utf-8",
    "export_xlsx": "file: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "membership": "page: Membership of Harm Reduction Alliance (HRA) in Alliance",
    "coordinators": f"page: Coordinators of {ALLIANCE}",
}
NOT_FOUND, LOGIN_FIRST = "404", "login first"
EXPECTED = {
    "public": dict.fromkeys(PAGES, LOGIN_FIRST),
    "outsider": dict.fromkeys(PAGES, NOT_FOUND),
    "focal point of another organization": dict.fromkeys(PAGES, NOT_FOUND),
    "coordinator of another body": dict.fromkeys(PAGES, NOT_FOUND),
    "focal point of the applicant": {**dict.fromkeys(PAGES, NOT_FOUND), "membership": OPENS["membership"]},
    "coordinator of the body": {**OPENS, "coordinators": NOT_FOUND},
    "csu": OPENS,
}


def outcome(response) -> str:
    """What a person finds at an address: the page's heading, the file's type, or where they are sent."""
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        return "page: " + words(re.search(r"<h1[^>]*>(.*?)</h1>", text(response)).group(1))
    if response.status_code == 200:
        return f"file: {response['Content-Type']}"
    if response.status_code == 302 and response["Location"] == f"{LOGIN}?next={response.wsgi_request.path}":
        return LOGIN_FIRST
    if response.status_code == 302 and response["Location"] == TOTP_SETUP:
        return "totp setup"
    return str(response.status_code)


@pytest.fixture
def persona(client, csu_officer, coordinators, focal_points, outsider):
    def as_persona(name: str):
        user = {
            "public": None,
            "outsider": outsider,
            "focal point of another organization": focal_points["b"],
            "coordinator of another body": coordinators["vngoc"],
            "focal point of the applicant": focal_points["a"],
            "coordinator of the body": coordinators["alliance"],
            "csu": csu_officer,
        }[name]
        if user is not None:
            sign_in(client, user)
        return user

    return as_persona


@pytest.mark.parametrize("who", list(EXPECTED))
def test_staff_pages_answer_each_role(client, persona, application, who):
    persona(who)

    found = {page: outcome(client.get(address.format(membership=application.pk))) for page, address in PAGES.items()}

    assert found == EXPECTED[who]


@pytest.mark.parametrize("user", ["csu_officer", "alliance"])
def test_staff_pages_send_csu_and_coordinators_without_totp_to_set_it_up(
    client, application, csu_officer, coordinators, user
):
    client.force_login(csu_officer if user == "csu_officer" else coordinators[user])

    response = client.get("/umbrella/alliance/manage/")
    found = [outcome(client.get(address.format(membership=application.pk))) for address in PAGES.values()]

    assert (response.status_code, response["Location"]) == (302, TOTP_SETUP)
    assert shown_messages(response) == [
        "Staff pages need two-factor authentication. Set up an authenticator app to continue."
    ]
    assert found == ["totp setup"] * len(PAGES)


def test_focal_point_sees_the_membership_without_its_history_or_the_dashboard(client, application, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(application.get_absolute_url())

    page = text(response)
    assert "Applied on 22 November 2026. The application waits for a decision by the coordinators of Alliance." in page
    assert "<dt>Applied by</dt><dd>Focal point of HRA, 22 November 2026</dd>" in page
    assert f"<blockquote>{MOTIVATION}</blockquote>" in page
    assert 'id="history-heading"' not in page
    assert '<a href="/umbrella/alliance/">About Alliance</a>' in page
    assert "/umbrella/alliance/manage/" not in page
    assert buttons(response) == ["Withdraw the application"]


def test_coordinator_sees_the_membership_with_its_history_and_decisions(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    response = client.get(application.get_absolute_url())

    history = section(response, 'id="history-heading"', "</section>")
    assert [words(row) for row in re.findall(r"<tr>(.*?)</tr>", history)] == [
        "When Who Step Reason or note",
        f"22 Nov 2026, 18:04 Focal point of HRA Applied {MOTIVATION}",
    ]
    assert '<a href="/umbrella/alliance/manage/">Coordinator dashboard</a>' in text(response)
    assert buttons(response) == ["Accept HRA as a member", "Decline the application"]


def test_membership_page_of_another_body_is_not_found(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    assert client.get(f"/umbrella/vngoc/memberships/{application.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "decision", "status"),
    [
        ("outsider", "accept", 404),
        ("focal point of another organization", "accept", 404),
        ("coordinator of another body", "accept", 404),
        ("public", "accept", 302),
        ("focal point of the applicant", "accept", 403),
        ("coordinator of the body", "withdraw", 403),
    ],
)
def test_decisions_by_people_without_the_right_change_nothing(client, persona, application, who, decision, status):
    emails = queued()
    persona(who)

    response = client.post(application.get_absolute_url(), {"decision": decision, "reason": "Because."})

    assert response.status_code == status
    assert reload(application).status == MembershipStatus.APPLIED
    assert actions_on(application) == ["umbrella.membership.applied"]
    assert queued() == emails


def test_unknown_decision_is_not_found(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    assert client.post(application.get_absolute_url(), {"decision": "approve"}).status_code == 404
    assert reload(application).status == MembershipStatus.APPLIED


# --- Applying ----------------------------------------------------------------------------------


def test_apply_page_sends_the_public_to_sign_in(client, bodies):
    response = client.get("/umbrella/alliance/apply/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/umbrella/alliance/apply/")


def test_apply_by_a_focal_point_sends_the_application_and_tells_the_deciders(
    client, now, bodies, categories, organizations, focal_points, coordinators
):
    sign_in(client, focal_points["a"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["associate"].pk, "motivation": f"  {MOTIVATION}  "},
    )

    membership = UmbrellaMembership.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/umbrella/alliance/memberships/{membership.pk}/")
    assert shown_messages(response) == [
        "The application of Harm Reduction Alliance (HRA) is sent to Alliance. We will e-mail you their decision."
    ]
    assert (membership.organization, membership.body, membership.category, membership.status) == (
        organizations["a"], bodies["alliance"], categories["associate"], MembershipStatus.APPLIED
    )
    assert (membership.motivation, membership.applied_by, membership.applied_at) == (MOTIVATION, focal_points["a"], NOW)
    assert actions_on(membership) == ["umbrella.membership.applied"]
    assert queued() == [
        ("focal@hra.test", "The application of Harm Reduction Alliance (HRA) to Alliance is received"),
        ("coordinator@alliance.test", "Harm Reduction Alliance (HRA) applies to join Alliance"),
    ]


def test_apply_page_shows_the_form_with_the_bodys_categories(client, bodies, categories, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get("/umbrella/alliance/apply/")

    page = text(response)
    assert f"<h1>Apply for membership of {ALLIANCE}</h1>" in page
    assert f'<option value="{organizations["a"].pk}">Harm Reduction Alliance (HRA)</option>' in page
    assert [words(label) for label in re.findall(r'<label for="id_category_\d">(.*?)</label>', page)] == [
        "Full member",
        "Associate member – Without a vote",
    ]
    assert buttons(response) == ["Send the application"]
    assert 'id="current-heading"' not in page


def test_apply_again_while_pending_is_refused_beside_the_organization(
    client, application, categories, organizations, focal_points
):
    emails = queued()
    sign_in(client, focal_points["a"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["associate"].pk, "motivation": "Once more."},
    )

    assert response.status_code == 200
    assert field_errors(response, "organization") == [
        "Harm Reduction Alliance (HRA) already applied to Alliance on 22 November 2026; "
        "the application waits for a decision."
    ]
    assert UmbrellaMembership.objects.count() == 1
    assert (reload(application).category, reload(application).motivation) == (categories["full"], MOTIVATION)
    assert actions_on(application) == ["umbrella.membership.applied"]
    assert queued() == emails
    assert (
        f'<li><a href="{application.get_absolute_url()}">Harm Reduction Alliance (HRA)</a>: '
        '<span class="badge badge-applied">Applied</span></li>'
    ) in section(response, 'id="current-heading"', "</section>")


def test_apply_without_motivation_is_refused_and_keeps_the_chosen_category(
    client, bodies, categories, organizations, focal_points
):
    sign_in(client, focal_points["a"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["associate"].pk, "motivation": "   "},
    )

    page = text(response)
    assert response.status_code == 200
    assert field_errors(response, "motivation") == ["Say in a few sentences why your organization wants to join."]
    assert field_errors(response, "category") == []
    full, associate = categories["full"].pk, categories["associate"].pk
    assert f'<input type="radio" name="category" value="{associate}" required id="id_category_1" checked>' in page
    assert f'<input type="radio" name="category" value="{full}" required id="id_category_0">' in page
    assert UmbrellaMembership.objects.count() == 0
    assert queued() == []


def test_apply_page_of_someone_without_an_organization_explains_who_applies(
    client, bodies, categories, organizations, outsider
):
    sign_in(client, outsider)

    response = client.get("/umbrella/alliance/apply/")
    posted = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["full"].pk, "motivation": MOTIVATION},
    )

    for page in (text(response), text(posted)):
        assert (
            '<p class="measure">An organization applies through one of its focal points. '
            "You are not a focal point of any organization yet.</p>"
        ) in page
        assert '<a href="/organizations/new/">Register your organization</a>' in page
        assert "<form method=\"post\"" not in page
    assert posted.status_code == 200
    assert UmbrellaMembership.objects.count() == 0


def test_apply_for_an_unverified_organization_is_explained_and_refused(client, bodies, categories, outsider):
    pending = make_organization("Youth Against Drugs Network", "YADN", "yadn", "NG", state=VerificationState.PENDING)
    OrganizationMember.objects.create(organization=pending, user=outsider)
    sign_in(client, outsider)

    response = client.get("/umbrella/alliance/apply/")
    posted = client.post(
        "/umbrella/alliance/apply/",
        {"organization": pending.pk, "category": categories["full"].pk, "motivation": MOTIVATION},
    )

    for page in (text(response), text(posted)):
        assert (
            '<p class="measure">Your organization can apply once the Civil Society Unit has verified it. '
            "We will e-mail you as soon as they decide.</p>"
        ) in page
        assert "<form method=\"post\"" not in page
    assert posted.status_code == 200
    assert UmbrellaMembership.objects.count() == 0
    assert queued() == []


def test_apply_to_a_body_without_categories_is_explained(client, bodies, organizations, focal_points):
    sign_in(client, focal_points["a"])

    page = text(client.get("/umbrella/uncac-coalition/apply/"))

    assert (
        "UNCAC Coalition does not accept applications in the portal yet: it has no membership categories. "
        "Contact the body directly."
    ) in page
    assert "<form method=\"post\"" not in page


def test_apply_with_another_bodys_category_is_refused(client, bodies, categories, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["vngoc"].pk, "motivation": MOTIVATION},
    )

    assert field_errors(response, "category") == ["Choose a membership category."]
    assert UmbrellaMembership.objects.count() == 0


def test_apply_for_an_organization_of_someone_else_is_refused(client, bodies, categories, organizations, focal_points):
    sign_in(client, focal_points["b"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["full"].pk, "motivation": MOTIVATION},
    )

    assert field_errors(response, "organization") == ["Choose one of your organizations."]
    assert UmbrellaMembership.objects.count() == 0


# --- Decisions ---------------------------------------------------------------------------------


def test_coordinator_accepts_an_application(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    response = client.post(application.get_absolute_url(), {"decision": "accept", "reason": ""})

    membership = reload(application)
    assert (response.status_code, response["Location"]) == (302, application.get_absolute_url())
    assert shown_messages(response) == [
        "Harm Reduction Alliance (HRA) is now a member of Alliance; its focal points are told by e-mail."
    ]
    assert (membership.status, membership.member_since, membership.changed_by) == (
        MembershipStatus.ACTIVE, NOW, coordinators["alliance"]
    )
    assert actions_on(membership) == ["umbrella.membership.applied", "umbrella.membership.accepted"]
    assert queued()[-1] == ("focal@hra.test", "Harm Reduction Alliance (HRA) is now a member of Alliance")
    page = text(client.get(application.get_absolute_url()))
    assert "A member since 22 November 2026." in page


def test_decline_without_a_reason_is_refused_beside_the_reason(client, application, coordinators):
    emails = queued()
    sign_in(client, coordinators["alliance"])

    response = client.post(application.get_absolute_url(), {"decision": "decline", "reason": "  "})

    assert response.status_code == 200
    assert field_errors(response, "reason", prefix="id_decline") == [
        "Give a reason: it is e-mailed to the organization's focal points."
    ]
    assert field_errors(response, "reason", prefix="id_accept") == []
    assert "Please correct the errors below" in text(response)
    assert reload(application).status == MembershipStatus.APPLIED
    assert actions_on(application) == ["umbrella.membership.applied"]
    assert queued() == emails


def test_decline_with_a_reason_shows_it_and_emails_it(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    response = client.post(application.get_absolute_url(), {"decision": "decline", "reason": "Outside our mandate."})

    assert shown_messages(response) == [
        "The application of Harm Reduction Alliance (HRA) is declined; its focal points are told by e-mail with your reason."
    ]
    assert (reload(application).status, reload(application).reason) == (MembershipStatus.DECLINED, "Outside our mandate.")
    notification = Notification.objects.order_by("pk").last()
    assert (notification.to_email, notification.subject) == (
        "focal@hra.test", "The application of Harm Reduction Alliance (HRA) to Alliance was declined"
    )
    assert "Reason: Outside our mandate." in notification.body_text
    page = text(client.get(application.get_absolute_url()))
    assert "Declined on 22 November 2026 by Coordinator of Alliance." in page
    assert "<p>Reason: Outside our mandate.</p>" in page


def test_stale_decision_names_who_decided_and_changes_nothing(client, application, bodies, coordinators):
    second = make_user("second@alliance.test", full_name="Second Coordinator")
    Coordinator.objects.create(body=bodies["alliance"], user=second)
    services.accept_membership(application, by=coordinators["alliance"])
    emails = queued()
    sign_in(client, second)

    response = client.post(application.get_absolute_url(), {"decision": "decline", "reason": "Outside our mandate."})

    membership = reload(application)
    assert (response.status_code, response["Location"]) == (302, application.get_absolute_url())
    assert shown_messages(response) == [
        "Coordinator of Alliance already decided on 22 November 2026, 18:04: the membership is now active. "
        "Nothing else was changed."
    ]
    assert (membership.status, membership.changed_by, membership.reason) == (
        MembershipStatus.ACTIVE, coordinators["alliance"], ""
    )
    assert actions_on(membership) == ["umbrella.membership.applied", "umbrella.membership.accepted"]
    assert queued() == emails


def test_focal_point_withdraws_the_application(client, application, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(application.get_absolute_url(), {"decision": "withdraw", "reason": "We will apply next year."})

    membership = reload(application)
    assert (response.status_code, response["Location"]) == (302, application.get_absolute_url())
    assert shown_messages(response) == [
        "The application of Harm Reduction Alliance (HRA) to Alliance is withdrawn; the body is told by e-mail."
    ]
    assert (membership.status, membership.changed_by, membership.reason) == (
        MembershipStatus.WITHDRAWN, focal_points["a"], "We will apply next year."
    )
    assert actions_on(membership) == ["umbrella.membership.applied", "umbrella.membership.withdrawn"]
    assert queued()[-2:] == [
        ("focal@hra.test", "The application of Harm Reduction Alliance (HRA) to Alliance was withdrawn"),
        ("coordinator@alliance.test", "The application of Harm Reduction Alliance (HRA) to Alliance was withdrawn"),
    ]
    followed = client.get(application.get_absolute_url())
    assert "Withdrawn by the organization on 22 November 2026 (Focal point of HRA)." in text(followed)
    assert '<a href="/umbrella/alliance/apply/">Apply again</a>' in text(followed)
    assert buttons(followed) == []


def test_apply_again_after_a_decline_reopens_the_same_membership(
    client, application, categories, organizations, focal_points, coordinators
):
    services.decline_membership(application, by=coordinators["alliance"], reason="Outside our mandate.")
    sign_in(client, focal_points["a"])

    response = client.post(
        "/umbrella/alliance/apply/",
        {"organization": organizations["a"].pk, "category": categories["associate"].pk, "motivation": "Our mandate grew."},
    )

    membership = reload(application)
    assert (response.status_code, response["Location"]) == (302, application.get_absolute_url())
    assert UmbrellaMembership.objects.count() == 1
    assert (membership.status, membership.category, membership.motivation, membership.reason) == (
        MembershipStatus.APPLIED, categories["associate"], "Our mandate grew.", ""
    )
    assert actions_on(membership) == [
        "umbrella.membership.applied", "umbrella.membership.declined", "umbrella.membership.applied"
    ]


def test_apply_again_is_offered_only_to_the_organizations_focal_points(client, application, coordinators, focal_points):
    services.decline_membership(application, by=coordinators["alliance"], reason="Outside our mandate.")
    apply_again = '<a href="/umbrella/alliance/apply/">Apply again</a>'
    sign_in(client, focal_points["a"])
    seen_by_focal_point = text(client.get(application.get_absolute_url()))
    sign_in(client, coordinators["alliance"])
    seen_by_coordinator = text(client.get(application.get_absolute_url()))

    assert apply_again in seen_by_focal_point
    assert apply_again not in seen_by_coordinator


def test_membership_page_offers_only_the_decisions_the_status_allows(client, application, coordinators, focal_points):
    services.accept_membership(application, by=coordinators["alliance"])
    sign_in(client, coordinators["alliance"])

    active = buttons(client.get(application.get_absolute_url()))
    client.post(application.get_absolute_url(), {"decision": "suspend", "reason": "Dues unpaid for two years."})
    suspended = client.get(application.get_absolute_url())
    sign_in(client, focal_points["a"])
    seen_by_focal_point = buttons(client.get(application.get_absolute_url()))

    assert active == ["Suspend the membership", "End the membership"]
    assert buttons(suspended) == ["Reinstate the membership", "End the membership"]
    assert "Suspended on 22 November 2026 by Coordinator of Alliance." in text(suspended)
    assert seen_by_focal_point == ["Leave Alliance"]


def test_decision_forms_label_the_reason_as_required_only_where_it_is(client, application, coordinators):
    sign_in(client, coordinators["alliance"])

    page = text(client.get(application.get_absolute_url()))

    labels = [words(label) for label in re.findall(r'<label for="id_\w+_reason">(.*?)</label>', page)]
    assert labels == [
        "Note to the organization (optional)",
        "Reason for declining, e-mailed to the organization's focal points",
    ]


# --- Conflict of interest ----------------------------------------------------------------------


@pytest.fixture
def conflicted_application(now, bodies, categories, organizations, focal_points, coordinators, csu_officer):
    """The Alliance's only coordinator is also a focal point of HRA, which applies."""
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["alliance"])
    return services.apply_for_membership(
        organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["full"], motivation=MOTIVATION
    )


def test_conflicted_application_is_sent_to_csu(conflicted_application, csu_officer):
    # Both focal points are told (in no set order), then CSU, as no coordinator is free to decide.
    assert sorted(queued()[:2]) == [
        ("coordinator@alliance.test", "The application of Harm Reduction Alliance (HRA) to Alliance is received"),
        ("focal@hra.test", "The application of Harm Reduction Alliance (HRA) to Alliance is received"),
    ]
    assert queued()[2:] == [("officer@unodc.test", "Harm Reduction Alliance (HRA) applies to join Alliance")]


def test_conflicted_coordinator_sees_the_note_and_no_decision_on_the_membership(
    client, conflicted_application, coordinators
):
    sign_in(client, coordinators["alliance"])

    response = client.get(conflicted_application.get_absolute_url())

    assert (
        '<p class="measure notice" role="note">You are a focal point of Harm Reduction Alliance (HRA), so you cannot '
        "decide on its membership. Another coordinator of the body decides, or the Civil Society Unit when every "
        "coordinator is a focal point of it.</p>"
    ) in text(response)
    # As a focal point they may still withdraw the application; accepting or declining is not offered.
    assert buttons(response) == ["Withdraw the application"]
    assert 'id="history-heading"' in text(response)


def test_conflicted_coordinator_deciding_is_forbidden_and_changes_nothing(client, conflicted_application, coordinators):
    emails = queued()
    sign_in(client, coordinators["alliance"])

    statuses = [
        client.post(conflicted_application.get_absolute_url(), {"decision": decision, "reason": "Mine."}).status_code
        for decision in ("accept", "decline")
    ]

    # The view leaves the check to the service, whose PermissionDenied Django answers with 403.
    assert statuses == [403, 403]
    assert reload(conflicted_application).status == MembershipStatus.APPLIED
    assert actions_on(conflicted_application) == ["umbrella.membership.applied"]
    assert queued() == emails


def test_csu_decides_a_conflicted_application(client, conflicted_application, csu_officer):
    sign_in(client, csu_officer)
    page_before = text(client.get(conflicted_application.get_absolute_url()))

    response = client.post(conflicted_application.get_absolute_url(), {"decision": "accept", "reason": ""})

    assert 'role="note"' not in page_before
    assert (response.status_code, reload(conflicted_application).status) == (302, MembershipStatus.ACTIVE)
    assert reload(conflicted_application).changed_by == csu_officer


def test_dashboard_shows_the_conflict_to_the_coordinator_and_to_csu(
    client, conflicted_application, coordinators, csu_officer
):
    sign_in(client, coordinators["alliance"])
    coordinator_view = section(client.get("/umbrella/alliance/manage/"), 'id="pending-heading"', "</section>")
    sign_in(client, csu_officer)
    csu_view = section(client.get("/umbrella/alliance/manage/"), 'id="pending-heading"', "</section>")

    address = conflicted_application.get_absolute_url()
    assert (
        f'<a href="{address}">See the application</a><br><small>You are a focal point of this organization: '
        "the Civil Society Unit or another coordinator decides.</small>"
    ) in coordinator_view
    assert "Decide on HRA" not in coordinator_view
    assert (
        f'<a href="{address}">Decide on HRA</a> <br><small>No coordinator of the body is free to decide on this '
        "organization: the Civil Society Unit decides.</small>"
    ) in csu_view


# --- Dashboard ---------------------------------------------------------------------------------


def member_names(response) -> list[str]:
    return row_names(section(response, 'id="members-heading"', "</section>"))


def pending_names(response) -> list[str]:
    return row_names(section(response, 'id="pending-heading"', "</section>"))


def test_dashboard_lists_pending_applications_first_then_members(
    client, alliance_members, bodies, categories, coordinators
):
    earlier = make_organization("Anti-Corruption Watch", "ACW", "acw", "PE")
    two_days_ago = datetime(2026, 11, 20, 9, 0, tzinfo=VIENNA)
    make_membership(earlier, bodies["alliance"], categories["full"], MembershipStatus.APPLIED, applied_at=two_days_ago)
    sign_in(client, coordinators["alliance"])

    response = client.get("/umbrella/alliance/manage/")

    page = text(response)
    assert page.index('id="pending-heading"') < page.index('id="members-heading"')
    assert '<h2 id="pending-heading">2 applications wait for a decision</h2>' in page
    assert pending_names(response) == ["Anti-Corruption Watch", "Youth Forum Austria"]
    assert member_names(response) == ["Drug Policy Brazil", "Harm Reduction Alliance", "Prison Reform Network"]
    assert '<p class="result-count" role="status">3 members</p>' in page
    assert (
        '<td data-label="Status"><span class="badge badge-suspended">Suspended</span></td>'
    ) in section(response, "Drug Policy Brazil", "</tr>")


def test_dashboard_without_applications_or_members_says_so(client, bodies, coordinators):
    sign_in(client, coordinators["vngoc"])

    page = text(client.get("/umbrella/vngoc/manage/"))

    assert '<h2 id="pending-heading">0 applications wait for a decision</h2>' in page
    assert '<p class="empty-state">No application waits for a decision.</p>' in page
    assert '<p class="empty-state">The body has no members in the portal yet.</p>' in page


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({"country": "BR"}, ["Drug Policy Brazil", "Prison Reform Network"]),
        ({"category": "full"}, ["Drug Policy Brazil", "Harm Reduction Alliance"]),
        ({"ecosoc_status": "special"}, ["Prison Reform Network"]),
        ({"ecosoc_status": "none", "country": "BR"}, ["Drug Policy Brazil"]),
        ({"status": "suspended"}, ["Drug Policy Brazil"]),
        ({"ecosoc_status": "general"}, []),
    ],
)
def test_dashboard_filters_members(client, alliance_members, categories, coordinators, filters, names):
    filters = {key: categories[value].pk if key == "category" else value for key, value in filters.items()}
    sign_in(client, coordinators["alliance"])

    response = client.get("/umbrella/alliance/manage/", filters)

    assert member_names(response) == names
    # Applications are listed whatever the filters.
    assert pending_names(response) == ["Youth Forum Austria"]
    assert f'<p class="result-count" role="status">{len(names)} member{"" if len(names) == 1 else "s"}</p>' in text(response)
    if not names:
        assert '<p class="empty-state">No member matches these filters.</p>' in text(response)


def test_dashboard_export_links_carry_the_filters(client, alliance_members, coordinators):
    sign_in(client, coordinators["alliance"])

    page = text(client.get("/umbrella/alliance/manage/", {"country": "BR", "page": "1"}))

    assert '<a href="/umbrella/alliance/manage/export.csv?country=BR">Export these members as CSV</a>' in page
    assert '<a href="/umbrella/alliance/manage/export.xlsx?country=BR">Export as XLSX</a>' in page
    assert '<a href="/umbrella/alliance/manage/">Clear all filters</a>' in page


def test_dashboard_country_filter_offers_only_the_members_countries(client, alliance_members, coordinators):
    sign_in(client, coordinators["alliance"])

    page = text(client.get("/umbrella/alliance/manage/"))

    countries = re.search(r'<select name="country" id="id_country">(.*?)</select>', page).group(1)
    options = [words(option) for option in re.findall(r"<option[^>]*>(.*?)</option>", countries)]
    assert options == ["Any country", "Brazil", "Kenya"]


def test_dashboard_query_count_does_not_grow_with_rows(
    client, now, bodies, categories, organizations, coordinators, django_assert_num_queries
):
    make_membership(organizations["a"], bodies["alliance"], categories["full"])
    make_membership(organizations["b"], bodies["alliance"], categories["associate"], MembershipStatus.APPLIED)
    sign_in(client, coordinators["alliance"])
    # the login session with the user, its roles and MFA (portal.login_sessions), the body, the person's coordinated bodies,
    # pending applications, their focal points, the body's coordinators, the filter's countries,
    # the members' count, the categories offered by the filter, the members' page, their upcoming participation
    with django_assert_num_queries(11):
        response = client.get("/umbrella/alliance/manage/")
    assert (pending_names(response), member_names(response)) == (["Prison Reform Network"], ["Harm Reduction Alliance"])
    for number in range(5):
        member = make_organization(f"Member {number}", f"M{number}", f"member-{number}", "BR")
        OrganizationMember.objects.create(organization=member, user=make_user(f"focal{number}@member.test"))
        make_membership(member, bodies["alliance"], categories["associate"])
        applicant = make_organization(f"Applicant {number}", f"A{number}", f"applicant-{number}", "PE")
        OrganizationMember.objects.create(organization=applicant, user=make_user(f"focal{number}@applicant.test"))
        make_membership(applicant, bodies["alliance"], categories["full"], MembershipStatus.APPLIED)
    with django_assert_num_queries(11):
        response = client.get("/umbrella/alliance/manage/")
    assert (len(pending_names(response)), len(member_names(response))) == (6, 6)


# --- Export ------------------------------------------------------------------------------------

HEADER = [
    "Organization", "Acronym", "Headquarters country", "Regional group", "Category", "Membership status",
    "Member since", "ECOSOC status", "ECOSOC status since", "Website", "E-mail", "Directory page",
]


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def xlsx_rows(response) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [["" if cell is None else cell for cell in row] for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def portal_address(settings):
    settings.PORTAL_BASE_URL = "https://portal.example/"


def test_export_csv_has_the_header_and_a_row_per_member(
    client, now, portal_address, bodies, categories, organizations, coordinators
):
    organizations["a"].website, organizations["a"].email = "https://hra.example", "info@hra.example"
    organizations["a"].save()
    make_membership(organizations["a"], bodies["alliance"], categories["full"])
    make_membership(organizations["b"], bodies["alliance"], categories["full"], MembershipStatus.APPLIED)
    sign_in(client, coordinators["alliance"])

    response = client.get("/umbrella/alliance/manage/export.csv")

    assert response["Content-Disposition"] == 'attachment; filename="alliance-members-2026-11-22.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert csv_rows(response) == [
        HEADER,
        [
            "Harm Reduction Alliance", "HRA", "Kenya", "African States", "Full member", "Active", "2026-11-22",
            "None", "", "https://hra.example", "info@hra.example", "https://portal.example/organizations/hra/",
        ],
    ]
    entry = ActivityLog.objects.get()
    assert (entry.action, entry.actor, entry.object_id, entry.new_values) == (
        "umbrella.roster.exported", coordinators["alliance"], str(bodies["alliance"].pk),
        {"format": "csv", "filters": "", "rows": 1},
    )


def test_export_respects_the_dashboards_filters(client, portal_address, alliance_members, bodies, coordinators):
    sign_in(client, coordinators["alliance"])

    response = client.get("/umbrella/alliance/manage/export.csv", {"country": "BR", "status": "active"})

    assert csv_rows(response) == [
        HEADER,
        [
            "Prison Reform Network", "PRN", "Brazil", "Latin American and Caribbean States", "Associate member", "Active",
            "2026-11-22", "Special", "2010", "", "", "https://portal.example/organizations/prn/",
        ],
    ]
    assert list(ActivityLog.objects.values_list("action", "new_values")) == [
        ("umbrella.roster.exported", {"format": "csv", "filters": "country=BR&status=active", "rows": 1})
    ]


def test_export_xlsx_has_the_same_rows_as_the_csv(client, portal_address, alliance_members, bodies, coordinators):
    sign_in(client, coordinators["alliance"])

    from_csv = csv_rows(client.get("/umbrella/alliance/manage/export.csv", {"country": "BR"}))
    response = client.get("/umbrella/alliance/manage/export.xlsx", {"country": "BR"})

    rows = xlsx_rows(response)
    assert response["Content-Disposition"] == 'attachment; filename="alliance-members-2026-11-22.xlsx"'
    # XLSX keeps the year a number; CSV has only text.
    assert [[str(cell) for cell in row] for row in rows] == from_csv
    assert rows[1][:2] == ["Drug Policy Brazil", "DPB"]
    assert rows[2][8] == 2010
    assert list(ActivityLog.objects.order_by("id").values_list("action", "new_values")) == [
        ("umbrella.roster.exported", {"format": "csv", "filters": "country=BR", "rows": 2}),
        ("umbrella.roster.exported", {"format": "xlsx", "filters": "country=BR", "rows": 2}),
    ]


def test_export_in_an_unknown_format_is_not_found(client, bodies, coordinators):
    sign_in(client, coordinators["alliance"])

    assert client.get("/umbrella/alliance/manage/export.pdf").status_code == 404
    assert ActivityLog.objects.count() == 0


def test_export_by_a_coordinator_of_another_body_is_not_found_and_not_logged(client, alliance_members, coordinators):
    sign_in(client, coordinators["vngoc"])

    statuses = [client.get(f"/umbrella/alliance/manage/export.{file_format}").status_code for file_format in ("csv", "xlsx")]

    assert statuses == [404, 404]
    assert ActivityLog.objects.count() == 0


# --- Coordinators (CSU) --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_csu_appoints_a_coordinator_by_the_email_of_their_account(client, bodies, csu_officer, outsider):
    sign_in(client, csu_officer)

    response = client.post("/umbrella/vngoc/coordinators/", {"action": "appoint", "email": "Outsider@Example.test"})

    assert (response.status_code, response["Location"]) == (302, "/umbrella/vngoc/coordinators/")
    assert shown_messages(response) == ["Olga Outsider is now a coordinator of VNGOC and is told by e-mail."]
    assert list(bodies["vngoc"].coordinator_links.values_list("user__email", flat=True)) == [outsider.email]
    assert actions_on(bodies["vngoc"]) == ["umbrella.coordinator.appointed"]
    assert sent() == [([outsider.email], "You are now a coordinator of VNGOC")]
    listed = section(client.get("/umbrella/vngoc/coordinators/"), "<tbody>", "</tbody>")
    assert row_names(listed) == ["Olga Outsider"]


def test_appointing_an_unknown_email_is_refused_beside_the_field(client, bodies, csu_officer):
    sign_in(client, csu_officer)

    response = client.post("/umbrella/vngoc/coordinators/", {"action": "appoint", "email": "nobody@example.test"})

    assert response.status_code == 200
    assert field_errors(response, "email") == [
        "No account uses this address. Ask the person to sign up first, then appoint them."
    ]
    assert 'value="nobody@example.test"' in text(response)
    assert Coordinator.objects.count() == 0
    assert queued() == []


def test_appointing_a_coordinator_again_is_refused_beside_the_field(client, coordinators, csu_officer):
    sign_in(client, csu_officer)

    response = client.post("/umbrella/vngoc/coordinators/", {"action": "appoint", "email": "coordinator@vngoc.test"})

    assert field_errors(response, "email") == ["Coordinator of VNGOC is already a coordinator of VNGOC."]
    assert Coordinator.objects.filter(body__slug="vngoc").count() == 1
    assert queued() == []


@pytest.mark.django_db(transaction=True)
def test_csu_removes_a_coordinator_who_is_emailed(client, bodies, coordinators, csu_officer):
    sign_in(client, csu_officer)
    person = coordinators["vngoc"]

    response = client.post("/umbrella/vngoc/coordinators/", {"action": "remove", "user": person.pk})

    assert (response.status_code, response["Location"]) == (302, "/umbrella/vngoc/coordinators/")
    assert shown_messages(response) == ["Coordinator of VNGOC is no longer a coordinator of VNGOC and is told by e-mail."]
    assert bodies["vngoc"].coordinator_links.count() == 0
    assert actions_on(bodies["vngoc"]) == ["umbrella.coordinator.removed"]
    assert sent() == [([person.email], "You are no longer a coordinator of VNGOC")]
    page = text(client.get("/umbrella/vngoc/coordinators/"))
    assert (
        '<p class="empty-state">The body has no coordinator. The Civil Society Unit decides on its applications '
        "until one is appointed.</p>"
    ) in page


def test_removing_someone_who_is_not_a_coordinator_says_so(client, bodies, coordinators, csu_officer):
    sign_in(client, csu_officer)

    response = client.post("/umbrella/vngoc/coordinators/", {"action": "remove", "user": coordinators["alliance"].pk})

    assert shown_messages(response) == ["Coordinator of Alliance is not a coordinator of VNGOC."]
    assert Coordinator.objects.count() == 3


def test_coordinator_cannot_reach_or_change_the_coordinators_of_their_own_body(client, coordinators, outsider):
    sign_in(client, coordinators["vngoc"])

    statuses = [
        client.get("/umbrella/vngoc/coordinators/").status_code,
        client.post("/umbrella/vngoc/coordinators/", {"action": "appoint", "email": outsider.email}).status_code,
        client.post("/umbrella/vngoc/coordinators/", {"action": "remove", "user": coordinators["vngoc"].pk}).status_code,
    ]

    assert statuses == [404, 404, 404]
    assert Coordinator.objects.count() == 3
    assert ActivityLog.objects.count() == 0


# --- Home page and organization page ------------------------------------------------------------


def todos(response) -> list[str]:
    found = re.search(r'<ul class="todo-list">(.*?)</ul>', text(response))
    return [words(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1))] if found else []


def test_home_tells_a_coordinator_of_applications_except_their_own_organizations(
    client, application, bodies, categories, coordinators
):
    own = make_organization("Coordinators' Own Network", "CON", "con", "AT")
    OrganizationMember.objects.create(organization=own, user=coordinators["alliance"])
    services.apply_for_membership(
        own, bodies["alliance"], by=coordinators["alliance"], category=categories["full"], motivation="Us."
    )
    sign_in(client, coordinators["alliance"])

    response = client.get("/")

    assert todos(response) == [
        "1 application to Alliance waits for your decision.",
        "The application of Coordinators' Own Network (CON) to Alliance waits for a decision by its coordinators.",
    ]
    assert '<a href="/umbrella/alliance/manage/">1 application to Alliance waits for your decision.</a>' in text(response)


def test_home_tells_a_coordinator_in_the_plural_and_not_of_other_bodies(
    client, application, bodies, categories, organizations, focal_points, coordinators
):
    services.apply_for_membership(
        organizations["b"], bodies["alliance"], by=focal_points["b"], category=categories["full"], motivation="Us."
    )
    sign_in(client, coordinators["alliance"])

    alliance = todos(client.get("/"))
    sign_in(client, coordinators["vngoc"])
    vngoc = todos(client.get("/"))

    assert alliance == ["2 applications to Alliance wait for your decision."]
    assert vngoc == []


def test_home_tells_csu_of_applications_only_it_can_decide(client, conflicted_application, csu_officer):
    sign_in(client, csu_officer)

    assert todos(client.get("/")) == [
        "1 umbrella membership application waits for the Civil Society Unit: "
        "no coordinator of the body is free to decide on it."
    ]


def memberships_listed(response) -> list[str]:
    found = section(response, "<h3>Umbrella memberships</h3>", "<h3>Sessions attended</h3>")
    return [words(item) for item in re.findall(r"<li>(.*?)</li>", found)]


def test_organization_page_lists_active_memberships_to_everyone_and_all_to_its_focal_points(
    client, now, bodies, categories, organizations, focal_points, coordinators, outsider
):
    make_membership(organizations["a"], bodies["alliance"], categories["full"])
    pending = services.apply_for_membership(
        organizations["a"], bodies["vngoc"], by=focal_points["a"], category=categories["vngoc"], motivation=MOTIVATION
    )

    public = client.get("/organizations/hra/")
    sign_in(client, outsider)
    signed_in = client.get("/organizations/hra/")
    sign_in(client, focal_points["a"])
    focal_point = client.get("/organizations/hra/")
    sign_in(client, coordinators["vngoc"])
    coordinator = client.get("/organizations/hra/")

    active = f"{ALLIANCE} · Full member · Active"
    assert memberships_listed(public) == memberships_listed(signed_in) == [active]
    assert memberships_listed(focal_point) == [f"{active} · Details", f"{VNGOC} · Member · Applied · Details"]
    assert f'<a href="{pending.get_absolute_url()}">Details</a>' in text(focal_point)
    assert '<a href="/umbrella/">Apply for membership of an umbrella body</a>' in text(focal_point)
    # The body's coordinators see the application to their body too.
    assert memberships_listed(coordinator) == [active, f"{VNGOC} · Member · Applied · Details"]


def test_organization_page_without_memberships_says_so(client, organizations):
    found = section(client.get("/organizations/prn/"), "<h3>Umbrella memberships</h3>", "<h3>Sessions attended</h3>")

    assert '<p class="empty-state">No umbrella body membership is recorded yet.</p>' in found
