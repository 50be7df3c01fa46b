"""The notification outbox: written with the change, delivered after commit, at most once."""

import time

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from portal import services
from portal.celery import app as celery_app
from portal.enums import NotificationStatus
from portal.models import ActivityLog, Notification
from tests.fixtures_services import reset_broker_connections

pytestmark = pytest.mark.django_db(transaction=True)

WELCOME_SUBJECT = "Welcome to the UNODC NGO engagement portal"
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
REFUSING_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
    }
}


@pytest.fixture
def broker_down():
    """Celery as in production (not eager) with a broker that refuses connections."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=UNREACHABLE_BROKER, task_always_eager=False)
    reset_broker_connections(celery_app)
    yield
    celery_app.conf.update(saved)
    reset_broker_connections(celery_app)


def test_notification_is_delivered_after_commit_with_text_and_html(outsider):
    with transaction.atomic():
        notification = services.notify(outsider, "welcome")
        assert mail.outbox == []  # nothing leaves before the change commits

    assert [(m.to, m.subject) for m in mail.outbox] == [([outsider.email], WELCOME_SUBJECT)]
    message = mail.outbox[0]
    assert f"your e-mail address {outsider.email} is confirmed" in message.body
    assert [mimetype for _content, mimetype in message.alternatives] == ["text/html"]
    assert message.extra_headers["X-Portal-Notification"] == str(notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert notification.sent_at is not None


def test_notification_of_a_rolled_back_change_is_never_sent(outsider):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.notify(outsider, "welcome")
            raise RuntimeError("the change failed")

    assert mail.outbox == []
    assert Notification.objects.count() == 0


def test_delivering_the_same_notification_twice_sends_one_email(outsider):
    with transaction.atomic():
        notification = services.notify(outsider, "welcome")

    assert services.deliver_notification(notification.pk) == "sent"
    assert services.deliver_notification(notification.pk) == "sent"
    from portal.tasks import deliver_notification

    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_delivering_a_missing_notification_is_harmless():
    assert services.deliver_notification(999_999) == "missing"
    assert mail.outbox == []


@override_settings(LANGUAGE_CODE="en")
def test_email_is_rendered_in_the_recipients_language(outsider):
    outsider.language = "fr"
    outsider.save()

    with transaction.atomic():
        notification = services.notify(outsider, "welcome")

    notification.refresh_from_db()
    assert notification.language == "fr"
    assert notification.subject == "Bienvenue sur le portail de collaboration avec les ONG de l’ONUDC"
    assert mail.outbox[0].subject == notification.subject


def test_broker_down_keeps_the_notification_pending_and_answers_fast(outsider, broker_down):
    started = time.monotonic()
    with transaction.atomic():
        notification = services.notify(outsider, "welcome")
    elapsed = time.monotonic() - started

    assert elapsed < 5
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)
    assert mail.outbox == []


def test_sweep_delivers_what_the_broker_missed_once_it_is_back(outsider, broker_down):
    with transaction.atomic():
        notification = services.notify(outsider, "welcome")
    assert services.sweep_outbox(older_than_seconds=0) == 0  # still down: nothing handed over

    # The broker is back (eager here; tests/test_worker.py does it with a real worker and Redis).
    celery_app.conf.task_always_eager = True
    assert services.sweep_outbox(older_than_seconds=0) == 1
    assert services.sweep_outbox(older_than_seconds=0) == 0

    assert [m.subject for m in mail.outbox] == [WELCOME_SUBJECT]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_sweep_leaves_fresh_notifications_to_their_own_task(outsider, broker_down):
    with transaction.atomic():
        services.notify(outsider, "welcome")

    assert services.sweep_outbox(older_than_seconds=3600) == 0


def test_notify_all_delivers_each_e_mail_once_after_commit_from_one_message(outsider, csu_officer):
    with transaction.atomic():
        notifications = services.notify_all([outsider, csu_officer], "welcome")
        assert mail.outbox == []

    assert sorted(m.to[0] for m in mail.outbox) == sorted([outsider.email, csu_officer.email])
    assert sorted(m.extra_headers["X-Portal-Notification"] for m in mail.outbox) == sorted(str(n.pk) for n in notifications)
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    from portal.tasks import deliver_notifications

    assert deliver_notifications.delay([n.pk for n in notifications]).get() == ["sent", "sent"]  # a redelivered message
    assert len(mail.outbox) == 2


def test_notify_all_with_the_broker_down_keeps_every_e_mail_for_the_sweep(outsider, csu_officer, broker_down, caplog):
    with transaction.atomic():
        first, second = services.notify_all([outsider, csu_officer], "welcome")

    assert f"Could not enqueue notification {first.pk}, {second.pk}" in caplog.text
    assert set(Notification.objects.values_list("status", "attempts")) == {("pending", 0)}
    celery_app.conf.task_always_eager = True
    assert services.sweep_outbox(older_than_seconds=0) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([outsider.email, csu_officer.email])


# No backoff here: tests/test_delivery.py checks it.
@override_settings(MAILERS=REFUSING_SMTP, OUTBOX_MAX_ATTEMPTS=2, OUTBOX_RETRY_BASE_SECONDS=0)
def test_smtp_failure_keeps_it_pending_then_marks_it_failed(outsider):
    with transaction.atomic():
        notification = services.notify(outsider, "welcome")

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error.startswith("ConnectionRefusedError")

    assert services.deliver_notification(notification.pk) == "failed"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert services.sweep_outbox(older_than_seconds=0) == 0


def test_notify_a_bare_address_uses_the_active_language():
    with transaction.atomic():
        notification = services.notify("someone@example.test", "welcome", {"recipient": None})

    assert (notification.recipient, notification.to_email, notification.language) == (None, "someone@example.test", "en")
    assert [m.to for m in mail.outbox] == [["someone@example.test"]]


def test_log_activity_records_actor_target_and_values(csu_officer, organizations):
    organization = organizations["a"]

    entry = services.log_activity(
        "organizations.organization.verified",
        actor=csu_officer,
        target=organization,
        old={"verification_state": "pending"},
        new={"verification_state": "verified", "checked_on": organization.created_at},
        note="Statutes received",
    )

    entry = ActivityLog.objects.get(pk=entry.pk)
    assert (entry.actor, entry.action, entry.target, entry.object_repr) == (
        csu_officer,
        "organizations.organization.verified",
        organization,
        "Harm Reduction Alliance (HRA)",
    )
    assert entry.old_values == {"verification_state": "pending"}
    assert entry.new_values == {"verification_state": "verified", "checked_on": str(organization.created_at)}
    assert entry.note == "Statutes received"


def test_notification_status_choices_are_the_documented_ones():
    assert NotificationStatus.values == ["pending", "sent", "failed"]


# --- Enqueued once the answer is sent ----------------------------------------------------------------

CSRF_SECRET = "outboxtestcsrfsecret0123456789ab"  # 32 characters: Django accepts the unmasked secret


def served_by_wsgi(client, path: str, data: dict):
    """POST `path` through Django's WSGI handler as a server does; the response, not yet closed.

    The test client closes every response before it returns one; a server closes it only once
    the answer has been sent."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = RequestFactory().post(path, {**data, "csrfmiddlewaretoken": CSRF_SECRET}).environ
    environ["HTTP_COOKIE"] = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF_SECRET}"
    statuses = []
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    return statuses, response


def test_a_request_enqueues_its_notifications_after_its_answer_is_sent(client, organizations, focal_points, outsider):
    client.force_login(outsider)

    statuses, response = served_by_wsgi(client, "/organizations/hra/join/", {"message": "I run the Nairobi office."})

    # The answer is ready and the e-mail committed to the outbox, but not yet handed to Celery (eager here: sent).
    assert statuses == ["302 Found"]
    assert list(Notification.objects.values_list("to_email", "status")) == [(focal_points["a"].email, NotificationStatus.PENDING)]
    assert mail.outbox == []

    response.close()

    assert list(Notification.objects.values_list("to_email", "status")) == [(focal_points["a"].email, NotificationStatus.SENT)]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([focal_points["a"].email], "Olga Outsider asks to join Harm Reduction Alliance (HRA)")
    ]

