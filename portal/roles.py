"""Role helpers: what a person is in the portal, for navigation and dashboards."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator

from . import rules as portal_rules


@dataclass(frozen=True)
class Roles:
    csu_staff: bool = False
    coordinator: bool = False
    focal_point: bool = False

    @property
    def needs_mfa(self) -> bool:
        return self.csu_staff or self.coordinator

    @property
    def any(self) -> bool:
        return self.csu_staff or self.coordinator or self.focal_point


def roles_of(user) -> Roles:
    """The person's roles, computed once per request object."""
    if not user.is_authenticated:
        return Roles()
    return Roles(
        csu_staff=portal_rules.is_csu_staff(user),
        coordinator=portal_rules.is_coordinator(user),
        focal_point=portal_rules.is_focal_point(user),
    )


def has_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_has_mfa", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._has_mfa = cached
    return cached
