"""Predicates about umbrella bodies."""

import rules


@rules.predicate
def is_coordinator_of(user, body) -> bool:
    if not user.is_authenticated or body is None:
        return False
    return body.coordinator_links.filter(user=user).exists()
