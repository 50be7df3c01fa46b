"""The daily digest: one e-mail a day to each coordinator and CSU officer of what waits for them."""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from events.enums import SideEventStatus
from events.models import SideEvent
from organizations.enums import VerificationState
from organizations.models import Organization, OrganizationMember
from sessions.enums import RegistrationStatus
from sessions.models import Registration, Session
from umbrella.enums import MembershipStatus
from umbrella.models import Coordinator, UmbrellaBody, UmbrellaMembership
from umbrella.selectors import conflicted_applications

from .models import DigestSent, User
from .services import notify

logger = logging.getLogger(__name__)

# CSU decides direct registrations once submitted, and umbrella ones once their body endorsed them.
AWAITING_CSU = (RegistrationStatus.SUBMITTED, RegistrationStatus.ENDORSED)


@dataclass(frozen=True)
class BodyItems:
    """What waits for a coordinator in one body they coordinate."""

    body: UmbrellaBody
    applications: int
    endorsements: int

    @property
    def total(self) -> int:
        return self.applications + self.endorsements

    @property
    def dashboard_path(self) -> str:
        return reverse("umbrella:dashboard", kwargs={"slug": self.body.slug})

    @property
    def endorsements_path(self) -> str:
        return reverse("umbrella:endorsements", kwargs={"slug": self.body.slug})


@dataclass(frozen=True)
class SessionItems:
    """What waits for CSU in one session."""

    session: Session
    registrations: int
    side_events: int

    @property
    def total(self) -> int:
        return self.registrations + self.side_events

    @property
    def registrations_path(self) -> str:
        return reverse("sessions:review_queue", kwargs=self._address())

    @property
    def side_events_path(self) -> str:
        return reverse("sessions:side_event_queue", kwargs=self._address())

    def _address(self) -> dict[str, Any]:
        return {"commission": self.session.commission.code, "number": self.session.number}


@dataclass(frozen=True)
class ConflictedItems:
    """Membership applications to a body that only CSU can decide."""

    body: UmbrellaBody
    applications: int

    @property
    def dashboard_path(self) -> str:
        return reverse("umbrella:dashboard", kwargs={"slug": self.body.slug})


@dataclass(frozen=True)
class CsuItems:
    """What waits for every CSU officer (the same for all of them)."""

    sessions: list[SessionItems]
    organizations: int
    conflicted: list[ConflictedItems]

    @property
    def total(self) -> int:
        return (
            sum(item.total for item in self.sessions)
            + self.organizations
            + sum(item.applications for item in self.conflicted)
        )

    @property
    def organizations_path(self) -> str:
        return reverse("organizations:review_queue")


def send_daily_digests(*, now: dt.datetime | None = None) -> int:
    """Queue today's digest to each active coordinator and CSU officer for whom something waits.

    "Today" is the day of `now` (default: the current time) in settings.TIME_ZONE. Side
    effects, per person and in one transaction: writes the person's DigestSent row for the
    day, then queues one "digest" notification (delivered after commit). A person who already
    has the day's row (an earlier or a concurrent run), or for whom nothing waits, gets nothing.
    Returns how many digests this call queued.
    """
    now = now or timezone.now()
    day = timezone.localdate(now, timezone.get_default_timezone())
    recipients = list(_recipients(day))
    coordinated = _waiting_in_bodies([user.pk for user in recipients if user.digest_coordinator])
    csu = _waiting_for_csu() if any(user.digest_csu for user in recipients) else None

    queued = 0
    for user in recipients:
        context = {
            "coordinated": coordinated.get(user.pk, []),
            "csu": csu if user.digest_csu and csu is not None and csu.total else None,
        }
        context["total"] = sum(item.total for item in context["coordinated"]) + (
            context["csu"].total if context["csu"] else 0
        )
        if context["total"] and _queue_digest(user, day, context):
            queued += 1
    logger.info("Queued %s daily digests for %s", queued, day)
    return queued


def _queue_digest(user: User, day: dt.date, context: dict[str, Any]) -> bool:
    # The row comes first: a concurrent run blocks on the unique constraint until this
    # transaction ends, then finds the row and skips; a rollback takes both away.
    with transaction.atomic():
        _, created = DigestSent.objects.get_or_create(user=user, day=day)
        if not created:
            return False
        notify(user, "digest", context)
    return True


def _recipients(day: dt.date) -> QuerySet[User]:
    """Active CSU officers and coordinators who have not had the day's digest yet."""
    in_csu_group = Group.objects.filter(name=settings.CSU_STAFF_GROUP, user=OuterRef("pk"))
    return (
        User.objects.filter(is_active=True)
        .annotate(
            digest_csu=Exists(in_csu_group),
            digest_coordinator=Exists(Coordinator.objects.filter(user=OuterRef("pk"))),
        )
        .filter(Q(digest_csu=True) | Q(digest_coordinator=True))
        .exclude(Exists(DigestSent.objects.filter(user=OuterRef("pk"), day=day)))
        .order_by("pk")
    )


def _waiting_in_bodies(user_ids: list[int]) -> dict[int, list[BodyItems]]:
    """For each coordinator, per body: pending applications and delegations awaiting endorsement.

    An organization the coordinator is a focal point of is left out (a conflict of
    interest: CSU decides those).
    """
    if not user_ids:
        return {}
    # Inside the counted subqueries: OuterRef("organization") is the counted row's,
    # OuterRef(OuterRef("user")) the coordinator's.
    own_organization = OrganizationMember.objects.filter(
        user=OuterRef(OuterRef("user")), organization=OuterRef("organization")
    )
    applications = UmbrellaMembership.objects.filter(
        body=OuterRef("body"), status=MembershipStatus.APPLIED
    ).exclude(Exists(own_organization))
    endorsements = Registration.objects.filter(
        umbrella_body=OuterRef("body"), status=RegistrationStatus.AWAITING_ENDORSEMENT
    ).exclude(Exists(own_organization))
    links = (
        Coordinator.objects.filter(user_id__in=user_ids)
        .select_related("body")
        .annotate(
            applications_waiting=_count(applications),
            endorsements_waiting=_count(endorsements),
        )
        .filter(Q(applications_waiting__gt=0) | Q(endorsements_waiting__gt=0))
        .order_by("user_id", "body__name", "body_id")
    )
    waiting: dict[int, list[BodyItems]] = {}
    for link in links:
        waiting.setdefault(link.user_id, []).append(
            BodyItems(link.body, link.applications_waiting, link.endorsements_waiting)
        )
    return waiting


def _waiting_for_csu() -> CsuItems:
    """Registrations and side events to review per session, organizations to verify,
    and membership applications no coordinator may decide."""
    sessions = (
        Session.objects.select_related("commission")
        .annotate(
            registrations_waiting=_count(
                Registration.objects.filter(session=OuterRef("pk"), status__in=AWAITING_CSU)
            ),
            side_events_waiting=_count(
                SideEvent.objects.filter(session=OuterRef("pk"), status=SideEventStatus.SUBMITTED)
            ),
        )
        .filter(Q(registrations_waiting__gt=0) | Q(side_events_waiting__gt=0))
        .order_by("start_date", "commission__abbreviation", "number")
    )
    bodies = (
        UmbrellaBody.objects.annotate(
            conflicted_waiting=_count(conflicted_applications().filter(body=OuterRef("pk")))
        )
        .filter(conflicted_waiting__gt=0)
        .order_by("name", "pk")
    )
    pending = Organization.objects.filter(verification_state=VerificationState.PENDING)
    return CsuItems(
        sessions=[
            SessionItems(session, session.registrations_waiting, session.side_events_waiting)
            for session in sessions
        ],
        organizations=pending.count(),
        conflicted=[ConflictedItems(body, body.conflicted_waiting) for body in bodies],
    )


def _count(queryset: QuerySet) -> Subquery:
    """The number of rows of a correlated queryset, as an expression for annotate()."""
    counted = queryset.order_by().annotate(
        _rows=Func(F("pk"), function="COUNT", output_field=IntegerField())
    )
    return Subquery(counted.values("_rows"), output_field=IntegerField())
