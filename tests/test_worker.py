"""A real Celery worker, the real Redis and the real PostgreSQL deliver the outbox.

The worker runs as another process with portal.settings (file-based e-mail), on a queue
of its own so that no other worker on the same Redis takes these tasks. Rows are
committed (transactional_db) so that the worker sees them.
"""

import logging
import time

import pytest
from django.db import transaction

from portal import services
from portal.enums import NotificationStatus
from portal.models import Notification, User
from tests.fixtures_services import (  # noqa: F401  (fixtures)
    celery_broker,
    celery_worker_process,
    wait_until,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

WELCOME_SUBJECT = "Welcome to the UNODC NGO engagement portal"
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
DELIVERY_TIMEOUT = 30


@pytest.fixture
def newcomer(transactional_db):
    return User.objects.create_user(email="newcomer@example.test", password="correct-horse-battery-staple")


def wait_for_status(notification, status, worker, timeout=DELIVERY_TIMEOUT):
    def reached():
        notification.refresh_from_db()
        return notification.status == status

    assert wait_until(reached, timeout, worker=worker), (
        f"notification still {notification.status!r} after {timeout} s "
        f"(attempts={notification.attempts}, last_error={notification.last_error!r}); worker log:\n"
        f"{worker.log_tail()}"
    )


def assert_one_mail_file_with(worker, subject):
    files = wait_until(worker.mail_files, 5)
    time.sleep(0.3)  # a duplicate delivery would show up now
    files = worker.mail_files()
    assert len(files) == 1, f"expected one e-mail file, found {[f.name for f in files]}"
    content = files[0].read_text(errors="replace")
    assert f"Subject: {subject}" in content
    return content


def test_a_notification_is_delivered_by_the_real_worker(newcomer, celery_broker, celery_worker_process):
    worker = celery_worker_process

    with transaction.atomic():
        notification = services.notify(newcomer, "welcome")
        assert Notification.objects.get(pk=notification.pk).status == NotificationStatus.PENDING

    wait_for_status(notification, NotificationStatus.SENT, worker)
    assert notification.attempts == 1
    assert notification.sent_at is not None
    content = assert_one_mail_file_with(worker, WELCOME_SUBJECT)
    assert "To: newcomer@example.test" in content
    assert f"X-Portal-Notification: {notification.pk}" in content


def test_a_notification_queued_while_the_broker_is_down_is_delivered_by_the_sweep(
    newcomer, celery_broker, celery_worker_process, caplog
):
    worker = celery_worker_process
    celery_broker.point_at(UNREACHABLE_BROKER)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="portal.services"):
        with transaction.atomic():
            notification = services.notify(newcomer, "welcome")
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"creating a notification with the broker down took {elapsed:.1f} s"
    assert f"Could not enqueue notification {notification.pk}" in caplog.text
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.PENDING, 0)
    assert worker.mail_files() == []

    celery_broker.point_at(celery_broker.url)  # Redis is back
    assert services.sweep_outbox(older_than_seconds=0) == 1

    wait_for_status(notification, NotificationStatus.SENT, worker)
    assert notification.attempts == 1
    assert_one_mail_file_with(worker, WELCOME_SUBJECT)


def test_a_notification_enqueued_twice_is_sent_once(newcomer, celery_broker, celery_worker_process):
    worker = celery_worker_process
    since = worker.log_offset()

    with transaction.atomic():
        notification = services.notify(newcomer, "welcome")  # enqueued once on commit
    assert services.enqueue_delivery(notification.pk)  # and once more, as a sweep would

    results = wait_until(lambda: len(worker.succeeded("portal.tasks.deliver_notification", since)) >= 2,
                         DELIVERY_TIMEOUT, worker=worker)
    assert results, f"the worker did not run the task twice:\n{worker.log_tail()}"
    assert worker.succeeded("portal.tasks.deliver_notification", since) == ["'sent'", "'sent'"]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 1)
    assert_one_mail_file_with(worker, WELCOME_SUBJECT)

