"""The stakeholder database's services: who may do what, what changes, what is logged and sent."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from organizations import services
from organizations.duplicates import duplicate_pairs, likely_duplicates, website_domain
from organizations.enums import RequestStatus, VerificationState
from organizations.models import (
    JoinRequest,
    Organization,
    OrganizationChange,
    OrganizationMember,
    OrganizationRedirect,
    ThematicArea,
)
from portal.models import ActivityLog
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

NEW_ORGANIZATION = {
    "name": "Transparency International Kenya",
    "acronym": "TI-K",
    "kind": "ngo",
    "headquarters_country": "KE",
    "website": "https://www.tikenya.example/",
    "email": "info@tikenya.example",
    "description": "Fights corruption in Kenya.",
}


def actions(organization) -> list[str]:
    content_type = ContentType.objects.get_for_model(Organization)
    return list(
        ActivityLog.objects.filter(content_type=content_type, object_id=str(organization.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def test_register_organization_creates_a_pending_record_with_its_focal_point(outsider, csu_officer, thematic_areas):
    areas = ThematicArea.objects.filter(slug__in=["corruption", "gender"])

    organization = services.register_organization(by=outsider, data=NEW_ORGANIZATION, thematic_areas=areas)

    assert (organization.slug, organization.verification_state, organization.regional_group) == ("ti-k", "pending", "african")
    assert list(organization.members.values_list("user__email", flat=True)) == [outsider.email]
    assert sorted(organization.thematic_areas.values_list("slug", flat=True)) == ["corruption", "gender"]
    assert actions(organization) == ["organizations.organization.registered"]
    assert sent() == [
        ([outsider.email], "We received the registration of Transparency International Kenya (TI-K)"),
        ([csu_officer.email], "Transparency International Kenya (TI-K) awaits verification"),
    ]


def test_register_organization_refuses_invalid_data_and_writes_nothing(outsider):
    with pytest.raises(ValidationError) as refused:
        services.register_organization(by=outsider, data=NEW_ORGANIZATION | {"headquarters_country": "XX", "website": "not a url"})

    assert set(refused.value.message_dict) == {"headquarters_country", "website"}
    assert Organization.objects.count() == 0
    assert mail.outbox == []


def test_unique_slug_avoids_taken_reserved_and_redirected_addresses(organizations):
    OrganizationRedirect.objects.create(old_slug="prn-2", organization=organizations["b"])

    assert services.unique_slug("HRA") == "hra-2"
    assert services.unique_slug("PRN") == "prn-3"
    assert services.unique_slug("New") == "new-org"
    assert services.unique_slug("!!!") == "organization"


def test_verification_follows_the_transition_table(organizations, csu_officer, focal_points):
    organization = organizations["a"]
    Organization.objects.filter(pk=organization.pk).update(verification_state=VerificationState.PENDING)
    organization.refresh_from_db()

    services.request_organization_changes(organization, by=csu_officer, reason="Add your statutes.")
    organization.refresh_from_db()
    assert organization.verification_state == "changes_requested"
    services.verify_organization(organization, by=csu_officer)
    organization.refresh_from_db()
    assert organization.verification_state == "verified"
    with pytest.raises(ValidationError) as refused:
        services.reject_organization(organization, by=csu_officer, reason="Too late")
    assert refused.value.messages == ["An organization that is “Verified” cannot become “Rejected”."]
    assert actions(organization) == ["organizations.organization.changes_requested", "organizations.organization.verified"]
    assert sent() == [
        ([focal_points["a"].email], "Changes needed to Harm Reduction Alliance (HRA)"),
        ([focal_points["a"].email], "Harm Reduction Alliance (HRA) is verified"),
    ]
    assert "Reason: Add your statutes." in mail.outbox[0].body


def test_verification_decisions_are_for_csu_only_and_need_a_reason(organizations, focal_points, csu_officer):
    organization = organizations["a"]
    with pytest.raises(PermissionDenied):
        services.verify_organization(organization, by=focal_points["a"])
    with pytest.raises(ValidationError) as refused:
        services.reject_organization(organization, by=csu_officer, reason="  ")

    assert refused.value.message_dict == {"reason": ["Say why the organization is rejected; its focal points are told."]}


def test_focal_point_edit_of_a_verified_name_waits_for_csu_while_description_applies(organizations, focal_points, csu_officer):
    organization = organizations["a"]

    change = services.update_organization(
        organization, by=focal_points["a"], data={"name": "Harm Reduction Alliance Kenya", "description": "New text"}
    )

    organization.refresh_from_db()
    assert (organization.name, organization.description) == ("Harm Reduction Alliance", "New text")
    assert (change.old_values, change.new_values, change.status) == (
        {"name": "Harm Reduction Alliance"},
        {"name": "Harm Reduction Alliance Kenya"},
        "pending",
    )
    assert actions(organization) == ["organizations.organization.updated", "organizations.change.submitted"]
    assert sent() == [([csu_officer.email], "Changes to Harm Reduction Alliance (HRA) wait for your confirmation")]

    services.confirm_organization_change(change, by=csu_officer)
    organization.refresh_from_db()
    assert organization.name == "Harm Reduction Alliance Kenya"
    assert actions(organization)[-1] == "organizations.change.confirmed"
    assert ActivityLog.objects.get(action="organizations.change.confirmed").new_values == {"name": "Harm Reduction Alliance Kenya"}


def test_second_edit_before_confirmation_updates_the_one_pending_change(organizations, focal_points):
    organization = organizations["a"]
    services.update_organization(organization, by=focal_points["a"], data={"name": "First try"})
    services.update_organization(organization, by=focal_points["a"], data={"acronym": "HRAK"})

    change = OrganizationChange.objects.get()
    assert change.new_values == {"name": "First try", "acronym": "HRAK"}
    assert change.old_values == {"name": "Harm Reduction Alliance", "acronym": "HRA"}


def test_declined_change_leaves_the_profile_and_tells_why(organizations, focal_points, csu_officer):
    organization = organizations["a"]
    change = services.update_organization(organization, by=focal_points["a"], data={"headquarters_country": "UG"})
    mail.outbox.clear()

    services.decline_organization_change(change, by=csu_officer, reason="Your statutes say Nairobi.")
    with pytest.raises(ValidationError):
        services.confirm_organization_change(change, by=csu_officer)

    organization.refresh_from_db()
    assert organization.headquarters_country.code == "KE"
    assert sent() == [([focal_points["a"].email], "Your changes to Harm Reduction Alliance (HRA) were declined")]
    assert "Reason: Your statutes say Nairobi." in mail.outbox[0].body


def test_csu_edit_applies_at_once_including_internal_notes(organizations, csu_officer):
    organization = organizations["a"]

    change = services.update_organization(
        organization, by=csu_officer, data={"name": "HRA International", "internal_notes": "Checked statutes"}
    )

    organization.refresh_from_db()
    assert (change, organization.name, organization.internal_notes) == (None, "HRA International", "Checked statutes")


def test_focal_point_cannot_write_internal_notes_or_edit_another_organization(organizations, focal_points):
    services.update_organization(organizations["a"], by=focal_points["a"], data={"internal_notes": "sneaky"})
    organizations["a"].refresh_from_db()
    assert organizations["a"].internal_notes == ""
    with pytest.raises(PermissionDenied):
        services.update_organization(organizations["b"], by=focal_points["a"], data={"description": "x"})


def test_edit_after_changes_requested_sends_it_back_to_csu(organizations, focal_points, csu_officer):
    organization = organizations["a"]
    Organization.objects.filter(pk=organization.pk).update(verification_state=VerificationState.CHANGES_REQUESTED)

    change = services.update_organization(organization, by=focal_points["a"], data={"name": "Corrected name"})

    organization.refresh_from_db()
    assert (change, organization.name, organization.verification_state) == (None, "Corrected name", "pending")
    assert actions(organization) == ["organizations.organization.updated", "organizations.organization.resubmitted"]


def test_join_request_accepted_by_a_focal_point(organizations, focal_points, outsider):
    join_request = services.request_to_join(organizations["a"], by=outsider, message="I run the Mombasa office.")
    with pytest.raises(ValidationError) as twice:
        services.request_to_join(organizations["a"], by=outsider)
    assert twice.value.messages == [
        "You already asked to join Harm Reduction Alliance (HRA); the request is waiting for a decision."
    ]
    with pytest.raises(PermissionDenied):
        services.accept_join_request(join_request, by=focal_points["b"])

    services.accept_join_request(join_request, by=focal_points["a"])

    assert organizations["a"].members.filter(user=outsider).exists()
    assert sent() == [
        ([focal_points["a"].email], "Olga Outsider asks to join Harm Reduction Alliance (HRA)"),
        ([outsider.email], "You are now a focal point of Harm Reduction Alliance (HRA)"),
    ]
    with pytest.raises(ValidationError) as decided:
        services.decline_join_request(join_request, by=focal_points["a"], reason="No")
    assert decided.value.messages == ["This request was already decided: Accepted."]


def test_join_request_to_an_organization_without_focal_points_goes_to_csu(organizations, csu_officer, outsider):
    orphan = Organization.objects.create(name="Orphan Trust", slug="orphan", headquarters_country="FR")

    services.request_to_join(orphan, by=outsider)

    assert sent() == [([csu_officer.email], "Olga Outsider asks to join Orphan Trust")]


def test_last_focal_point_cannot_leave_but_csu_can_remove_them(organizations, focal_points, csu_officer):
    organization, person = organizations["a"], focal_points["a"]

    with pytest.raises(ValidationError) as refused:
        services.remove_focal_point(organization, user=person, by=person)
    assert refused.value.messages == [
        "The last focal point cannot leave. Invite a colleague first, or ask the Civil Society Unit."
    ]

    services.remove_focal_point(organization, user=person, by=csu_officer)
    assert organization.members.count() == 0
    assert sent() == [([person.email], "You are no longer a focal point of Harm Reduction Alliance (HRA)")]


def test_merge_moves_members_requests_history_and_leaves_a_redirect(organizations, focal_points, csu_officer, outsider, thematic_areas):
    keep = organizations["a"]
    duplicate = Organization.objects.create(
        name="Harm Reduction Alliance (Kenya)", acronym="HRA-K", slug="hra-k", headquarters_country="KE",
        website="https://hra.example", verification_state=VerificationState.PENDING,
    )
    duplicate.thematic_areas.set(ThematicArea.objects.filter(slug="hiv-and-aids"))
    OrganizationMember.objects.create(organization=duplicate, user=focal_points["a"])  # already on keep
    OrganizationMember.objects.create(organization=duplicate, user=outsider)
    JoinRequest.objects.create(organization=duplicate, user=focal_points["b"])
    services.update_organization(duplicate, by=csu_officer, data={"description": "Kenyan chapter"})

    services.merge_organizations(keep, duplicate, by=csu_officer, note="Same statutes")

    keep.refresh_from_db()
    assert not Organization.objects.filter(pk=duplicate.pk).exists()
    assert sorted(keep.members.values_list("user__email", flat=True)) == sorted([focal_points["a"].email, outsider.email])
    assert list(keep.join_requests.values_list("user__email", "status")) == [(focal_points["b"].email, "pending")]
    assert (keep.website, keep.description) == ("https://hra.example", "Kenyan chapter")
    assert list(keep.thematic_areas.values_list("slug", flat=True)) == ["hiv-and-aids"]
    assert OrganizationRedirect.objects.get(old_slug="hra-k").organization == keep
    assert actions(keep) == ["organizations.organization.updated", "organizations.organization.merged"]
    merged = ActivityLog.objects.get(action="organizations.organization.merged")
    assert merged.old_values == {"merged": "Harm Reduction Alliance (Kenya) (HRA-K)", "slug": "hra-k"}
    assert merged.note == "Same statutes"


def test_merge_is_for_csu_only_and_never_into_itself(organizations, focal_points, csu_officer):
    with pytest.raises(PermissionDenied):
        services.merge_organizations(organizations["a"], organizations["b"], by=focal_points["a"])
    with pytest.raises(ValidationError):
        services.merge_organizations(organizations["a"], organizations["a"], by=csu_officer)


def test_website_domain_ignores_scheme_www_and_path():
    assert [website_domain(url) for url in ["https://www.hra.example/about", "hra.example", "", "http://HRA.example"]] == [
        "hra.example", "hra.example", "", "hra.example",
    ]


def test_likely_duplicates_by_acronym_website_and_mail_domain(organizations):
    Organization.objects.filter(pk=organizations["a"].pk).update(website="https://www.hra.example", email="info@hra.example")

    found = likely_duplicates(name="Something else", acronym="hra", website="http://hra.example/x", email="me@hra.example")

    assert [(likeness.organization.slug, likeness.reasons) for likeness in found] == [
        ("hra", ["same acronym", "same website", "same e-mail domain"])
    ]
    assert likely_duplicates(name="Unrelated", email="someone@gmail.com") == []


@pytest.mark.postgres
def test_likely_duplicates_finds_a_misspelt_name_on_postgresql(organizations):
    if connection.vendor != "postgresql":
        pytest.skip("trigram similarity needs PostgreSQL")

    found = likely_duplicates(name="Harm Reduktion Aliance")

    assert [(likeness.organization.slug, likeness.reasons) for likeness in found] == [("hra", ["similar name"])]


def test_duplicate_pairs_explain_why(organizations):
    Organization.objects.create(name="Prison Reform Network", acronym="PRN", slug="prn-2", headquarters_country="BR")

    pairs = duplicate_pairs()

    assert [(pair.first.slug, pair.second.slug) for pair in pairs] == [("prn", "prn-2")]
    assert pairs[0].reasons == ["same acronym", "similar name (100%)"]


def test_portable_duplicate_detection_of_the_embedded_default_finds_misspelt_names(organizations):
    Organization.objects.create(name="Prison Reform Netwrk", slug="prn-typo", headquarters_country="BR")

    found = likely_duplicates(name="Harm Reduktion Alliance", engine="sqlite")
    pairs = duplicate_pairs(engine="sqlite")

    assert [(likeness.organization.slug, likeness.reasons) for likeness in found] == [("hra", ["similar name"])]
    assert [(pair.first.slug, pair.second.slug, pair.reasons) for pair in pairs] == [
        ("prn", "prn-typo", ["similar name (98%)"])
    ]


def test_request_status_values_are_the_documented_ones():
    assert RequestStatus.values == ["pending", "accepted", "declined", "withdrawn"]
    assert make_user  # the persona helper is shared with the page tests
