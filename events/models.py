"""Side events, the rooms and slots they are placed in, their co-organizers and speakers."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .enums import CoOrganizerStatus, EventFormat, SideEventStatus, SpeakerGender


class Room(models.Model):
    """A meeting room at a venue; sessions held at that venue use its rooms."""

    venue = models.CharField(_("venue"), max_length=200, help_text=_("As written on the sessions held there."))
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"))

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["venue", "name"]
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="room_unique_name_per_venue")]

    def __str__(self):
        return self.name


class Slot(models.Model):
    """A time in a session's side-event grid, e.g. Monday 13:10–14:00 (in the session's time zone)."""

    session = models.ForeignKey("commission_sessions.Session", on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["session", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "starts_at"], name="slot_unique_start"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"),
        ]

    def __str__(self):
        start = timezone.localtime(self.starts_at, self.session.tz)
        end = timezone.localtime(self.ends_at, self.session.tz)
        # Day and month names in the reader's language.
        return f"{formats.date_format(start, 'D j M, H:i')}–{formats.time_format(end, 'H:i')}"


# The states in which an event holds its room and slot.
HOLDS_SLOT = ~models.Q(status__in=[SideEventStatus.CANCELLED, SideEventStatus.WITHDRAWN, SideEventStatus.REJECTED])


class SideEvent(models.Model):
    """A side event proposed by a lead organizer for a session, then reviewed, scheduled and published."""

    session = models.ForeignKey("commission_sessions.Session", on_delete=models.PROTECT, related_name="side_events")
    lead_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("lead organizer"),
        on_delete=models.CASCADE,
        related_name="side_events",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    themes = models.ManyToManyField("organizations.ThematicArea", verbose_name=_("themes"), blank=True)
    format = models.CharField(_("format"), max_length=10, choices=EventFormat.choices, default=EventFormat.IN_PERSON)
    online_link = models.URLField(_("online link"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    expected_audience = models.PositiveIntegerField(_("expected audience"), default=30)
    co_sponsoring_states = CountryField(_("co-sponsoring States"), multiple=True, blank=True)
    co_sponsoring_un_entities = models.CharField(_("co-sponsoring UN entities"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SideEventStatus.choices, default=SideEventStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT, null=True, blank=True, related_name="side_events")
    slot = models.ForeignKey(Slot, verbose_name=_("slot"), on_delete=models.PROTECT, null=True, blank=True, related_name="side_events")
    # For calendar feeds: a UID that never changes, and a SEQUENCE that grows with every change of time or place.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("side event")
        verbose_name_plural = _("side events")
        ordering = ["session", "submitted_at", "pk"]
        constraints = [
            # One application per lead organizer per session.
            models.UniqueConstraint(fields=["session", "lead_organization"], name="side_event_one_per_lead_organizer"),
            # A room never holds two events in one slot.
            models.UniqueConstraint(
                fields=["room", "slot"],
                condition=models.Q(room__isnull=False, slot__isnull=False) & HOLDS_SLOT,
                name="side_event_one_per_room_and_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(room__isnull=True, slot__isnull=True) | models.Q(room__isnull=False, slot__isnull=False),
                name="side_event_room_and_slot_together",
            ),
        ]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"event_id": self.pk})

    @property
    def is_scheduled(self) -> bool:
        return self.slot_id is not None and self.status == SideEventStatus.ACCEPTED


class CoOrganizer(models.Model):
    """An organization named as co-organizer; shown publicly once one of its focal points confirms."""

    event = models.ForeignKey(SideEvent, on_delete=models.CASCADE, related_name="co_organizers")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="co_organized_events")
    status = models.CharField(_("status"), max_length=10, choices=CoOrganizerStatus.choices, default=CoOrganizerStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("co-organizer")
        verbose_name_plural = _("co-organizers")
        ordering = ["event", "organization__name"]
        constraints = [models.UniqueConstraint(fields=["event", "organization"], name="co_organizer_unique")]

    def __str__(self):
        return f"{self.organization} – {self.event}"


class Speaker(models.Model):
    event = models.ForeignKey(SideEvent, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("title or function"), max_length=150, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=SpeakerGender.choices)
    country = CountryField(_("country"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["event", "position", "pk"]

    def __str__(self):
        return self.name
