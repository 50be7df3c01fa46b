"""Predicates and permissions about side events."""

import rules

from organizations.models import OrganizationMember
from organizations.rules import is_focal_point_of
from portal.rules import is_csu_staff

from .enums import SideEventStatus

EDITABLE_STATUSES = (SideEventStatus.DRAFT, SideEventStatus.RETURNED)


@rules.predicate
def is_focal_point_of_lead_organizer(user, event) -> bool:
    return event is not None and is_focal_point_of(user, event.lead_organization)


@rules.predicate
def is_focal_point_of_a_co_organizer(user, event) -> bool:
    if event is None or not user.is_authenticated:
        return False
    return OrganizationMember.objects.filter(
        user=user, organization__in=event.co_organizers.values("organization_id")
    ).exists()


@rules.predicate
def is_editable(user, event) -> bool:
    return event is not None and event.status in EDITABLE_STATUSES


rules.add_perm("events.review", is_csu_staff)
rules.add_perm("events.schedule", is_csu_staff)
rules.add_perm("events.view_application", is_focal_point_of_lead_organizer | is_focal_point_of_a_co_organizer | is_csu_staff)
rules.add_perm("events.edit_application", is_focal_point_of_lead_organizer & is_editable)
rules.add_perm("events.act_for_lead_organizer", is_focal_point_of_lead_organizer)
