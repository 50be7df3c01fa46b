"""Caching of the public programme: its page, its calendar feed and each event's page.

Everything cached here is kept with one version (portal.caching.read and keep), which any change
to what these pages show replaces: a side event, its speakers, co-organizers or themes, a room, a slot, a session,
a commission, an organization or a thematic area (its name is shown). The version is
replaced at once and again when the transaction commits, so that a page read meanwhile
from the old rows is never kept under the new version. A replaced version is never reused
(it is random, not a counter that a cache which lost it would start again), and frozen clocks
in tests do not matter.
"""

import hashlib

from django.db.models.signals import m2m_changed
from django.utils import translation

from portal import caching
from portal.caching import current_version, forget_on_change, replace_version

VERSION_KEY = "events:public-version"
# Long enough to matter, short enough that forgotten filter combinations leave the cache.
CACHE_SECONDS = 3600


def public_version() -> str:
    return current_version(VERSION_KEY)


def forget_public_pages(**_signal_arguments) -> None:
    """Replace the version now and once the current transaction commits (if any)."""
    replace_version(VERSION_KEY)


def cache_key(kind: str, *parts) -> str:
    """A key for one part of the public pages in the current language."""
    text = "|".join(str(part) for part in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"events:{kind}:{translation.get_language()}:{digest}"


def read(*keys: str) -> tuple[str, list]:
    """The current version and what is kept under each key for it (None where nothing is), in one round trip."""
    return caching.read(VERSION_KEY, *keys)


def keep(key: str, version: str, value) -> None:
    """Keep `value`, made from what the database held under `version` (read before it was made)."""
    caching.keep(key, version, value, CACHE_SECONDS)


def connect() -> None:
    """Called by the app's ready(): every model whose rows these pages show."""
    from organizations.models import Organization, ThematicArea
    from sessions.models import Commission, Session

    from .models import CoOrganizer, Room, SideEvent, Slot, Speaker

    forget_on_change(
        forget_public_pages,
        (SideEvent, Speaker, CoOrganizer, Room, Slot, Session, Commission, Organization, ThematicArea),
        uid="events.caching",
    )
    m2m_changed.connect(forget_public_pages, sender=SideEvent.themes.through, dispatch_uid="events.caching.themes")
