"""Role helpers: what a person is in the portal, for navigation and dashboards."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists

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
    """The person's roles, read from the database once per user object (that is, once per request).

    The three roles are read in one query, with the same questions as portal.rules asks one by one
    (and which it then finds answered on the user object): at most one query, and none when the
    rules have already answered all three in this request.
    """
    if not user.is_authenticated:
        return Roles()
    if any(getattr(user, name, None) is None for name in _ROLE_ATTRIBUTES):
        _read_roles(user)
    return Roles(
        csu_staff=portal_rules.is_csu_staff(user),
        coordinator=portal_rules.is_coordinator(user),
        focal_point=portal_rules.is_focal_point(user),
    )


# Where portal.rules keeps each answer on the user object, in the order of Roles' fields.
_ROLE_ATTRIBUTES = ("_is_csu_staff", "_is_coordinator", "_is_focal_point")


def _read_roles(user) -> None:
    found = (
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .values_list(
            Exists(user.groups.filter(name=settings.CSU_STAFF_GROUP)),
            Exists(user.coordinated_bodies.all()),
            Exists(user.organization_memberships.all()),
        )
        .first()
    ) or (False, False, False)
    for name, value in zip(_ROLE_ATTRIBUTES, found, strict=True):
        if getattr(user, name, None) is None:
            setattr(user, name, value)


def has_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_has_mfa", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._has_mfa = cached
    return cached
