"""Organizations of civil society and the people who act for them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .enums import EcosocStatus, MemberRole, VerificationState


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    headquarters_country = CountryField(_("headquarters country"))
    website = models.URLField(_("website"), blank=True)
    ecosoc_status = models.CharField(
        _("ECOSOC consultative status"), max_length=10, choices=EcosocStatus.choices, default=EcosocStatus.NONE
    )
    ecosoc_year = models.PositiveSmallIntegerField(_("year ECOSOC status granted"), null=True, blank=True)
    verification_state = models.CharField(
        _("verification"), max_length=20, choices=VerificationState.choices, default=VerificationState.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        indexes = [models.Index(fields=["verification_state"])]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


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
