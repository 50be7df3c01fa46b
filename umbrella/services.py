"""Verbs of the umbrella bodies: apply, decide on a membership, withdraw, appoint coordinators.

Each service checks that the actor may act and that the transition is allowed, locks the
rows it changes, writes the activity log and queues the e-mails in the same transaction.
A refusal raises ValidationError (shown to the person) or PermissionDenied.
"""

from dataclasses import dataclass

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.enums import VerificationState
from organizations.models import Organization
from organizations.rules import is_focal_point_of
from organizations.services import csu_staff_users, focal_points_of
from portal.models import User
from portal.services import log_activity, notify, notify_all

from .enums import MembershipStatus
from .models import Coordinator, MembershipCategory, UmbrellaBody, UmbrellaMembership

MOTIVATION_MAX_LENGTH = 2000

# Which status may follow which; nothing else ever sets a membership's status.
TRANSITIONS: dict[str, set[str]] = {
    MembershipStatus.APPLIED: {MembershipStatus.ACTIVE, MembershipStatus.DECLINED, MembershipStatus.WITHDRAWN},
    MembershipStatus.ACTIVE: {MembershipStatus.SUSPENDED, MembershipStatus.WITHDRAWN},
    MembershipStatus.SUSPENDED: {MembershipStatus.ACTIVE, MembershipStatus.WITHDRAWN},
    MembershipStatus.DECLINED: {MembershipStatus.APPLIED},
    MembershipStatus.WITHDRAWN: {MembershipStatus.APPLIED},
}


@dataclass(frozen=True)
class Decision:
    """One way a membership can change once it exists."""

    name: str
    from_statuses: frozenset[str]
    to_status: str
    by_body: bool  # taken by the body's coordinators (or CSU); otherwise by the organization's focal points
    reason_required: bool
    action: str  # the activity log's action name


DECISIONS: dict[str, Decision] = {
    decision.name: decision
    for decision in (
        Decision("accept", frozenset({MembershipStatus.APPLIED}), MembershipStatus.ACTIVE, True, False, "umbrella.membership.accepted"),
        Decision("decline", frozenset({MembershipStatus.APPLIED}), MembershipStatus.DECLINED, True, True, "umbrella.membership.declined"),
        Decision("suspend", frozenset({MembershipStatus.ACTIVE}), MembershipStatus.SUSPENDED, True, True, "umbrella.membership.suspended"),
        Decision("reinstate", frozenset({MembershipStatus.SUSPENDED}), MembershipStatus.ACTIVE, True, False, "umbrella.membership.reinstated"),
        Decision(
            "end", frozenset({MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED}), MembershipStatus.WITHDRAWN, True, True,
            "umbrella.membership.ended",
        ),
        Decision(
            "withdraw", frozenset({MembershipStatus.APPLIED, MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED}),
            MembershipStatus.WITHDRAWN, False, False, "umbrella.membership.withdrawn",
        ),
    )
}
assert all(d.to_status in TRANSITIONS[s] for d in DECISIONS.values() for s in d.from_statuses)

REASON_REQUIRED = gettext_lazy("Give a reason: it is e-mailed to the organization's focal points.")


def decisions_open_to(user: User, membership: UmbrellaMembership) -> list[Decision]:
    """The decisions this person may take on the membership as it stands."""
    body_side = rules.has_perm("umbrella.decide_membership", user, membership)
    organization_side = rules.has_perm("umbrella.withdraw_membership", user, membership)
    return [
        decision
        for decision in DECISIONS.values()
        if membership.status in decision.from_statuses and (body_side if decision.by_body else organization_side)
    ]


def deciders_for_organization(body: UmbrellaBody, organization: Organization) -> list[User]:
    """Who acts for the body on this organization (its membership, its registrations): the
    body's coordinators without a conflict of interest, or CSU when no coordinator is free."""
    focal_point_ids = set(organization.members.values_list("user_id", flat=True))
    coordinators = [
        link.user
        for link in body.coordinator_links.select_related("user").filter(user__is_active=True).order_by("pk")
        if link.user_id not in focal_point_ids
    ]
    return coordinators or list(csu_staff_users())


def deciders_for(membership: UmbrellaMembership) -> list[User]:
    """Who decides on this membership; see deciders_for_organization."""
    return deciders_for_organization(membership.body, membership.organization)



def _locked(membership: UmbrellaMembership) -> UmbrellaMembership:
    # No joins in the locking query: a row that waited for the lock is read again, but
    # PostgreSQL would still fill joined columns (who decided) from the older snapshot.
    return UmbrellaMembership.objects.select_for_update().get(pk=membership.pk)


def _changed_meanwhile(membership: UmbrellaMembership) -> ValidationError:
    """The refusal for a decision on a membership whose status changed since the page was shown."""
    when = formats.date_format(timezone.localtime(membership.changed_at), "j F Y, H:i")
    if membership.changed_by is not None:
        return ValidationError(
            _("%(person)s already decided on %(date)s: the membership is now %(status)s. Nothing else was changed.")
            % {"person": membership.changed_by, "date": when, "status": membership.get_status_display().lower()}
        )
    return ValidationError(
        _("The membership is now %(status)s; nothing was changed.") % {"status": membership.get_status_display().lower()}
    )


def apply_for_membership(
    organization: Organization,
    body: UmbrellaBody,
    *,
    by: User,
    category: MembershipCategory,
    motivation: str,
) -> UmbrellaMembership:
    """A focal point applies on behalf of a verified organization.

    Side effects, in order: creates the membership (or reopens a declined or withdrawn
    one) as applied, logs `umbrella.membership.applied`, e-mails the organization's focal
    points that the application was received and the body's deciders (its coordinators
    without a conflict of interest, or CSU) that it awaits them.
    """
    if not is_focal_point_of(by, organization):
        raise PermissionDenied
    motivation = motivation.strip()
    errors = {}
    if category is None or category.body_id != body.pk:
        errors["category"] = _("Choose one of the categories of %(body)s.") % {"body": body}
    if not motivation:
        errors["motivation"] = _("Say in a few sentences why %(organization)s wants to join.") % {"organization": organization}
    elif len(motivation) > MOTIVATION_MAX_LENGTH:
        errors["motivation"] = _("The motivation can have at most %(count)s characters.") % {"count": MOTIVATION_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Locking the organization makes two applications at once (two focal points, or a double click) queue up.
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.verification_state != VerificationState.VERIFIED:
            raise ValidationError(
                {"organization": _("%(organization)s can apply once the Civil Society Unit has verified it.") % {"organization": organization}}
            )
        membership = (
            UmbrellaMembership.objects.select_for_update().filter(organization=organization, body=body).first()
        )
        if membership is not None and MembershipStatus.APPLIED not in TRANSITIONS[membership.status]:
            raise ValidationError({"organization": _already_message(membership, organization, body)})
        now = timezone.now()
        old = {"status": membership.status} if membership else {}
        if membership is None:
            membership = UmbrellaMembership(organization=organization, body=body, created_at=now)
        membership.status = MembershipStatus.APPLIED
        membership.category = category
        membership.motivation = motivation
        membership.applied_by = by
        membership.applied_at = now
        membership.changed_by = by
        membership.changed_at = now
        membership.reason = ""
        membership.save()
        log_activity(
            "umbrella.membership.applied", actor=by, target=membership, old=old,
            new={"status": membership.status, "category": category.name}, note=motivation,
        )
        context = {"membership": membership, "organization": organization, "body": body, "actor": by}
        notify_all(focal_points_of(organization), "umbrella/application_received", context)
        deciders = deciders_for(membership)
        notify_all(deciders, "umbrella/membership_applied", {**context, "csu_decides": not _any_coordinator(deciders, body)})
    return membership


def _any_coordinator(people: list[User], body: UmbrellaBody) -> bool:
    coordinator_ids = set(body.coordinator_links.values_list("user_id", flat=True))
    return any(person.pk in coordinator_ids for person in people)


def _already_message(membership: UmbrellaMembership, organization: Organization, body: UmbrellaBody) -> str:
    names = {"organization": organization, "body": body}
    if membership.status == MembershipStatus.APPLIED:
        return _(
            "%(organization)s already applied to %(body)s on %(date)s; the application waits for a decision."
        ) % {**names, "date": formats.date_format(timezone.localtime(membership.applied_at), "j F Y")}
    if membership.status == MembershipStatus.ACTIVE:
        return _("%(organization)s is already a member of %(body)s.") % names
    return _(
        "The membership of %(organization)s in %(body)s is suspended; its coordinators decide whether to reinstate it."
    ) % names


def decide_membership(
    membership: UmbrellaMembership, decision: str, *, by: User, reason: str = "", seen_status: str = ""
) -> UmbrellaMembership:
    """Take one of DECISIONS on a membership.

    Side effects, in order: locks the membership and checks that it is still in a status
    the decision applies to, and, when `seen_status` is given, still the status the person
    saw (a second coordinator deciding at the same time, or a focal point withdrawing on a
    page that is out of date, is told who decided first, and nothing changes), changes the status, logs the decision's action
    with the reason, e-mails the organization's focal points (and, for a withdrawal, the
    body's deciders).
    """
    step = DECISIONS[decision]
    permission = "umbrella.decide_membership" if step.by_body else "umbrella.withdraw_membership"
    if not rules.has_perm(permission, by, membership):
        raise PermissionDenied
    reason = reason.strip()
    if step.reason_required and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    with transaction.atomic():
        membership = _locked(membership)
        if membership.status not in step.from_statuses or (seen_status and membership.status != seen_status):
            raise _changed_meanwhile(membership)
        old = {"status": membership.status}
        now = timezone.now()
        membership.status = step.to_status
        membership.changed_by = by
        membership.changed_at = now
        membership.reason = reason
        if decision == "accept":
            membership.member_since = now
        elif step.to_status == MembershipStatus.WITHDRAWN:
            membership.member_since = None
        membership.save(update_fields=["status", "changed_by", "changed_at", "reason", "member_since"])
        log_activity(step.action, actor=by, target=membership, old=old, new={"status": membership.status}, note=reason)
        context = {
            "membership": membership,
            "organization": membership.organization,
            "body": membership.body,
            "decision": decision,
            "was_applied": old["status"] == MembershipStatus.APPLIED,
            "actor": by,
        }
        notify_all(focal_points_of(membership.organization), "umbrella/membership_decision", context)
        if decision == "withdraw":
            notify_all(deciders_for(membership), "umbrella/membership_withdrawn", context)
    return membership


def accept_membership(membership: UmbrellaMembership, *, by: User, note: str = "") -> UmbrellaMembership:
    """Make the organization an active member; see decide_membership."""
    return decide_membership(membership, "accept", by=by, reason=note)


def decline_membership(membership: UmbrellaMembership, *, by: User, reason: str) -> UmbrellaMembership:
    """Refuse an application with a reason; see decide_membership."""
    return decide_membership(membership, "decline", by=by, reason=reason)


def suspend_membership(membership: UmbrellaMembership, *, by: User, reason: str) -> UmbrellaMembership:
    """Suspend an active membership with a reason; see decide_membership."""
    return decide_membership(membership, "suspend", by=by, reason=reason)


def reinstate_membership(membership: UmbrellaMembership, *, by: User, note: str = "") -> UmbrellaMembership:
    """Make a suspended membership active again; see decide_membership."""
    return decide_membership(membership, "reinstate", by=by, reason=note)


def end_membership(membership: UmbrellaMembership, *, by: User, reason: str) -> UmbrellaMembership:
    """The body ends a membership, with a reason; see decide_membership."""
    return decide_membership(membership, "end", by=by, reason=reason)


def withdraw_membership(membership: UmbrellaMembership, *, by: User, note: str = "") -> UmbrellaMembership:
    """The organization withdraws its application or leaves the body; see decide_membership."""
    return decide_membership(membership, "withdraw", by=by, reason=note)


# --- Coordinators ----------------------------------------------------------------------------


def appoint_coordinator(body: UmbrellaBody, *, user: User, by: User) -> Coordinator:
    """CSU appoints a person as a coordinator of the body.

    Side effects: creates the Coordinator link, logs `umbrella.coordinator.appointed`
    and e-mails the person.
    """
    if not rules.has_perm("umbrella.appoint_coordinators", by):
        raise PermissionDenied
    with transaction.atomic():
        body = UmbrellaBody.objects.select_for_update().get(pk=body.pk)
        if body.coordinator_links.filter(user=user).exists():
            raise ValidationError({"email": _("%(person)s is already a coordinator of %(body)s.") % {"person": user, "body": body}})
        if not user.is_active:
            raise ValidationError({"email": _("This account is deactivated.")})
        link = Coordinator.objects.create(body=body, user=user)
        log_activity("umbrella.coordinator.appointed", actor=by, target=body, new={"coordinator": user.email})
        notify(user, "umbrella/coordinator_appointed", {"body": body, "person": user, "actor": by})
    return link


def remove_coordinator(body: UmbrellaBody, *, user: User, by: User, note: str = "") -> None:
    """CSU removes a coordinator from the body.

    Side effects: deletes the Coordinator link, logs `umbrella.coordinator.removed` and
    e-mails the person. Their earlier decisions stay in the log under their name.
    """
    if not rules.has_perm("umbrella.appoint_coordinators", by):
        raise PermissionDenied
    with transaction.atomic():
        body = UmbrellaBody.objects.select_for_update().get(pk=body.pk)
        deleted, _rows = body.coordinator_links.filter(user=user).delete()
        if not deleted:
            raise ValidationError(_("%(person)s is not a coordinator of %(body)s.") % {"person": user, "body": body})
        log_activity("umbrella.coordinator.removed", actor=by, target=body, old={"coordinator": user.email}, note=note.strip())
        notify(user, "umbrella/coordinator_removed", {"body": body, "person": user, "actor": by})
