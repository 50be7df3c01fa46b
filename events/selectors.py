"""Reads of side events: a focal point's applications, CSU's queue, the public programme, panel indicators."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from organizations.enums import RegionalGroup
from organizations.models import OrganizationMember
from organizations.regions import regional_group_for

from .enums import CoOrganizerStatus, SideEventStatus
from .models import CoOrganizer, SideEvent


def applications_of_focal_point(user) -> QuerySet[SideEvent]:
    """Side events led or co-organized by this person's organizations, newest session first."""
    own = OrganizationMember.objects.filter(user=user).values("organization_id")
    return (
        SideEvent.objects.filter(Q(lead_organization__in=own) | Q(co_organizers__organization__in=own))
        .distinct()
        .select_related("session__commission", "lead_organization", "room", "slot")
        .order_by("-session__start_date", "title", "pk")
    )


def review_queue(session) -> QuerySet[SideEvent]:
    """A session's applications past the draft stage, first come first served (a draft withdrawn unsent never reached CSU)."""
    return (
        session.side_events.exclude(status=SideEventStatus.DRAFT)
        .exclude(status=SideEventStatus.WITHDRAWN, submitted_at__isnull=True)
        .select_related("lead_organization", "room", "slot", "decided_by")
        .order_by("submitted_at", "pk")
    )


CONFIRMED_CO_ORGANIZERS = Prefetch(
    "co_organizers",
    queryset=CoOrganizer.objects.filter(status=CoOrganizerStatus.CONFIRMED).select_related("organization"),
    to_attr="confirmed_co_organizers",
)


def programme(session, *, include_cancelled: bool = False) -> QuerySet[SideEvent]:
    """The public programme: accepted events placed in a room and slot, in time order (and cancelled ones, for feeds)."""
    statuses = [SideEventStatus.ACCEPTED, SideEventStatus.CANCELLED] if include_cancelled else [SideEventStatus.ACCEPTED]
    return (
        session.side_events.filter(status__in=statuses, slot__isnull=False)
        .select_related("lead_organization", "room", "slot", "session__commission")
        .prefetch_related("themes", "speakers", CONFIRMED_CO_ORGANIZERS)
        .order_by("slot__starts_at", "room__name", "pk")
    )


def public_events() -> QuerySet[SideEvent]:
    """Every event a visitor may open on its own page: scheduled or cancelled after being published."""
    return (
        SideEvent.objects.filter(status__in=[SideEventStatus.ACCEPTED, SideEventStatus.CANCELLED], slot__isnull=False)
        .select_related("lead_organization", "room", "slot", "session__commission")
        .prefetch_related("themes", "speakers", CONFIRMED_CO_ORGANIZERS)
    )


@dataclass(frozen=True)
class PanelIndicators:
    speakers: int
    women: int
    men: int
    other: int
    regions: tuple[str, ...]  # the UN regional groups represented, by label
    countries: int

    @property
    def balanced(self) -> bool:
        """Neither women nor men make up more than 60 % of the speakers (with at least two)."""
        if self.speakers < 2:
            return False
        return max(self.women, self.men) <= 0.6 * self.speakers


def panel_indicators(speakers: Iterable) -> PanelIndicators:
    """Gender balance and regions of a list of speakers (models or objects with .gender and .country)."""
    genders = Counter()
    regions, country_codes = set(), set()
    total = 0
    for speaker in speakers:
        total += 1
        genders[speaker.gender] += 1
        code = getattr(speaker.country, "code", speaker.country) or ""
        if code:
            country_codes.add(code)
            group = regional_group_for(code)
            if group:
                regions.add(group)
    labels = tuple(sorted(str(RegionalGroup(group).label) for group in regions if group in RegionalGroup.values))
    return PanelIndicators(
        speakers=total, women=genders["female"], men=genders["male"], other=genders["other"], regions=labels, countries=len(country_codes)
    )
