"""Reads about umbrella bodies: the public rosters, a coordinator's members, a membership's history."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from organizations.enums import VerificationState
from organizations.models import OrganizationMember
from organizations.rules import is_focal_point_of
from portal.models import ActivityLog
from portal.rules import is_csu_staff

from .enums import MembershipStatus
from .models import Coordinator, UmbrellaBody, UmbrellaMembership
from .rules import coordinated_body_ids

# Members are organizations whose membership is active or suspended (a suspension can be lifted).
MEMBER_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED)
ON_ROSTER = Q(memberships__status=MembershipStatus.ACTIVE, memberships__organization__verification_state=VerificationState.VERIFIED)


def bodies_for_list() -> QuerySet[UmbrellaBody]:
    """The bodies with the commissions they cover and how many members their public roster lists."""
    # An annotated query groups, and Django then drops Meta.ordering: the order is said here.
    return (
        UmbrellaBody.objects.annotate(roster_size=Count("memberships", filter=ON_ROSTER))
        .prefetch_related("commissions")
        .order_by("name")
    )


def body_profile(slug: str) -> UmbrellaBody | None:
    return (
        UmbrellaBody.objects.filter(slug=slug)
        .prefetch_related(
            "commissions",
            "categories",
            Prefetch(
                "coordinator_links",
                queryset=Coordinator.objects.filter(user__is_active=True).select_related("user").order_by("appointed_at", "pk"),
            ),
        )
        .first()
    )


def roster_of(body: UmbrellaBody) -> QuerySet[UmbrellaMembership]:
    """The public roster: active members whose organization CSU has verified, by name."""
    return (
        body.memberships.filter(status=MembershipStatus.ACTIVE, organization__verification_state=VerificationState.VERIFIED)
        .select_related("organization", "category")
        .order_by("organization__name", "pk")
    )


def memberships_managed_by(user, body: UmbrellaBody) -> QuerySet[UmbrellaMembership]:
    """The body's memberships for its coordinators and CSU; nothing for anyone else."""
    if not (is_csu_staff(user) or body.pk in coordinated_body_ids(user)):
        return UmbrellaMembership.objects.none()
    return body.memberships.select_related("organization", "category", "changed_by")


def pending_applications(memberships: QuerySet[UmbrellaMembership]) -> QuerySet[UmbrellaMembership]:
    return memberships.filter(status=MembershipStatus.APPLIED).order_by("applied_at", "pk")


def members_of(memberships: QuerySet[UmbrellaMembership]) -> QuerySet[UmbrellaMembership]:
    return memberships.filter(status__in=MEMBER_STATUSES).order_by("organization__name", "pk")


def memberships_of_organization(organization, user) -> list[UmbrellaMembership]:
    """The organization's memberships: its active ones for everyone; all of them for its focal points, the bodies' coordinators and CSU."""
    memberships = organization.umbrella_memberships.select_related("body", "category").order_by("body__name")
    if is_csu_staff(user):
        return list(memberships)
    if is_focal_point_of(user, organization):
        return list(memberships)
    visible = Q(status=MembershipStatus.ACTIVE)
    if user.is_authenticated:
        visible |= Q(body_id__in=coordinated_body_ids(user))
    return list(memberships.filter(visible))


def membership_history(membership: UmbrellaMembership) -> QuerySet[ActivityLog]:
    """Every step of the membership, oldest first, with who took it."""
    content_type = ContentType.objects.get_for_model(UmbrellaMembership)
    return (
        ActivityLog.objects.filter(content_type=content_type, object_id=str(membership.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def conflicted_applications() -> QuerySet[UmbrellaMembership]:
    """Pending applications that only CSU can decide: every coordinator of the body is a focal point of the organization."""
    free_coordinator = Coordinator.objects.filter(body=OuterRef("body"), user__is_active=True).exclude(
        user__in=OrganizationMember.objects.filter(organization=OuterRef(OuterRef("organization"))).values("user")
    )
    return UmbrellaMembership.objects.filter(status=MembershipStatus.APPLIED).exclude(Exists(free_coordinator))
