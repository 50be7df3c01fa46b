"""Fixtures for the tests that use real services: headless Chromium, and a real Celery
worker consuming from the real Redis and reading the real PostgreSQL test database.

Import the fixtures you need into a test module. A missing service skips the test with
its reason, unless REQUIRE_SERVICES=1 (CI), where it fails instead.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser import CHROMIUM, ConsoleErrors, launch_chromium

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
WORKER_READY_TIMEOUT = 30


def skip_unless_required(reason: str):
    """Skip for `reason`; with REQUIRE_SERVICES=1 a missing service is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --- Browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run, always closed at the end."""
    if not CHROMIUM.exists():
        skip_unless_required(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def browser_page(chromium):
    """A fresh browser context (no cookies) and page; `page.console_errors` collects errors."""
    context = chromium.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.console_errors = ConsoleErrors().watch(page)
        yield page
    finally:
        context.close()


# --- PostgreSQL and Redis -----------------------------------------------------------------


def require_postgres():
    from django.conf import settings

    if not getattr(settings, "POSTGRES_AVAILABLE", False):
        skip_unless_required("PostgreSQL is not reachable, and a worker process needs a shared database")


def redis_url() -> str:
    from django.conf import settings

    return settings.TEST_REDIS_URL


def require_redis():
    import redis

    try:
        client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError as error:
        skip_unless_required(f"Redis is not reachable at {redis_url()}: {error}")


def database_url_for_workers() -> str:
    """The URL of the test database as this process sees it (after pytest-django created it)."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


# --- The Celery application of this process ----------------------------------------------


def reset_broker_connections(app):
    """Forget every broker connection and producer the app has cached.

    The app caches a connection pool, a producer pool and the queue/route tables (built
    from the configuration when first used); after changing broker_url or the default
    queue they must be rebuilt, or publishing keeps using the old broker or queue.
    """
    import kombu.pools

    from portal.services import resume_broker

    resume_broker()  # forget a failure of the broker used before
    amqp = app.__dict__.get("amqp")
    if amqp is not None and amqp._producer_pool is not None:
        amqp._producer_pool.force_close_all()
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.__dict__.pop("amqp", None)  # a cached_property: rebuilt from app.conf on next use
    kombu.pools.reset()


@dataclass
class CeleryBroker:
    """Points this process's Celery app at a broker and a queue, and back afterwards."""

    app: object
    queue: str
    url: str
    saved: dict = field(default_factory=dict)

    def point_at(self, url: str):
        self.app.conf.update(broker_url=url, broker_write_url=None, broker_read_url=None)
        reset_broker_connections(self.app)

    def start(self):
        keys = ("broker_url", "broker_write_url", "broker_read_url", "task_always_eager", "task_default_queue")
        self.saved = {key: self.app.conf[key] for key in keys}
        self.app.conf.update(task_always_eager=False, task_default_queue=self.queue)
        self.point_at(self.url)

    def stop(self):
        self.app.conf.update(self.saved)
        reset_broker_connections(self.app)


# --- A real Celery worker -------------------------------------------------------------------


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    queue: str
    mail_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def log_offset(self) -> int:
        return len(self.log())

    def mail_files(self) -> list[Path]:
        if not self.mail_dir.exists():
            return []
        return sorted(p for p in self.mail_dir.iterdir() if p.suffix in {".eml", ".log"})

    def clear_mail(self):
        for path in self.mail_files():
            path.unlink()

    def succeeded(self, task_name: str, since: int = 0) -> list[str]:
        """Results of `task_name` the worker logged as succeeded, since a log offset."""
        pattern = re.compile(rf"{re.escape(task_name)}\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (.*)")
        return pattern.findall(self.log()[since:])

    def assert_alive(self):
        assert self.process.poll() is None, f"the Celery worker exited:\n{self.log_tail()}"

    def kill(self):
        """SIGKILL, as when a machine dies: no warm shutdown, no acknowledgement."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def wait_until(condition, timeout: float, interval: float = 0.1, worker: WorkerProcess | None = None):
    """Poll `condition` until it returns something truthy, or return its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        if worker is not None:
            worker.assert_alive()
        time.sleep(interval)


def start_celery_worker(base: Path, *, broker_url: str, queue: str, extra_env: dict | None = None) -> WorkerProcess:
    """Start a real `celery worker` process (solo pool) on `queue` of `broker_url`, reading the
    test database, writing e-mails as files under `base` unless `extra_env` sets EMAIL_HOST.
    Waits until it is ready; the caller stops it."""
    mail_dir = base / "mail"
    log_path = base / f"worker-{uuid.uuid4().hex[:6]}.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "EMAIL_", "DJANGO_", "REDIS_URL", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url_for_workers(),
        CELERY_BROKER_URL=broker_url,
        MAIL_DIR=str(mail_dir),
        PORTAL_VAR_DIR=str(base / "var"),
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    celery_bin = Path(sys.executable).parent / "celery"
    command = [
        str(celery_bin), "-A", "portal", "worker",
        "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "-Q", queue, "--hostname", f"{queue}-{uuid.uuid4().hex[:4]}@%h",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker = WorkerProcess(process=process, queue=queue, mail_dir=mail_dir, log_path=log_path)
    try:
        ready = wait_until(lambda: " ready." in worker.log() or process.poll() is not None, WORKER_READY_TIMEOUT)
        worker.assert_alive()
        assert ready, f"the Celery worker was not ready after {WORKER_READY_TIMEOUT} s:\n{worker.log_tail()}"
    except BaseException:
        worker.stop()
        raise
    return worker


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A real `celery worker` process on its own queue of the real Redis, reading the
    real test database, writing e-mails as files. Stopped when the module ends."""
    require_postgres()
    require_redis()
    base = tmp_path_factory.mktemp("celery-worker")
    worker = start_celery_worker(base, broker_url=redis_url(), queue=f"portal-test-{uuid.uuid4().hex[:12]}")
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def celery_broker(celery_worker_process):
    """This process's Celery app publishes to the real Redis, on the worker's queue.

    Only the Celery app's configuration changes (services.enqueue_delivery reads it too);
    Django's settings are left alone, because the app reads them lazily and would save
    the overridden values instead of the originals.
    """
    from portal.celery import app

    broker = CeleryBroker(app=app, queue=celery_worker_process.queue, url=redis_url())
    broker.start()
    celery_worker_process.clear_mail()
    try:
        yield broker
    finally:
        broker.stop()
