"""Predicates and permissions about sessions and registrations."""

import rules

from organizations.rules import is_focal_point_of
from portal.rules import is_csu_staff
from umbrella.rules import coordinated_body_ids

from .enums import Channel, RegistrationStatus

# A focal point edits a registration in these states (an approved one goes back to CSU once changed).
EDITABLE_STATUSES = (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED, RegistrationStatus.APPROVED)
WITHDRAWABLE_STATUSES = (
    RegistrationStatus.DRAFT,
    RegistrationStatus.RETURNED,
    RegistrationStatus.SUBMITTED,
    RegistrationStatus.AWAITING_ENDORSEMENT,
    RegistrationStatus.ENDORSED,
)


@rules.predicate
def is_focal_point_of_registrant(user, registration) -> bool:
    return registration is not None and is_focal_point_of(user, registration.organization)


# A draft (and a draft that expired) is the organization's own business: the body sees it once submitted.
UNSUBMITTED_STATUSES = (RegistrationStatus.DRAFT, RegistrationStatus.EXPIRED)


@rules.predicate
def is_coordinator_of_registration_body(user, registration) -> bool:
    return (
        registration is not None
        and registration.channel == Channel.UMBRELLA
        and registration.status not in UNSUBMITTED_STATUSES
        and registration.umbrella_body_id in coordinated_body_ids(user)
    )


@rules.predicate
def registration_is_editable(user, registration) -> bool:
    return registration is not None and registration.status in EDITABLE_STATUSES


@rules.predicate
def registration_is_withdrawable(user, registration) -> bool:
    return registration is not None and registration.status in WITHDRAWABLE_STATUSES


rules.add_perm("sessions.manage_sessions", is_csu_staff)
rules.add_perm("sessions.review_registrations", is_csu_staff)
rules.add_perm(
    "sessions.view_registration",
    is_focal_point_of_registrant | is_coordinator_of_registration_body | is_csu_staff,
)
# Passport numbers and dates of birth: CSU and the organization's own focal points only.
rules.add_perm("sessions.see_personal_data", is_focal_point_of_registrant | is_csu_staff)
rules.add_perm("sessions.edit_registration", is_focal_point_of_registrant & registration_is_editable)
rules.add_perm("sessions.withdraw_registration", is_focal_point_of_registrant & registration_is_withdrawable)
# The role alone, whatever the state: a service then says why a state does not allow the step.
rules.add_perm("sessions.act_for_registrant", is_focal_point_of_registrant)
# A coordinator who is a focal point of the registering organization may not endorse it.
rules.add_perm(
    "sessions.endorse_registration",
    (is_coordinator_of_registration_body & ~is_focal_point_of_registrant) | is_csu_staff,
)
# Statistics: exact gender and nationality counts (the public sees small cells suppressed), and comparisons.
rules.add_perm("sessions.view_exact_statistics", is_csu_staff)
rules.add_perm("sessions.compare_sessions", is_csu_staff)
