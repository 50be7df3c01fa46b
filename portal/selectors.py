"""Reads for the home page and the staff pages."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.enums import CoOrganizerStatus, SideEventStatus
from events.models import SideEvent
from organizations.enums import RequestStatus, VerificationState
from organizations.models import Organization, OrganizationChange, OrganizationMember
from sessions.enums import RegistrationStatus
from sessions.models import LIVE_STATUSES, Registration, Session
from sessions.selectors import open_for_registration
from sessions.services import AWAITING_CSU
from umbrella.enums import MembershipStatus
from umbrella.models import UmbrellaBody, UmbrellaMembership
from umbrella.selectors import conflicted_applications

from .enums import NotificationStatus
from .models import ActivityLog, Notification
from .roles import has_mfa, roles_of


@dataclass(frozen=True)
class Todo:
    """One thing a person has to do now, with where to do it."""

    text: str
    url: str = ""
    urgent: bool = False


def todos_for(user) -> list[Todo]:
    """What this person has to do now, most pressing first."""
    roles = roles_of(user)
    todos: list[Todo] = []
    if roles.needs_mfa and not has_mfa(user):
        todos.append(
            Todo(
                _("Set up two-factor authentication: your staff pages stay locked until you do."),
                reverse("mfa_activate_totp"),
                urgent=True,
            )
        )
    if not roles.any:
        todos.append(
            Todo(
                _("Register your organization, or find it in the directory and ask to join it as a focal point."),
                reverse("organizations:register"),
            )
        )
    if roles.csu_staff:
        pending = Organization.objects.filter(verification_state=VerificationState.PENDING).count()
        if pending:
            todos.append(
                Todo(
                    _("%(count)s organizations await verification.") % {"count": pending},
                    reverse("organizations:review_queue"),
                )
            )
        changes = OrganizationChange.objects.filter(status=RequestStatus.PENDING).count()
        if changes:
            todos.append(
                Todo(
                    ngettext(
                        "%(count)s change waits for confirmation.", "%(count)s changes wait for confirmation.", changes
                    )
                    % {"count": changes},
                    reverse("organizations:review_queue") + "#changes-heading",
                )
            )
    if roles.csu_staff:
        conflicted = conflicted_applications().count()
        if conflicted:
            todos.append(
                Todo(
                    ngettext(
                        "%(count)s umbrella membership application waits for the Civil Society Unit: no coordinator of the body is free to decide on it.",
                        "%(count)s umbrella membership applications wait for the Civil Society Unit: no coordinator of the body is free to decide on them.",
                        conflicted,
                    )
                    % {"count": conflicted},
                    reverse("umbrella:list"),
                )
            )
    if roles.csu_staff:
        sessions = (
            Session.objects.annotate(awaiting=Count("registrations", filter=Q(registrations__status__in=AWAITING_CSU)))
            .filter(awaiting__gt=0)
            .select_related("commission")
            .order_by("start_date")
        )
        for session in sessions:
            todos.append(
                Todo(
                    ngettext(
                        "%(count)s registration for %(session)s awaits your decision.",
                        "%(count)s registrations for %(session)s await your decision.",
                        session.awaiting,
                    )
                    % {"count": session.awaiting, "session": session},
                    # Unfiltered: endorsed registrations await CSU too, and "?status=submitted" hid them.
                    reverse("sessions:review_queue", kwargs={"commission": session.commission.code, "number": session.number}),
                )
            )
    if roles.csu_staff:
        for session in (
            Session.objects.annotate(submitted=Count("side_events", filter=Q(side_events__status=SideEventStatus.SUBMITTED)))
            .filter(submitted__gt=0)
            .select_related("commission")
            .order_by("start_date")
        ):
            todos.append(
                Todo(
                    ngettext(
                        "%(count)s side-event application for %(session)s awaits review.",
                        "%(count)s side-event applications for %(session)s await review.",
                        session.submitted,
                    )
                    % {"count": session.submitted, "session": session},
                    reverse("sessions:side_event_queue", kwargs={"commission": session.commission.code, "number": session.number})
                    + "?status=submitted",
                )
            )
    if roles.csu_staff:
        failed = Notification.objects.filter(status=NotificationStatus.FAILED).count()
        if failed:
            todos.append(
                Todo(
                    ngettext(
                        "%(count)s e-mail could not be delivered: see why and send it again.",
                        "%(count)s e-mails could not be delivered: see why and send them again.",
                        failed,
                    )
                    % {"count": failed},
                    reverse("undelivered_notifications"),
                )
            )
    if roles.coordinator:
        # Not those of the coordinator's own organizations: they may not decide on them.
        own = OrganizationMember.objects.filter(user=user).values("organization_id")
        bodies = UmbrellaBody.objects.filter(coordinator_links__user=user).annotate(
            # distinct: the two counts join two tables, whose rows would otherwise multiply.
            pending=Count(
                "memberships",
                filter=Q(memberships__status=MembershipStatus.APPLIED) & ~Q(memberships__organization__in=own),
                distinct=True,
            ),
            awaiting_endorsement=Count(
                "registrations",
                filter=Q(registrations__status=RegistrationStatus.AWAITING_ENDORSEMENT) & ~Q(registrations__organization__in=own),
                distinct=True,
            ),
        )
        for body in bodies:
            if body.awaiting_endorsement:
                todos.append(
                    Todo(
                        ngettext(
                            "%(count)s registration through %(body)s awaits your endorsement.",
                            "%(count)s registrations through %(body)s await your endorsement.",
                            body.awaiting_endorsement,
                        )
                        % {"count": body.awaiting_endorsement, "body": body},
                        reverse("umbrella:endorsements", kwargs={"slug": body.slug}),
                    )
                )
            if body.pending:
                todos.append(
                    Todo(
                        ngettext(
                            "%(count)s application to %(body)s waits for your decision.",
                            "%(count)s applications to %(body)s wait for your decision.",
                            body.pending,
                        )
                        % {"count": body.pending, "body": body},
                        reverse("umbrella:dashboard", kwargs={"slug": body.slug}),
                    )
                )
    if roles.focal_point:
        for membership in UmbrellaMembership.objects.filter(
            organization__members__user=user, status=MembershipStatus.APPLIED
        ).select_related("organization", "body"):
            todos.append(
                Todo(
                    _("The application of %(organization)s to %(body)s waits for a decision by its coordinators.")
                    % {"organization": membership.organization, "body": membership.body},
                    membership.get_absolute_url(),
                )
            )
        organizations = list(
            Organization.objects.filter(members__user=user)
            .only("name", "acronym", "slug", "verification_state")
            .annotate(join_requests_pending=Count("join_requests", filter=Q(join_requests__status=RequestStatus.PENDING)))
        )
        for organization in organizations:
            if organization.join_requests_pending:
                todos.append(
                    Todo(
                        ngettext(
                            "%(count)s person asks to join %(organization)s.",
                            "%(count)s people ask to join %(organization)s.",
                            organization.join_requests_pending,
                        )
                        % {"count": organization.join_requests_pending, "organization": organization},
                        reverse("organizations:members", kwargs={"slug": organization.slug}),
                    )
                )
            if organization.verification_state == VerificationState.PENDING:
                todos.append(Todo(_("%(organization)s awaits verification by the Civil Society Unit.") % {"organization": organization}))
            elif organization.verification_state == VerificationState.CHANGES_REQUESTED:
                todos.append(Todo(_("The Civil Society Unit asked for changes to %(organization)s.") % {"organization": organization}, urgent=True))
        own = [organization.pk for organization in organizations]
        for event in (
            SideEvent.objects.filter(
                Q(lead_organization__in=own, status=SideEventStatus.RETURNED)
                | Q(co_organizers__organization__in=own, co_organizers__status=CoOrganizerStatus.PENDING)
            )
            .exclude(status__in=[SideEventStatus.WITHDRAWN, SideEventStatus.CANCELLED, SideEventStatus.REJECTED])
            .distinct()
            .select_related("lead_organization")
            .order_by("pk")
        ):
            names = {"organization": event.lead_organization, "title": event.title}
            if event.status == SideEventStatus.RETURNED and event.lead_organization_id in own:
                text = _("The Civil Society Unit returned the side event “%(title)s” for changes.") % names
            else:
                text = _("%(organization)s asks you to confirm that your organization co-organizes “%(title)s”.") % names
            todos.append(Todo(text, reverse("events:application", kwargs={"event_id": event.pk}), urgent=True))
        registered_sessions = set()
        for registration in (
            Registration.objects.filter(
                organization__in=[organization.pk for organization in organizations],
                status__in=LIVE_STATUSES,
                session__end_date__gte=timezone.localdate(),
            )
            .select_related("session__commission", "organization")
            .order_by("session__start_date", "pk")
        ):
            registered_sessions.add(registration.session_id)
            names = {"organization": registration.organization, "session": registration.session}
            if registration.status == RegistrationStatus.RETURNED:
                todos.append(
                    Todo(
                        _("The Civil Society Unit returned the delegation of %(organization)s to %(session)s for changes.") % names,
                        registration.get_absolute_url(),
                        urgent=True,
                    )
                )
            elif registration.status == RegistrationStatus.DRAFT and registration.session.registration_state == "open":
                todos.append(
                    Todo(
                        _("The delegation of %(organization)s to %(session)s is a draft: submit it before %(deadline)s.")
                        % {**names, "deadline": _format_deadline(registration.session)},
                        registration.get_absolute_url(),
                        urgent=True,
                    )
                )
        if any(o.verification_state == VerificationState.VERIFIED for o in organizations):
            for session in open_for_registration().exclude(pk__in=registered_sessions):
                todos.append(
                    Todo(
                        _("Registration for %(session)s is open until %(deadline)s.")
                        % {"session": session, "deadline": _format_deadline(session)},
                        session.get_absolute_url(),
                    )
                )
    return todos


def _format_deadline(session) -> str:
    local = timezone.localtime(session.registration_closes, session.tz)
    return _("%(date)s %(city)s time") % {"date": formats.date_format(local, "j F Y, H:i"), "city": session.time_zone_label}


def activity_visible_to(user) -> QuerySet[ActivityLog]:
    """The activity log for CSU staff; nothing for anyone else."""
    if not roles_of(user).csu_staff:
        return ActivityLog.objects.none()
    return ActivityLog.objects.select_related("actor", "content_type")


UNDELIVERED_STATES = {
    "failed": Q(status=NotificationStatus.FAILED),
    "retrying": Q(status=NotificationStatus.PENDING, attempts__gt=0),
}


def undelivered_notifications(state: str = "") -> QuerySet[Notification]:
    """E-mails that failed for good and those waiting for another try (`state` narrows to one),
    most recent first. Only their envelope is shown: bodies may hold personal data."""
    condition = UNDELIVERED_STATES.get(state) or (UNDELIVERED_STATES["failed"] | UNDELIVERED_STATES["retrying"])
    return (
        Notification.objects.filter(condition)
        .only("to_email", "kind", "language", "subject", "status", "attempts", "last_error", "created_at", "next_attempt_at")
        .order_by("-created_at", "-id")
    )
