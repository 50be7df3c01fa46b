"""A session's lists as files for CSU: the approved participants (for badges) and the rule 17 list.

Rows are read in chunks, so memory stays flat; every text cell is neutralised against CSV
injection (a name typed as "=HYPERLINK(...)" stays text in a spreadsheet).
"""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from organizations.exports import neutralise

from .enums import ParticipantStatus, RegistrationStatus, Rule17Outcome
from .models import Participant, Registration, Session

CHUNK_SIZE = 1000
DESCRIPTION_CHARACTERS = 300


def _cells(values: list) -> list[str | int]:
    return ["" if value is None else value if isinstance(value, int) else neutralise(str(value)) for value in values]


# --- Approved participants -------------------------------------------------------------------------


def participants_header() -> list[str]:
    return [
        _("Passport name"), _("Family name"), _("Given names"), _("Gender"), _("Nationality"), _("Date of birth"),
        _("Passport or ID number"), _("Valid until"), _("E-mail"), _("Role"), _("Attendance"), _("Organization"),
        _("Acronym"), _("Channel"), _("Umbrella body"), _("Visa letter requested"),
    ]


def approved_participants(session: Session) -> QuerySet[Participant]:
    """The approved participants of the session's approved delegations, by organization."""
    return (
        Participant.objects.filter(
            registration__session=session,
            registration__status=RegistrationStatus.APPROVED,
            status=ParticipantStatus.APPROVED,
        )
        .select_related("registration__organization", "registration__umbrella_body")
        .order_by("registration__organization__name", "registration_id", "position", "pk")
    )


def participant_rows(participants: QuerySet[Participant]) -> Iterator[list[str | int]]:
    """Each participant as cells in participants_header's order."""
    for participant in participants.iterator(chunk_size=CHUNK_SIZE):
        registration = participant.registration
        organization = registration.organization
        yield _cells([
            participant.passport_name,
            participant.family_name,
            participant.given_names,
            participant.get_gender_display(),
            participant.nationality.name if participant.nationality else "",
            participant.date_of_birth.isoformat() if participant.date_of_birth else "",
            participant.passport_number,
            participant.passport_expiry.isoformat() if participant.passport_expiry else "",
            participant.email,
            participant.get_role_display(),
            participant.get_attendance_display(),
            organization.name,
            organization.acronym,
            registration.get_channel_display(),
            registration.umbrella_body.name if registration.umbrella_body else "",
            _("yes") if participant.needs_visa_letter else _("no"),
        ])


# --- Rule 17 list -----------------------------------------------------------------------------------


def rule17_header() -> list[str]:
    return [
        _("Organization"), _("Acronym"), _("Headquarters country"), _("Website"), _("Description"),
        _("Registration status"), _("Rule 17"),
    ]


def rule17_registrations(session: Session) -> QuerySet[Registration]:
    """The session's registrations whose organization is on the rule 17 list, by organization name."""
    return (
        session.registrations.exclude(rule17_outcome=Rule17Outcome.NOT_LISTED)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )


def rule17_rows(registrations: QuerySet[Registration]) -> Iterator[list[str | int]]:
    """Each listed organization as cells in rule17_header's order; the description shortened."""
    for registration in registrations.iterator(chunk_size=CHUNK_SIZE):
        organization = registration.organization
        yield _cells([
            organization.name,
            organization.acronym,
            organization.headquarters_country.name if organization.headquarters_country else "",
            organization.website,
            Truncator(" ".join(organization.description.split())).chars(DESCRIPTION_CHARACTERS),
            registration.get_status_display(),
            registration.get_rule17_outcome_display(),
        ])
