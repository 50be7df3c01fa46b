"""Settings come from the environment: the embedded default, the real services, production."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "SECRET_KEY": "a-real-production-secret-key-that-is-long-and-random-1f9c2a7b3e",
    "ALLOWED_HOSTS": "ngo-portal.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "DATABASE_URL": "postgres://portal:secret@db:5432/portal",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "REDIS_URL": "redis://redis:6379/1",
}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from portal.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "mailer": settings.MAILERS["default"]["BACKEND"],
    "mail_options": {k: str(v) for k, v in settings.MAILERS["default"].get("OPTIONS", {}).items() if k != "password"},
    "cache": settings.CACHES["default"]["BACKEND"],
    "sessions": settings.SESSION_ENGINE,
    "debug": settings.DEBUG,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "hsts": settings.SECURE_HSTS_SECONDS,
}))
"""


def clean_env(**extra) -> dict[str, str]:
    """The machine's environment without any portal variable, plus `extra`."""
    portal_vars = set(PRODUCTION_ENV) | {"DEBUG", "PORTAL_VAR_DIR", "MAIL_DIR", "HTTPS_ONLY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in portal_vars}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return env | extra


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_embedded_default_uses_sqlite_eager_tasks_and_mail_files(tmp_path):
    result = run_python(SHOW_SETTINGS, clean_env(PORTAL_VAR_DIR=str(tmp_path)))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "name": str(tmp_path / "portal.sqlite3"),
        "eager": True,
        "broker": "",
        "mailer": "portal.mail.MailFolderBackend",
        "mail_options": {"file_path": str(tmp_path / "mail")},
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "portal.login_sessions",
        "debug": False,
        "ssl_redirect": False,
        "secure_cookies": [False, False],
        "hsts": 0,
    }


def test_production_environment_uses_postgresql_redis_smtp_and_https(tmp_path):
    result = run_python(SHOW_SETTINGS, clean_env(PORTAL_VAR_DIR=str(tmp_path), **PRODUCTION_ENV))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "portal.db",
        "name": "portal",
        "eager": False,
        "broker": "redis://redis:6379/0",
        "mailer": "django.core.mail.backends.smtp.EmailBackend",
        "mail_options": {"host": "smtp.example.org", "port": "587", "username": "", "use_tls": "True", "timeout": "20"},
        "cache": "portal.cache.RedisCache",
        "sessions": "portal.login_sessions",
        "debug": False,
        "ssl_redirect": True,
        "secure_cookies": [True, True],
        "hsts": 31536000,
    }


def deploy_check_env(tmp_path) -> dict[str, str]:
    # Django 6.1's checks open the database (generated columns depend on its version),
    # so the check gets one it can reach; the engine does not change what is checked.
    return clean_env(PORTAL_VAR_DIR=str(tmp_path), **PRODUCTION_ENV) | {"DATABASE_URL": f"sqlite:///{tmp_path}/check.sqlite3"}


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=deploy_check_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stderr.strip()) == (0, "")
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "HTTPS_ONLY"])
def test_deploy_check_fails_without_a_secret_or_https(tmp_path, missing):
    env = deploy_check_env(tmp_path)
    if missing == "SECRET_KEY":
        del env["SECRET_KEY"]
        expected = "security.W009"
    else:
        env["HTTPS_ONLY"] = "0"
        expected = "security.W004"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 1
    assert expected in result.stderr
