"""Commissions and their sessions."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import AdmissionRule, SessionFormat


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone, such as Europe/Vienna."), params={"value": value})


class Commission(models.Model):
    """A UN body whose sessions NGOs attend: CND, CCPCJ, COP-UNTOC, UNCAC COSP, the Crime Congress."""

    code = models.SlugField(_("short code"), max_length=20, unique=True, help_text=_("Used in addresses, e.g. cnd."))
    abbreviation = models.CharField(_("abbreviation"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    admission_rule = models.CharField(_("admission rule"), max_length=10, choices=AdmissionRule.choices)

    class Meta:
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        ordering = ["abbreviation"]

    def __str__(self):
        return self.abbreviation


class Session(models.Model):
    """One session of a commission, e.g. the 70th session of the CND."""

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=255)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Vienna", validators=[validate_time_zone])
    format = models.CharField(_("format"), max_length=10, choices=SessionFormat.choices, default=SessionFormat.HYBRID)
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("registration closes"), null=True, blank=True)
    quota_per_organization = models.PositiveSmallIntegerField(_("representatives per organization"), default=10)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["start_date", "commission__abbreviation"]
        constraints = [
            models.UniqueConstraint(fields=["commission", "number"], name="session_unique_number"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="session_dates_ordered"),
        ]
        indexes = [models.Index(fields=["end_date"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sessions:detail", kwargs={"commission": self.commission.code, "number": self.number})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def time_zone_label(self) -> str:
        """The city of the session's time zone, as people say it: "Vienna", "New York"."""
        return self.time_zone.rsplit("/", 1)[-1].replace("_", " ")

    @property
    def registration_state(self) -> str:
        """One of "unannounced", "not_yet_open", "open", "closed", for display."""
        if not (self.registration_opens and self.registration_closes):
            return "unannounced"
        now = timezone.now()
        if now < self.registration_opens:
            return "not_yet_open"
        if now < self.registration_closes:
            return "open"
        return "closed"
