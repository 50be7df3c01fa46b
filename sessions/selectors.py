"""Reads of sessions."""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from organizations.models import OrganizationMember
from portal.compiled import compiled_read
from portal.models import ActivityLog
from portal.rules import is_csu_staff
from umbrella.rules import coordinated_body_ids

from .enums import RegistrationStatus
from .models import LIVE_STATUSES, Participant, Registration, Session


def upcoming_sessions() -> QuerySet[Session]:
    """Sessions that have not ended yet, soonest first."""
    return (
        Session.objects.filter(end_date__gte=timezone.localdate())
        .select_related("commission")
        .order_by("start_date", "commission__abbreviation")
    )


def past_sessions() -> QuerySet[Session]:
    return (
        Session.objects.filter(end_date__lt=timezone.localdate())
        .select_related("commission")
        .order_by("-start_date", "commission__abbreviation")
    )


def open_for_registration(now=None) -> QuerySet[Session]:
    now = now or timezone.now()
    return upcoming_sessions().filter(registration_opens__lte=now, registration_closes__gt=now)


@compiled_read
def registration_with_context(registration_id: int) -> QuerySet[Registration]:
    """The registration with its session and commission, organization, umbrella body and decider, as its pages
    show it: a read of every registration page and of every submission, its SQL built once (portal.compiled)."""
    return (
        Registration.objects.select_related("session__commission", "organization", "umbrella_body", "decided_by")
        .filter(pk=registration_id)
        .order_by()
    )


@compiled_read
def _participants(registration_id: int) -> QuerySet[Participant]:
    return Participant.objects.filter(registration_id=registration_id)


def participants_of(registration: Registration) -> list[Participant]:
    """The delegation in its order, each participant with its registration, as registration.participants.all() gives
    them: a read of the delegation's form and of every save under the registration's lock, its SQL built once."""
    participants = _participants(registration.pk)
    for participant in participants:
        Participant.registration.field.set_cached_value(participant, registration)
    return participants


def registrations_visible_to(user) -> QuerySet[Registration]:
    """CSU: every registration. A focal point: their organizations'. A coordinator: those made through their bodies
    and past the draft stage. Anyone else: none."""
    registrations = Registration.objects.select_related("session__commission", "organization", "umbrella_body")
    if not user.is_authenticated:
        return registrations.none()
    if is_csu_staff(user):
        return registrations
    visible = Q(organization__in=OrganizationMember.objects.filter(user=user).values("organization_id"))
    bodies = coordinated_body_ids(user)
    if bodies:
        visible |= Q(umbrella_body_id__in=bodies) & ~Q(status__in=(RegistrationStatus.DRAFT, RegistrationStatus.EXPIRED))
    return registrations.filter(visible)


def registrations_of_focal_point(user) -> QuerySet[Registration]:
    """The registrations of this person's organizations, newest session first."""
    return (
        Registration.objects.filter(organization__in=OrganizationMember.objects.filter(user=user).values("organization_id"))
        .select_related("session__commission", "organization", "umbrella_body")
        .annotate(participant_count=Count("participants"))
        .order_by("-session__start_date", "organization__name", "pk")
    )


def registration_timeline(registration: Registration) -> QuerySet[ActivityLog]:
    """Who did what when to this registration, oldest first."""
    content_type = ContentType.objects.get_for_model(Registration)
    return (
        ActivityLog.objects.filter(content_type=content_type, object_id=str(registration.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def participant_count_of_row():
    """How many participants a registration has, read per row (a subquery, not a join and GROUP BY): a page of
    50 rows counts its own participants, and the page count and status counts do not read any."""
    counts = (
        Participant.objects.filter(registration=OuterRef("pk")).order_by().values("registration").annotate(count=Count("pk")).values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def registrations_for_review(session: Session) -> QuerySet[Registration]:
    """A session's registrations as CSU reviews them: everything past the draft stage, with participant counts."""
    return (
        session.registrations.exclude(status__in=(RegistrationStatus.DRAFT, RegistrationStatus.EXPIRED))
        .select_related("organization", "umbrella_body", "decided_by")
        .annotate(participant_count=participant_count_of_row())
        .order_by("submitted_at", "pk")
    )


def review_queue_countries(session: Session) -> list[str]:
    """The headquarters countries of the organizations in a session's review queue (the queue's country filter offers
    only these), kept in the cache until a registration of the session or an organization changes (statistics.cache_key)."""
    from .statistics import STATISTICS_SECONDS, cache_key

    key = cache_key("queue-countries", session.pk)
    codes = cache.get(key)
    if codes is None:
        codes = sorted(
            registrations_for_review(session).order_by().values_list("organization__headquarters_country", flat=True).distinct()
        )
        cache.set(key, codes, STATISTICS_SECONDS)
    return codes


def endorsement_queue(body) -> QuerySet[Registration]:
    """Registrations made through the body, awaiting its endorsement first."""
    return (
        body.registrations.exclude(status__in=(RegistrationStatus.DRAFT, RegistrationStatus.EXPIRED))
        .select_related("session__commission", "organization")
        .annotate(participant_count=Count("participants"))
        .order_by("-session__start_date", "submitted_at", "pk")
    )


def upcoming_participation(organization_ids) -> dict[int, list[Registration]]:
    """For each organization, its submitted registrations to sessions that have not ended, soonest first
    (drafts are the organization's own business)."""
    registrations = (
        Registration.objects.filter(
            organization_id__in=organization_ids,
            session__end_date__gte=timezone.localdate(),
            status__in=LIVE_STATUSES,
        )
        .exclude(status=RegistrationStatus.DRAFT)
        .select_related("session__commission")
        .order_by("session__start_date", "pk")
    )
    by_organization: dict[int, list[Registration]] = {}
    for registration in registrations:
        by_organization.setdefault(registration.organization_id, []).append(registration)
    return by_organization
