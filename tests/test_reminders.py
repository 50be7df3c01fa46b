"""Reminders before windows close, and the periodic tasks that follow deadlines up: each happens once."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.utils import timezone

from events.models import SideEvent
from sessions import tasks
from sessions.models import Registration, Reminder, Session
from sessions.reminders import due_windows, send_window_reminders

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def session(commission, number, *, closes=None, start=dt.date(2027, 3, 15), **extra) -> Session:
    return Session.objects.create(
        commission=commission, number=number, title=f"{number}th session of the {commission.name}", start_date=start,
        end_date=start + dt.timedelta(days=4), venue="Vienna", registration_opens=closes and closes - dt.timedelta(days=60),
        registration_closes=closes, **extra,
    )


@pytest.fixture
def cnd70(commissions):
    return session(commissions["cnd"], 70, closes=NOW + dt.timedelta(days=6, hours=12))


def test_due_windows_pick_the_smallest_offset_reached(cnd70, commissions, settings):
    settings.REMINDER_DAYS_BEFORE = [7, 1]
    session(commissions["ccpcj"], 36, closes=NOW + dt.timedelta(hours=20), start=dt.date(2027, 5, 17))
    session(commissions["cosp"], 11, closes=NOW + dt.timedelta(days=9), start=dt.date(2027, 6, 1))

    assert sorted((due.session.number, due.window, due.days_before) for due in due_windows(NOW)) == [
        (36, "registration", 1), (70, "registration", 7),
    ]


def test_an_organization_with_a_draft_is_reminded_once_per_offset(cnd70, organizations, focal_points, settings):
    settings.REMINDER_DAYS_BEFORE = [7, 1]
    Registration.objects.create(session=cnd70, organization=organizations["a"], status="draft")

    assert send_window_reminders(now=NOW) == 1
    assert send_window_reminders(now=NOW) == 0
    assert send_window_reminders(now=NOW + dt.timedelta(days=6)) == 1  # the last day: the 1-day reminder

    subject = f"HRA: registration for the {cnd70.title} closes on 7 February"
    assert sent() == [([focal_points["a"].email], subject), ([focal_points["a"].email], subject)]
    assert (
        f"The delegation of Harm Reduction Alliance (HRA) to the {cnd70.title} is not submitted yet. Registration closes "
        "on 7 February 2027, 22:00 Vienna time" in " ".join(mail.outbox[0].body.split())
    )
    assert sorted(Reminder.objects.values_list("days_before", "kind")) == [(1, "draft"), (7, "draft")]


def test_past_participants_who_have_not_registered_are_reminded(cnd70, commissions, organizations, focal_points, settings):
    settings.REMINDER_DAYS_BEFORE = [7]
    earlier = session(commissions["cnd"], 69, start=dt.date(2026, 3, 9))
    Registration.objects.create(session=earlier, organization=organizations["a"], status="approved")
    Registration.objects.create(session=earlier, organization=organizations["b"], status="approved")
    Registration.objects.create(session=cnd70, organization=organizations["b"], status="submitted")  # already registered

    assert send_window_reminders(now=NOW) == 1

    assert sent() == [([focal_points["a"].email], f"HRA: registration for the {cnd70.title} closes on 7 February")]
    assert "took part in an earlier session of this commission" in mail.outbox[0].body


def test_side_event_drafts_are_reminded_before_their_window_closes(commissions, organizations, focal_points, settings):
    settings.REMINDER_DAYS_BEFORE = [1]
    cnd = session(commissions["cnd"], 70, side_events_open=NOW - dt.timedelta(days=30), side_events_close=NOW + dt.timedelta(hours=5))
    SideEvent.objects.create(session=cnd, lead_organization=organizations["a"], title="Drug checking", description="x")

    assert send_window_reminders(now=NOW) == 1
    assert sent() == [([focal_points["a"].email], f"HRA: side-event applications for the {cnd.title} close on 1 February")]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="two processes at once need PostgreSQL")
def test_two_beat_processes_at_once_send_each_reminder_once(cnd70, organizations, focal_points, settings):
    settings.REMINDER_DAYS_BEFORE = [7, 1]
    Registration.objects.create(session=cnd70, organization=organizations["a"], status="draft")
    Registration.objects.create(session=cnd70, organization=organizations["b"], status="returned")
    barrier = threading.Barrier(2)
    counts = []

    def run():
        try:
            barrier.wait()
            counts.append(send_window_reminders(now=NOW))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 2
    assert sorted(recipients for recipients, _subject in sent()) == [[focal_points["a"].email], [focal_points["b"].email]]


def test_the_periodic_tasks_run_the_follow_ups(cnd70, organizations, focal_points, settings):
    settings.REMINDER_DAYS_BEFORE = [7, 1]
    Registration.objects.create(session=cnd70, organization=organizations["a"], status="draft")
    closed = session(cnd70.commission, 68, closes=timezone.now() - dt.timedelta(minutes=1), start=dt.date(2025, 3, 10))
    Registration.objects.create(session=closed, organization=organizations["b"], status="draft")

    assert tasks.expire_drafts.apply().result == 1
    assert tasks.expire_drafts.apply().result == 0
    assert tasks.purge_personal_data.apply().result == 1  # the session of March 2025 is long past retention
    assert list(Registration.objects.filter(session=closed).values_list("status", flat=True)) == ["expired"]


def test_the_beat_schedule_names_tasks_that_exist():
    from django.conf import settings

    from portal.celery import app

    app.loader.import_default_modules()
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)
