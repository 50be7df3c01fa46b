"""Role predicates that every app uses. Roles come from data, never from flags."""

import rules
from django.conf import settings


@rules.predicate
def is_csu_staff(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_csu_staff", None)
    if cached is None:
        cached = user.groups.filter(name=settings.CSU_STAFF_GROUP).exists()
        user._is_csu_staff = cached
    return cached


@rules.predicate
def is_coordinator(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_coordinator", None)
    if cached is None:
        cached = user.coordinated_bodies.exists()
        user._is_coordinator = cached
    return cached


@rules.predicate
def is_focal_point(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_focal_point", None)
    if cached is None:
        cached = user.organization_memberships.exists()
        user._is_focal_point = cached
    return cached


# People whose decisions affect other organizations must protect their login with MFA.
needs_mfa = is_csu_staff | is_coordinator

rules.add_perm("portal.view_activity_log", is_csu_staff)
rules.add_perm("portal.view_undelivered_notifications", is_csu_staff)
rules.add_perm("portal.resend_notification", is_csu_staff)
