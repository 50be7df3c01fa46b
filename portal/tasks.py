"""Celery tasks of the core app. They take ids only and are safe to run twice."""

from celery import shared_task

from . import digests, services


@shared_task(name="portal.tasks.deliver_notification")
def deliver_notification(notification_id: int) -> str:
    return services.deliver_notification(notification_id)


@shared_task(name="portal.tasks.deliver_notifications")
def deliver_notifications(notification_ids: list[int]) -> list[str]:
    """Several notifications of one transaction, from one message: each sent at most once, on its own."""
    return [services.deliver_notification(notification_id) for notification_id in notification_ids]


@shared_task(name="portal.tasks.sweep_outbox")
def sweep_outbox() -> int:
    return services.sweep_outbox()


@shared_task(name="portal.tasks.send_digests")
def send_digests() -> int:
    return digests.send_daily_digests()
