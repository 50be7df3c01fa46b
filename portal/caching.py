"""Cache versions: a random value under a key that any change to what a cached page shows replaces.

Keys of cached parts carry the version (or store it beside the value), so replacing it forgets
them all at once. It is replaced at once and again when the transaction commits, so that a part
rendered meanwhile from the old rows is never kept under the new version. A replaced version is
never reused: it is random, not a counter that a cache which lost it would start again.
"""

import uuid

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# Stands in a part shown to several people for the CSRF token, which is each request's own.
CSRF_PLACEHOLDER = "csrf-token-of-the-request-5f0c2e"


def current_version(key: str) -> str:
    """The version under `key`, made on first use (by whichever process gets there first)."""
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def replace_version(key: str) -> None:
    """Replace the version under `key` now and once the current transaction commits (if any)."""
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))


def read(version_key: str, *keys: str) -> tuple[str, list]:
    """The version under `version_key` and what is kept under each key for it (None where nothing is, or only
    for an older version), in one round trip to the cache: a part is kept with its version (see keep())."""
    found = cache.get_many([version_key, *keys])
    version = found.get(version_key) or current_version(version_key)
    kept = [found.get(key) for key in keys]
    return version, [value[1] if value is not None and value[0] == version else None for value in kept]


def keep(key: str, version: str, value, timeout: int) -> None:
    """Keep `value`, made from what the database held under `version` (read before it was made).

    Its key need not hold the version: a value made again replaces the outdated one rather than
    leaving it in the cache until it expires."""
    cache.set(key, (version, value), timeout)


def forget_on_change(receiver, models, *, uid: str) -> None:
    """Call `receiver` whenever a row of one of `models` is saved or deleted."""
    for model in models:
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")


def render_shared(template_name: str, context: dict, request) -> str:
    """Render a part of a page that is kept and shown to others: any {% csrf_token %} in it holds a placeholder."""
    return render_to_string(template_name, {**context, "csrf_token": CSRF_PLACEHOLDER}, request=request)


def with_csrf_token(html: str, request) -> SafeString:
    """A part made by render_shared() (our own template, escaped when rendered), with this request's CSRF token."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)


# --- Whole pages ------------------------------------------------------------------------------------------------
# A page whose own part is kept can be kept whole, its frame (templates/base.html) included: the frame shows
# nothing of one person but the roles in the navigation and the address asked (the language form's "next"), which
# the key must then hold (frame_variant), the CSRF token (a placeholder, as in render_shared) and the messages
# waiting for the person (a marker, where page_response puts this request's own).

MESSAGES_MARKER = "<!-- messages of the request 5f0c2e -->"


def frame_variant(request) -> tuple:
    """What the page frame shows of this request: the roles its navigation shows and the address asked."""
    from .roles import roles_of  # it reads models: not at import time

    roles = roles_of(request.user)
    return (request.user.is_authenticated, roles.csu_staff, roles.focal_point, request.get_full_path())


def render_whole(template_name: str, context: dict, request) -> str:
    """A whole page to keep (render_shared), with a marker where the messages waiting for a person go."""
    return render_shared(template_name, {**context, "messages_marker": mark_safe(MESSAGES_MARKER)}, request)


def page_response(page: str, request) -> HttpResponse:
    """A page kept by render_whole(), with this request's CSRF token and the messages waiting for this person
    (shown once, as the frame would show them)."""
    messages = get_messages(request)
    shown = render_to_string("base.html#messages", {"messages": messages}, request=request) if len(messages) else ""
    return HttpResponse(with_csrf_token(page.replace(MESSAGES_MARKER, shown, 1), request))
