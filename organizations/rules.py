"""Predicates and permissions about organizations."""

import rules

from portal.compiled import compiled_read
from portal.rules import is_csu_staff

from .enums import VerificationState


@compiled_read
def _membership(organization_id: int, user_id: int):
    """Whether the person is a focal point of the organization: a read of nearly every focal point's page."""
    from .models import OrganizationMember

    return OrganizationMember.objects.filter(organization_id=organization_id, user_id=user_id).only("pk").order_by()[:1]


@rules.predicate
def is_focal_point_of(user, organization) -> bool:
    if not user.is_authenticated or organization is None:
        return False
    cache = user.__dict__.setdefault("_focal_point_of", {})
    if organization.pk not in cache:
        cache[organization.pk] = bool(_membership(organization.pk, user.pk))
    return cache[organization.pk]


@rules.predicate
def is_verified(user, organization) -> bool:
    return organization is not None and organization.verification_state == VerificationState.VERIFIED


@rules.predicate
def is_focal_point_of_requested_organization(user, join_request) -> bool:
    return join_request is not None and is_focal_point_of(user, join_request.organization)


can_edit = is_focal_point_of | is_csu_staff

rules.add_perm("organizations.change_profile", can_edit)
rules.add_perm("organizations.manage_members", can_edit)
rules.add_perm("organizations.decide_join_request", is_focal_point_of_requested_organization | is_csu_staff)
rules.add_perm("organizations.verify", is_csu_staff)
rules.add_perm("organizations.see_private_fields", is_csu_staff)
rules.add_perm("organizations.merge", is_csu_staff)
rules.add_perm("organizations.import_export", is_csu_staff)
