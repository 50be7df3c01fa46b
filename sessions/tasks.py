"""Celery tasks of sessions: follow-ups of deadlines and retention. They take no arguments and are safe to run twice."""

from celery import shared_task

from . import reminders, services


@shared_task(name="sessions.tasks.send_reminders")
def send_reminders() -> int:
    return reminders.send_window_reminders()


@shared_task(name="sessions.tasks.expire_drafts")
def expire_drafts() -> int:
    return services.expire_drafts()


@shared_task(name="sessions.tasks.purge_personal_data")
def purge_personal_data() -> int:
    return services.purge_personal_data().registrations
