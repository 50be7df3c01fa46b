"""Role predicates that every app uses. Roles come from data, never from flags."""

import rules


def _read_roles(user) -> None:
    """Answer the three roles (and whether the person has MFA) on the user object, in one query."""
    from .roles import read_roles  # portal.roles asks these predicates

    read_roles(user)


@rules.predicate
def is_csu_staff(user) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "_is_csu_staff", None) is None:
        _read_roles(user)
    return user._is_csu_staff


@rules.predicate
def is_coordinator(user) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "_is_coordinator", None) is None:
        _read_roles(user)
    return user._is_coordinator


@rules.predicate
def is_focal_point(user) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "_is_focal_point", None) is None:
        _read_roles(user)
    return user._is_focal_point


# People whose decisions affect other organizations must protect their login with MFA.
needs_mfa = is_csu_staff | is_coordinator

rules.add_perm("portal.view_activity_log", is_csu_staff)
rules.add_perm("portal.view_undelivered_notifications", is_csu_staff)
rules.add_perm("portal.resend_notification", is_csu_staff)
