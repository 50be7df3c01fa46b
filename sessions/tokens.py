"""Signed links for people without an account: a participant's visa support letter."""

from django.core import signing

VISA_LETTER_SALT = "sessions.visa-letter"
# Long enough to reach the consulate: the link works until the session's data is purged anyway.
VISA_LETTER_MAX_AGE = 180 * 24 * 3600


def visa_letter_token(participant_id: int) -> str:
    """A token naming the participant by id only: nothing personal goes into a URL."""
    return signing.dumps(participant_id, salt=VISA_LETTER_SALT, compress=True)


def participant_from_token(token: str) -> int | None:
    """The participant id of a valid, unexpired token; None otherwise."""
    try:
        return int(signing.loads(token, salt=VISA_LETTER_SALT, max_age=VISA_LETTER_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None
