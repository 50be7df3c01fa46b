"""Choices for organizations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationState(models.TextChoices):
    PENDING = "pending", _("Pending verification")
    VERIFIED = "verified", _("Verified")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class EcosocStatus(models.TextChoices):
    NONE = "none", _("None")
    ROSTER = "roster", _("Roster")
    SPECIAL = "special", _("Special")
    GENERAL = "general", _("General")


class MemberRole(models.TextChoices):
    FOCAL_POINT = "focal_point", _("Focal point")
