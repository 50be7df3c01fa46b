"""Choices for side events."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SideEventStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("side event", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("side event", "Submitted")
    RETURNED = "returned", pgettext_lazy("side event", "Returned for changes")
    WAITLISTED = "waitlisted", pgettext_lazy("side event", "Waitlisted")
    ACCEPTED = "accepted", pgettext_lazy("side event", "Accepted")
    REJECTED = "rejected", pgettext_lazy("side event", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("side event", "Withdrawn")
    CANCELLED = "cancelled", pgettext_lazy("side event", "Cancelled")


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class CoOrganizerStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")


class SpeakerGender(models.TextChoices):
    FEMALE = "female", _("Woman")
    MALE = "male", _("Man")
    OTHER = "other", _("Other or not stated")


# The UN's six official languages, which side events most often use.
LANGUAGE_CHOICES = [
    ("ar", _("Arabic")),
    ("zh", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
