"""Settings for the benchmark (bench/run.py): the portal's, as production runs it, plus the floor view.

DEBUG off, PostgreSQL from BENCH_DATABASE_URL, a Redis cache and broker (BENCH_REDIS_URL,
default 127.0.0.1:6379/3) as production would have, and no HTTPS redirect (loopback).
"""

import os

os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale"))

from portal.settings import *  # noqa: E402,F403
from portal.settings import BASE_DIR, TEMPLATES, VAR_DIR  # noqa: E402

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": BENCH_REDIS_URL}}
# Notifications are handed to a broker, as in production; no worker consumes them during the run
# (the runner empties the queue afterwards).
CELERY_BROKER_URL = BENCH_REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = "bench"
BENCH_DIR = VAR_DIR / "bench"
STATIC_ROOT = BENCH_DIR / "static"
PRIVATE_MEDIA_ROOT = BENCH_DIR / "private"
MEDIA_ROOT = BENCH_DIR / "media"
MAIL_DIR = BENCH_DIR / "mail"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
