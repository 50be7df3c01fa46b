"""A body's roster as a file (CSV or XLSX) for its coordinators: one row per member."""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.exports import neutralise

from .models import UmbrellaMembership

CHUNK_SIZE = 1000


def roster_header() -> list[str]:
    return [
        _("Organization"), _("Acronym"), _("Headquarters country"), _("Regional group"), _("Category"),
        _("Membership status"), _("Member since"), _("ECOSOC status"), _("ECOSOC status since"),
        _("Website"), _("E-mail"), _("Directory page"),
    ]


def roster_rows(memberships: QuerySet[UmbrellaMembership]) -> Iterator[list[str | int]]:
    """Each membership of the queryset as cells in roster_header's order; text is neutralised."""
    for membership in memberships.select_related("organization", "category").iterator(chunk_size=CHUNK_SIZE):
        organization = membership.organization
        since = timezone.localtime(membership.member_since).date() if membership.member_since else None
        cells = [
            organization.name,
            organization.acronym,
            organization.headquarters_country.name if organization.headquarters_country else "",
            organization.get_regional_group_display() if organization.regional_group else "",
            membership.category.name if membership.category else "",
            membership.get_status_display(),
            since.isoformat() if since else "",
            organization.get_ecosoc_status_display(),
            organization.ecosoc_year,
            organization.website,
            organization.email,
            settings.PORTAL_BASE_URL.rstrip("/") + organization.get_absolute_url(),
        ]
        yield ["" if cell is None else cell if isinstance(cell, int) else neutralise(str(cell)) for cell in cells]
