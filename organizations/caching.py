"""Caching of the directory: its filters and results, and an organization's page as the public sees it.

What the directory shows depends on the organizations, their thematic areas and umbrella
memberships, the thematic areas and umbrella bodies offered as filters, and on who reads it:
the public and CSU each see one list whoever they are; anyone else signed in also sees the
organizations they act for. So a cached part is keyed on one of the variants "public", "csu"
or "user-<id>", on the language and on the query string, under one version which any change
to those rows replaces (as events.caching does): at once and again when the transaction
commits, so that a part rendered meanwhile from the old rows is never kept under the new
version. Bulk writes that send no signals call forget_directory() themselves. A part is kept
with the version it was rendered under, and its key does not hold the version: the version and
the part are then read in one round trip to the cache, and a part rendered again replaces the
outdated one rather than leaving it there until it expires.

An organization's page is cached for the public only (signed-in people see buttons, contacts
and history of their own), under the same version: it shows the organization, its thematic
areas and its umbrella memberships with their bodies and categories.
"""

import hashlib

from django.db.models.signals import m2m_changed
from django.utils import translation

from portal import caching
from portal.caching import current_version, forget_on_change, replace_version
from portal.rules import is_csu_staff

VERSION_KEY = "organizations:directory-version"
# Long enough to matter, short enough that forgotten filter combinations leave the cache.
CACHE_SECONDS = 3600
# Query strings with anything else are rendered every time: a made-up parameter must not add cache entries.
PAGE_PARAMETER = "page"


def directory_version() -> str:
    return current_version(VERSION_KEY)


def forget_directory(**_signal_arguments) -> None:
    """Replace the version now and once the current transaction commits (if any)."""
    replace_version(VERSION_KEY)


def read(key: str) -> tuple[str, object | None]:
    """The current version and what is kept under `key` for it (None if nothing is, or only for an older version)."""
    version, (value,) = caching.read(VERSION_KEY, key)
    return version, value


def keep(key: str, version: str, value) -> None:
    """Keep `value`, rendered from what the database held under `version` (read before it was rendered)."""
    caching.keep(key, version, value, CACHE_SECONDS)


def reader_variant(user) -> str:
    """Who reads decides what the directory lists: "public", "csu", or one person's own variant."""
    if not user.is_authenticated:
        return "public"
    if is_csu_staff(user):
        return "csu"
    return f"user-{user.pk}"


def directory_key(part: str, user, data, *, parameters, frame: tuple | None = None) -> str | None:
    """The key of one rendered part of the directory for this reader and query string (and `frame`, what the
    page's frame shows of the request, for a whole page: portal.caching.frame_variant).

    None when the query string holds a parameter other than `parameters` (the filters) and the
    page number: such a page is not cached.
    """
    if any(name not in parameters and name != PAGE_PARAMETER for name in data):
        return None
    asked = sorted((name, value) for name in data for value in data.getlist(name))
    digest = hashlib.sha256(repr((asked, frame)).encode()).hexdigest()[:32]
    return f"organizations:directory:{part}:{reader_variant(user)}:{translation.get_language()}:{digest}"


def public_profile_key(slug: str) -> str:
    """The key of an organization's page as the public sees it, in the current language."""
    return f"organizations:profile:{translation.get_language()}:{slug}"


def connect() -> None:
    """Called by the app's ready(): every model whose rows the directory and the public profile show, filter by or offer."""
    from umbrella.models import MembershipCategory, UmbrellaBody, UmbrellaMembership

    from .models import Organization, OrganizationMember, ThematicArea

    forget_on_change(
        forget_directory,
        (Organization, ThematicArea, OrganizationMember, UmbrellaBody, UmbrellaMembership, MembershipCategory),
        uid="organizations.caching",
    )
    m2m_changed.connect(
        forget_directory, sender=Organization.thematic_areas.through, dispatch_uid="organizations.caching.thematic_areas"
    )
