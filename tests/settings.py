"""Test settings: PostgreSQL and Redis when reachable (required in CI), SQLite otherwise."""

import os
import tempfile

import psycopg

os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="portal-test-var-"))

from portal.settings import *  # noqa: E402,F403
from portal.settings import BASE_DIR, POSTGRES_OPTIONS  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"


def _postgres_reachable(url: str) -> bool:
    try:
        # Connect to the maintenance database: the test database may not exist yet.
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


POSTGRES_AVAILABLE = _postgres_reachable(TEST_DATABASE_URL)
if POSTGRES_AVAILABLE:
    import dj_database_url

    DATABASES = {"default": {**dj_database_url.parse(TEST_DATABASE_URL), "ENGINE": "portal.db", "OPTIONS": POSTGRES_OPTIONS}}
elif REQUIRE_SERVICES:
    raise RuntimeError(f"REQUIRE_SERVICES=1 but PostgreSQL is not reachable at {TEST_DATABASE_URL}")

# Most tests deliver e-mail eagerly into Django's outbox; the worker tests start a real
# Celery worker against TEST_REDIS_URL.
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
HTTPS_ONLY = False
SECURE_SSL_REDIRECT = False
