"""Predicates and permissions about umbrella bodies and their members."""

import rules

from organizations.enums import VerificationState
from organizations.rules import is_focal_point_of
from portal.rules import is_csu_staff


def coordinated_body_ids(user) -> frozenset[int]:
    """The bodies this person coordinates, read once per request object."""
    if not user.is_authenticated:
        return frozenset()
    cached = user.__dict__.get("_coordinated_body_ids")
    if cached is None:
        cached = frozenset(user.coordinator_links.values_list("body_id", flat=True))
        user.__dict__["_coordinated_body_ids"] = cached
    return cached


@rules.predicate
def is_coordinator_of(user, body) -> bool:
    return body is not None and body.pk in coordinated_body_ids(user)


@rules.predicate
def is_coordinator_of_membership_body(user, membership) -> bool:
    return membership is not None and membership.body_id in coordinated_body_ids(user)


@rules.predicate
def is_focal_point_of_member(user, membership) -> bool:
    return membership is not None and is_focal_point_of(user, membership.organization)


@rules.predicate
def can_apply_for(user, organization) -> bool:
    return (
        organization is not None
        and organization.verification_state == VerificationState.VERIFIED
        and is_focal_point_of(user, organization)
    )


# A coordinator who is also a focal point of the organization has a conflict of interest:
# CSU decides on that organization's membership instead.
has_conflict_of_interest = is_coordinator_of_membership_body & is_focal_point_of_member

rules.add_perm("umbrella.manage_body", is_coordinator_of | is_csu_staff)
rules.add_perm("umbrella.appoint_coordinators", is_csu_staff)
rules.add_perm(
    "umbrella.view_membership", is_coordinator_of_membership_body | is_focal_point_of_member | is_csu_staff
)
rules.add_perm("umbrella.see_membership_history", is_coordinator_of_membership_body | is_csu_staff)
rules.add_perm(
    "umbrella.decide_membership", (is_coordinator_of_membership_body & ~is_focal_point_of_member) | is_csu_staff
)
rules.add_perm("umbrella.withdraw_membership", is_focal_point_of_member)
rules.add_perm("umbrella.apply_for_membership", can_apply_for)
# Members' participation in sessions: the body's coordinators and CSU.
rules.add_perm("umbrella.view_participation", is_coordinator_of | is_csu_staff)
