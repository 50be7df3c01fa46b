"""Umbrella bodies and their coordinators."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import MembershipStatus


class UmbrellaBody(models.Model):
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=40)
    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    founded = models.PositiveSmallIntegerField(_("founded"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    commissions = models.ManyToManyField(
        "commission_sessions.Commission", verbose_name=_("commissions covered"), related_name="umbrella_bodies"
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Coordinator", related_name="coordinated_bodies", blank=True
    )

    class Meta:
        verbose_name = _("umbrella body")
        verbose_name_plural = _("umbrella bodies")
        ordering = ["name"]

    def __str__(self):
        return self.acronym or self.name


class Coordinator(models.Model):
    """A person appointed by CSU to act for an umbrella body."""

    body = models.ForeignKey(UmbrellaBody, on_delete=models.CASCADE, related_name="coordinator_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_links")
    appointed_at = models.DateTimeField(_("appointed"), default=timezone.now)

    class Meta:
        verbose_name = _("coordinator")
        verbose_name_plural = _("coordinators")
        constraints = [models.UniqueConstraint(fields=["body", "user"], name="umbrella_coordinator_unique")]

    def __str__(self):
        return f"{self.user} – {self.body}"


class UmbrellaMembership(models.Model):
    """An organization's membership of an umbrella body (the decisions on it come with issue #4)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="umbrella_memberships"
    )
    body = models.ForeignKey(UmbrellaBody, on_delete=models.CASCADE, related_name="memberships")
    category = models.CharField(_("category"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED
    )
    created_at = models.DateTimeField(_("applied"), default=timezone.now)

    class Meta:
        verbose_name = _("umbrella membership")
        verbose_name_plural = _("umbrella memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "body"], name="umbrella_membership_unique"),
        ]
        indexes = [models.Index(fields=["body", "status"])]

    def __str__(self):
        return f"{self.organization} – {self.body} ({self.status})"
