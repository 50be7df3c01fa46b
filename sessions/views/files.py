"""Personal files of delegations, each served only after its permission check: never from a public URL.

The accreditation letter, a participant's photo and the visa support letter. Whoever may
not see a file, or asks for one that does not exist, gets a 404. Every answer is private
and never stored by a cache; the file names say nothing about the person.
"""

import io
from pathlib import PurePosixPath

import rules
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from portal.middleware import staff_page

from ..enums import ParticipantStatus, RegistrationStatus
from ..letters import visa_support_letter
from ..models import Participant, Registration
from ..tokens import participant_from_token

PHOTO_CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def _private(response: FileResponse) -> FileResponse:
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _open(field_file):
    """The stored file, opened; a file missing from the disk does not exist either."""
    try:
        return field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None


def _session_code(registration: Registration) -> str:
    return f"{registration.session.commission.code}-{registration.session.number}"


def _participant(participant_id: int) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("registration__session__commission", "registration__organization"),
        pk=participant_id,
    )


# Staff pages, so that CSU and coordinators reach personal data only with two-factor
# authentication; focal points are not asked for it.


@staff_page
@login_required
@require_GET
def accreditation_letter(request, registration_id: int):
    """The organization's accreditation letter (PDF), for whoever may see the registration."""
    registration = get_object_or_404(Registration.objects.select_related("session__commission"), pk=registration_id)
    if not rules.has_perm("sessions.view_registration", request.user, registration):
        raise Http404
    if not registration.accreditation_letter or registration.personal_data_purged_at is not None:
        raise Http404
    response = FileResponse(
        _open(registration.accreditation_letter),
        as_attachment=True,
        filename=f"accreditation-letter-{_session_code(registration)}.pdf",
        content_type="application/pdf",
    )
    return _private(response)


@staff_page
@login_required
@require_GET
def participant_photo(request, participant_id: int):
    """A participant's photo, for CSU and the organization's focal points only."""
    participant = _participant(participant_id)
    registration = participant.registration
    if not rules.has_perm("sessions.see_personal_data", request.user, registration):
        raise Http404
    if not participant.photo or registration.personal_data_purged_at is not None:
        raise Http404
    suffix = PurePosixPath(participant.photo.name).suffix.lower()
    if suffix not in PHOTO_CONTENT_TYPES:
        raise Http404
    response = FileResponse(
        _open(participant.photo),
        filename=f"participant-{participant.pk}{suffix}",
        content_type=PHOTO_CONTENT_TYPES[suffix],
    )
    return _private(response)


def _has_visa_letter(participant: Participant) -> bool:
    """A letter exists for an approved participant of an approved delegation who asked for one, until the data is purged."""
    registration = participant.registration
    return (
        participant.needs_visa_letter
        and participant.status == ParticipantStatus.APPROVED
        and registration.status == RegistrationStatus.APPROVED
        and registration.personal_data_purged_at is None
        and bool(participant.passport_number)
    )


def _visa_letter_response(participant: Participant) -> FileResponse:
    if not _has_visa_letter(participant):
        raise Http404
    response = FileResponse(
        io.BytesIO(visa_support_letter(participant)),
        as_attachment=True,
        filename=f"visa-support-letter-{_session_code(participant.registration)}.pdf",
        content_type="application/pdf",
    )
    return _private(response)


@staff_page
@login_required
@require_GET
def visa_letter(request, participant_id: int):
    """A participant's visa support letter, for CSU and the organization's focal points."""
    participant = _participant(participant_id)
    if not rules.has_perm("sessions.see_personal_data", request.user, participant.registration):
        raise Http404
    return _visa_letter_response(participant)


@require_GET
def visa_letter_by_token(request, token: str):
    """The participant's own link, e-mailed with the confirmation: no account needed, the signed token suffices."""
    participant_id = participant_from_token(token)
    if participant_id is None:
        raise Http404
    return _visa_letter_response(_participant(participant_id))
