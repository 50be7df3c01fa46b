"""Organizations of civil society, the people who act for them and the requests around them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .enums import (
    EcosocStatus,
    MemberRole,
    OrganizationKind,
    RegionalGroup,
    RequestStatus,
    VerificationState,
)
from .regions import regional_group_for

# Once an organization is verified, focal points' changes to these wait for CSU.
FIELDS_NEEDING_CONFIRMATION = ("name", "name_en", "acronym", "acronym_en", "headquarters_country", "ecosoc_status", "ecosoc_year")
# What the public may see of a verified organization.
PUBLIC_FIELDS = (
    "name", "name_en", "acronym", "acronym_en", "kind", "headquarters_country", "countries_of_work",
    "regional_group", "website", "email", "year_founded", "description", "ecosoc_status", "ecosoc_year",
)


class ThematicArea(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("address name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("thematic area")
        verbose_name_plural = _("thematic areas")
        ordering = ["name"]

    def __str__(self):
        return str(_(self.name))


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=300, help_text=_("In the organization's own language."))
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    acronym_en = models.CharField(_("acronym in English"), max_length=40, blank=True)
    slug = models.SlugField(
        _("address name"), max_length=80, unique=True, help_text=_("Part of the organization's address; never changes once published.")
    )
    kind = models.CharField(_("kind of organization"), max_length=30, choices=OrganizationKind.choices, default=OrganizationKind.NGO)
    headquarters_country = CountryField(_("headquarters country"))
    countries_of_work = CountryField(_("countries of work"), multiple=True, blank=True)
    regional_group = models.CharField(
        _("UN regional group"), max_length=30, choices=RegionalGroup.choices, blank=True, editable=False
    )
    website = models.URLField(_("website"), max_length=300, blank=True)
    email = models.EmailField(_("public e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("postal address"), max_length=500, blank=True)
    year_founded = models.PositiveSmallIntegerField(
        _("year founded"), null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2100)]
    )
    description = models.TextField(_("description"), max_length=5000, blank=True)
    thematic_areas = models.ManyToManyField(ThematicArea, verbose_name=_("thematic areas"), blank=True, related_name="organizations")
    ecosoc_status = models.CharField(
        _("ECOSOC consultative status"), max_length=10, choices=EcosocStatus.choices, default=EcosocStatus.NONE
    )
    ecosoc_year = models.PositiveSmallIntegerField(
        _("year ECOSOC status granted"), null=True, blank=True, validators=[MinValueValidator(1946), MaxValueValidator(2100)]
    )
    ecosoc_checked_on = models.DateField(_("ECOSOC status last checked"), null=True, blank=True)
    verification_state = models.CharField(
        _("verification"), max_length=20, choices=VerificationState.choices, default=VerificationState.PENDING
    )
    internal_notes = models.TextField(_("CSU's internal notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept by the database for search: names and acronyms (trigram index on PostgreSQL, for
    # typos) and the whole searchable text (full-text index on PostgreSQL).
    search_names = models.GeneratedField(
        expression=Concat(
            "name", Value(" "), "name_en", Value(" "), "acronym", Value(" "), "acronym_en", output_field=models.TextField()
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    search_text = models.GeneratedField(
        expression=Concat(
            "name", Value(" "), "name_en", Value(" "), "acronym", Value(" "), "acronym_en", Value(" "), "description",
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["verification_state", "name"]),
            models.Index(fields=["headquarters_country"]),
            models.Index(fields=["regional_group"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["ecosoc_status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ecosoc_status="none", ecosoc_year__isnull=True) | ~models.Q(ecosoc_status="none"),
                name="organization_no_year_without_ecosoc_status",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def get_absolute_url(self):
        return reverse("organizations:detail", kwargs={"slug": self.slug})

    def save(self, *args, **kwargs):
        # Derived, not decided: kept in step with the country so that filters can use an index.
        self.regional_group = regional_group_for(self.headquarters_country)
        if kwargs.get("update_fields") is not None and "headquarters_country" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "regional_group"}
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED


class OrganizationMember(models.Model):
    """A person acting for an organization (its focal point)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_memberships")
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.FOCAL_POINT)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("organization member")
        verbose_name_plural = _("organization members")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="organization_member_unique")]

    def __str__(self):
        return f"{self.user} – {self.organization}"


class JoinRequest(models.Model):
    """A person asks to act for an existing organization; a focal point of it or CSU decides."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(_("message"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)

    class Meta:
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], condition=models.Q(status="pending"), name="join_request_one_pending"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.organization} ({self.status})"


class OrganizationChange(models.Model):
    """Changes by a focal point to a verified organization's key fields, waiting for CSU."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pending_changes")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    old_values = models.JSONField(_("old values"), default=dict)
    new_values = models.JSONField(_("new values"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)

    class Meta:
        verbose_name = _("change waiting for CSU")
        verbose_name_plural = _("changes waiting for CSU")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=models.Q(status="pending"), name="organization_change_one_pending")
        ]

    def __str__(self):
        return f"{self.organization}: {', '.join(self.new_values)} ({self.status})"


class OrganizationRedirect(models.Model):
    """The address of an organization merged into another keeps working."""

    old_slug = models.SlugField(max_length=80, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("address of a merged organization")
        verbose_name_plural = _("addresses of merged organizations")

    def __str__(self):
        return f"{self.old_slug} → {self.organization.slug}"
