"""Commissions and their sessions."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django.conf import settings
from django_countries.fields import CountryField

from .enums import (
    AdmissionRule,
    Attendance,
    Channel,
    CongressCategory,
    Gender,
    ParticipantRole,
    ParticipantStatus,
    RegistrationStatus,
    Rule17Outcome,
    SessionFormat,
)
from .storage import letter_path, photo_path, private_storage


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone, such as Europe/Vienna."), params={"value": value})


def window_state(opens, closes) -> str:
    """Where now stands against a window: "unannounced", "not_yet_open", "open" or "closed"."""
    if not (opens and closes):
        return "unannounced"
    now = timezone.now()
    if now < opens:
        return "not_yet_open"
    if now < closes:
        return "open"
    return "closed"


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
    side_events_open = models.DateTimeField(_("side-event applications open"), null=True, blank=True)
    side_events_close = models.DateTimeField(_("side-event applications close"), null=True, blank=True)
    admission_rule = models.CharField(
        _("admission rule"),
        max_length=10,
        choices=AdmissionRule.choices,
        blank=True,
        help_text=_("Leave empty to follow the commission's rule."),
    )

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
    def effective_admission_rule(self) -> str:
        return self.admission_rule or self.commission.admission_rule

    def get_effective_admission_rule_display(self) -> str:
        return AdmissionRule(self.effective_admission_rule).label

    @property
    def side_event_state(self) -> str:
        """One of "unannounced", "not_yet_open", "open", "closed", for display."""
        return window_state(self.side_events_open, self.side_events_close)

    @property
    def registration_state(self) -> str:
        """One of "unannounced", "not_yet_open", "open", "closed", for display."""
        return window_state(self.registration_opens, self.registration_closes)


# Registrations that still hold the organization's place in the session (and count for the quota and duplicates).
LIVE_STATUSES = (
    RegistrationStatus.DRAFT,
    RegistrationStatus.SUBMITTED,
    RegistrationStatus.AWAITING_ENDORSEMENT,
    RegistrationStatus.ENDORSED,
    RegistrationStatus.APPROVED,
    RegistrationStatus.RETURNED,
)


class Registration(models.Model):
    """One organization's delegation to one session."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="registrations")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="registrations"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.DIRECT)
    umbrella_body = models.ForeignKey(
        "umbrella.UmbrellaBody",
        verbose_name=_("umbrella body"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    congress_category = models.CharField(
        _("Congress category"), max_length=10, choices=CongressCategory.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    accreditation_letter = models.FileField(
        _("accreditation letter"), storage=private_storage, upload_to=letter_path, blank=True, max_length=200
    )
    rule17_outcome = models.CharField(
        _("rule 17"), max_length=12, choices=Rule17Outcome.choices, blank=True, default=Rule17Outcome.NOT_LISTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # The latest decision: who, when and why.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    changed_after_approval = models.BooleanField(_("changed after approval"), default=False)
    personal_data_purged_at = models.DateTimeField(_("personal data purged"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["session", "organization__name"]
        constraints = [
            # One live delegation per organization and session; a withdrawn, rejected or expired one can be followed by a new one.
            models.UniqueConstraint(
                fields=["session", "organization"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="registration_one_live_per_session",
            ),
            models.CheckConstraint(
                condition=models.Q(channel="direct", umbrella_body__isnull=True)
                | models.Q(channel="umbrella", umbrella_body__isnull=False),
                name="registration_channel_matches_body",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            # CSU's review queue: a session's registrations in order of arrival, one page at a time.
            models.Index(fields=["session", "submitted_at", "id"], name="registration_review_order"),
        ]

    def __str__(self):
        return f"{self.organization} – {self.session}"

    def get_absolute_url(self):
        return reverse("sessions:registration", kwargs={"registration_id": self.pk})


class Participant(models.Model):
    """One representative in a delegation, with the data UNODC needs for the badge."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="participants")
    family_name = models.CharField(_("family name (as in the passport)"), max_length=100)
    given_names = models.CharField(_("given names (as in the passport)"), max_length=150)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    nationality = CountryField(_("nationality"))
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    passport_number = models.CharField(_("passport or ID number"), max_length=40, blank=True)
    passport_expiry = models.DateField(_("passport or ID valid until"), null=True, blank=True)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=15, choices=ParticipantRole.choices, default=ParticipantRole.REPRESENTATIVE)
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.IN_PERSON)
    photo = models.ImageField(_("photo"), storage=private_storage, upload_to=photo_path, blank=True, max_length=200)
    needs_visa_letter = models.BooleanField(_("needs a visa support letter"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        # By the registration's id, not "registration": that would sort by the registration's own ordering
        # (its session's date and commission, its organization's name), joining three tables to list one delegation.
        ordering = ["registration_id", "position", "pk"]
        indexes = [
            models.Index(fields=["family_name", "date_of_birth"]),
            # The duplicate check on submission looks people up by date of birth across the session.
            models.Index(fields=["date_of_birth"], name="participant_date_of_birth"),
        ]

    def __str__(self):
        return self.passport_name

    @property
    def passport_name(self) -> str:
        """The name as UN accreditation writes it: "FAMILY NAME, Given names"."""
        return f"{self.family_name.upper()}, {self.given_names}"


class Reminder(models.Model):
    """A reminder sent to an organization before a window closes: the record that it was sent, once."""

    class Window(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        SIDE_EVENTS = "side_events", _("Side-event applications")

    class Kind(models.TextChoices):
        DRAFT = "draft", _("Unsubmitted draft")
        NOT_REGISTERED = "not_registered", _("Took part before, not registered yet")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="+")
    window = models.CharField(max_length=15, choices=Window.choices)
    days_before = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=15, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "organization", "window", "days_before"], name="reminder_sent_once"
            )
        ]

    def __str__(self):
        return f"{self.organization} – {self.session} ({self.window}, {self.days_before} days)"
