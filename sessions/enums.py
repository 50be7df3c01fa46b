"""Choices for commissions and sessions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdmissionRule(models.TextChoices):
    ECOSOC_REQUIRED = "ecosoc", _("ECOSOC consultative status required (or through an umbrella body)")
    RULE_17 = "rule17", _("Rule 17: non-ECOSOC NGOs admitted unless a State objects")
    OPEN = "open", _("Open to all NGOs")
    CONGRESS = "congress", _("Crime Congress categories")


class SessionFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid")
    ONLINE = "online", _("Online")
