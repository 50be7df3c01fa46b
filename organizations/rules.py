"""Predicates about organizations."""

import rules


@rules.predicate
def is_focal_point_of(user, organization) -> bool:
    if not user.is_authenticated or organization is None:
        return False
    return organization.members.filter(user=user).exists()
