"""Reminders before a window closes: to organizations with an unsubmitted draft, and to those
that took part in one of the commission's last three sessions but have not registered.

Each reminder is sent once: a `Reminder` row (unique per session, organization, window and
offset) is written in the same transaction as the e-mail, before it; a second run, or a
second beat process at the same moment, finds the row and sends nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.enums import SideEventStatus
from events.models import SideEvent
from organizations.enums import VerificationState
from organizations.models import Organization
from organizations.services import focal_points_of
from portal.services import notify

from .enums import RegistrationStatus
from .models import LIVE_STATUSES, Registration, Reminder, Session

DRAFT_STATUSES = (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED)
EARLIER_SESSIONS = 3


@dataclass(frozen=True)
class Due:
    session: Session
    window: str
    deadline: datetime
    days_before: int


def due_windows(now: datetime) -> list[Due]:
    """Windows closing within the largest reminder offset, each with the offset now due.

    The due offset is the smallest one already reached: a session announced late, six days
    before its deadline, gets its 7-day reminder then, and its 1-day reminder on the last day.
    """
    offsets = settings.REMINDER_DAYS_BEFORE
    if not offsets:
        return []
    horizon = now + timedelta(days=max(offsets))
    due = []
    for window, field in ((Reminder.Window.REGISTRATION, "registration_closes"), (Reminder.Window.SIDE_EVENTS, "side_events_close")):
        for session in Session.objects.filter(**{f"{field}__gt": now, f"{field}__lte": horizon}).select_related("commission"):
            deadline = getattr(session, field)
            reached = [days for days in offsets if now >= deadline - timedelta(days=days)]
            if reached:
                due.append(Due(session=session, window=window, deadline=deadline, days_before=min(reached)))
    return due


def _recipients(due: Due) -> list[tuple[Organization, str]]:
    """Who to remind for one window: (organization, kind)."""
    session = due.session
    if due.window == Reminder.Window.SIDE_EVENTS:
        drafts = SideEvent.objects.filter(
            session=session, status__in=[SideEventStatus.DRAFT, SideEventStatus.RETURNED]
        ).select_related("lead_organization")
        return [(event.lead_organization, Reminder.Kind.DRAFT) for event in drafts]
    drafts = Registration.objects.filter(session=session, status__in=DRAFT_STATUSES).select_related("organization")
    people = [(registration.organization, Reminder.Kind.DRAFT) for registration in drafts]
    earlier = Session.objects.filter(commission=session.commission_id, end_date__lt=session.start_date).order_by("-start_date")[
        :EARLIER_SESSIONS
    ]
    took_part = Organization.objects.filter(
        verification_state=VerificationState.VERIFIED,
        registrations__session__in=list(earlier.values_list("pk", flat=True)),
        registrations__status=RegistrationStatus.APPROVED,
    ).exclude(registrations__session=session, registrations__status__in=LIVE_STATUSES).distinct()
    people += [(organization, Reminder.Kind.NOT_REGISTERED) for organization in took_part]
    return people


def send_window_reminders(*, now: datetime | None = None) -> int:
    """Send the reminders now due; returns how many organizations were reminded. Safe to run any number of times."""
    now = now or timezone.now()
    sent = 0
    for due in due_windows(now):
        for organization, kind in _recipients(due):
            if _remind(due, organization, kind):
                sent += 1
    return sent


def _remind(due: Due, organization: Organization, kind: str) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(
                session=due.session, organization=organization, window=due.window, days_before=due.days_before, kind=kind
            )
            # The deadline is written out by the template, in each recipient's language.
            context = {"session": due.session, "organization": organization, "window": due.window, "kind": kind, "deadline": due.deadline}
            for person in focal_points_of(organization):
                notify(person, "sessions/reminder", context)
    except IntegrityError:
        return False  # already sent, by an earlier run or by another beat process right now
    return True
