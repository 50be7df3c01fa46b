"""Cache versions: a random value under a key that any change to what a cached page shows replaces.

Keys of cached parts carry the version (or store it beside the value), so replacing it forgets
them all at once. It is replaced at once and again when the transaction commits, so that a part
rendered meanwhile from the old rows is never kept under the new version. A replaced version is
never reused: it is random, not a counter that a cache which lost it would start again.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save


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


def forget_on_change(receiver, models, *, uid: str) -> None:
    """Call `receiver` whenever a row of one of `models` is saved or deleted."""
    for model in models:
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")
