"""Verbs of the stakeholder database: register, join, edit, verify, confirm changes, merge.

Each service checks that the actor may act and that the transition is allowed, locks the
rows it changes, writes the activity log and queues the e-mails in the same transaction.
A refusal raises ValidationError (shown to the person) or PermissionDenied.
"""

import copy
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries.fields import Country

from portal.compiled import compiled_read
from portal.models import ActivityLog, User
from portal.rules import is_csu_staff
from portal.services import log_activity, notify, notify_all

from .enums import MemberRole, RequestStatus, VerificationState
from .models import (
    FIELDS_NEEDING_CONFIRMATION,
    JoinRequest,
    Organization,
    OrganizationChange,
    OrganizationMember,
    OrganizationRedirect,
    ThematicArea,
)
from .rules import is_focal_point_of

# Which verification decisions may follow which state.
VERIFICATION_TRANSITIONS: dict[str, set[str]] = {
    VerificationState.PENDING: {VerificationState.VERIFIED, VerificationState.REJECTED, VerificationState.CHANGES_REQUESTED},
    VerificationState.CHANGES_REQUESTED: {VerificationState.PENDING, VerificationState.VERIFIED, VerificationState.REJECTED},
    VerificationState.VERIFIED: {VerificationState.ARCHIVED, VerificationState.CHANGES_REQUESTED},
    VerificationState.REJECTED: {VerificationState.PENDING},
    VerificationState.ARCHIVED: {VerificationState.VERIFIED},
}

# Fields a profile edit may change (internal ones are CSU's and go through their own form).
EDITABLE_FIELDS = (
    "name", "name_en", "acronym", "acronym_en", "kind", "headquarters_country", "countries_of_work",
    "website", "email", "phone", "address", "year_founded", "description", "ecosoc_status", "ecosoc_year",
)
CSU_ONLY_FIELDS = ("ecosoc_checked_on", "internal_notes")


def unique_slug(text: str, *, exclude_pk: int | None = None) -> str:
    """A free, readable address name from an acronym or name: "hra", "hra-2", ..."""
    # Imported here: the URLconf imports the views, which import this module.
    from .urls import RESERVED_SLUGS

    base = slugify(text)[:70].strip("-") or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    taken = set(
        Organization.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True)
    )
    taken |= set(OrganizationRedirect.objects.filter(old_slug__startswith=base).values_list("old_slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def csu_staff_users() -> models.QuerySet[User]:
    return User.objects.filter(groups__name=settings.CSU_STAFF_GROUP, is_active=True).distinct()


@compiled_read
def _active_members(organization_id: int) -> models.QuerySet[OrganizationMember]:
    return (
        OrganizationMember.objects.select_related("user")
        .filter(organization_id=organization_id, user__is_active=True)
        .order_by("created_at", "pk")
    )


def focal_points_of(organization: Organization) -> list[User]:
    """The organization's active focal points, the earliest first: whom its e-mails go to (SQL built once, portal.compiled)."""
    return [member.user for member in _active_members(organization.pk)]


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value, for the activity log and pending changes."""
    if isinstance(value, Country):
        return value.code
    if isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict))):
        return [plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value



def _locked(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


# --- Registering and joining ------------------------------------------------------------------


def register_organization(
    *, by: User, data: Mapping[str, Any], thematic_areas: Iterable[ThematicArea] = ()
) -> Organization:
    """Create an organization on behalf of its first focal point.

    Side effects, in order: creates the organization (pending verification) with `by` as
    its focal point, logs `organizations.organization.registered`, e-mails `by` that the
    request was received and every CSU officer that it awaits verification.
    """
    if not by.is_authenticated:
        raise PermissionDenied
    with transaction.atomic():
        organization = Organization(**{field: data[field] for field in EDITABLE_FIELDS if field in data})
        organization.slug = unique_slug(organization.acronym or organization.name)
        organization.verification_state = VerificationState.PENDING
        organization.full_clean()
        organization.save()
        organization.thematic_areas.set(thematic_areas)
        OrganizationMember.objects.create(organization=organization, user=by, role=MemberRole.FOCAL_POINT)
        log_activity(
            "organizations.organization.registered",
            actor=by,
            target=organization,
            new={field: plain(getattr(organization, field)) for field in EDITABLE_FIELDS},
        )
        context = {"organization": organization, "actor": by}
        notify(by, "organizations/registered", context)
        notify_all(csu_staff_users(), "organizations/awaiting_verification", context)
    return organization


def request_to_join(organization: Organization, *, by: User, message: str = "") -> JoinRequest:
    """Ask to become a focal point of an existing organization.

    Side effects: creates a pending JoinRequest, logs `organizations.join.requested`, and
    e-mails the organization's focal points (CSU when it has none).
    """
    if not by.is_authenticated:
        raise PermissionDenied
    with transaction.atomic():
        organization = _locked(organization)
        if organization.verification_state in (VerificationState.REJECTED, VerificationState.ARCHIVED):
            raise ValidationError(_("This organization no longer accepts new focal points."))
        if organization.members.filter(user=by).exists():
            raise ValidationError(_("You are already a focal point of %(organization)s.") % {"organization": organization})
        if organization.join_requests.filter(user=by, status=RequestStatus.PENDING).exists():
            raise ValidationError(
                _("You already asked to join %(organization)s; the request is waiting for a decision.")
                % {"organization": organization}
            )
        join_request = JoinRequest.objects.create(organization=organization, user=by, message=message.strip())
        log_activity("organizations.join.requested", actor=by, target=organization, new={"user": by.email})
        deciders = focal_points_of(organization) or list(csu_staff_users())
        notify_all(deciders, "organizations/join_requested", {"organization": organization, "join_request": join_request})
    return join_request


def _decide_join_request(join_request: JoinRequest, *, by: User, accept: bool, reason: str) -> JoinRequest:
    if not by.has_perm("organizations.decide_join_request", join_request):
        raise PermissionDenied
    with transaction.atomic():
        join_request = JoinRequest.objects.select_for_update().select_related("organization", "user").get(pk=join_request.pk)
        if join_request.status != RequestStatus.PENDING:
            raise ValidationError(
                _("This request was already decided: %(status)s.") % {"status": join_request.get_status_display()}
            )
        join_request.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
        join_request.decided_by = by
        join_request.decided_at = timezone.now()
        join_request.reason = reason.strip()
        join_request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        organization = join_request.organization
        if accept:
            OrganizationMember.objects.get_or_create(organization=organization, user=join_request.user)
        log_activity(
            "organizations.join.accepted" if accept else "organizations.join.declined",
            actor=by,
            target=organization,
            new={"user": join_request.user.email},
            note=join_request.reason,
        )
        notify(
            join_request.user,
            "organizations/join_accepted" if accept else "organizations/join_declined",
            {"organization": organization, "join_request": join_request},
        )
    return join_request


def accept_join_request(join_request: JoinRequest, *, by: User) -> JoinRequest:
    """Make the person a focal point; logs `organizations.join.accepted` and e-mails them."""
    return _decide_join_request(join_request, by=by, accept=True, reason="")


def decline_join_request(join_request: JoinRequest, *, by: User, reason: str) -> JoinRequest:
    """Refuse with a reason; logs `organizations.join.declined` and e-mails the reason."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is declined; the person is told.")})
    return _decide_join_request(join_request, by=by, accept=False, reason=reason)


def remove_focal_point(organization: Organization, *, user: User, by: User) -> None:
    """Remove a focal point (or leave, when `by` is `user`).

    The last focal point cannot leave on their own: only CSU can remove them, so that
    no organization is orphaned by accident. Logs `organizations.member.removed` and
    e-mails the person removed (unless they left themselves).
    """
    if not by.has_perm("organizations.manage_members", organization):
        raise PermissionDenied
    with transaction.atomic():
        organization = _locked(organization)
        membership = organization.members.filter(user=user).first()
        if membership is None:
            raise ValidationError(_("%(person)s is not a focal point of this organization.") % {"person": user})
        if organization.members.count() == 1 and not is_csu_staff(by):
            raise ValidationError(
                _("The last focal point cannot leave. Invite a colleague first, or ask the Civil Society Unit.")
            )
        membership.delete()
        log_activity("organizations.member.removed", actor=by, target=organization, old={"user": user.email})
        if by != user:
            notify(user, "organizations/member_removed", {"organization": organization, "actor": by})


# --- Editing ------------------------------------------------------------------------------------


def update_organization(
    organization: Organization,
    *,
    by: User,
    data: Mapping[str, Any],
    thematic_areas: Iterable[ThematicArea] | None = None,
) -> OrganizationChange | None:
    """Apply a profile edit.

    CSU's edits apply at once. A focal point's edits to a verified organization's name,
    acronym, headquarters country or ECOSOC status wait for CSU in an OrganizationChange
    (returned); the other fields apply at once. A focal point's edit of an organization
    whose changes were requested sends it back to CSU's queue.
    Side effects: saves, logs `organizations.organization.updated` (and
    `organizations.change.submitted`), e-mails CSU about what waits for them.
    """
    if not by.has_perm("organizations.change_profile", organization):
        raise PermissionDenied
    by_csu = is_csu_staff(by)
    allowed = EDITABLE_FIELDS + (CSU_ONLY_FIELDS if by_csu else ())
    with transaction.atomic():
        organization = _locked(organization)
        changed = {
            field: (plain(getattr(organization, field)), plain(data[field]))
            for field in allowed
            if field in data and plain(getattr(organization, field)) != plain(data[field])
        }
        waiting = {}
        if not by_csu and organization.verification_state == VerificationState.VERIFIED:
            waiting = {field: values for field, values in changed.items() if field in FIELDS_NEEDING_CONFIRMATION}
        applied = {field: values for field, values in changed.items() if field not in waiting}

        for field, (_old, new) in applied.items():
            setattr(organization, field, new)
        if waiting:
            # Validate the profile as it will be once CSU confirms, so CSU never confirms an invalid one.
            proposed = copy.copy(organization)
            for field, (_old, new) in waiting.items():
                setattr(proposed, field, new)
            proposed.full_clean(validate_unique=False)
        organization.full_clean()
        old_areas = sorted(organization.thematic_areas.values_list("slug", flat=True))
        new_areas = sorted(area.slug for area in thematic_areas) if thematic_areas is not None else old_areas
        if applied:
            organization.save()
        if new_areas != old_areas:
            organization.thematic_areas.set(thematic_areas)
            applied["thematic_areas"] = (old_areas, new_areas)
        if applied:
            log_activity(
                "organizations.organization.updated",
                actor=by,
                target=organization,
                old={field: old for field, (old, _new) in applied.items()},
                new={field: new for field, (_old, new) in applied.items()},
            )

        change = None
        if waiting:
            change = organization.pending_changes.filter(status=RequestStatus.PENDING).first()
            if change is None:
                change = OrganizationChange(organization=organization, requested_by=by)
            change.old_values = {field: old for field, (old, _new) in waiting.items()} | {
                field: value for field, value in change.old_values.items() if field not in waiting
            }
            change.new_values = change.new_values | {field: new for field, (_old, new) in waiting.items()}
            change.requested_by = by
            change.save()
            log_activity(
                "organizations.change.submitted",
                actor=by,
                target=organization,
                old={field: old for field, (old, _new) in waiting.items()},
                new={field: new for field, (_old, new) in waiting.items()},
            )
            notify_all(csu_staff_users(), "organizations/change_submitted", {"organization": organization, "change": change})

        if not by_csu and organization.verification_state == VerificationState.CHANGES_REQUESTED and changed:
            _set_verification(organization, VerificationState.PENDING, by=by, action="organizations.organization.resubmitted")
            notify_all(csu_staff_users(), "organizations/awaiting_verification", {"organization": organization, "actor": by})
    return change


def _decide_change(change: OrganizationChange, *, by: User, confirm: bool, reason: str) -> OrganizationChange:
    if not by.has_perm("organizations.verify"):
        raise PermissionDenied
    with transaction.atomic():
        change = OrganizationChange.objects.select_for_update().get(pk=change.pk)
        if change.status != RequestStatus.PENDING:
            raise ValidationError(
                _("These changes were already decided: %(status)s.") % {"status": change.get_status_display()}
            )
        organization = _locked(change.organization)
        if confirm:
            for field, value in change.new_values.items():
                setattr(organization, field, value)
            organization.full_clean()
            organization.save()
        change.status = RequestStatus.ACCEPTED if confirm else RequestStatus.DECLINED
        change.decided_by = by
        change.decided_at = timezone.now()
        change.reason = reason.strip()
        change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        log_activity(
            "organizations.change.confirmed" if confirm else "organizations.change.declined",
            actor=by,
            target=organization,
            old=change.old_values,
            new=change.new_values,
            note=change.reason,
        )
        notify_all(
            focal_points_of(organization),
            "organizations/change_confirmed" if confirm else "organizations/change_declined",
            {"organization": organization, "change": change},
        )
    return change


def confirm_organization_change(change: OrganizationChange, *, by: User) -> OrganizationChange:
    """CSU applies a focal point's waiting changes; logs and e-mails the focal points."""
    return _decide_change(change, by=by, confirm=True, reason="")


def decline_organization_change(change: OrganizationChange, *, by: User, reason: str) -> OrganizationChange:
    """CSU refuses a focal point's waiting changes with a reason that is e-mailed."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the changes are declined; the focal points are told.")})
    return _decide_change(change, by=by, confirm=False, reason=reason)


# --- Verification -------------------------------------------------------------------------------


def _set_verification(organization: Organization, target: str, *, by: User, action: str, reason: str = "") -> None:
    if target not in VERIFICATION_TRANSITIONS[organization.verification_state]:
        raise ValidationError(
            _("An organization that is “%(current)s” cannot become “%(target)s”.")
            % {
                "current": organization.get_verification_state_display(),
                "target": VerificationState(target).label,
            }
        )
    old = organization.verification_state
    organization.verification_state = target
    organization.save(update_fields=["verification_state", "updated_at"])
    log_activity(action, actor=by, target=organization, old={"verification_state": old}, new={"verification_state": target}, note=reason)


def _decide_verification(organization: Organization, target: str, *, by: User, reason: str, action: str, template: str):
    if not by.has_perm("organizations.verify"):
        raise PermissionDenied
    with transaction.atomic():
        organization = _locked(organization)
        _set_verification(organization, target, by=by, action=action, reason=reason.strip())
        notify_all(focal_points_of(organization), template, {"organization": organization, "reason": reason.strip()})
    return organization


def verify_organization(organization: Organization, *, by: User, reason: str = "") -> Organization:
    """CSU verifies: the organization enters the public directory. E-mails its focal points."""
    return _decide_verification(
        organization, VerificationState.VERIFIED, by=by, reason=reason,
        action="organizations.organization.verified", template="organizations/verified",
    )


def reject_organization(organization: Organization, *, by: User, reason: str) -> Organization:
    """CSU rejects with a reason that is e-mailed to the focal points."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the organization is rejected; its focal points are told.")})
    return _decide_verification(
        organization, VerificationState.REJECTED, by=by, reason=reason,
        action="organizations.organization.rejected", template="organizations/rejected",
    )


def request_organization_changes(organization: Organization, *, by: User, reason: str) -> Organization:
    """CSU asks the focal points to correct the profile; the reason is e-mailed."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say what must change; the focal points are told.")})
    return _decide_verification(
        organization, VerificationState.CHANGES_REQUESTED, by=by, reason=reason,
        action="organizations.organization.changes_requested", template="organizations/changes_requested",
    )


def archive_organization(organization: Organization, *, by: User, reason: str) -> Organization:
    """CSU takes a verified organization out of the directory (it closed, say)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the organization is archived.")})
    return _decide_verification(
        organization, VerificationState.ARCHIVED, by=by, reason=reason,
        action="organizations.organization.archived", template="organizations/archived",
    )


# --- Merging ------------------------------------------------------------------------------------

# Filled from the duplicate when the kept record has nothing there.
MERGE_FILL_FIELDS = ("name_en", "acronym", "acronym_en", "website", "email", "phone", "address", "year_founded", "description")


def merge_organizations(keep: Organization, duplicate: Organization, *, by: User, note: str = "") -> Organization:
    """Fold `duplicate` into `keep` and delete it.

    Every focal point, request, pending change, history entry and any other record that
    points at the duplicate (memberships, registrations, side events as those apps add
    them) moves to `keep`; blank fields of `keep` are filled from the duplicate; the
    duplicate's address redirects to `keep`. Logs `organizations.organization.merged` and
    e-mails the focal points of the merged record.
    """
    if not by.has_perm("organizations.merge"):
        raise PermissionDenied
    if keep.pk == duplicate.pk:
        raise ValidationError(_("An organization cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted([keep.pk, duplicate.pk])
        locked = {o.pk: o for o in Organization.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        if len(locked) != 2:
            raise ValidationError(_("One of the two organizations no longer exists; perhaps it was merged already."))
        keep, duplicate = locked[keep.pk], locked[duplicate.pk]

        filled = {}
        for field in MERGE_FILL_FIELDS:
            if getattr(keep, field) in ("", None) and getattr(duplicate, field) not in ("", None):
                filled[field] = plain(getattr(duplicate, field))
                setattr(keep, field, getattr(duplicate, field))
        extra_countries = [c for c in duplicate.countries_of_work if c not in keep.countries_of_work]
        if extra_countries:
            keep.countries_of_work = [*keep.countries_of_work, *extra_countries]
            filled["countries_of_work"] = plain(keep.countries_of_work)
        keep.save()
        keep.thematic_areas.add(*duplicate.thematic_areas.all())

        # Requests that would clash with the kept record's own are closed, not moved twice.
        duplicate.join_requests.filter(
            status=RequestStatus.PENDING, user__in=keep.join_requests.filter(status=RequestStatus.PENDING).values("user")
        ).update(status=RequestStatus.WITHDRAWN, reason="merged", decided_at=timezone.now())
        duplicate.join_requests.filter(status=RequestStatus.PENDING, user__in=keep.members.values("user")).update(
            status=RequestStatus.WITHDRAWN, reason="merged", decided_at=timezone.now()
        )
        if keep.pending_changes.filter(status=RequestStatus.PENDING).exists():
            duplicate.pending_changes.filter(status=RequestStatus.PENDING).update(
                status=RequestStatus.WITHDRAWN, reason="merged", decided_at=timezone.now()
            )
        moved = _move_related(duplicate, keep)

        content_type = ContentType.objects.get_for_model(Organization)
        history = ActivityLog.objects.filter(content_type=content_type, object_id=str(duplicate.pk)).update(
            object_id=str(keep.pk)
        )
        OrganizationRedirect.objects.create(old_slug=duplicate.slug, organization=keep)
        merged_name, merged_slug = str(duplicate), duplicate.slug
        duplicate.delete()
        log_activity(
            "organizations.organization.merged",
            actor=by,
            target=keep,
            old={"merged": merged_name, "slug": merged_slug},
            new={"filled": ", ".join(filled) or "-", "moved": ", ".join(f"{k}: {v}" for k, v in moved.items()) or "-", "history": history},
            note=note,
        )
        notify_all(focal_points_of(keep), "organizations/merged", {"organization": keep, "merged_name": merged_name})
    return keep


def _move_related(source: Organization, target: Organization) -> dict[str, int]:
    """Point every row that references `source` at `target`, dropping rows that would
    break a uniqueness rule because `target` already has their twin."""
    moved = {}
    for relation in Organization._meta.related_objects:
        model, field = relation.related_model, relation.field
        if relation.many_to_many:
            accessor = relation.get_accessor_name()
            getattr(target, accessor).add(*getattr(source, accessor).all())
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        rows = model._default_manager.filter(**{field.name: source})
        for other_fields in _unique_partners(model, field.name):
            taken = model._default_manager.filter(**{field.name: target}).values_list(*other_fields)
            for values in set(taken):
                rows.filter(**dict(zip(other_fields, values, strict=True))).delete()
        count = rows.update(**{field.name: target})
        if count:
            moved[model._meta.verbose_name_plural] = count
    return moved


def _unique_partners(model: type[models.Model], field_name: str) -> list[tuple[str, ...]]:
    """For each unconditional uniqueness rule of `model` that includes `field_name`, the other fields."""
    groups = [tuple(group) for group in model._meta.unique_together]
    groups += [
        tuple(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and constraint.condition is None
    ]
    return [tuple(f for f in group if f != field_name) for group in groups if field_name in group and len(group) > 1]
