"""A session's pages kept in the cache until what they show changes: its statistics and CSU's review queue.

A page's part is kept under a key that names the session by commission and number, so that a page
served from the cache needs no query even to find its session: the session's id is kept with the
part, and so are the three versions it was rendered under (sessions.statistics): the public programme's
(replaced by any change to a session, a commission, an organization, a side event ...), every
session's (an umbrella body) and the session's own (its registrations and participants). The first
two are read with the part in one round trip to the cache, and so is the session's own once the
process has served the page before (else it takes a second). The versions are read before the part
is rendered, so a change meanwhile leaves it outdated at once.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.utils.translation import get_language

from events.caching import VERSION_KEY as PUBLIC_VERSION_KEY
from portal.caching import current_version

from .models import Session
from .statistics import EVERY_SESSION, version_key

PART_SECONDS = 3600


def part_key(kind: str, commission: str, number: int, *variant) -> str:
    """The key of one part of a session's page in the current language; `variant`: what else it depends on."""
    digest = hashlib.sha256(repr(variant).encode()).hexdigest()[:32]
    return f"sessions:part:{kind}:{commission}:{number}:{get_language()}:{digest}"


# The id of the session each (commission, number) named when this process last served it from the cache: with
# it, the session's own version is read in the same round trip as the part. Only a hint: a session that has
# since been numbered otherwise costs the second round trip, never a wrong page.
_session_ids: dict[tuple[str, int], int] = {}


def cached_part(
    kind: str, commission: str, number: int, variant: tuple, find_session: Callable[[], Session], render: Callable[[Session], object]
) -> object:
    """The part of this page of the session (`kind`, and `variant` of what else it depends on) as kept while
    nothing it shows has changed; otherwise render(session) of the session found by find_session() (which
    raises Http404 for none), then kept with the session's id."""
    key = part_key(kind, commission, number, *variant)
    shared = [PUBLIC_VERSION_KEY, version_key(EVERY_SESSION)]
    hint = _session_ids.get((commission, number))
    own_hint = [version_key(hint)] if hint is not None else []
    found = cache.get_many([*shared, *own_hint, key])
    versions = [found.get(name) or current_version(name) for name in shared]
    kept = found.get(key)
    if kept is not None:
        kept_versions, session_id, part = kept
        own_key = version_key(session_id)
        own = found.get(own_key) if session_id == hint else None
        if kept_versions[:2] == versions and kept_versions[2] == (own or current_version(own_key)):
            _session_ids[(commission, number)] = session_id
            return part
    session = find_session()
    versions.append(current_version(version_key(session.pk)))
    part = render(session)
    cache.set(key, (versions, session.pk, part), PART_SECONDS)
    return part
