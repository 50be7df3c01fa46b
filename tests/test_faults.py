"""Faults, for real: a Redis server of the test's own is stopped and started again, a real
Celery worker is killed with SIGKILL, a real SMTP server receives the e-mails.

What these tests promise (README, "When something is down"):
- Redis down: a request still answers at once and saves its work; the e-mails wait in the
  outbox and are sent exactly once after Redis is back (the sweep enqueues them).
- A worker killed while delivering: every notification is still delivered; at most one
  e-mail per killed worker process can be sent twice (the one the SMTP server accepted just
  before the kill, whose "sent" was never committed).
- A rolled-back transaction sends nothing.
- With beat and workers stopped, a deadline still holds: the database's clock decides.
"""

import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from portal import services as portal_services
from portal.models import Notification
from sessions import services
from sessions.enums import Channel, RegistrationStatus
from sessions.models import Registration, Session
from tests.conftest import make_user
from tests.fixtures_services import (
    CeleryBroker,
    require_postgres,
    skip_unless_required,
    start_celery_worker,
    wait_until,
)
from tests.smtp_server import SMTPServer, free_port
from tests.test_registration_pages import data_of, letter
from umbrella.enums import MembershipStatus
from umbrella.models import MembershipCategory, UmbrellaMembership

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DELIVERY_TIMEOUT = 40


@dataclass
class RedisServer:
    """A redis-server process of the test's own, on a free port, that can really be stopped."""

    directory: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        def answers():
            try:
                return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except redis.RedisError:
                return False

        assert wait_until(answers, 10), f"redis-server did not start on port {self.port}"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    require_postgres()
    if not shutil.which("redis-server"):
        skip_unless_required("redis-server is not installed")
    server = RedisServer(directory=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def queue():
    return f"portal-faults-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_worker(tmp_path, redis_server, smtp, queue):
    """Start real workers on the test's Redis that send through the test's SMTP server."""
    workers = []

    def start():
        worker = start_celery_worker(
            tmp_path, broker_url=redis_server.url, queue=queue,
            extra_env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "0"},
        )  # fmt: skip
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def broker(redis_server, queue):
    """This process publishes to the test's Redis, on the workers' queue."""
    from portal.celery import app

    celery_broker = CeleryBroker(app=app, queue=queue, url=redis_server.url)
    celery_broker.start()
    yield celery_broker
    celery_broker.stop()


def database_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


@pytest.fixture
def session_closing(commissions):
    """Returns a CND session whose registration closes `seconds` from the database's now."""

    def make(seconds: float) -> Session:
        now = database_now()
        return Session.objects.create(
            commission=commissions["cnd"], number=70, title="70th session of the Commission on Narcotic Drugs",
            start_date=(now + timedelta(days=40)).date(), end_date=(now + timedelta(days=44)).date(),
            venue="Vienna International Centre", registration_opens=now - timedelta(days=30),
            registration_closes=now + timedelta(seconds=seconds),
        )

    return make


@pytest.fixture
def ready_draft(organizations, focal_points, bodies):
    """HRA's complete draft through the VNGOC, ready to submit, for a given session."""

    def make(session: Session) -> Registration:
        category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Member", position=1)
        UmbrellaMembership.objects.create(
            organization=organizations["a"], body=bodies["vngoc"], category=category,
            status=MembershipStatus.ACTIVE, member_since=timezone.now(),
        )  # fmt: skip
        registration = services.start_registration(
            session, organizations["a"], by=focal_points["a"], channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"]
        )
        return services.save_registration(
            registration, by=focal_points["a"], letter=letter(), participants=[data_of(0), data_of(1)]
        )

    return make


def wait_all_sent(notifications: list[Notification], worker=None) -> None:
    ids = [n.pk for n in notifications]

    def all_sent():
        return Notification.objects.filter(pk__in=ids, status="sent").count() == len(ids)

    assert wait_until(all_sent, DELIVERY_TIMEOUT, worker=worker), (
        f"not all sent: {list(Notification.objects.filter(pk__in=ids).values_list('pk', 'status', 'last_error'))}"
        + (f"\nworker log:\n{worker.log_tail()}" if worker else "")
    )


def test_redis_stopped_during_a_submission_loses_nothing_and_sends_each_e_mail_once(
    client, redis_server, broker, start_worker, smtp, session_closing, ready_draft, focal_points, coordinators
):
    worker = start_worker()
    draft = ready_draft(session_closing(3600))
    client.force_login(focal_points["a"])
    redis_server.stop()

    started = time.monotonic()
    response = client.post(f"/sessions/registrations/{draft.pk}/", {"action": "submit"})
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"the submission took {elapsed:.1f} s with Redis down"
    assert (response.status_code, response["Location"]) == (302, f"/sessions/registrations/{draft.pk}/")
    draft.refresh_from_db()
    assert draft.status == RegistrationStatus.AWAITING_ENDORSEMENT
    queued = list(Notification.objects.order_by("pk"))
    assert sorted(n.to_email for n in queued) == sorted(
        [focal_points["a"].email, coordinators["vngoc"].email]
    )
    assert {(n.status, n.attempts) for n in queued} == {("pending", 0)}

    redis_server.start()  # Redis is back, on the same port
    assert portal_services.sweep_outbox(older_than_seconds=0) == len(queued)  # what beat does every minute

    wait_all_sent(queued, worker)
    time.sleep(1)  # a second copy would arrive now
    assert sorted(m.notification_id for m in smtp.received) == [n.pk for n in queued]


def test_a_worker_killed_while_delivering_a_batch_delivers_everything_after_a_restart(
    broker, start_worker, smtp, make_batch
):
    smtp.delay = 0.2  # each e-mail takes a moment, so that the kill lands in the middle
    worker = start_worker()
    batch = make_batch(20)

    assert wait_until(lambda: len(smtp.received) >= 4, DELIVERY_TIMEOUT, worker=worker)
    worker.kill()
    delivered_before_the_kill = len(smtp.received)
    assert delivered_before_the_kill < len(batch), "the worker finished before it was killed"

    smtp.delay = 0
    replacement = start_worker()
    # The message the killed worker held is not acknowledged; Redis gives it back only after the
    # visibility timeout. The outbox does not wait for that: the sweep enqueues every pending row.
    assert portal_services.sweep_outbox(older_than_seconds=0) >= 1

    wait_all_sent(batch, replacement)
    time.sleep(1)
    received = [m.notification_id for m in smtp.received]
    assert set(received) == {n.pk for n in batch}
    duplicates = len(received) - len(batch)
    assert 0 <= duplicates <= 1, f"{duplicates} duplicates: {sorted(received)}"


@pytest.fixture
def make_batch(db):
    def make(count: int) -> list[Notification]:
        people = [make_user(f"reader{number}@example.test") for number in range(count)]
        with transaction.atomic():
            return [portal_services.notify(person, "welcome") for person in people]

    return make


def test_a_rolled_back_transaction_sends_nothing(broker, start_worker, smtp, outsider):
    worker = start_worker()

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        portal_services.notify(outsider, "welcome")
        raise Refused

    assert Notification.objects.count() == 0
    assert portal_services.sweep_outbox(older_than_seconds=0) == 0
    time.sleep(1)
    worker.assert_alive()
    assert smtp.received == []
    assert "Task portal.tasks.deliver_notification[" not in worker.log()


def test_a_deadline_passed_while_beat_and_workers_were_stopped_still_refuses_a_late_submission(
    client, broker, redis_server, start_worker, smtp, session_closing, ready_draft, focal_points
):
    # No worker and no beat run, and Redis is down too.
    redis_server.stop()
    session = session_closing(2)
    draft = ready_draft(session)
    client.force_login(focal_points["a"])
    assert wait_until(lambda: database_now() > session.registration_closes, 10)

    response = client.post(f"/sessions/registrations/{draft.pk}/", {"action": "submit"})

    assert response.status_code == 200
    assert "Nothing was submitted." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == RegistrationStatus.DRAFT
    assert Notification.objects.count() == 0

    # The services come back: the follow-up expires the draft and tells its focal point once.
    redis_server.start()
    worker = start_worker()
    assert services.expire_drafts() == 1
    assert services.expire_drafts() == 0
    draft.refresh_from_db()
    assert draft.status == RegistrationStatus.EXPIRED
    expired = list(Notification.objects.all())
    assert [n.to_email for n in expired] == [focal_points["a"].email]
    wait_all_sent(expired, worker)
    time.sleep(0.5)
    assert [m.notification_id for m in smtp.received] == [expired[0].pk]
