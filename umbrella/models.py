"""Umbrella bodies and their coordinators."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import MembershipStatus


class UmbrellaBody(models.Model):
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=40)
    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    founded = models.PositiveSmallIntegerField(_("founded"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    aims = models.TextField(_("aims"), blank=True)
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

    def get_absolute_url(self):
        return reverse("umbrella:detail", kwargs={"slug": self.slug})


class MembershipCategory(models.Model):
    """A kind of member an umbrella body accepts, e.g. the UNCAC Coalition's international and national members."""

    body = models.ForeignKey(UmbrellaBody, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("membership category")
        verbose_name_plural = _("membership categories")
        ordering = ["body", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["body", "name"], name="umbrella_category_unique")]

    def __str__(self):
        return self.name


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
    """An organization's membership of an umbrella body, from its application on.

    One row per organization and body: applying again after a decline or a withdrawal
    reopens the same row, and its history stays in the activity log.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="umbrella_memberships"
    )
    body = models.ForeignKey(UmbrellaBody, on_delete=models.CASCADE, related_name="memberships")
    category = models.ForeignKey(
        MembershipCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="memberships", null=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED
    )
    motivation = models.TextField(_("motivation"), blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("first applied"), default=timezone.now)
    # The latest application, and the latest change of status: who, when and why.
    applied_at = models.DateTimeField(_("applied"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    member_since = models.DateTimeField(_("member since"), null=True, blank=True)

    class Meta:
        verbose_name = _("umbrella membership")
        verbose_name_plural = _("umbrella memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "body"], name="umbrella_membership_unique"),
        ]
        indexes = [models.Index(fields=["body", "status"])]

    def __str__(self):
        return f"{self.organization} – {self.body} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("umbrella:membership", kwargs={"slug": self.body.slug, "membership_id": self.pk})
