"""Core verbs: write the activity log, queue a notification, deliver one."""

import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .enums import NotificationStatus
from .models import ActivityLog, Notification, User

logger = logging.getLogger(__name__)


def log_activity(
    action: str,
    *,
    actor: User | None,
    target: models.Model | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    note: str = "",
) -> ActivityLog:
    """Record that `actor` did `action` to `target`, with the values before and after.

    Values are stored as JSON; anything that is not a JSON scalar is stored as its text.
    """
    return ActivityLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        old_values=_jsonable(old or {}),
        new_values=_jsonable(new or {}),
        note=note,
    )


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value if value is None or isinstance(value, (bool, int, float, str)) else str(value)
        for key, value in values.items()
    }


def render_email(template: str, context: Mapping[str, Any], *, language: str) -> tuple[str, str, str]:
    """Render templates/emails/<template>/{subject.txt,body.txt,body.html} in `language`."""
    context = {"portal_url": settings.PORTAL_BASE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{template}/subject.txt", context).split())
        body_text = render_to_string(f"emails/{template}/body.txt", context)
        body_html = render_to_string(f"emails/{template}/body.html", context)
    return subject, body_text, body_html


def notify(
    recipient: User | str,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    language: str | None = None,
) -> Notification:
    """Queue an e-mail to a user (in their language) or to a bare address.

    Side effects, in order: renders the e-mail, writes a pending Notification row in
    the caller's transaction, and, once that transaction commits, enqueues its delivery.
    """
    if isinstance(recipient, User):
        to_email, user = recipient.email, recipient
        language = language or recipient.language
    else:
        to_email, user = recipient, User.objects.filter(email__iexact=recipient).first()
        language = language or (user.language if user else translation.get_language())
    language = language or settings.LANGUAGE_CODE
    subject, body_text, body_html = render_email(
        template, {"recipient": user, **(context or {})}, language=language
    )
    return queue_email(
        to_email=to_email,
        recipient=user,
        kind=template,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
    )


def notify_all(people: Iterable[User], template: str, context: Mapping[str, Any] | None = None) -> None:
    """notify() each person, each in their own language."""
    for person in people:
        notify(person, template, context)


def queue_email(
    *, to_email: str, recipient: User | None, kind: str, language: str,
    subject: str, body_text: str, body_html: str = "",
) -> Notification:
    """Write an already rendered e-mail to the outbox and enqueue it after commit."""
    notification = Notification.objects.create(
        recipient=recipient,
        to_email=to_email,
        kind=kind,
        language=language,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
    )
    transaction.on_commit(partial(enqueue_delivery, notification.pk))
    return notification


def enqueue_delivery(notification_id: int) -> bool:
    """Hand a notification to Celery. A broker that is down is logged, not raised:
    the row stays pending and the outbox sweep enqueues it again later."""
    from .tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception as error:  # kombu raises several unrelated types when Redis is away
        if deliver_notification.app.conf.task_always_eager:
            raise  # eager mode has no broker: this is a bug in the task itself
        logger.warning("Could not enqueue notification %s: %s", notification_id, error)
        return False
    return True


def deliver_notification(notification_id: int) -> str:
    """Send one pending notification, at most once.

    The row is locked while it is sent, so a second task for the same notification
    (a duplicate from the sweep, a redelivered message) waits, then finds it sent.
    A failure keeps it pending for the sweep until OUTBOX_MAX_ATTEMPTS, then marks it failed.
    Returns the notification's status afterwards ("missing" if there is none).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id).first()
        )
        if notification is None:
            return "missing"
        if notification.status != NotificationStatus.PENDING:
            return notification.status
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.to_email],
            headers={"X-Portal-Notification": str(notification.pk)},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        notification.attempts += 1
        try:
            message.send()
        except Exception as error:
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            if notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("Notification %s not delivered: %s", notification.pk, notification.last_error)
            return notification.status
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return notification.status


def sweep_outbox(*, older_than_seconds: int | None = None) -> int:
    """Enqueue again every notification still pending after a grace period.

    Returns how many were handed to the broker. Safe to run at any time: delivery
    is idempotent, so a notification enqueued twice is still sent once.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.OUTBOX_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    pending = Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lte=cutoff)
    enqueued = 0
    for notification_id in pending.order_by("created_at").values_list("pk", flat=True)[:1000]:
        if not enqueue_delivery(notification_id):
            break  # the broker is still down: the next sweep tries again
        enqueued += 1
    return enqueued


def welcome_new_user(user: User) -> Notification:
    """Tell a person whose e-mail was just confirmed what the portal offers.

    Side effects: writes a `portal.user.email_confirmed` activity entry, then queues the e-mail.
    """
    with transaction.atomic():
        log_activity("portal.user.email_confirmed", actor=user, target=user, new={"email": user.email})
        return notify(user, "welcome")
