"""Core verbs: write the activity log, queue a notification, deliver one."""

import logging
import smtplib
import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import rules

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .enums import NotificationStatus
from .models import ActivityLog, Notification, User

logger = logging.getLogger(__name__)


def log_activity(action: str, **values: Any) -> ActivityLog:
    """Record that `actor` did `action` to `target`, with the values before and after (see activity_entry())."""
    entry = activity_entry(action, **values)
    entry.save(force_insert=True)
    return entry


def activity_entry(
    action: str,
    *,
    actor: User | None,
    target: models.Model | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    note: str = "",
) -> ActivityLog:
    """The entry log_activity() writes, not yet written: for a service writing several in one INSERT.

    Values are stored as JSON; anything that is not a JSON scalar is stored as its text.
    """
    return ActivityLog(
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
    return _write_and_enqueue(_rendered_notification(recipient, template, context, language=language))


def notify_all(people: Iterable[User], template: str, context: Mapping[str, Any] | None = None) -> list[Notification]:
    """notify() each person, each in their own language; the rows are written in one INSERT.

    An e-mail whose templates never look at `recipient` is the same for everyone of one language:
    it is rendered once for them (rendering is most of the cost of a notification).
    """
    notifications, shared = [], {}
    for person in people:
        language = person.language or settings.LANGUAGE_CODE
        if language in shared:
            subject, body_text, body_html = shared[language]
        else:
            recipient = _Watched(person)
            # As notify() has it: a `recipient` of the caller's context is the same for everyone, and wins.
            subject, body_text, body_html = render_email(template, {"recipient": recipient, **(context or {})}, language=language)
            if not recipient.looked_at:
                shared[language] = subject, body_text, body_html
        notifications.append(
            _pending_email(
                to_email=person.email, recipient=person, kind=template, language=language,
                subject=subject, body_text=body_text, body_html=body_html,
            )
        )
    if connection.features.can_return_rows_from_bulk_insert:
        Notification.objects.bulk_create(notifications)
    else:
        for notification in notifications:
            notification.save(force_insert=True)
    if notifications:
        # One broker message for all of them: a publish costs a round trip to Redis per message.
        _enqueue_once_committed([notification.pk for notification in notifications])
    return notifications


class _Watched:
    """A person as an e-mail's templates see them as `recipient`, noting whether the templates looked at them."""

    def __init__(self, person: User):
        self._person = person
        self.looked_at = False

    def __getattr__(self, name: str) -> Any:  # recipient.email, recipient.full_name, ...
        self.looked_at = True
        return getattr(self._person, name)

    def __bool__(self) -> bool:  # {% if recipient %}
        self.looked_at = True
        return True

    def __str__(self) -> str:  # {{ recipient }}
        self.looked_at = True
        return str(self._person)


def _rendered_notification(
    recipient: User | str, template: str, context: Mapping[str, Any] | None, *, language: str | None = None
) -> Notification:
    """The pending, not yet saved Notification of one e-mail, rendered in the recipient's language."""
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
    return _pending_email(
        to_email=to_email, recipient=user, kind=template, language=language,
        subject=subject, body_text=body_text, body_html=body_html,
    )


def _pending_email(
    *, to_email: str, recipient: User | None, kind: str, language: str,
    subject: str, body_text: str, body_html: str = "",
) -> Notification:
    return Notification(
        recipient=recipient,
        to_email=to_email,
        kind=kind,
        language=language,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html,
    )


def queue_email(
    *, to_email: str, recipient: User | None, kind: str, language: str,
    subject: str, body_text: str, body_html: str = "",
) -> Notification:
    """Write an already rendered e-mail to the outbox and enqueue it after commit."""
    return _write_and_enqueue(
        _pending_email(
            to_email=to_email, recipient=recipient, kind=kind, language=language,
            subject=subject, body_text=body_text, body_html=body_html,
        )
    )


def _write_and_enqueue(notification: Notification) -> Notification:
    """Write the pending notification in the caller's transaction; enqueue its delivery once that commits."""
    notification.save(force_insert=True)
    _enqueue_once_committed([notification.pk])
    return notification


# While a request is answered: the notifications it committed, enqueued once its answer has been sent
# (portal.middleware.DeliveriesAfterResponse). None outside a request: they are enqueued at commit.
deliveries_after_response: ContextVar[list[int] | None] = ContextVar("deliveries_after_response", default=None)


def _enqueue_once_committed(notification_ids: list[int]) -> None:
    """Enqueue the notifications' delivery when the caller's transaction commits; in a request, after its answer.

    Publishing to the broker is a round trip to Redis and a millisecond of Celery's work that the
    person waiting for the page need not wait for: the rows are committed, and should the process
    die before it enqueues them, the outbox sweep does (every minute).
    """

    def committed():
        waiting = deliveries_after_response.get()
        if waiting is None:
            enqueue_deliveries(notification_ids)
        else:
            waiting.extend(notification_ids)

    transaction.on_commit(committed)


# After the broker refused a message, requests stop trying it for this long: each try can cost
# a connection timeout, and the notifications wait safely in the outbox for the sweep.
BROKER_PAUSE_SECONDS = 10
_broker_paused_until = 0.0


def enqueue_delivery(notification_id: int, *, force: bool = False) -> bool:
    """Hand a notification to Celery. A broker that is down is logged, not raised:
    the row stays pending and the outbox sweep enqueues it again later.

    After one failure the next BROKER_PAUSE_SECONDS skip the broker altogether (unless
    `force`), so that a request creating several notifications answers at once.
    """
    return enqueue_deliveries([notification_id], force=force)


def enqueue_deliveries(notification_ids: list[int], *, force: bool = False) -> bool:
    """enqueue_delivery() for several notifications in one broker message (one task delivers
    them one after the other, each in its own transaction, as the sweep would)."""
    global _broker_paused_until
    from .tasks import deliver_notification, deliver_notifications

    ids = ", ".join(str(notification_id) for notification_id in notification_ids)
    if not force and time.monotonic() < _broker_paused_until:
        logger.warning("Could not enqueue notification %s: the broker was unreachable a moment ago", ids)
        return False
    try:
        if len(notification_ids) == 1:
            deliver_notification.delay(notification_ids[0])
        else:
            deliver_notifications.delay(list(notification_ids))
    except Exception as error:  # kombu raises several unrelated types when Redis is away
        if deliver_notification.app.conf.task_always_eager:
            raise  # eager mode has no broker: this is a bug in the task itself
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("Could not enqueue notification %s: %s", ids, error)
        return False
    _broker_paused_until = 0.0
    return True


def resume_broker() -> None:
    """Forget an earlier broker failure: the next enqueue tries the broker again."""
    global _broker_paused_until
    _broker_paused_until = 0.0


@dataclass(frozen=True)
class DeliveryFailure:
    permanent: bool
    reason: str


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def classify_failure(error: Exception) -> DeliveryFailure:
    """Tell a permanent failure (a 5xx answer, an address that cannot be written) from a
    transient one (a 4xx answer, a refused or dropped connection, anything unknown)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        reason = "; ".join(
            f"{address}: {code} {_text(message)}" for address, (code, message) in error.recipients.items()
        )
        return DeliveryFailure(bool(codes) and all(500 <= code < 600 for code in codes), reason)
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryFailure(500 <= error.smtp_code < 600, f"{error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, ValueError):  # Django refuses an address it cannot encode
        return DeliveryFailure(True, str(error))
    return DeliveryFailure(False, f"{type(error).__name__}: {error}")


def retry_delay(attempts: int) -> timezone.timedelta:
    """Exponential backoff after the `attempts`-th transient failure, capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timezone.timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def deliver_notification(notification_id: int) -> str:
    """Send one pending notification, at most once.

    The row is locked while it is sent, so a second task for the same notification
    (a duplicate from the sweep, a redelivered message) waits, then finds it sent.
    A permanent failure (5xx) marks it failed at once; a transient one (4xx, connection
    refused) keeps it pending until `next_attempt_at`, with exponential backoff, and marks
    it failed after OUTBOX_MAX_ATTEMPTS. Returns the notification's status afterwards
    ("missing" if there is none, "waiting" if its next attempt is not due yet).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(pk=notification_id).first()
        )
        if notification is None:
            return "missing"
        if notification.status != NotificationStatus.PENDING:
            return notification.status
        now = timezone.now()
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return "waiting"
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
            failure = classify_failure(error)
            notification.last_error = failure.reason[:2000]
            if failure.permanent or notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
                notification.next_attempt_at = None
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning(
                "Notification %s not delivered (%s, attempt %s): %s",
                notification.pk, "permanent" if failure.permanent else "transient",
                notification.attempts, notification.last_error,
            )  # fmt: skip
            return notification.status
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.next_attempt_at = None
        notification.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return notification.status


def sweep_outbox(*, older_than_seconds: int | None = None) -> int:
    """Enqueue again every notification still pending after a grace period whose next
    attempt is due.

    Returns how many were handed to the broker. Safe to run at any time: delivery
    is idempotent, so a notification enqueued twice is still sent once.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.OUTBOX_SWEEP_AFTER_SECONDS
    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=older_than_seconds)
    pending = Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lte=cutoff).filter(
        models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
    )
    enqueued = 0
    for notification_id in pending.order_by("created_at").values_list("pk", flat=True)[:1000]:
        if not enqueue_delivery(notification_id, force=enqueued == 0):
            break  # the broker is still down: the next sweep tries again
        enqueued += 1
    return enqueued


def resend_notification(notification: Notification, *, by: User) -> Notification:
    """Try a failed notification again, to the person's current address.

    Side effects, in order: checks `portal.resend_notification`, locks the row, puts it back
    to pending with its attempts reset, writes a `portal.notification.resent` activity entry,
    and once committed enqueues its delivery. A notification that is no longer failed is left
    alone and a ValidationError says what became of it.
    """
    if not rules.has_perm("portal.resend_notification", by, notification):
        raise PermissionDenied
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status != NotificationStatus.FAILED:
            raise ValidationError(
                _("This e-mail is no longer undelivered: it is now %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        old = {"status": locked.status, "to_email": locked.to_email, "last_error": locked.last_error}
        if locked.recipient_id and locked.recipient.email:
            locked.to_email = locked.recipient.email
        locked.status = NotificationStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = None
        locked.save(update_fields=["to_email", "status", "attempts", "next_attempt_at"])
        log_activity(
            "portal.notification.resent", actor=by, target=locked,
            old=old, new={"status": locked.status, "to_email": locked.to_email},
        )  # fmt: skip
        _enqueue_once_committed([locked.pk])
    return locked


def welcome_new_user(user: User) -> Notification:
    """Tell a person whose e-mail was just confirmed what the portal offers.

    Side effects: writes a `portal.user.email_confirmed` activity entry, then queues the e-mail.
    """
    with transaction.atomic():
        log_activity("portal.user.email_confirmed", actor=user, target=user, new={"email": user.email})
        return notify(user, "welcome")
