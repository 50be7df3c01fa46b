"""Print where the e-mail outbox stands, and how many tasks wait in the broker: for watching."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count, Q
from django.utils import timezone

from portal.enums import NotificationStatus
from portal.models import Notification


class Command(BaseCommand):
    help = "Show the outbox (pending, retrying, failed, sent in the last 24 hours) and the broker's queue length."

    def handle(self, *args, **options):
        now = timezone.now()
        counts = Notification.objects.aggregate(
            pending=Count("pk", filter=Q(status=NotificationStatus.PENDING, attempts=0)),
            retrying=Count("pk", filter=Q(status=NotificationStatus.PENDING, attempts__gt=0)),
            failed=Count("pk", filter=Q(status=NotificationStatus.FAILED)),
            sent_last_day=Count("pk", filter=Q(status=NotificationStatus.SENT, sent_at__gte=now - timedelta(days=1))),
        )
        for label, value in counts.items():
            self.stdout.write(f"{label.replace('_', ' ')}: {value}")
        self.stdout.write(f"broker queue: {self.queue_length()}")

    def queue_length(self) -> str:
        if not settings.CELERY_BROKER_URL:
            return "none (tasks run eagerly, in the web process)"
        from portal.celery import app

        queue = app.conf.task_default_queue
        try:
            with app.connection_for_write() as connection:
                length = connection.default_channel.client.llen(queue)
        except Exception as error:  # the broker is down: say so rather than fail
            return f"unreachable ({type(error).__name__}: {error})"
        return f"{length} task(s) waiting in {queue!r}"
