"""Template helpers for sessions: signed links for people without an account."""

from django import template
from django.urls import reverse

from ..tokens import visa_letter_token

register = template.Library()


@register.simple_tag
def visa_letter_url(participant) -> str:
    """The path of a participant's visa support letter, signed, with nothing personal in it."""
    return reverse("sessions:visa_letter_by_token", kwargs={"token": visa_letter_token(participant.pk)})
