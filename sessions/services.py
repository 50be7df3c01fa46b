"""Verbs of sessions and delegations: create sessions, register, submit, endorse, decide, purge.

Each service checks that the actor may act and that the transition is allowed, locks the
rows it changes, writes the activity log and queues the e-mails in the same transaction.
A refusal raises ValidationError (shown to the person) or PermissionDenied.

Personal data (passport numbers, dates of birth) never goes into the activity log, an
e-mail or a task argument: the log records participants by their passport name only.
"""

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.enums import EcosocStatus, VerificationState
from organizations.models import Organization
from organizations.rules import is_focal_point_of
from organizations.services import csu_staff_users, focal_points_of, plain
from portal.compiled import CompiledRead, compiled_read
from portal.models import ActivityLog, User
from portal.services import activity_entry, log_activity, notify, notify_all
from umbrella.enums import MembershipStatus
from umbrella.models import UmbrellaBody
from umbrella.services import deciders_for_organization

from . import selectors
from .enums import (
    AdmissionRule,
    Channel,
    CongressCategory,
    ParticipantStatus,
    RegistrationStatus,
    Rule17Outcome,
)
from .models import LIVE_STATUSES, Participant, Registration, Session

# Which status may follow which; nothing else ever sets a registration's status.
TRANSITIONS: dict[str, set[str]] = {
    RegistrationStatus.DRAFT: {
        RegistrationStatus.SUBMITTED, RegistrationStatus.AWAITING_ENDORSEMENT, RegistrationStatus.WITHDRAWN,
        RegistrationStatus.EXPIRED,
    },
    RegistrationStatus.RETURNED: {
        RegistrationStatus.SUBMITTED, RegistrationStatus.AWAITING_ENDORSEMENT, RegistrationStatus.WITHDRAWN,
        RegistrationStatus.EXPIRED,
    },
    RegistrationStatus.AWAITING_ENDORSEMENT: {
        RegistrationStatus.ENDORSED, RegistrationStatus.DECLINED, RegistrationStatus.WITHDRAWN,
    },
    RegistrationStatus.ENDORSED: {
        RegistrationStatus.APPROVED, RegistrationStatus.REJECTED, RegistrationStatus.RETURNED, RegistrationStatus.WITHDRAWN,
    },
    RegistrationStatus.SUBMITTED: {
        RegistrationStatus.APPROVED, RegistrationStatus.REJECTED, RegistrationStatus.RETURNED, RegistrationStatus.WITHDRAWN,
    },
    # A change by the NGO after approval sends the delegation back to CSU.
    RegistrationStatus.APPROVED: {RegistrationStatus.SUBMITTED, RegistrationStatus.ENDORSED},
    RegistrationStatus.DECLINED: set(),
    RegistrationStatus.REJECTED: set(),
    RegistrationStatus.WITHDRAWN: set(),
    RegistrationStatus.EXPIRED: set(),
}
AWAITING_CSU = (RegistrationStatus.SUBMITTED, RegistrationStatus.ENDORSED)

LETTER_MAX_BYTES = 5 * 1024 * 1024
DATE_FORMAT = "j F Y"


# --- Who may register how -----------------------------------------------------------------------


@dataclass(frozen=True)
class Admission:
    """How an organization may register for a session."""

    direct: bool
    bodies: tuple[UmbrellaBody, ...]
    direct_refusal: str = ""
    goes_on_rule17_list: bool = False


def has_ecosoc_status(organization: Organization) -> bool:
    return organization.ecosoc_status not in ("", EcosocStatus.NONE)


def admission_for(organization: Organization, session: Session) -> Admission:
    """Whether the organization may register directly, and through which umbrella bodies.

    Directly: always under "open" and rule 17 (a non-ECOSOC organization then goes on the
    rule 17 list), with ECOSOC status under "ECOSOC required"; under the Congress rule,
    by category. Through a body: one of which it is an active member and which covers the
    session's commission.
    """
    bodies = tuple(_bodies_open_to(organization, session).order_by("name"))
    return _direct_admission(organization, session, bodies=bodies)


def _bodies_open_to(organization: Organization, session: Session) -> models.QuerySet[UmbrellaBody]:
    """The umbrella bodies of which the organization is an active member and which cover the session's commission."""
    return UmbrellaBody.objects.filter(
        memberships__organization=organization,
        memberships__status=MembershipStatus.ACTIVE,
        commissions=session.commission_id,
    )


def _direct_admission(organization: Organization, session: Session, *, bodies: tuple[UmbrellaBody, ...] = ()) -> Admission:
    """admission_for() as far as registering directly goes; `bodies` as given (no query)."""
    rule = session.effective_admission_rule
    ecosoc = has_ecosoc_status(organization)
    if rule == AdmissionRule.ECOSOC_REQUIRED and not ecosoc:
        return Admission(
            direct=False,
            bodies=bodies,
            direct_refusal=_(
                "%(session)s admits NGOs in consultative status with ECOSOC directly. Without it, %(organization)s "
                "registers through an umbrella body of which it is a member."
            )
            % {"session": session.commission.abbreviation, "organization": organization},
        )
    return Admission(direct=True, bodies=bodies, goes_on_rule17_list=rule == AdmissionRule.RULE_17 and not ecosoc)


def _check_channel(
    organization: Organization, session: Session, channel: str, umbrella_body: UmbrellaBody | None, congress_category: str
) -> dict[str, str]:
    """The errors, by field, of registering this way; empty when it is allowed.

    Only the way chosen is looked up: the bodies open to the organization matter to a registration through one.
    """
    errors = {}
    if channel == Channel.DIRECT:
        admission = _direct_admission(organization, session)
        if not admission.direct:
            errors["channel"] = admission.direct_refusal
    elif channel == Channel.UMBRELLA:
        if umbrella_body is None or not _bodies_open_to(organization, session).filter(pk=umbrella_body.pk).exists():
            errors["umbrella_body"] = _(
                "Choose an umbrella body of which %(organization)s is an active member and which covers %(commission)s."
            ) % {"organization": organization, "commission": session.commission.abbreviation}
    else:
        errors["channel"] = _("Choose how the organization registers.")
    if session.effective_admission_rule == AdmissionRule.CONGRESS:
        if congress_category not in CongressCategory.values:
            errors["congress_category"] = _("Choose the organization's category for the Congress.")
        elif congress_category == CongressCategory.ECOSOC and not has_ecosoc_status(organization):
            errors["congress_category"] = _(
                "%(organization)s has no ECOSOC status on record: choose another category, or ask the Civil Society "
                "Unit to correct the record."
            ) % {"organization": organization}
    return errors


# --- Sessions ---------------------------------------------------------------------------------


SESSION_FIELDS = (
    "commission", "number", "title", "start_date", "end_date", "venue", "time_zone", "format",
    "registration_opens", "registration_closes", "quota_per_organization", "admission_rule",
    "side_events_open", "side_events_close",
)


def save_session(session: Session | None, *, by: User, data: Mapping[str, Any]) -> Session:
    """CSU creates a session (session=None) or edits one. Logs `sessions.session.created` or `.changed`."""
    if not rules.has_perm("sessions.manage_sessions", by):
        raise PermissionDenied
    with transaction.atomic():
        creating = session is None
        if creating:
            session = Session()
            old = {}
        else:
            session = Session.objects.select_for_update().get(pk=session.pk)
            old = {name: _plain(getattr(session, name)) for name in SESSION_FIELDS}
        for name in SESSION_FIELDS:
            if name in data:
                setattr(session, name, data[name])
        if session.registration_opens and session.registration_closes and session.registration_opens >= session.registration_closes:
            raise ValidationError({"registration_closes": _("Registration must close after it opens.")})
        if session.side_events_open and session.side_events_close and session.side_events_open >= session.side_events_close:
            raise ValidationError({"side_events_close": _("Side-event applications must close after they open.")})
        session.full_clean()
        try:
            session.save()
        except IntegrityError as error:
            raise ValidationError({"number": _("This commission already has a session with this number.")}) from error
        new = {name: _plain(getattr(session, name)) for name in SESSION_FIELDS}
        if not creating and new == old:
            return session
        log_activity(
            "sessions.session.created" if creating else "sessions.session.changed",
            actor=by,
            target=session,
            old={name: value for name, value in old.items() if value != new[name]},
            new={name: value for name, value in new.items() if creating or value != old.get(name)},
        )
    return session


def _plain(value: Any) -> Any:
    # A related row (the commission) is logged by its name; everything else as organizations log it.
    return str(value) if isinstance(value, models.Model) else plain(value)


# --- A delegation, from draft to submission ---------------------------------------------------------


@dataclass
class ParticipantData:
    """One participant as the registration form cleaned it (photo already re-encoded)."""

    family_name: str
    given_names: str
    gender: str
    nationality: str
    date_of_birth: date | None
    passport_number: str
    passport_expiry: date | None
    email: str
    role: str
    attendance: str
    needs_visa_letter: bool = False
    photo: File | None = None
    participant_id: int | None = None  # an existing participant to update


PARTICIPANT_FIELDS = (
    "family_name", "given_names", "gender", "nationality", "date_of_birth", "passport_number", "passport_expiry",
    "email", "role", "attendance", "needs_visa_letter",
)


def _registration_window_is_open(session: Session) -> bool:
    # The database's clock, inside the caller's transaction: no worker or app-server clock decides.
    return Session.objects.filter(
        pk=session.pk, registration_opens__lte=Now(), registration_closes__gt=Now()
    ).exists()


def _window_refusal(session: Session) -> ValidationError:
    if session.registration_closes is None or session.registration_opens is None:
        return ValidationError(_("Registration for %(session)s has not opened yet.") % {"session": session})
    local = timezone.localtime(session.registration_closes, session.tz)
    if timezone.now() < session.registration_opens:
        opens = timezone.localtime(session.registration_opens, session.tz)
        return ValidationError(
            _("Registration for %(session)s opens on %(date)s, %(city)s time.")
            % {"session": session, "date": formats.date_format(opens, "j F Y, H:i"), "city": session.time_zone_label}
        )
    return ValidationError(
        _("Registration for %(session)s closed on %(date)s, %(city)s time. Nothing was submitted.")
        % {"session": session, "date": formats.date_format(local, "j F Y, H:i"), "city": session.time_zone_label}
    )


def start_registration(
    session: Session,
    organization: Organization,
    *,
    by: User,
    channel: str,
    umbrella_body: UmbrellaBody | None = None,
    congress_category: str = "",
) -> Registration:
    """A focal point opens a draft delegation for a session.

    Side effects: creates the draft, logs `sessions.registration.started`. No e-mail: a
    draft is the organization's own business until it is submitted.
    """
    if not is_focal_point_of(by, organization):
        raise PermissionDenied
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.verification_state != VerificationState.VERIFIED:
            raise ValidationError(
                {"organization": _("%(organization)s can register once the Civil Society Unit has verified it.") % {"organization": organization}}
            )
        if not _registration_window_is_open(session):
            raise _window_refusal(session)
        existing = Registration.objects.filter(session=session, organization=organization, status__in=LIVE_STATUSES).first()
        if existing is not None:
            raise ValidationError(
                {"organization": _("%(organization)s already has a registration for %(session)s: %(status)s.")
                 % {"organization": organization, "session": session, "status": existing.get_status_display()}}
            )
        body = umbrella_body if channel == Channel.UMBRELLA else None
        errors = _check_channel(organization, session, channel, body, congress_category)
        if errors:
            raise ValidationError(errors)
        registration = Registration.objects.create(
            session=session, organization=organization, channel=channel, umbrella_body=body,
            congress_category=congress_category, created_by=by,
        )
        log_activity(
            "sessions.registration.started", actor=by, target=registration,
            new={"status": registration.status, "channel": channel, "umbrella_body": str(body or "")},
        )
    return registration


def _locked(registration: Registration) -> Registration:
    # No joins in the locking query: PostgreSQL would fill joined columns from the older snapshot.
    return Registration.objects.select_for_update().get(pk=registration.pk)


def _locked_with_context(registration: Registration) -> Registration:
    """The registration locked and read again, with its session, commission, organization and body,
    and `window_is_open`: whether the session's registration window is open by the database's clock.

    The locked row is read in one query with the window asked of the session's row as it is then.
    The session, organization and body come from the caller's read when the locked row still points
    at them (a view reads them moments before, with the registration): none of them is locked, so
    reading them again after the lock would be no more current, as a change committed a moment later
    is missed either way. A caller that did not read them, or a row that points elsewhere now (an
    organization merged, a body changed meanwhile), has them read again in a second query.
    """
    locked = _locked_with_window.first(registration.pk)
    if locked is None:
        raise Registration.DoesNotExist("The registration no longer exists.")
    if _has_read_context(registration, locked):
        locked.session, locked.organization = registration.session, registration.organization
        locked.umbrella_body = registration.umbrella_body
        return locked
    context = selectors.registration_with_context.first(registration.pk)  # the locked row: it is there
    locked.session, locked.organization, locked.umbrella_body = context.session, context.organization, context.umbrella_body
    return locked


@compiled_read
def _locked_with_window(registration_id: int) -> QuerySet[Registration]:
    """The registration's row, locked, with `window_is_open` asked of its session's row by the database's clock."""
    window_is_open = models.Exists(
        Session.objects.filter(pk=models.OuterRef("session_id"), registration_opens__lte=Now(), registration_closes__gt=Now())
    )
    # No ordering: Registration's would join (and so lock) the session's and organization's rows.
    return Registration.objects.select_for_update().annotate(window_is_open=window_is_open).filter(pk=registration_id).order_by()


def _has_read_context(registration: Registration, locked: Registration) -> bool:
    """Whether `registration` carries, already read, the session (with its commission), organization and body `locked` points at."""
    read = all(Registration._meta.get_field(name).is_cached(registration) for name in ("session", "organization", "umbrella_body"))
    return (
        read
        and Session._meta.get_field("commission").is_cached(registration.session)
        and (registration.session_id, registration.organization_id, registration.umbrella_body_id)
        == (locked.session_id, locked.organization_id, locked.umbrella_body_id)
    )


def passport_error(expiry: date | None, session: Session) -> str:
    if expiry is None:
        return _("Enter the date until which the passport or ID is valid.")
    if expiry <= session.end_date:
        return _("The passport or ID must be valid after the session ends on %(date)s.") % {
            "date": formats.date_format(session.end_date, DATE_FORMAT)
        }
    return ""


def save_registration(
    registration: Registration,
    *,
    by: User,
    channel: str | None = None,
    umbrella_body: UmbrellaBody | None = None,
    congress_category: str | None = None,
    letter: File | None = None,
    participants: Iterable[ParticipantData] = (),
    remove: Iterable[int] = (),
) -> Registration:
    """Save the delegation as typed: channel, letter, participants added, changed and removed.

    Refused, changing nothing: a registration that is not editable, a channel the
    organization may not use, more participants than the session's quota, a passport that
    expires before the session ends. Saving an approved registration sends it back to CSU
    (`sessions.registration.changed_after_approval`); otherwise logs `sessions.registration.saved`.
    """
    _check_may_save(registration, by)
    with transaction.atomic():
        registration = _locked_with_context(registration)
        _save_locked(
            registration, by=by, channel=channel, umbrella_body=umbrella_body, congress_category=congress_category,
            letter=letter, participants=participants, remove=remove,
        )
    return registration


def _check_may_save(registration: Registration, by: User) -> None:
    if not rules.has_perm("sessions.view_registration", by, registration) or not is_focal_point_of(by, registration.organization):
        raise PermissionDenied


def _save_locked(
    registration: Registration,
    *,
    by: User,
    channel: str | None = None,
    umbrella_body: UmbrellaBody | None = None,
    congress_category: str | None = None,
    letter: File | None = None,
    participants: Iterable[ParticipantData] = (),
    remove: Iterable[int] = (),
    write_row: bool = True,
    log: list[ActivityLog] | None = None,
) -> list[Participant]:
    """save_registration() on the registration as _locked_with_context() read it, in the caller's transaction.

    Returns the delegation as saved, in its order: the participants a submission checks.
    `write_row=False`: the caller writes the registration's own row, later in the same transaction.
    `log`: where to put the log entry for the caller to write, later in the same transaction (None: written here).
    """
    participants = list(participants)
    remove = set(remove)
    session = registration.session
    if not rules.has_perm("sessions.edit_registration", by, registration):
        raise ValidationError(
            _("This registration can no longer be changed. Its status: %(status)s.") % {"status": registration.get_status_display()}
        )
    was_approved = registration.status == RegistrationStatus.APPROVED
    if was_approved and not registration.window_is_open:
        raise ValidationError(_("Registration has closed: an approved delegation can no longer be changed. Write to the Civil Society Unit."))
    new_channel = channel if channel is not None else registration.channel
    new_body = (umbrella_body if channel is not None else registration.umbrella_body) if new_channel == Channel.UMBRELLA else None
    new_category = congress_category if congress_category is not None else registration.congress_category
    errors = _check_channel(registration.organization, session, new_channel, new_body, new_category)
    if errors:
        raise ValidationError(errors)
    if was_approved and (new_channel, new_body) != (registration.channel, registration.umbrella_body):
        raise ValidationError({"channel": _("The channel of an approved delegation cannot change.")})

    existing = {participant.pk: participant for participant in selectors.participants_of(registration)}
    unknown = {data.participant_id for data in participants if data.participant_id} - set(existing)
    if unknown or not remove <= set(existing):
        raise ValidationError(_("The list of participants changed meanwhile. Reload the page; nothing was saved."))
    kept = len(set(existing) - remove - {data.participant_id for data in participants if data.participant_id})
    active_total = kept + len(participants)
    if active_total > session.quota_per_organization:
        raise ValidationError(
            ngettext(
                "A delegation to %(session)s can have at most %(quota)s representative; this one would have %(count)s. Remove one first.",
                "A delegation to %(session)s can have at most %(quota)s representatives; this one would have %(count)s. Remove one first.",
                session.quota_per_organization,
            )
            % {"session": session, "quota": session.quota_per_organization, "count": active_total}
        )
    for number, data in enumerate(participants):
        message = passport_error(data.passport_expiry, session)
        if message:
            raise ValidationError({f"participant-{number}-passport_expiry": message})

    removed_names = [existing[pk].passport_name for pk in sorted(remove)]
    if remove:
        Participant.objects.filter(pk__in=remove).delete()
    position = max((p.position for p in existing.values() if p.pk not in remove), default=-1) + 1
    added, changed, new_participants = [], [], []
    for data in participants:
        participant = existing[data.participant_id] if data.participant_id else Participant(registration=registration, position=position)
        if not data.participant_id:
            position += 1
        for name in PARTICIPANT_FIELDS:
            setattr(participant, name, getattr(data, name))
        if data.photo is not None:
            if participant.photo:
                participant.photo.delete(save=False)
            participant.photo.save(data.photo.name, data.photo, save=False)
        participant.status = ParticipantStatus.PENDING
        participant.rejection_reason = ""
        if data.participant_id:
            participant.save()
            changed.append(participant.passport_name)
        else:
            new_participants.append(participant)
            added.append(participant.passport_name)
    # New people in one INSERT. It sends no post_save signal: the registration saved below, in this
    # transaction, tells the caches of the session's figures (sessions.statistics) that they changed.
    Participant.objects.bulk_create(new_participants)
    if letter is not None:
        if registration.accreditation_letter:
            registration.accreditation_letter.delete(save=False)
        registration.accreditation_letter.save(letter.name, letter, save=False)
    registration.channel, registration.umbrella_body, registration.congress_category = new_channel, new_body, new_category
    summary = {
        "added": ", ".join(added) or "-", "changed": ", ".join(changed) or "-", "removed": ", ".join(removed_names) or "-",
        "letter": "new" if letter is not None else "-",
    }
    if was_approved:
        registration.status = RegistrationStatus.ENDORSED if new_channel == Channel.UMBRELLA else RegistrationStatus.SUBMITTED
        registration.changed_after_approval = True
        registration.submitted_at = timezone.now()
    if write_row:
        registration.save()
    if was_approved:
        _log(
            log, "sessions.registration.changed_after_approval", actor=by, target=registration,
            old={"status": RegistrationStatus.APPROVED}, new={"status": registration.status, **summary},
        )
        notify_all(focal_points_of(registration.organization), "sessions/registration_status", _context(registration, by, "changed"))
    else:
        _log(log, "sessions.registration.saved", actor=by, target=registration, new=summary)
    saved = [participant for pk, participant in existing.items() if pk not in remove] + new_participants
    return sorted(saved, key=lambda participant: (participant.position, participant.pk))


def normalised_name(family_name: str, given_names: str) -> str:
    """A name for comparing people: no accents, no case, single spaces."""
    text = f"{family_name} {given_names}"
    if not text.isascii():  # plain ASCII has nothing to decompose (the duplicate check compares many names)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(character for character in text if not unicodedata.combining(character))
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class RegisteredElsewhere:
    """A person of another live delegation of the session, as the duplicate check reads them."""

    participant_id: int
    registration_id: int
    organization_id: int
    organization_name: str


def duplicates_in_session(registration: Registration, *, ours: list[Participant] | None = None) -> list[tuple[Participant, RegisteredElsewhere]]:
    """Pairs (ours, theirs): the same person (name, date of birth, nationality) already in another live delegation of the session.

    `ours`: the registration's participants, when the caller has just read them. Only the columns
    the comparison needs are read: people sharing a date of birth and a nationality are many at scale.
    """
    ours = selectors.participants_of(registration) if ours is None else ours
    births = sorted({p.date_of_birth for p in ours if p.date_of_birth})
    if not births:
        return []
    # Read by date of birth alone (the index's column); the nationality and the name are compared below.
    others = _born_on(len(births))(registration.session_id, registration.pk, *births)
    our_names = {id(mine): normalised_name(mine.family_name, mine.given_names) for mine in ours}
    pairs = []
    for pk, family_name, given_names, born, nationality, registration_id, organization_id, organization_name in others:
        name = normalised_name(family_name, given_names)
        for mine in ours:
            if mine.date_of_birth == born and mine.nationality.code == nationality and our_names[id(mine)] == name:
                pairs.append((mine, RegisteredElsewhere(pk, registration_id, organization_id, organization_name)))
    found = {theirs.participant_id for _mine, theirs in pairs}
    if len(found) > 1:
        # In the participants' own order (by delegation, then place in it), as the refusal lists them.
        order = {pk: index for index, pk in enumerate(Participant.objects.filter(pk__in=found).values_list("pk", flat=True))}
        pairs.sort(key=lambda pair: order[pair[1].participant_id])
    return pairs


@functools.cache
def _born_on(count: int) -> CompiledRead:
    """The read of the session's other live delegates born on one of `count` dates (its SQL built once, portal.compiled)."""

    def others(session_id: int, registration_id: int, *births: date) -> QuerySet[Participant]:
        return (
            Participant.objects.filter(date_of_birth__in=births, registration__session=session_id, registration__status__in=LIVE_STATUSES)
            .exclude(registration=registration_id)
            .exclude(status=ParticipantStatus.REJECTED)
            .order_by()  # sorting every candidate would join the session and the organization; only matches are sorted
            .values_list(
                "pk", "family_name", "given_names", "date_of_birth", "nationality",
                "registration_id", "registration__organization_id", "registration__organization__name",
            )
        )

    return CompiledRead(others, kinds=(int, int, *[date] * count))


def submit_registration(registration: Registration, *, by: User) -> Registration:
    """See _submit_locked; a refusal that found another organization's delegate also warns CSU, in its own transaction."""
    if not is_focal_point_of(by, registration.organization):
        raise PermissionDenied
    try:
        with transaction.atomic():
            return _submit_locked(_locked_with_context(registration), by=by)
    except RefusedWithDuplicates as refusal:
        if refusal.pairs:
            _warn_csu_of_duplicates(registration, refusal.pairs)
        raise ValidationError(refusal.messages) from refusal


class SubmissionRefused(ValidationError):
    """save_and_submit_registration(): the delegation was saved, but not submitted; the messages say why."""


def save_and_submit_registration(
    registration: Registration,
    *,
    by: User,
    letter: File | None = None,
    participants: Iterable[ParticipantData] = (),
    remove: Iterable[int] = (),
) -> Registration:
    """save_registration(), then submit_registration(), in one transaction with the registration locked once.

    A refused save changes nothing and raises its ValidationError, as save_registration() does.
    A refused submission keeps what was saved (it is committed) and raises SubmissionRefused;
    when it found another organization's delegate, CSU is warned as submit_registration() does.
    Side effects: those of the save, then those of the submission; the log entries of both are written last, in one INSERT.
    """
    _check_may_save(registration, by)
    refusal = None
    with transaction.atomic():
        registration = _locked_with_context(registration)
        # The registration's row is written once, by the submission (its UPDATE carries the save's changes too),
        # or, when the submission is refused, with the save's changes alone; the log entries of both in one INSERT.
        log = []
        saved = _save_locked(
            registration, by=by, letter=letter, participants=participants, remove=remove, write_row=False, log=log
        )
        try:
            # The submission writes nothing until every check has passed: a refusal leaves the save to commit.
            _submit_locked(registration, by=by, participants=saved, log=log)
        except ValidationError as error:
            refusal = error
            registration.save()
        ActivityLog.objects.bulk_create(log)
    if refusal is None:
        return registration
    if isinstance(refusal, RefusedWithDuplicates) and refusal.pairs:
        _warn_csu_of_duplicates(registration, refusal.pairs)
    raise SubmissionRefused(refusal.messages) from refusal


def _submit_locked(
    registration: Registration, *, by: User, participants: list[Participant] | None = None, log: list[ActivityLog] | None = None
) -> Registration:
    """Send the delegation for decision: to the umbrella body or straight to CSU.

    In the caller's transaction, on the registration as _locked_with_context() read it;
    `participants`: its delegation, when the caller has just saved it; `log`: as for _save_locked(). Checked: the window (by the
    database's clock), a letter and at least one participant, at most one head of
    delegation, the quota, passports valid after the session, the channel still allowed,
    and nobody already in another delegation to the session (CSU is told of such a case).
    A refusal raises before anything is written.
    Side effects: status awaiting endorsement or submitted; a non-ECOSOC organization at a
    rule 17 session goes on the rule 17 list; logs `sessions.registration.submitted`;
    e-mails the focal points, and the body's coordinators when it needs their endorsement.
    """
    session = registration.session
    if registration.status not in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED):
        raise ValidationError(
            _("This registration was already sent. Its status: %(status)s.") % {"status": registration.get_status_display()}
        )
    if not registration.window_is_open:
        raise _window_refusal(session)
    if participants is None:
        participants = selectors.participants_of(registration)
    problems = []
    if not participants:
        problems.append(_("Add at least one participant."))
    if len(participants) > session.quota_per_organization:
        problems.append(
            _("A delegation can have at most %(quota)s representatives; this one has %(count)s.")
            % {"quota": session.quota_per_organization, "count": len(participants)}
        )
    if sum(1 for p in participants if p.role == "head") > 1:
        problems.append(_("Name one head of delegation only."))
    if not registration.accreditation_letter:
        problems.append(_("Upload the accreditation letter, signed by the head of the organization."))
    for participant in participants:
        message = passport_error(participant.passport_expiry, session)
        if message:
            problems.append(f"{participant.passport_name}: {message}")
        if not participant.passport_number or not participant.date_of_birth:
            problems.append(
                _("%(person)s: enter the passport or ID number and the date of birth.") % {"person": participant.passport_name}
            )
    errors = _check_channel(
        registration.organization, session, registration.channel, registration.umbrella_body, registration.congress_category
    )
    problems.extend(errors.values())
    duplicates = duplicates_in_session(registration, ours=participants)
    for mine, theirs in duplicates:
        if theirs.organization_id == registration.organization_id:
            problems.append(_("%(person)s is already in another delegation of your organization.") % {"person": mine.passport_name})
        else:
            problems.append(
                _("%(person)s is already registered for this session by another organization. A person can be in one "
                  "delegation only; the Civil Society Unit has been told and will contact you.")
                % {"person": mine.passport_name}
            )
    if problems:
        raise RefusedWithDuplicates(
            problems,
            [
                (mine.passport_name, theirs.organization_name)
                for mine, theirs in duplicates
                if theirs.organization_id != registration.organization_id
            ],
        )
    old = registration.status
    registration.status = (
        RegistrationStatus.AWAITING_ENDORSEMENT if registration.channel == Channel.UMBRELLA else RegistrationStatus.SUBMITTED
    )
    if registration.channel == Channel.DIRECT and _direct_admission(registration.organization, session).goes_on_rule17_list:
        registration.rule17_outcome = registration.rule17_outcome or Rule17Outcome.PENDING
    registration.submitted_at = timezone.now()
    registration.reason = ""
    registration.save()
    _log(
        log, "sessions.registration.submitted", actor=by, target=registration,
        old={"status": old}, new={"status": registration.status, "participants": len(participants)},
    )
    context = _context(registration, by, "submitted")
    notify_all(focal_points_of(registration.organization), "sessions/registration_status", context)
    if registration.status == RegistrationStatus.AWAITING_ENDORSEMENT:
        notify_all(endorsers_for(registration), "sessions/awaiting_endorsement", context)
    return registration


def _log(log: list[ActivityLog] | None, action: str, **values) -> None:
    """log_activity(), or its entry added to `log` for the caller to write."""
    if log is None:
        log_activity(action, **values)
    else:
        log.append(activity_entry(action, **values))


class RefusedWithDuplicates(ValidationError):
    """A refused submission that also found people registered by another organization."""

    def __init__(self, messages: list[str], pairs: list[tuple[str, str]]):
        super().__init__(messages)
        self.pairs = pairs


def _warn_csu_of_duplicates(registration: Registration, pairs: list[tuple[str, str]]) -> None:
    """Tell CSU that people of this delegation are already in another organization's delegation."""
    with transaction.atomic():
        log_activity(
            "sessions.registration.duplicate_person", actor=None, target=registration,
            new={"people": "; ".join(f"{name} ({organization})" for name, organization in pairs)},
        )
        notify_all(csu_staff_users(), "sessions/duplicate_person", {"registration": registration, "session": registration.session, "organization": registration.organization, "pairs": pairs})


def endorsers_for(registration: Registration) -> list[User]:
    """Who endorses a registration made through a body; see umbrella.services.deciders_for_organization."""
    return deciders_for_organization(registration.umbrella_body, registration.organization)



def _context(registration: Registration, by: User, event: str, **extra) -> dict:
    return {
        "registration": registration,
        "session": registration.session,
        "organization": registration.organization,
        "body": registration.umbrella_body,
        "event": event,
        "actor": by,
        **extra,
    }


# --- Decisions ---------------------------------------------------------------------------------------


def _changed_meanwhile(registration: Registration) -> ValidationError:
    if registration.decided_by is not None and registration.decided_at is not None:
        return ValidationError(
            _("%(person)s already decided on %(date)s. The registration's status is now: %(status)s. Nothing else was changed.")
            % {
                "person": registration.decided_by,
                "date": formats.date_format(timezone.localtime(registration.decided_at), "j F Y, H:i"),
                "status": registration.get_status_display(),
            }
        )
    return ValidationError(
        _("Nothing was changed. The registration's status is now: %(status)s.") % {"status": registration.get_status_display()}
    )


def _decide(
    registration: Registration, *, by: User, permission: str, from_statuses: Iterable[str], to_status: str,
    action: str, reason: str, reason_required: bool, event: str,
) -> Registration:
    reason = reason.strip()
    with transaction.atomic():
        # Who may decide is asked of the row as it is now, not as the caller last read it.
        registration = _locked(registration)
        if not rules.has_perm(permission, by, registration):
            raise PermissionDenied
        if reason_required and not reason:
            raise ValidationError({"reason": _("Give a reason: it is e-mailed to the organization's focal points.")})
        if registration.status not in from_statuses:
            raise _changed_meanwhile(registration)
        assert to_status in TRANSITIONS[registration.status]
        old = registration.status
        registration.status = to_status
        registration.decided_by = by
        registration.decided_at = timezone.now()
        registration.reason = reason
        registration.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        if to_status in (RegistrationStatus.REJECTED, RegistrationStatus.DECLINED):
            registration.participants.update(status=ParticipantStatus.REJECTED)
        log_activity(action, actor=by, target=registration, old={"status": old}, new={"status": to_status}, note=reason)
        notify_all(focal_points_of(registration.organization), "sessions/registration_status", _context(registration, by, event))
    return registration


def endorse_registration(registration: Registration, *, by: User, note: str = "") -> Registration:
    """The umbrella body endorses the delegation; it goes on to CSU. Logs and e-mails the focal points."""
    return _decide(
        registration, by=by, permission="sessions.endorse_registration",
        from_statuses=(RegistrationStatus.AWAITING_ENDORSEMENT,), to_status=RegistrationStatus.ENDORSED,
        action="sessions.registration.endorsed", reason=note, reason_required=False, event="endorsed",
    )


def decline_endorsement(registration: Registration, *, by: User, reason: str) -> Registration:
    """The umbrella body declines to take the delegation; the registration ends. Logs and e-mails the reason."""
    return _decide(
        registration, by=by, permission="sessions.endorse_registration",
        from_statuses=(RegistrationStatus.AWAITING_ENDORSEMENT,), to_status=RegistrationStatus.DECLINED,
        action="sessions.registration.declined", reason=reason, reason_required=True, event="declined",
    )


def reject_registration(registration: Registration, *, by: User, reason: str) -> Registration:
    """CSU rejects the whole delegation with a reason."""
    return _decide(
        registration, by=by, permission="sessions.review_registrations", from_statuses=AWAITING_CSU,
        to_status=RegistrationStatus.REJECTED, action="sessions.registration.rejected", reason=reason,
        reason_required=True, event="rejected",
    )


def return_registration(registration: Registration, *, by: User, reason: str) -> Registration:
    """CSU returns the delegation for changes; the focal points can edit and submit it again."""
    return _decide(
        registration, by=by, permission="sessions.review_registrations", from_statuses=AWAITING_CSU,
        to_status=RegistrationStatus.RETURNED, action="sessions.registration.returned", reason=reason,
        reason_required=True, event="returned",
    )


def withdraw_registration(registration: Registration, *, by: User) -> Registration:
    """The organization withdraws its delegation before a decision."""
    return _decide(
        registration, by=by, permission="sessions.act_for_registrant",
        from_statuses=tuple(status for status, following in TRANSITIONS.items() if RegistrationStatus.WITHDRAWN in following),
        to_status=RegistrationStatus.WITHDRAWN, action="sessions.registration.withdrawn", reason="",
        reason_required=False, event="withdrawn",
    )


def approve_registration(
    registration: Registration, *, by: User, note: str = "", rejected: Mapping[int, str] | None = None
) -> Registration:
    """CSU approves the delegation, optionally rejecting some participants with a reason each.

    Refused while the organization is on the rule 17 list without "no objection". Side
    effects: the registration is approved, its participants approved or rejected, logs
    `sessions.registration.approved`, e-mails the focal points and each approved participant.
    """
    if not rules.has_perm("sessions.review_registrations", by):
        raise PermissionDenied
    rejected = {int(pk): reason.strip() for pk, reason in (rejected or {}).items()}
    with transaction.atomic():
        registration = _locked(registration)
        if registration.status not in AWAITING_CSU:
            raise _changed_meanwhile(registration)
        if registration.rule17_outcome == Rule17Outcome.PENDING:
            raise ValidationError(_("%(organization)s is on the rule 17 list: record the States' answer before deciding.") % {"organization": registration.organization})
        if registration.rule17_outcome == Rule17Outcome.OBJECTION:
            raise ValidationError(_("A State objected to %(organization)s under rule 17: the registration can only be rejected.") % {"organization": registration.organization})
        participants = selectors.participants_of(registration)
        ids = {participant.pk for participant in participants}
        if not set(rejected) <= ids:
            raise ValidationError(_("The list of participants changed meanwhile. Reload the page; nothing was decided."))
        missing = [participant.passport_name for participant in participants if participant.pk in rejected and not rejected[participant.pk]]
        if missing:
            raise ValidationError(_("Give a reason for rejecting %(people)s.") % {"people": ", ".join(missing)})
        if participants and set(rejected) == ids:
            raise ValidationError(_("Every participant would be rejected: reject the registration instead."))
        old = registration.status
        for participant in participants:
            if participant.pk in rejected:
                participant.status, participant.rejection_reason = ParticipantStatus.REJECTED, rejected[participant.pk]
            else:
                participant.status, participant.rejection_reason = ParticipantStatus.APPROVED, ""
        Participant.objects.bulk_update(participants, ["status", "rejection_reason"])
        registration.status = RegistrationStatus.APPROVED
        registration.decided_by, registration.decided_at, registration.reason = by, timezone.now(), note.strip()
        registration.changed_after_approval = False
        registration.save(update_fields=["status", "decided_by", "decided_at", "reason", "changed_after_approval"])
        log_activity(
            "sessions.registration.approved", actor=by, target=registration, old={"status": old},
            new={
                "status": registration.status,
                "approved": len(participants) - len(rejected),
                "rejected": ", ".join(p.passport_name for p in participants if p.pk in rejected) or "-",
            },
            note=registration.reason,
        )
        notify_all(
            focal_points_of(registration.organization), "sessions/registration_status",
            _context(registration, by, "approved", participants=participants),
        )
        for participant in participants:
            if participant.status == ParticipantStatus.APPROVED:
                notify(participant.email, "sessions/participant_confirmed", {**_context(registration, by, "approved"), "participant": participant})
    return registration


@dataclass(frozen=True)
class BulkOutcome:
    approved: list[Registration]
    refused: list[tuple[Registration, str]]


def approve_registrations(registrations: Iterable[Registration], *, by: User) -> BulkOutcome:
    """Approve several registrations, each on its own (one refusal does not stop the others)."""
    approved, refused = [], []
    for registration in registrations:
        try:
            approved.append(approve_registration(registration, by=by))
        except ValidationError as error:
            refused.append((registration, " ".join(error.messages)))
    return BulkOutcome(approved=approved, refused=refused)


def record_rule17_outcome(registration: Registration, *, by: User, outcome: str, note: str = "") -> Registration:
    """CSU records the States' answer for an organization on the rule 17 list."""
    if not rules.has_perm("sessions.review_registrations", by):
        raise PermissionDenied
    if outcome not in (Rule17Outcome.NO_OBJECTION, Rule17Outcome.OBJECTION):
        raise ValidationError({"outcome": _("Choose “no objection” or “objection”.")})
    with transaction.atomic():
        registration = _locked(registration)
        if registration.rule17_outcome == Rule17Outcome.NOT_LISTED:
            raise ValidationError(_("This organization is not on the rule 17 list."))
        if registration.status not in AWAITING_CSU:
            raise _changed_meanwhile(registration)
        old = registration.rule17_outcome
        registration.rule17_outcome = outcome
        registration.save(update_fields=["rule17_outcome"])
        log_activity(
            "sessions.registration.rule17_recorded", actor=by, target=registration,
            old={"rule17": old}, new={"rule17": outcome}, note=note.strip(),
        )
    return registration


# --- Deadlines and retention -----------------------------------------------------------------


def expire_drafts(*, now=None) -> int:
    """Mark drafts (and returned registrations) of closed windows as expired, and tell their focal points.

    The deadline itself is enforced at submission; this only tidies up afterwards and is
    safe to run any number of times.
    """
    now = now or timezone.now()
    count = 0
    candidates = Registration.objects.filter(
        status__in=(RegistrationStatus.DRAFT, RegistrationStatus.RETURNED), session__registration_closes__lte=now
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            registration = Registration.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if registration is None or registration.status not in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED):
                continue
            old = registration.status
            registration.status = RegistrationStatus.EXPIRED
            registration.save(update_fields=["status"])
            log_activity("sessions.registration.expired", actor=None, target=registration, old={"status": old}, new={"status": registration.status})
            notify_all(focal_points_of(registration.organization), "sessions/registration_status", _context(registration, None, "expired"))
            count += 1
    return count


@dataclass(frozen=True)
class PurgeOutcome:
    registrations: int
    participants: int
    files: int


def purge_personal_data(*, now=None) -> PurgeOutcome:
    """Remove passport numbers, dates of birth, passport expiry dates, photos and letters of
    sessions that ended more than PERSONAL_DATA_RETENTION_DAYS ago. Idempotent; logs one
    `sessions.personal_data.purged` entry per registration."""
    now = now or timezone.now()
    cutoff = timezone.localdate(now) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    registrations = Registration.objects.filter(session__end_date__lt=cutoff, personal_data_purged_at__isnull=True)
    done = participants_done = files = 0
    for pk in list(registrations.values_list("pk", flat=True)):
        with transaction.atomic():
            registration = Registration.objects.select_for_update().get(pk=pk)
            if registration.personal_data_purged_at is not None:
                continue
            for participant in registration.participants.all():
                if participant.photo:
                    participant.photo.delete(save=False)
                    files += 1
                participant.passport_number = ""
                participant.date_of_birth = None
                participant.passport_expiry = None
                participant.save(update_fields=["passport_number", "date_of_birth", "passport_expiry", "photo"])
                participants_done += 1
            if registration.accreditation_letter:
                registration.accreditation_letter.delete(save=False)
                files += 1
            registration.personal_data_purged_at = now
            registration.save(update_fields=["accreditation_letter", "personal_data_purged_at"])
            log_activity("sessions.personal_data.purged", actor=None, target=registration, new={"participants": registration.participants.count()})
            done += 1
    return PurgeOutcome(registrations=done, participants=participants_done, files=files)
