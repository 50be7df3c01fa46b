"""Role helpers: what a person is in the portal, for navigation and dashboards."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

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

    A signed-in person's user object comes with its roles already read (portal.backends); for any
    other, the first role asked reads them all, and whether it has MFA, in one query (read_roles).
    """
    if not user.is_authenticated:
        return Roles()
    return Roles(
        csu_staff=portal_rules.is_csu_staff(user),
        coordinator=portal_rules.is_coordinator(user),
        focal_point=portal_rules.is_focal_point(user),
    )


# Where portal.rules and has_mfa keep each answer on the user object, and the question that answers it.
def role_questions(person: str = "pk") -> dict:
    """{attribute: Exists(...)} about the user whose id is the query's `person` column (OuterRef): a user query
    annotated with these reads the three roles and whether the person has set up TOTP along with the person
    (a session query too, with person="user_id")."""
    from organizations.models import OrganizationMember
    from umbrella.models import Coordinator

    groups = get_user_model().groups.through
    return {
        "_is_csu_staff": Exists(groups.objects.filter(user_id=OuterRef(person), group__name=settings.CSU_STAFF_GROUP)),
        "_is_coordinator": Exists(Coordinator.objects.filter(user_id=OuterRef(person))),
        "_is_focal_point": Exists(OrganizationMember.objects.filter(user_id=OuterRef(person))),
        "_has_mfa": Exists(Authenticator.objects.filter(user_id=OuterRef(person), type=Authenticator.Type.TOTP)),
    }


def read_roles(user) -> None:
    """Answer on the user object, in one query, every question of role_questions() not answered yet."""
    questions = role_questions()
    found = get_user_model()._default_manager.filter(pk=user.pk).values_list(*questions.values()).first()
    for name, value in zip(questions, found or (False,) * len(questions), strict=True):
        if getattr(user, name, None) is None:
            setattr(user, name, value)


def has_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "_has_mfa", None) is None:
        read_roles(user)
    return user._has_mfa
