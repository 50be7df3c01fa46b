"""Choices for commissions and sessions."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AdmissionRule(models.TextChoices):
    ECOSOC_REQUIRED = "ecosoc", _("ECOSOC consultative status required (or through an umbrella body)")
    RULE_17 = "rule17", _("Rule 17: non-ECOSOC NGOs admitted unless a State objects")
    OPEN = "open", _("Open to all NGOs")
    CONGRESS = "congress", _("Crime Congress categories")


class SessionFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid")
    ONLINE = "online", _("Online")


class RegistrationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted to the Civil Society Unit")
    AWAITING_ENDORSEMENT = "awaiting", _("Awaiting endorsement by the umbrella body")
    ENDORSED = "endorsed", _("Endorsed by the umbrella body")
    DECLINED = "declined", _("Declined by the umbrella body")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired unsubmitted")


class Channel(models.TextChoices):
    DIRECT = "direct", _("Directly")
    UMBRELLA = "umbrella", _("Through an umbrella body")


class CongressCategory(models.TextChoices):
    ECOSOC = "ecosoc", _("NGO in consultative status with ECOSOC")
    EARLIER_CONGRESS = "earlier", _("Non-ECOSOC NGO that attended an earlier Congress")
    NEW = "new", _("Other NGO, new to the Congress")


class Rule17Outcome(models.TextChoices):
    NOT_LISTED = "", _("Not on the rule 17 list")
    PENDING = "pending", _("On the rule 17 list, awaiting States")
    NO_OBJECTION = "no_objection", _("No objection")
    OBJECTION = "objection", _("Objection")


class ParticipantRole(models.TextChoices):
    HEAD = "head", _("Head of delegation")
    REPRESENTATIVE = "representative", _("Representative")


class Attendance(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other or not stated")


class ParticipantStatus(models.TextChoices):
    # Words of their own (with a context): French and Spanish agree them with "participant", not "registration".
    PENDING = "pending", pgettext_lazy("participant", "Awaiting decision")
    APPROVED = "approved", pgettext_lazy("participant", "Approved")
    REJECTED = "rejected", pgettext_lazy("participant", "Rejected")
