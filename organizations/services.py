"""Verbs of the stakeholder database."""

from django.utils.text import slugify

from .models import Organization
from .urls import RESERVED_SLUGS


def unique_slug(text: str, *, exclude_pk: int | None = None) -> str:
    """A free, readable address name from an acronym or name: "hra", "hra-2", ..."""
    base = slugify(text)[:70].strip("-") or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    taken = set(
        Organization.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    from .models import OrganizationRedirect

    taken |= set(OrganizationRedirect.objects.filter(old_slug__startswith=base).values_list("old_slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
