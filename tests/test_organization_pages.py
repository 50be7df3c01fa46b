"""Pages of focal points and CSU: register, join, members, edit, verification queue, duplicates and merge."""

import html
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations import services
from organizations.enums import RequestStatus, VerificationState
from organizations.models import JoinRequest, Organization, OrganizationChange, OrganizationMember, OrganizationRedirect
from portal.models import ActivityLog
from tests.conftest import give_totp, make_user
from tests.fixtures_services import skip_unless_required

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOTP_SETUP = "/accounts/2fa/totp/activate/"
NEW_PROFILE = {
    "name": "Youth Against Drugs Network",
    "name_en": "",
    "acronym": "YADN",
    "acronym_en": "",
    "kind": "ngo",
    "headquarters_country": "NG",
    "countries_of_work": ["GH", "NG"],
    "website": "https://yadn.example",
    "email": "info@yadn.example",
    "phone": "",
    "address": "",
    "year_founded": "2004",
    "description": "Prevention work with young people in West Africa.",
    "ecosoc_status": "none",
    "ecosoc_year": "",
}


# --- Helpers ---------------------------------------------------------------------------------


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def field_errors(response, field: str, prefix: str = "id") -> list[str]:
    """The errors shown beside one field (portal/_field.html)."""
    found = re.search(rf'<ul class="field-errors" id="{prefix}_{field}_error">(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def summary_errors(response) -> list[str]:
    found = re.search(r'<div class="error-summary".*?<ul>(.*?)</ul>', response.content.decode(), re.S)
    if not found:
        return []
    return [html.unescape(re.sub(r"<[^>]+>|\s+", " ", item).strip()) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def actions(organization) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(Organization), object_id=str(organization.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def profile_of(organization: Organization, **changes) -> dict:
    """What the edit form posts back for an organization, with `changes`."""
    data = {field: "" for field in NEW_PROFILE}
    for field in services.EDITABLE_FIELDS:
        value = services.plain(getattr(organization, field))
        data[field] = value if value is not None else ""
    data["thematic_areas"] = [str(pk) for pk in organization.thematic_areas.values_list("pk", flat=True)]
    return data | changes


def snapshot(organization: Organization) -> dict:
    organization = Organization.objects.get(pk=organization.pk)
    return {field: services.plain(getattr(organization, field)) for field in (*services.EDITABLE_FIELDS, "verification_state")}


def requires_postgres():
    if connection.vendor != "postgresql":
        skip_unless_required("similar names are found with trigram similarity, which needs PostgreSQL")


@pytest.fixture
def csu(client, csu_officer):
    """The CSU officer, signed in with TOTP set up (staff pages need it)."""
    give_totp(csu_officer)
    client.force_login(csu_officer)
    return csu_officer


@pytest.fixture
def pending_organization(outsider):
    organization = Organization.objects.create(
        name="Youth Against Drugs Network", acronym="YADN", slug="yadn", headquarters_country="NG"
    )
    OrganizationMember.objects.create(organization=organization, user=outsider)
    return organization


# --- Registering -------------------------------------------------------------------------------


def test_register_page_sends_the_public_to_sign_in(client):
    response = client.get("/organizations/new/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/organizations/new/")


def test_register_page_shows_the_form_with_labels_and_the_business_kind(client, outsider, thematic_areas):
    client.force_login(outsider)

    page = page_text(client.get("/organizations/new/"))

    assert "<h1>Register an organization</h1>" in page
    assert '<label for="id_name">Name</label>' in page
    assert '<option value="business">Business or company</option>' in page
    assert '<legend>Thematic areas <span class="optional">(optional)</span></legend>' in page
    assert '<button type="submit">Register the organization</button>' in page


@pytest.mark.django_db(transaction=True)
def test_register_creates_a_pending_organization_when_nothing_looks_alike(client, outsider, csu_officer, thematic_areas):
    client.force_login(outsider)

    response = client.post("/organizations/new/", NEW_PROFILE | {"thematic_areas": [thematic_areas["drug-policy"].pk]})

    organization = Organization.objects.get(slug="yadn")
    assert (response.status_code, response["Location"]) == (302, "/organizations/yadn/")
    assert shown_messages(response) == [
        "Youth Against Drugs Network (YADN) is registered and awaits verification by the Civil Society Unit. "
        "We will e-mail you their decision."
    ]
    assert (organization.verification_state, organization.regional_group) == ("pending", "african")
    assert [code.code for code in organization.countries_of_work] == ["GH", "NG"]
    assert list(organization.thematic_areas.values_list("slug", flat=True)) == ["drug-policy"]
    assert list(organization.members.values_list("user__email", flat=True)) == [outsider.email]
    assert actions(organization) == ["organizations.organization.registered"]
    assert sent() == [
        ([outsider.email], "We received the registration of Youth Against Drugs Network (YADN)"),
        ([csu_officer.email], "Youth Against Drugs Network (YADN) awaits verification"),
    ]


def test_register_warns_of_the_same_acronym_and_website_before_creating(client, outsider, organizations):
    organizations["a"].website = "https://www.hra.example/"
    organizations["a"].save()
    client.force_login(outsider)

    response = client.post(
        "/organizations/new/",
        NEW_PROFILE | {"name": "Kenyan Drug Policy Forum", "acronym": "HRA", "website": "http://hra.example/about"},
    )

    page = page_text(response)
    assert response.status_code == 200
    assert Organization.objects.count() == 2
    assert "<h2 id=\"duplicates-heading\">Is your organization already in the portal?</h2>" in page
    assert '<h3><a href="/organizations/hra/">Harm Reduction Alliance (HRA)</a></h3>' in page
    assert "Why it looks alike: same acronym, same website</p>" in page
    assert (
        '<a href="/organizations/hra/join/" role="button" class="secondary">Ask to join Harm Reduction Alliance (HRA) instead</a>'
    ) in page
    assert f'<input type="hidden" name="seen" value="{organizations["a"].pk}">' in page
    assert '<button type="submit" name="confirm_new" value="1">None of these is my organization — register it</button>' in page
    # Everything typed is still there.
    assert 'value="Kenyan Drug Policy Forum"' in page and 'value="http://hra.example/about"' in page


def test_register_warns_of_a_near_duplicate_name_on_postgresql(client, outsider, organizations):
    requires_postgres()
    client.force_login(outsider)

    response = client.post(
        "/organizations/new/", NEW_PROFILE | {"name": "Harm Reduktion Aliance", "acronym": "", "website": "", "email": ""}
    )

    page = page_text(response)
    assert Organization.objects.count() == 2
    assert '<h3><a href="/organizations/hra/">Harm Reduction Alliance (HRA)</a></h3>' in page
    assert "Why it looks alike: similar name</p>" in page
    assert "Prison Reform Network" not in page


def test_register_shows_a_pending_lookalike_without_a_link_to_its_page(client, outsider, organizations):
    organizations["a"].verification_state = VerificationState.PENDING
    organizations["a"].save()
    client.force_login(outsider)

    page = page_text(client.post("/organizations/new/", NEW_PROFILE | {"acronym": "hra"}))

    assert "<h3>Harm Reduction Alliance (HRA)</h3>" in page
    assert '<span class="badge">Pending verification</span>' in page
    assert 'href="/organizations/hra/join/"' in page


def test_register_proceeds_after_confirming_none_is_the_organization(client, outsider, organizations):
    client.force_login(outsider)
    data = NEW_PROFILE | {"name": "Kenyan Drug Policy Forum", "acronym": "HRA"}

    response = client.post("/organizations/new/", data | {"confirm_new": "1", "seen": str(organizations["a"].pk)})

    organization = Organization.objects.get(name="Kenyan Drug Policy Forum")
    assert (response.status_code, response["Location"]) == (302, "/organizations/hra-2/")
    assert (organization.slug, organization.verification_state) == ("hra-2", "pending")


def test_register_confirming_does_not_cover_a_lookalike_that_was_not_shown(client, outsider, organizations):
    client.force_login(outsider)

    response = client.post("/organizations/new/", NEW_PROFILE | {"acronym": "PRN", "confirm_new": "1", "seen": str(organizations["a"].pk)})

    assert response.status_code == 200
    assert "Ask to join Prison Reform Network (PRN) instead" in page_text(response)
    assert Organization.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "business", "A business is not a civil-society organization; the portal registers civil society only."),
        ("headquarters_country", "XX", "“XX” is not a country we know. Choose the country from the list."),
        ("countries_of_work", ["KE", "ZZ"], "“ZZ” is not a country we know. Choose the country from the list."),
        ("website", "not a website", "Enter the website's full address, such as https://www.example.org."),
        ("name", "N" * 10_000, "A name can have at most 300 characters; this one has 10000."),
        ("name", "", "This field is required."),
        ("year_founded", "1700", "Enter a year between 1800 and 2026."),
        ("ecosoc_year", "2010", "A year is given only with an ECOSOC consultative status: choose the status or leave the year empty."),
    ],
)
def test_register_bad_input_shows_the_message_and_creates_nothing(client, outsider, field, value, message, time_machine):
    time_machine.move_to("2026-06-01T12:00:00Z")
    client.force_login(outsider)

    response = client.post("/organizations/new/", NEW_PROFILE | {field: value})

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert any(item.endswith(f": {message}") for item in summary_errors(response))
    assert Organization.objects.count() == 0
    assert ActivityLog.objects.count() == 0


def test_register_keeps_what_was_typed_when_input_is_refused(client, outsider):
    client.force_login(outsider)

    page = page_text(client.post("/organizations/new/", NEW_PROFILE | {"website": "not a website"}))

    assert 'value="not a website"' in page
    assert 'value="Youth Against Drugs Network"' in page
    assert "Prevention work with young people in West Africa.</textarea>" in page
    assert '<option value="NG" selected>Nigeria</option>' in page


# --- Editing -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_edit_of_a_verified_organization_holds_the_name_for_csu_and_applies_the_description(
    client, organizations, focal_points, csu_officer
):
    hra = organizations["a"]
    client.force_login(focal_points["a"])

    response = client.post(
        "/organizations/hra/edit/",
        profile_of(hra, name="Harm Reduction Alliance Kenya", acronym="HRAK", description="Needle exchange and advocacy."),
    )

    assert (response.status_code, response["Location"]) == (302, "/organizations/hra/edit/")
    assert shown_messages(response) == [
        "Your changes to the name and acronym wait for confirmation by the Civil Society Unit; the other changes are saved."
    ]
    hra.refresh_from_db()
    assert (hra.name, hra.acronym, hra.description) == ("Harm Reduction Alliance", "HRA", "Needle exchange and advocacy.")
    change = OrganizationChange.objects.get(organization=hra)
    assert (change.status, change.old_values, change.new_values) == (
        "pending",
        {"name": "Harm Reduction Alliance", "acronym": "HRA"},
        {"name": "Harm Reduction Alliance Kenya", "acronym": "HRAK"},
    )
    assert actions(hra) == ["organizations.organization.updated", "organizations.change.submitted"]
    assert sent() == [([csu_officer.email], "Changes to Harm Reduction Alliance (HRA) wait for your confirmation")]

    page = page_text(client.get("/organizations/hra/edit/"))
    assert '<h2 id="pending-change-heading">Waiting for confirmation by the Civil Society Unit</h2>' in page
    assert "<tr><th scope=\"row\">Name</th><td>Harm Reduction Alliance</td><td>Harm Reduction Alliance Kenya</td></tr>" in page
    assert "<tr><th scope=\"row\">Acronym</th><td>HRA</td><td>HRAK</td></tr>" in page


def test_edit_of_only_a_held_field_says_it_waits(client, organizations, focal_points):
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/edit/", profile_of(organizations["a"], headquarters_country="UG"))

    assert shown_messages(response) == [
        "Your changes to the headquarters country wait for confirmation by the Civil Society Unit."
    ]


def test_edit_of_a_pending_organization_applies_everything(client, pending_organization, outsider):
    client.force_login(outsider)

    response = client.post("/organizations/yadn/edit/", profile_of(pending_organization, name="Youth Against Drugs"))

    assert shown_messages(response) == ["The profile of Youth Against Drugs (YADN) is saved."]
    assert Organization.objects.get(pk=pending_organization.pk).name == "Youth Against Drugs"
    assert OrganizationChange.objects.count() == 0


def test_edit_without_changes_says_nothing_changed(client, organizations, focal_points):
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/edit/", profile_of(organizations["a"]))

    assert shown_messages(response) == ["Nothing changed: the profile is as it was."]
    assert actions(organizations["a"]) == []


def test_edit_after_changes_were_requested_sends_the_organization_back_to_csu(client, pending_organization, outsider, csu_officer):
    services.request_organization_changes(pending_organization, by=csu_officer, reason="Add your website.")
    client.force_login(outsider)

    response = client.post("/organizations/yadn/edit/", profile_of(pending_organization, website="https://yadn.example"))

    assert shown_messages(response) == [
        "The profile of Youth Against Drugs Network (YADN) is saved. It goes back to the Civil Society Unit for verification."
    ]
    assert Organization.objects.get(pk=pending_organization.pk).verification_state == "pending"


def test_edit_by_csu_applies_held_fields_at_once_and_offers_internal_fields(client, csu, organizations):
    page = page_text(client.get("/organizations/hra/edit/"))
    assert '<label for="id_internal_notes">CSU&#x27;s internal notes <span class="optional">(optional)</span></label>' in page

    response = client.post(
        "/organizations/hra/edit/", profile_of(organizations["a"], name="HR Alliance", internal_notes="Met at CND 68.")
    )

    assert shown_messages(response) == ["The profile of HR Alliance (HRA) is saved."]
    organizations["a"].refresh_from_db()
    assert (organizations["a"].name, organizations["a"].internal_notes) == ("HR Alliance", "Met at CND 68.")
    assert OrganizationChange.objects.count() == 0


def test_edit_form_of_a_focal_point_has_no_internal_fields(client, focal_points):
    client.force_login(focal_points["a"])

    page = page_text(client.get("/organizations/hra/edit/"))

    assert "<h1>Edit the profile of Harm Reduction Alliance (HRA)</h1>" in page
    assert "internal_notes" not in page and "ecosoc_checked_on" not in page
    assert '<button type="submit">Save the profile</button>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("headquarters_country", "XX", "“XX” is not a country we know. Choose the country from the list."),
        ("website", "www dot hra", "Enter the website's full address, such as https://www.example.org."),
        ("name", "N" * 10_000, "A name can have at most 300 characters; this one has 10000."),
        ("kind", "business", "A business is not a civil-society organization; the portal registers civil society only."),
    ],
)
def test_edit_bad_input_shows_the_message_keeps_the_input_and_changes_nothing(
    client, organizations, focal_points, field, value, message
):
    before = snapshot(organizations["a"])
    client.force_login(focal_points["a"])

    response = client.post(
        "/organizations/hra/edit/", profile_of(organizations["a"], description="Typed, not saved.", **{field: value})
    )

    page = page_text(response)
    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert "Typed, not saved.</textarea>" in page
    assert "<h1>Edit the profile of Harm Reduction Alliance (HRA)</h1>" in page
    assert snapshot(organizations["a"]) == before
    assert (actions(organizations["a"]), OrganizationChange.objects.count()) == ([], 0)


def test_edit_of_a_held_field_to_an_impossible_value_is_refused_by_the_service(client, organizations, focal_points):
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/edit/", profile_of(organizations["a"], ecosoc_status="special", ecosoc_year="1900"))

    assert field_errors(response, "ecosoc_year") == ["Ensure this value is greater than or equal to 1946."]
    assert OrganizationChange.objects.count() == 0


# --- Verification ------------------------------------------------------------------------------


def test_review_queue_lists_new_organizations_requested_changes_and_waiting_changes(
    client, csu, organizations, focal_points, pending_organization, outsider
):
    asked = Organization.objects.create(name="Prison Watch", slug="prison-watch", headquarters_country="FR")
    services.request_organization_changes(asked, by=csu, reason="Which prisons do you visit?")
    services.update_organization(organizations["b"], by=focal_points["b"], data={"headquarters_country": "AR"})

    page = page_text(client.get("/organizations/review/"))

    new, rest = page.split('<h2 id="changes-requested-heading">', 1)
    requested, changes = rest.split('<h2 id="changes-heading">', 1)
    assert '<a href="/organizations/yadn/">Youth Against Drugs Network (YADN)</a>' in new
    assert "Focal points: Olga Outsider &lt;outsider@example.test&gt;" in new
    assert [re.findall(r'name="decision" value="(\w+)"', part) for part in (new, requested)] == [
        ["verify", "request_changes", "reject"],
        ["verify", "reject"],
    ]
    assert '<a href="/organizations/prison-watch/">Prison Watch</a>' in requested
    assert "You asked: <em>Which prisons do you visit?</em>" in requested
    assert '<a href="/organizations/prn/">Prison Reform Network (PRN)</a>' in changes
    assert "<tr><th scope=\"row\">Headquarters country</th><td>Brazil</td><td><strong>Argentina</strong></td></tr>" in changes
    assert "Asked by Focal point of PRN on" in changes


@pytest.mark.django_db(transaction=True)
def test_csu_verifies_a_new_organization_and_its_focal_point_is_emailed_the_reason(client, csu, pending_organization, outsider):
    response = client.post(
        "/organizations/yadn/verification/", {"decision": "verify", "reason": "Checked with the ECOSOC database."}
    )

    assert (response.status_code, response["Location"]) == (302, "/organizations/review/")
    assert shown_messages(response) == [
        "Youth Against Drugs Network (YADN) is verified and appears in the public directory; its focal points are told by e-mail."
    ]
    assert Organization.objects.get(pk=pending_organization.pk).verification_state == "verified"
    assert actions(pending_organization) == ["organizations.organization.verified"]
    assert sent() == [([outsider.email], "Youth Against Drugs Network (YADN) is verified")]
    assert "Reason: Checked with the ECOSOC database." in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("decision", "state", "action", "subject"),
    [
        ("request_changes", "changes_requested", "organizations.organization.changes_requested", "Changes needed to Youth Against Drugs Network (YADN)"),
        ("reject", "rejected", "organizations.organization.rejected", "Youth Against Drugs Network (YADN) was not verified"),
    ],
)
def test_csu_decision_with_a_reason_is_emailed(client, csu, pending_organization, outsider, decision, state, action, subject):
    response = client.post("/organizations/yadn/verification/", {"decision": decision, "reason": "The website does not open."})

    assert response.status_code == 302
    assert Organization.objects.get(pk=pending_organization.pk).verification_state == state
    assert actions(pending_organization) == [action]
    assert sent() == [([outsider.email], subject)]
    assert "Reason: The website does not open." in mail.outbox[0].body


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ("request_changes", "Say what must change; the focal points are told."),
        ("reject", "Say why the organization is rejected; its focal points are told."),
    ],
)
def test_csu_decision_without_a_reason_is_refused_beside_the_field(client, csu, pending_organization, decision, message):
    response = client.post("/organizations/yadn/verification/", {"decision": decision, "reason": "  "})

    assert response.status_code == 200
    assert field_errors(response, "reason") == [message]
    assert summary_errors(response) == [f"Reason, e-mailed to the focal points: {message}"]
    assert Organization.objects.get(pk=pending_organization.pk).verification_state == "pending"
    assert (actions(pending_organization), notification_count()) == ([], 0)


def notification_count() -> int:
    from portal.models import Notification

    return Notification.objects.count()


def test_csu_archiving_needs_a_reason_and_takes_the_organization_out(client, csu, organizations):
    refused = client.post("/organizations/hra/verification/", {"decision": "archive"})
    archived = client.post("/organizations/hra/verification/", {"decision": "archive", "reason": "The organization closed."})

    assert field_errors(refused, "reason") == ["Say why the organization is archived."]
    assert shown_messages(archived) == ["Harm Reduction Alliance (HRA) is archived and no longer appears in the directory."]
    assert Organization.objects.get(pk=organizations["a"].pk).verification_state == "archived"


def test_csu_disallowed_transition_shows_the_services_message(client, csu, organizations):
    response = client.post("/organizations/hra/verification/", {"decision": "reject", "reason": "Too late."})

    assert (response.status_code, response["Location"]) == (302, "/organizations/review/")
    assert shown_messages(response) == ["An organization that is “Verified” cannot become “Rejected”."]
    assert Organization.objects.get(pk=organizations["a"].pk).verification_state == "verified"


def test_verification_page_offers_only_the_decisions_the_state_allows(client, csu, organizations):
    page = page_text(client.get("/organizations/hra/verification/"))

    assert "<h1>Verification of Harm Reduction Alliance (HRA)</h1>" in page
    assert re.findall(r'<button type="submit" name="decision" value="(\w+)"[^>]*>([^<]+)</button>', page) == [
        ("request_changes", "Request changes"),
        ("archive", "Archive"),
    ]


def test_verification_goes_back_to_a_local_next_address_only(client, csu, pending_organization):
    local = client.post("/organizations/yadn/verification/", {"decision": "verify", "next": "/organizations/yadn/"})
    services.archive_organization(pending_organization, by=csu, reason="Closed.")
    foreign = client.post("/organizations/yadn/verification/", {"decision": "verify", "next": "https://evil.example/"})

    assert [local["Location"], foreign["Location"]] == ["/organizations/yadn/", "/organizations/review/"]


# --- Confirming changes --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_csu_confirms_a_waiting_change_which_is_applied_and_logged(client, csu, organizations, focal_points):
    hra = organizations["a"]
    change = services.update_organization(hra, by=focal_points["a"], data={"name": "Harm Reduction Alliance Kenya"})
    mail.outbox.clear()

    response = client.post(f"/organizations/changes/{change.pk}/", {"decision": "confirm"})

    assert (response.status_code, response["Location"]) == (302, "/organizations/review/")
    assert shown_messages(response) == [
        "The changes to Harm Reduction Alliance Kenya (HRA) are confirmed and applied; its focal points are told by e-mail."
    ]
    hra.refresh_from_db()
    change.refresh_from_db()
    assert (hra.name, change.status, change.decided_by) == ("Harm Reduction Alliance Kenya", "accepted", csu)
    assert actions(hra) == ["organizations.change.submitted", "organizations.change.confirmed"]
    entry = ActivityLog.objects.get(action="organizations.change.confirmed")
    assert (entry.actor, entry.old_values, entry.new_values) == (
        csu, {"name": "Harm Reduction Alliance"}, {"name": "Harm Reduction Alliance Kenya"}
    )
    assert sent() == [([focal_points["a"].email], "Your changes to Harm Reduction Alliance Kenya (HRA) are confirmed")]


@pytest.mark.django_db(transaction=True)
def test_csu_declines_a_waiting_change_only_with_a_reason(client, csu, organizations, focal_points):
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    mail.outbox.clear()

    refused = client.post(f"/organizations/changes/{change.pk}/", {"decision": "decline", "reason": ""})
    declined = client.post(f"/organizations/changes/{change.pk}/", {"decision": "decline", "reason": "HRA is your registered acronym."})

    assert field_errors(refused, "reason") == ["Say why the changes are declined; the focal points are told."]
    assert shown_messages(declined) == [
        "The changes to Harm Reduction Alliance (HRA) are declined; its focal points are told by e-mail with your reason."
    ]
    assert OrganizationChange.objects.get(pk=change.pk).status == "declined"
    assert Organization.objects.get(pk=organizations["a"].pk).acronym == "HRA"
    assert sent() == [([focal_points["a"].email], "Your changes to Harm Reduction Alliance (HRA) were declined")]


def test_deciding_an_already_decided_change_says_so(client, csu, organizations, focal_points):
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    services.confirm_organization_change(change, by=csu)

    response = client.post(f"/organizations/changes/{change.pk}/", {"decision": "decline", "reason": "Too late."})

    assert shown_messages(response) == ["These changes were already decided: Accepted."]
    assert Organization.objects.get(pk=organizations["a"].pk).acronym == "HR"


# --- Joining ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_join_request_is_accepted_by_an_existing_focal_point(client, organizations, focal_points, outsider):
    client.force_login(outsider)
    asked = client.post("/organizations/hra/join/", {"message": "I run the Nairobi office."})

    assert (asked.status_code, asked["Location"]) == (302, "/organizations/hra/join/")
    assert shown_messages(asked) == ["Your request to join Harm Reduction Alliance (HRA) is sent. We will e-mail you the answer."]
    assert "You asked to join on" in page_text(client.get("/organizations/hra/join/"))
    assert sent() == [([focal_points["a"].email], "Olga Outsider asks to join Harm Reduction Alliance (HRA)")]

    client.force_login(focal_points["a"])
    assert '<a href="/organizations/hra/members/">1 person asks to join Harm Reduction Alliance (HRA).</a>' in page_text(
        client.get("/")
    )
    members_page = page_text(client.get("/organizations/hra/members/"))
    assert "<blockquote>I run the Nairobi office.</blockquote>" in members_page
    join_request = JoinRequest.objects.get(user=outsider)
    accepted = client.post("/organizations/hra/members/", {"action": "accept", "request": join_request.pk})

    assert (accepted.status_code, accepted["Location"]) == (302, "/organizations/hra/members/")
    assert shown_messages(accepted) == ["Olga Outsider is now a focal point of Harm Reduction Alliance (HRA)."]
    assert sorted(organizations["a"].members.values_list("user__email", flat=True)) == ["focal@hra.test", "outsider@example.test"]
    assert actions(organizations["a"]) == ["organizations.join.requested", "organizations.join.accepted"]
    assert sent()[1:] == [([outsider.email], "You are now a focal point of Harm Reduction Alliance (HRA)")]


def test_join_request_is_accepted_by_csu(client, csu, organizations, outsider):
    join_request = services.request_to_join(organizations["b"], by=outsider)

    response = client.post("/organizations/prn/members/", {"action": "accept", "request": join_request.pk})

    assert shown_messages(response) == ["Olga Outsider is now a focal point of Prison Reform Network (PRN)."]
    assert JoinRequest.objects.get(pk=join_request.pk).decided_by == csu
    assert organizations["b"].members.filter(user=outsider).exists()


@pytest.mark.django_db(transaction=True)
def test_join_request_declined_needs_a_reason_which_is_emailed(client, organizations, focal_points, outsider):
    join_request = services.request_to_join(organizations["a"], by=outsider)
    mail.outbox.clear()
    client.force_login(focal_points["a"])

    refused = client.post("/organizations/hra/members/", {"action": "decline", "request": join_request.pk, "reason": ""})
    declined = client.post(
        "/organizations/hra/members/", {"action": "decline", "request": join_request.pk, "reason": "We do not know you."}
    )

    assert refused.status_code == 200
    assert field_errors(refused, "reason", prefix=f"id_request{join_request.pk}") == [
        "Say why the request is declined; the person is told."
    ]
    assert shown_messages(declined) == ["The request of Olga Outsider is declined; they are told by e-mail with your reason."]
    join_request.refresh_from_db()
    assert (join_request.status, join_request.reason) == ("declined", "We do not know you.")
    assert not organizations["a"].members.filter(user=outsider).exists()
    assert sent() == [([outsider.email], "Your request to join Harm Reduction Alliance (HRA) was declined")]
    assert "We do not know you." in mail.outbox[0].body


def test_deciding_an_already_decided_join_request_says_so(client, organizations, focal_points, csu_officer, outsider):
    join_request = services.request_to_join(organizations["a"], by=outsider)
    services.accept_join_request(join_request, by=csu_officer)  # meanwhile, in another tab
    client.force_login(focal_points["a"])

    declined = client.post("/organizations/hra/members/", {"action": "decline", "request": join_request.pk, "reason": "No."})
    client.get("/organizations/hra/members/")  # shows, and so clears, the first message
    accepted = client.post("/organizations/hra/members/", {"action": "accept", "request": join_request.pk})

    assert shown_messages(declined) == ["This request was already decided: Accepted."]
    assert shown_messages(accepted) == ["This request was already decided: Accepted."]
    assert JoinRequest.objects.get(pk=join_request.pk).decided_by == csu_officer


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("member", "You are already a focal point of Harm Reduction Alliance (HRA)."),
        ("pending", "You already asked to join Harm Reduction Alliance (HRA); the request is waiting for a decision."),
    ],
)
def test_join_refusals_of_the_service_are_shown(client, organizations, focal_points, outsider, who, message):
    person = focal_points["a"] if who == "member" else outsider
    if who == "pending":
        services.request_to_join(organizations["a"], by=outsider)
    client.force_login(person)

    response = client.post("/organizations/hra/join/", {"message": "Again."})

    assert shown_messages(response) == [message]
    assert JoinRequest.objects.filter(user=person).count() == (1 if who == "pending" else 0)


def test_join_page_of_a_member_says_they_are_one(client, focal_points):
    client.force_login(focal_points["a"])

    page = page_text(client.get("/organizations/hra/join/"))

    assert "You are a focal point of Harm Reduction Alliance (HRA)." in page
    assert "<form method=\"post\" novalidate" not in page


@pytest.mark.parametrize("state", ["rejected", "archived"])
def test_join_page_of_a_rejected_or_archived_organization_is_not_found(client, organizations, outsider, state):
    Organization.objects.filter(pk=organizations["a"].pk).update(verification_state=state)
    client.force_login(outsider)

    assert client.get("/organizations/hra/join/").status_code == 404
    assert client.post("/organizations/hra/join/").status_code == 404


# --- Focal points --------------------------------------------------------------------------------


def test_members_page_lists_focal_points_and_their_buttons(client, organizations, focal_points, outsider):
    OrganizationMember.objects.create(organization=organizations["a"], user=outsider)
    client.force_login(focal_points["a"])

    page = page_text(client.get("/organizations/hra/members/"))

    assert "<h1>Focal points of Harm Reduction Alliance (HRA)</h1>" in page
    assert re.findall(r'<button type="submit" class="danger outline" data-confirm="[^"]*">([^<]+)</button>', page) == [
        "Leave the organization",
        "Remove Olga Outsider",
    ]
    assert "No one is waiting to join." in page


def test_the_last_focal_point_cannot_leave(client, organizations, focal_points):
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/members/", {"action": "remove", "user": focal_points["a"].pk})

    assert (response.status_code, response["Location"]) == (302, "/organizations/hra/members/")
    assert shown_messages(response) == [
        "The last focal point cannot leave. Invite a colleague first, or ask the Civil Society Unit."
    ]
    assert organizations["a"].members.filter(user=focal_points["a"]).exists()


def test_a_focal_point_leaves_when_a_colleague_remains(client, organizations, focal_points, outsider):
    OrganizationMember.objects.create(organization=organizations["a"], user=outsider)
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/members/", {"action": "remove", "user": focal_points["a"].pk})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert shown_messages(response) == ["You are no longer a focal point of Harm Reduction Alliance (HRA)."]
    assert list(organizations["a"].members.values_list("user__email", flat=True)) == [outsider.email]
    assert actions(organizations["a"]) == ["organizations.member.removed"]


@pytest.mark.django_db(transaction=True)
def test_csu_removes_the_last_focal_point_who_is_emailed(client, csu, organizations, focal_points):
    response = client.post("/organizations/hra/members/", {"action": "remove", "user": focal_points["a"].pk})

    assert (response.status_code, response["Location"]) == (302, "/organizations/hra/members/")
    assert shown_messages(response) == ["Focal point of HRA is no longer a focal point of Harm Reduction Alliance (HRA)."]
    assert organizations["a"].members.count() == 0
    assert sent() == [([focal_points["a"].email], "You are no longer a focal point of Harm Reduction Alliance (HRA)")]


def test_removing_someone_who_is_not_a_focal_point_names_no_one(client, organizations, focal_points):
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/members/", {"action": "remove", "user": focal_points["b"].pk})

    assert shown_messages(response) == ["This person is not a focal point of Harm Reduction Alliance (HRA)."]
    assert organizations["b"].members.filter(user=focal_points["b"]).exists()


def test_members_page_query_count_does_not_grow_with_rows(client, organizations, focal_points, django_assert_num_queries):
    client.force_login(focal_points["a"])
    services.request_to_join(organizations["a"], by=make_user("first@example.test"))
    # the login session with the user and its roles (portal.login_sessions), organization, is focal point, focal points, requests
    with django_assert_num_queries(5):
        client.get("/organizations/hra/members/")
    for number in range(5):
        person = make_user(f"colleague{number}@example.test")
        OrganizationMember.objects.create(organization=organizations["a"], user=person)
        services.request_to_join(organizations["a"], by=make_user(f"asker{number}@example.test"))
    with django_assert_num_queries(5):
        client.get("/organizations/hra/members/")


# --- Duplicates and merge ------------------------------------------------------------------------


@pytest.fixture
def twin(organizations):
    """A second record of the Harm Reduction Alliance, with its own focal point, request and history."""
    twin = Organization.objects.create(
        name="HRA Kenya Chapter", acronym="HRA", slug="hra-kenya", headquarters_country="KE",
        website="https://hra.example", countries_of_work=["TZ"], verification_state=VerificationState.VERIFIED,
    )
    twin_focal_point = make_user("focal@hra-kenya.test", full_name="Focal point of the twin")
    OrganizationMember.objects.create(organization=twin, user=twin_focal_point)
    return twin


def test_duplicate_list_shows_pairs_with_why_and_merge_links_both_ways(client, csu, organizations, twin):
    page = page_text(client.get("/organizations/duplicates/"))

    assert "<h1>Likely duplicates</h1>" in page
    pairs = re.findall(r"<article class=\"panel\".*?</article>", page)
    assert len(pairs) == 1
    assert '<h2 id="pair-1-heading">Harm Reduction Alliance (HRA) and HRA Kenya Chapter (HRA)</h2>' in pairs[0]
    assert "<p>Why they look alike: same acronym</p>" in pairs[0]
    assert re.findall(r'<a href="(/organizations/merge/[^"]+)" role="button" class="secondary">([^<]+)</a>', pairs[0]) == [
        ("/organizations/merge/hra/hra-kenya/", "Merge, keeping Harm Reduction Alliance (HRA)"),
        ("/organizations/merge/hra-kenya/hra/", "Merge, keeping HRA Kenya Chapter (HRA)"),
    ]


def test_merge_page_shows_what_will_happen(client, csu, organizations, focal_points, twin, outsider):
    services.request_to_join(twin, by=outsider)

    page = page_text(client.get("/organizations/merge/hra/hra-kenya/"))

    assert "<th scope=\"row\">Website</th> <td>—</td> <td>https://hra.example</td> <td><strong>filled from the merged record</strong></td>" in page
    assert "<th scope=\"row\">Name</th> <td>Harm Reduction Alliance</td> <td>HRA Kenya Chapter</td> <td>kept as it is</td>" in page
    assert "<th scope=\"row\">Countries of work</th> <td>—</td> <td>Tanzania</td> <td><strong>filled from the merged record</strong></td>" in page
    assert "<li>1 focal point moves: Focal point of the twin &lt;focal@hra-kenya.test&gt;.</li>" in page
    assert "<li>Requests to join: 1</li>" in page
    assert "<li>1 history entry</li>" in page
    assert '<button type="submit" class="danger" data-confirm="Merge HRA Kenya Chapter (HRA) into Harm Reduction Alliance (HRA)? This cannot be undone.">Merge these records</button>' in page
    assert Organization.objects.filter(slug="hra-kenya").exists()


def test_merge_moves_members_and_history_and_leaves_a_redirect(client, csu, organizations, focal_points, twin):
    twin_actions = actions(twin)
    services.update_organization(twin, by=csu, data={"description": "The Kenyan chapter."})

    response = client.post("/organizations/merge/hra/hra-kenya/", {"note": "Same organization, registered twice."})

    hra = organizations["a"]
    hra.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/organizations/hra/")
    assert shown_messages(response) == [
        "HRA Kenya Chapter (HRA) is merged into Harm Reduction Alliance (HRA); its old address now leads here."
    ]
    assert not Organization.objects.filter(pk=twin.pk).exists()
    assert sorted(hra.members.values_list("user__email", flat=True)) == ["focal@hra-kenya.test", "focal@hra.test"]
    assert (hra.website, hra.description) == ("https://hra.example", "The Kenyan chapter.")
    assert twin_actions == []
    assert actions(hra) == ["organizations.organization.updated", "organizations.organization.merged"]
    assert ActivityLog.objects.get(action="organizations.organization.merged").note == "Same organization, registered twice."
    assert list(OrganizationRedirect.objects.values_list("old_slug", "organization__slug")) == [("hra-kenya", "hra")]
    old_address = client.get("/organizations/hra-kenya/")
    assert (old_address.status_code, old_address["Location"]) == (301, "/organizations/hra/")


def test_merge_of_a_record_into_itself_is_not_found(client, csu, organizations):
    assert client.get("/organizations/merge/hra/hra/").status_code == 404


def test_merge_of_a_record_merged_meanwhile_is_not_found(client, csu, organizations, twin):
    services.merge_organizations(organizations["a"], twin, by=csu)

    response = client.post("/organizations/merge/hra/hra-kenya/")

    assert response.status_code == 404
    assert Organization.objects.filter(slug="hra").exists()


# --- To-dos ----------------------------------------------------------------------------------


def test_home_tells_csu_how_many_changes_wait_for_confirmation(client, csu, organizations, focal_points):
    services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})

    page = page_text(client.get("/"))

    assert '<a href="/organizations/review/#changes-heading">1 change waits for confirmation.</a>' in page


# --- Permissions: every role on every page -------------------------------------------------------

OK, LOGIN_FIRST, TOTP_FIRST, NOT_FOUND = "ok", "login", "totp", "404"
PERSONAS = ["public", "outsider", "vngoc", "alliance", "uncac-coalition", "focal_a", "focal_b", "csu", "csu_without_totp"]


@pytest.fixture
def sign_in(client, csu_officer, coordinators, focal_points, outsider):
    def as_persona(persona: str, *, coordinators_with_totp: bool = False):
        user = {
            "public": None, "outsider": outsider, "focal_a": focal_points["a"], "focal_b": focal_points["b"],
            "csu": csu_officer, "csu_without_totp": csu_officer, **coordinators,
        }[persona]
        if persona == "csu" or (persona in coordinators and coordinators_with_totp):
            give_totp(user)
        if user is not None:
            client.force_login(user)
        return user

    return as_persona


def outcome(response) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code == 302 and response["Location"].startswith(LOGIN):
        return LOGIN_FIRST
    if response.status_code == 302 and response["Location"] == TOTP_SETUP:
        return TOTP_FIRST
    return f"{response.status_code} {response.get('Location', '')}"


def expected(page: str, persona: str) -> str:
    if persona == "public":
        return LOGIN_FIRST
    if page in ("register", "join"):
        return OK
    # Staff pages: coordinators and CSU set up TOTP first (the middleware asks before the view).
    if persona in ("vngoc", "alliance", "uncac-coalition", "csu_without_totp"):
        return TOTP_FIRST
    if persona == "csu":
        return OK
    if page in ("edit", "members") and persona == "focal_a":
        return OK
    return NOT_FOUND


PAGES = {
    "register": "/organizations/new/",
    "join": "/organizations/hra/join/",
    "edit": "/organizations/hra/edit/",
    "members": "/organizations/hra/members/",
    "review_queue": "/organizations/review/",
    "verification": "/organizations/hra/verification/",
    "change": "/organizations/changes/{change}/",
    "duplicates": "/organizations/duplicates/",
    "merge": "/organizations/merge/hra/prn/",
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_answers_each_role(client, sign_in, organizations, focal_points, page, persona):
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    sign_in(persona)

    response = client.get(PAGES[page].format(change=change.pk))

    assert outcome(response) == expected(page, persona)


@pytest.mark.parametrize("persona", ["vngoc", "alliance", "uncac-coalition"])
@pytest.mark.parametrize("page", ["edit", "members", "review_queue", "verification", "change", "duplicates", "merge"])
def test_coordinators_with_totp_find_no_other_organization_or_csu_page(client, sign_in, organizations, focal_points, page, persona):
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    sign_in(persona, coordinators_with_totp=True)

    assert client.get(PAGES[page].format(change=change.pk)).status_code == 404


def test_focal_point_of_another_organization_finds_no_private_page_of_it(client, organizations, focal_points):
    client.force_login(focal_points["b"])

    assert [client.get(f"/organizations/hra/{page}/").status_code for page in ("edit", "members", "verification")] == [404] * 3


@pytest.mark.parametrize("persona", ["outsider", "focal_b", "uncac-coalition"])
def test_actions_by_people_without_the_right_change_nothing(client, sign_in, organizations, focal_points, outsider, persona):
    OrganizationMember.objects.create(organization=organizations["a"], user=make_user("colleague@hra.test"))
    asker = make_user("asker@example.test")
    join_request = services.request_to_join(organizations["a"], by=asker)
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    before = snapshot(organizations["a"])
    sign_in(persona, coordinators_with_totp=True)

    statuses = [
        client.post("/organizations/hra/edit/", profile_of(organizations["a"], description="Defaced.")).status_code,
        client.post("/organizations/hra/members/", {"action": "remove", "user": focal_points["a"].pk}).status_code,
        client.post("/organizations/hra/members/", {"action": "accept", "request": join_request.pk}).status_code,
        client.post("/organizations/hra/verification/", {"decision": "archive", "reason": "Spite."}).status_code,
        client.post(f"/organizations/changes/{change.pk}/", {"decision": "confirm"}).status_code,
        client.post("/organizations/merge/prn/hra/").status_code,
    ]

    assert statuses == [404] * 6
    assert snapshot(organizations["a"]) == before
    assert organizations["a"].members.count() == 2
    assert JoinRequest.objects.get(pk=join_request.pk).status == RequestStatus.PENDING
    assert OrganizationChange.objects.get(pk=change.pk).status == RequestStatus.PENDING


def test_focal_point_of_one_organization_cannot_decide_a_request_to_another(client, organizations, focal_points, outsider):
    join_request = services.request_to_join(organizations["b"], by=outsider)
    client.force_login(focal_points["a"])

    response = client.post("/organizations/hra/members/", {"action": "accept", "request": join_request.pk})

    assert response.status_code == 404
    assert JoinRequest.objects.get(pk=join_request.pk).status == RequestStatus.PENDING


def test_csu_without_totp_is_sent_to_totp_setup_before_deciding(client, csu_officer, pending_organization):
    client.force_login(csu_officer)

    response = client.post("/organizations/yadn/verification/", {"decision": "verify"})

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))
    assert Organization.objects.get(pk=pending_organization.pk).verification_state == "pending"


def test_navigation_shows_directory_to_everyone_and_verification_to_csu(client, csu, outsider):
    csu_page = page_text(client.get("/"))
    client.force_login(outsider)
    outsider_page = page_text(client.get("/"))

    assert '<li><a href="/organizations/review/">Verification</a></li>' in csu_page
    assert '<li><a href="/organizations/">Directory</a></li>' in outsider_page
    assert "/organizations/review/" not in outsider_page


# --- Page hygiene and scale ----------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_page_has_no_inline_script_or_style(client, csu, organizations, focal_points, pending_organization, page):
    change = services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})
    services.request_to_join(organizations["a"], by=make_user("asker@example.test"))

    html_text = client.get(PAGES[page].format(change=change.pk)).content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html_text) == []
    assert re.findall(r"<style\b|\sstyle=|\son[a-z]+=", html_text) == []


def test_every_button_of_the_review_queue_says_what_it_does(client, csu, organizations, focal_points, pending_organization):
    services.update_organization(organizations["a"], by=focal_points["a"], data={"acronym": "HR"})

    page = page_text(client.get("/organizations/review/"))

    assert re.findall(r"<button[^>]*>([^<]+)</button>", page) == [
        "Change language", "Verify", "Request changes", "Reject", "Confirm the changes", "Decline the changes",
    ]


def test_review_queue_query_count_does_not_grow_with_rows(client, csu, focal_points, organizations, django_assert_num_queries):
    def add_waiting(number):
        organization = Organization.objects.create(name=f"New organization {number}", slug=f"new-{number}", headquarters_country="AT")
        OrganizationMember.objects.create(organization=organization, user=make_user(f"founder{number}@example.test"))
        asked = Organization.objects.create(name=f"Asked organization {number}", slug=f"asked-{number}", headquarters_country="AT")
        services.request_organization_changes(asked, by=csu, reason="More, please.")
        verified = Organization.objects.create(
            name=f"Verified organization {number}", slug=f"verified-{number}", headquarters_country="AT",
            verification_state=VerificationState.VERIFIED,
        )
        OrganizationMember.objects.create(organization=verified, user=make_user(f"keeper{number}@example.test"))
        services.update_organization(verified, by=verified.members.get().user, data={"name": f"Renamed {number}"})

    add_waiting(0)
    # the login session with the user, its roles and MFA (portal.login_sessions), organizations waiting, their focal points,
    # what CSU asked, changes
    with django_assert_num_queries(5):
        client.get("/organizations/review/")
    for number in range(1, 6):
        add_waiting(number)
    with django_assert_num_queries(5):
        client.get("/organizations/review/")
