"""Choices for organizations and the requests around them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class OrganizationKind(models.TextChoices):
    NGO = "ngo", _("Non-governmental organization")
    COMMUNITY_BASED = "community_based", _("Community-based organization")
    LABOUR_UNION = "labour_union", _("Labour union")
    INDIGENOUS_PEOPLES = "indigenous_peoples", _("Indigenous peoples' organization")
    CHARITABLE = "charitable", _("Charitable organization")
    FAITH_BASED = "faith_based", _("Faith-based organization")
    PROFESSIONAL_ASSOCIATION = "professional_association", _("Professional association")
    FOUNDATION = "foundation", _("Foundation")
    ACADEMIC = "academic", _("Academic or research institution")
    NETWORK = "network", _("Network or coalition")


# Offered on forms and import files only to be refused with a reason: a business is not civil society.
BUSINESS = "business"


class RegionalGroup(models.TextChoices):
    AFRICAN = "african", _("African States")
    ASIA_PACIFIC = "asia_pacific", _("Asia-Pacific States")
    EASTERN_EUROPEAN = "eastern_european", _("Eastern European States")
    LATIN_AMERICAN_CARIBBEAN = "latin_american_caribbean", _("Latin American and Caribbean States")
    WESTERN_EUROPEAN_OTHER = "western_european_other", _("Western European and other States")


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


class RequestStatus(models.TextChoices):
    """Status of a join request or of a change waiting for CSU."""

    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The seeded thematic areas (migration 0004), listed here so that their names are translated.
THEMATIC_AREA_NAMES = (
    gettext_noop("Drug policy"),
    gettext_noop("Drug prevention and treatment"),
    gettext_noop("HIV and AIDS"),
    gettext_noop("Harm reduction"),
    gettext_noop("Crime prevention"),
    gettext_noop("Criminal justice and prison reform"),
    gettext_noop("Corruption"),
    gettext_noop("Organized crime"),
    gettext_noop("Trafficking in persons"),
    gettext_noop("Smuggling of migrants"),
    gettext_noop("Firearms"),
    gettext_noop("Cybercrime"),
    gettext_noop("Terrorism prevention"),
    gettext_noop("Crimes affecting the environment"),
    gettext_noop("Victims' rights"),
    gettext_noop("Gender"),
    gettext_noop("Youth"),
    gettext_noop("Human rights"),
    gettext_noop("Alternative development"),
    gettext_noop("Money laundering"),
)
