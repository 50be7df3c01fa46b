"""Delivery over a real SMTP connection: transient failures are retried with backoff,
permanent ones are failed at once and shown to CSU, who can send them again."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.enums import NotificationStatus
from portal.models import ActivityLog, Notification
from tests.conftest import give_totp, make_user
from tests.smtp_server import SMTPServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)
WELCOME = "Welcome to the UNODC NGO engagement portal"


@pytest.fixture
def smtp(settings):
    server = SMTPServer().start()
    settings.MAILERS = server.mailer
    yield server
    server.stop()


@pytest.fixture
def person(db):
    return make_user("ana@example.test", full_name="Ana Example")


def queue_welcome(person) -> Notification:
    with transaction.atomic():
        notification = services.notify(person, "welcome")
    notification.refresh_from_db()
    return notification


def test_delivery_accepted_by_the_server_marks_the_notification_sent(smtp, person):
    notification = queue_welcome(person)

    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert [(m.recipients, m.subject, m.notification_id) for m in smtp.received] == [
        (["ana@example.test"], WELCOME, notification.pk)
    ]


def test_delivery_answered_451_is_retried_with_backoff_until_the_server_accepts(smtp, person):
    smtp.replies["ana@example.test"] = (451, "4.7.1 Greylisted, try again later")
    start = timezone.now().replace(microsecond=0)

    with time_machine.travel(start, tick=False):
        notification = queue_welcome(person)
        assert (notification.status, notification.attempts) == ("pending", 1)
        assert notification.last_error == "ana@example.test: 451 4.7.1 Greylisted, try again later"
        assert notification.next_attempt_at == start + timedelta(seconds=60)

    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert services.sweep_outbox(older_than_seconds=0) == 0  # not due yet

    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert services.sweep_outbox(older_than_seconds=0) == 1
        notification.refresh_from_db()
        assert (notification.status, notification.attempts) == ("pending", 2)
        assert notification.next_attempt_at == start + timedelta(seconds=60 + 120)

    del smtp.replies["ana@example.test"]
    with time_machine.travel(start + timedelta(seconds=180), tick=False):
        assert services.sweep_outbox(older_than_seconds=0) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.next_attempt_at) == ("sent", 3, None)
    assert [m.notification_id for m in smtp.received] == [notification.pk]


def test_delivery_to_a_server_that_refuses_connections_is_retried(settings, person):
    settings.MAILERS = SMTPServer(port=free_port()).mailer  # nothing listens there

    notification = queue_welcome(person)

    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error.startswith("ConnectionRefusedError: ")
    assert notification.next_attempt_at is not None


def test_delivery_answered_550_is_failed_at_once_and_never_retried(smtp, person):
    smtp.replies["ana@example.test"] = (550, "5.1.1 No such user here")

    notification = queue_welcome(person)

    assert (notification.status, notification.attempts, notification.next_attempt_at) == ("failed", 1, None)
    assert notification.last_error == "ana@example.test: 550 5.1.1 No such user here"
    assert services.sweep_outbox(older_than_seconds=0) == 0
    assert services.deliver_notification(notification.pk) == "failed"
    assert smtp.received == []


def test_delivery_gives_up_after_the_maximum_number_of_transient_failures(smtp, person, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp.replies["ana@example.test"] = (421, "Service not available")

    notification = queue_welcome(person)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert services.sweep_outbox(older_than_seconds=0) == 1

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert notification.last_error == "ana@example.test: 421 Service not available"


@pytest.fixture
def failed(smtp, person):
    smtp.replies["ana@example.test"] = (550, "5.1.1 No such user here")
    notification = queue_welcome(person)
    del smtp.replies["ana@example.test"]
    return notification


@pytest.fixture
def csu(client, csu_officer):
    give_totp(csu_officer)
    client.force_login(csu_officer)
    return csu_officer


def test_undelivered_page_shows_csu_the_address_the_subject_and_the_reason(client, csu, failed):
    response = client.get(reverse("undelivered_notifications"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<caption>1 e-mail</caption>" in page
    assert "<td>ana@example.test</td>" in page
    assert f"<td>{WELCOME}</td>" in page
    assert "Failed after 1 attempt</td>" in page
    assert "<code>ana@example.test: 550 5.1.1 No such user here</code>" in page
    assert f'action="/staff/notifications/{failed.pk}/resend/"' in page


def test_undelivered_page_filters_retrying_from_failed(client, csu, failed, smtp, person):
    smtp.replies["ana@example.test"] = (451, "Try later")
    retrying = queue_welcome(person)

    failed_page = client.get(reverse("undelivered_notifications"), {"state": "failed"}).content.decode()
    retrying_page = client.get(reverse("undelivered_notifications"), {"state": "retrying"}).content.decode()

    assert "<caption>1 e-mail</caption>" in failed_page
    assert "550 5.1.1" in failed_page and "451 Try later" not in failed_page
    assert "<caption>1 e-mail</caption>" in retrying_page
    assert "451 Try later" in retrying_page and "550 5.1.1" not in retrying_page
    next_try = timezone.localtime(retrying.next_attempt_at).strftime("%H:%M")
    assert f"Tried 1 time; next try at {next_try}</td>" in retrying_page


def test_undelivered_page_says_so_when_everything_was_delivered(client, csu):
    page = client.get(reverse("undelivered_notifications")).content.decode()

    assert '<p class="empty-state">Every e-mail has been delivered.</p>' in page


def test_undelivered_page_queries_do_not_grow_with_the_rows(client, csu, failed, django_assert_num_queries, smtp, person):
    client.get(reverse("undelivered_notifications"))
    # the login session with the user, its roles and MFA (portal.login_sessions), the count, the page's e-mails
    with django_assert_num_queries(3) as one:
        client.get(reverse("undelivered_notifications"))
    smtp.replies["ana@example.test"] = (550, "No")
    for _ in range(5):
        queue_welcome(person)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("undelivered_notifications")).content.decode()
    assert "<caption>6 e-mails</caption>" in page


def test_resend_sends_a_failed_e_mail_again_to_the_current_address(client, csu, failed, smtp, person):
    person.email = "ana.new@example.test"
    person.save(update_fields=["email"])

    response = client.post(reverse("resend_notification", args=[failed.pk]), follow=True)

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.to_email) == ("sent", 1, "ana.new@example.test")
    assert [(m.recipients, m.notification_id) for m in smtp.received] == [(["ana.new@example.test"], failed.pk)]
    assert f"The e-mail “{WELCOME}” to ana.new@example.test is queued again." in response.content.decode()
    entry = ActivityLog.objects.get(action="portal.notification.resent")
    assert (entry.actor, entry.old_values["to_email"], entry.new_values) == (
        csu, "ana@example.test", {"status": "pending", "to_email": "ana.new@example.test"}
    )


def test_resend_of_an_e_mail_that_is_no_longer_failed_changes_nothing(client, csu, failed):
    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.SENT)

    response = client.post(reverse("resend_notification", args=[failed.pk]), follow=True)

    assert "This e-mail is no longer undelivered: it is now sent." in response.content.decode()
    assert not ActivityLog.objects.filter(action="portal.notification.resent").exists()


def test_undelivered_page_and_resend_are_for_csu_only(client, failed, focal_points, coordinators, outsider):
    for person in [outsider, focal_points["a"], coordinators["vngoc"]]:
        give_totp(person)
        client.force_login(person)
        assert client.get(reverse("undelivered_notifications")).status_code == 403
        assert client.post(reverse("resend_notification", args=[failed.pk])).status_code == 403
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("failed", 1)


def test_home_tells_csu_how_many_e_mails_failed(client, csu, failed):
    page = client.get(reverse("home")).content.decode()

    assert "1 e-mail could not be delivered: see why and send it again." in page


def test_outbox_command_counts_each_state(smtp, person, failed):
    from io import StringIO

    from django.core.management import call_command

    queue_welcome(person)  # sent
    smtp.replies["ana@example.test"] = (451, "Later")
    queue_welcome(person)  # retrying
    output = StringIO()

    call_command("outbox", stdout=output)

    assert output.getvalue().splitlines() == [
        "pending: 0",
        "retrying: 1",
        "failed: 1",
        "sent last day: 1",
        "broker queue: none (tasks run eagerly, in the web process)",
    ]
