"""The umbrella bodies' services: who may decide what, which transitions exist, what is logged and e-mailed."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from organizations.enums import VerificationState
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog
from tests.conftest import make_user
from umbrella import services
from umbrella.enums import MembershipStatus
from umbrella.models import Coordinator, MembershipCategory, UmbrellaMembership
from umbrella.selectors import conflicted_applications, roster_of

pytestmark = pytest.mark.django_db(transaction=True)


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def actions(membership) -> list[str]:
    content_type = ContentType.objects.get_for_model(UmbrellaMembership)
    return list(
        ActivityLog.objects.filter(content_type=content_type, object_id=str(membership.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def categories(bodies):
    return {
        slug: MembershipCategory.objects.create(body=body, name="Full member", position=0)
        for slug, body in bodies.items()
    }


@pytest.fixture
def application(organizations, focal_points, bodies, categories, coordinators):
    membership = services.apply_for_membership(
        organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["alliance"],
        motivation="We run legal aid clinics in prisons.",
    )
    mail.outbox.clear()
    return membership


def test_apply_creates_an_application_and_tells_focal_points_and_coordinators(
    organizations, focal_points, bodies, categories, coordinators
):
    membership = services.apply_for_membership(
        organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["alliance"],
        motivation="  We run legal aid clinics in prisons.  ",
    )

    membership.refresh_from_db()
    assert (membership.status, membership.category, membership.motivation, membership.applied_by) == (
        "applied", categories["alliance"], "We run legal aid clinics in prisons.", focal_points["a"]
    )
    assert actions(membership) == ["umbrella.membership.applied"]
    assert sent() == [
        ([focal_points["a"].email], "The application of Harm Reduction Alliance (HRA) to Alliance is received"),
        ([coordinators["alliance"].email], "Harm Reduction Alliance (HRA) applies to join Alliance"),
    ]


def test_apply_twice_while_pending_is_refused_and_changes_nothing(application, organizations, focal_points, bodies, categories):
    with pytest.raises(ValidationError) as refused:
        services.apply_for_membership(
            organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["alliance"], motivation="Again."
        )

    assert refused.value.message_dict == {
        "organization": [
            f"Harm Reduction Alliance (HRA) already applied to Alliance on {application.applied_at:%-d %B %Y}; "
            "the application waits for a decision."
        ]
    }
    assert UmbrellaMembership.objects.count() == 1
    assert actions(application) == ["umbrella.membership.applied"]
    assert sent() == []


def test_apply_refuses_an_active_member_an_unverified_organization_and_a_stranger(
    application, organizations, focal_points, bodies, categories, coordinators, outsider
):
    services.accept_membership(application, by=coordinators["alliance"])
    with pytest.raises(ValidationError) as member:
        services.apply_for_membership(organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["alliance"], motivation="x")
    assert member.value.message_dict == {"organization": ["Harm Reduction Alliance (HRA) is already a member of Alliance."]}

    pending = Organization.objects.create(name="New Voices", slug="new-voices", headquarters_country="FR")
    OrganizationMember.objects.create(organization=pending, user=outsider)
    with pytest.raises(ValidationError) as unverified:
        services.apply_for_membership(pending, bodies["alliance"], by=outsider, category=categories["alliance"], motivation="x")
    assert unverified.value.message_dict == {"organization": ["New Voices can apply once the Civil Society Unit has verified it."]}

    with pytest.raises(PermissionDenied):
        services.apply_for_membership(organizations["b"], bodies["alliance"], by=outsider, category=categories["alliance"], motivation="x")


def test_apply_needs_the_bodys_own_category_and_a_motivation(organizations, focal_points, bodies, categories):
    with pytest.raises(ValidationError) as refused:
        services.apply_for_membership(
            organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["vngoc"], motivation="   "
        )

    assert refused.value.message_dict == {
        "category": ["Choose one of the categories of Alliance."],
        "motivation": ["Say in a few sentences why Harm Reduction Alliance (HRA) wants to join."],
    }
    assert UmbrellaMembership.objects.count() == 0


def test_accept_makes_a_member_on_the_roster_and_tells_the_focal_points(application, coordinators, focal_points, bodies):
    services.accept_membership(application, by=coordinators["alliance"])

    application.refresh_from_db()
    assert (application.status, application.changed_by, application.member_since is not None) == (
        "active", coordinators["alliance"], True
    )
    assert list(roster_of(bodies["alliance"])) == [application]
    assert actions(application) == ["umbrella.membership.applied", "umbrella.membership.accepted"]
    assert sent() == [([focal_points["a"].email], "Harm Reduction Alliance (HRA) is now a member of Alliance")]
    assert "Coordinator of Alliance accepted Harm Reduction Alliance (HRA) as a member of Alliance" in mail.outbox[0].body


def test_decline_needs_a_reason_and_e_mails_it(application, coordinators, focal_points):
    with pytest.raises(ValidationError) as refused:
        services.decline_membership(application, by=coordinators["alliance"], reason="  ")
    assert refused.value.message_dict == {"reason": ["Give a reason: it is e-mailed to the organization's focal points."]}

    services.decline_membership(application, by=coordinators["alliance"], reason="Your work is on drugs: try the VNGOC.")

    application.refresh_from_db()
    assert (application.status, application.reason) == ("declined", "Your work is on drugs: try the VNGOC.")
    assert sent() == [([focal_points["a"].email], "The application of Harm Reduction Alliance (HRA) to Alliance was declined")]
    assert "Reason: Your work is on drugs: try the VNGOC." in mail.outbox[0].body


def test_the_whole_life_of_a_membership_follows_the_allowed_transitions(
    application, coordinators, focal_points, organizations, bodies, categories
):
    coordinator, focal_point = coordinators["alliance"], focal_points["a"]
    statuses = [application.status]
    services.accept_membership(application, by=coordinator)
    statuses.append(UmbrellaMembership.objects.get().status)
    services.suspend_membership(application, by=coordinator, reason="Dues unpaid for two years.")
    statuses.append(UmbrellaMembership.objects.get().status)
    services.reinstate_membership(application, by=coordinator)
    statuses.append(UmbrellaMembership.objects.get().status)
    services.end_membership(application, by=coordinator, reason="The organization has closed its Vienna office.")
    statuses.append(UmbrellaMembership.objects.get().status)
    services.apply_for_membership(organizations["a"], bodies["alliance"], by=focal_point, category=categories["alliance"], motivation="We reopened.")
    statuses.append(UmbrellaMembership.objects.get().status)
    services.withdraw_membership(application, by=focal_point)
    statuses.append(UmbrellaMembership.objects.get().status)

    assert statuses == ["applied", "active", "suspended", "active", "withdrawn", "applied", "withdrawn"]
    assert actions(application) == [
        "umbrella.membership.applied",
        "umbrella.membership.accepted",
        "umbrella.membership.suspended",
        "umbrella.membership.reinstated",
        "umbrella.membership.ended",
        "umbrella.membership.applied",
        "umbrella.membership.withdrawn",
    ]
    assert UmbrellaMembership.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        ("applied", "suspend"), ("applied", "reinstate"), ("applied", "end"),
        ("active", "accept"), ("active", "decline"), ("active", "reinstate"),
        ("suspended", "accept"), ("suspended", "suspend"),
        ("declined", "accept"), ("declined", "withdraw"),
        ("withdrawn", "accept"), ("withdrawn", "end"), ("withdrawn", "withdraw"),
    ],
)
def test_decisions_outside_the_transition_table_are_refused(
    organizations, bodies, categories, csu_officer, focal_points, status, decision
):
    membership = UmbrellaMembership.objects.create(
        organization=organizations["a"], body=bodies["alliance"], category=categories["alliance"], status=status
    )
    actor = focal_points["a"] if decision == "withdraw" else csu_officer

    with pytest.raises(ValidationError):
        services.decide_membership(membership, decision, by=actor, reason="A reason.")

    assert UmbrellaMembership.objects.get().status == status
    assert actions(membership) == []


def test_every_decision_targets_an_allowed_transition():
    for decision in services.DECISIONS.values():
        for status in decision.from_statuses:
            assert decision.to_status in services.TRANSITIONS[status]


def test_only_the_bodys_coordinators_and_csu_decide(application, coordinators, focal_points, outsider, csu_officer):
    for person in (coordinators["vngoc"], focal_points["a"], focal_points["b"], outsider):
        with pytest.raises(PermissionDenied):
            services.accept_membership(application, by=person)
    with pytest.raises(PermissionDenied):
        services.withdraw_membership(application, by=coordinators["alliance"])
    assert UmbrellaMembership.objects.get().status == "applied"

    services.accept_membership(application, by=csu_officer)
    assert UmbrellaMembership.objects.get().status == "active"


def test_a_coordinator_who_is_a_focal_point_of_the_applicant_cannot_decide_and_csu_is_told(
    organizations, focal_points, bodies, categories, coordinators, csu_officer
):
    conflicted = coordinators["alliance"]
    OrganizationMember.objects.create(organization=organizations["a"], user=conflicted)

    membership = services.apply_for_membership(
        organizations["a"], bodies["alliance"], by=focal_points["a"], category=categories["alliance"], motivation="Hello."
    )

    # The only coordinator has a conflict: CSU is asked instead, and lists it as its own to-do.
    assert sent()[-1] == ([csu_officer.email], "Harm Reduction Alliance (HRA) applies to join Alliance")
    assert "the Civil Society Unit decides on it" in mail.outbox[-1].body
    assert list(conflicted_applications()) == [membership]
    with pytest.raises(PermissionDenied):
        services.accept_membership(membership, by=conflicted)

    # A second coordinator without a conflict decides; CSU is no longer needed.
    colleague = make_user("second@alliance.test", full_name="Second Coordinator")
    Coordinator.objects.create(body=bodies["alliance"], user=colleague)
    assert list(conflicted_applications()) == []
    assert [person.email for person in services.deciders_for(membership)] == [colleague.email]
    services.accept_membership(membership, by=colleague)
    assert UmbrellaMembership.objects.get().status == "active"


def test_withdrawing_tells_the_coordinators(application, focal_points, coordinators):
    services.withdraw_membership(application, by=focal_points["a"], note="We merged with another NGO.")

    assert sent() == [
        ([focal_points["a"].email], "The application of Harm Reduction Alliance (HRA) to Alliance was withdrawn"),
        ([coordinators["alliance"].email], "The application of Harm Reduction Alliance (HRA) to Alliance was withdrawn"),
    ]
    assert "Their note: We merged with another NGO." in mail.outbox[1].body


def test_appoint_and_remove_coordinators_are_csu_only_logged_and_e_mailed(bodies, csu_officer, outsider, coordinators):
    body = bodies["vngoc"]
    with pytest.raises(PermissionDenied):
        services.appoint_coordinator(body, user=outsider, by=coordinators["vngoc"])

    services.appoint_coordinator(body, user=outsider, by=csu_officer)
    with pytest.raises(ValidationError) as twice:
        services.appoint_coordinator(body, user=outsider, by=csu_officer)
    assert twice.value.message_dict == {"email": ["Olga Outsider is already a coordinator of VNGOC."]}
    services.remove_coordinator(body, user=outsider, by=csu_officer)

    assert list(body.coordinator_links.values_list("user__email", flat=True)) == [coordinators["vngoc"].email]
    content_type = ContentType.objects.get_for_model(body)
    assert list(
        ActivityLog.objects.filter(content_type=content_type, object_id=str(body.pk)).order_by("id").values_list("action", "actor")
    ) == [("umbrella.coordinator.appointed", csu_officer.pk), ("umbrella.coordinator.removed", csu_officer.pk)]
    assert sent() == [
        ([outsider.email], "You are now a coordinator of VNGOC"),
        ([outsider.email], "You are no longer a coordinator of VNGOC"),
    ]


def _race(target, people):
    """Run target(person) for each person at the same time, each in its own database connection."""
    barrier = threading.Barrier(len(people))
    outcomes = {}

    def run(person):
        try:
            barrier.wait()
            target(person)
            outcomes[person.email] = "done"
        except ValidationError as error:
            outcomes[person.email] = error.messages[0]
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_two_coordinators_deciding_at_once_end_in_one_decision(application, bodies, coordinators):
    colleague = make_user("second@alliance.test", full_name="Second Coordinator")
    Coordinator.objects.create(body=bodies["alliance"], user=colleague)
    first = coordinators["alliance"]

    def decide(person):
        if person == first:
            services.accept_membership(application, by=person)
        else:
            services.decline_membership(application, by=person, reason="Not our field.")

    outcomes = _race(decide, [first, colleague])

    membership = UmbrellaMembership.objects.get()
    winner = membership.changed_by
    loser = colleague if winner == first else first
    assert outcomes[winner.email] == "done"
    assert outcomes[loser.email].startswith(f"{winner} already decided on ")
    assert outcomes[loser.email].endswith(f": the membership is now {membership.get_status_display().lower()}. Nothing else was changed.")
    assert actions(membership) == ["umbrella.membership.applied", "umbrella.membership.accepted" if winner == first else "umbrella.membership.declined"]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_two_focal_points_applying_at_once_end_in_one_application(organizations, focal_points, bodies, categories, coordinators):
    colleague = make_user("colleague@hra.test", full_name="Colleague")
    OrganizationMember.objects.create(organization=organizations["a"], user=colleague)

    def apply(person):
        try:
            services.apply_for_membership(
                organizations["a"], bodies["alliance"], by=person, category=categories["alliance"], motivation="Please."
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict["organization"][0]) from error

    outcomes = _race(apply, [focal_points["a"], colleague])

    assert sorted(outcome == "done" for outcome in outcomes.values()) == [False, True]
    assert UmbrellaMembership.objects.count() == 1
    assert [outcome for outcome in outcomes.values() if outcome != "done"][0].endswith("the application waits for a decision.")


def test_an_organization_losing_its_verification_leaves_the_roster(application, coordinators, bodies, organizations):
    services.accept_membership(application, by=coordinators["alliance"])
    Organization.objects.filter(pk=organizations["a"].pk).update(verification_state=VerificationState.ARCHIVED)

    assert list(roster_of(bodies["alliance"])) == []
    assert UmbrellaMembership.objects.get().status == MembershipStatus.ACTIVE
