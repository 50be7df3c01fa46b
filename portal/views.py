"""Core pages: home, the staff activity log, undelivered e-mails and the error pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rules.contrib.views import permission_required

from sessions.selectors import upcoming_sessions

from . import services
from .middleware import staff_page
from .models import Notification
from .selectors import activity_visible_to, todos_for, undelivered_notifications


def home(request):
    context = {"upcoming_sessions": upcoming_sessions()[:6]}
    if request.user.is_authenticated:
        context["todos"] = todos_for(request.user)
    return render(request, "portal/home.html", context)


@staff_page
@login_required
@permission_required("portal.view_activity_log", raise_exception=True)
def activity_log(request):
    entries = activity_visible_to(request.user)
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "portal/activitylog_list.html", {"page": page, "action": action})


@staff_page
@login_required
@permission_required("portal.view_undelivered_notifications", raise_exception=True)
def undelivered_notifications_list(request):
    """E-mails that failed for good, and those waiting to be tried again, with the reason."""
    state = request.GET.get("state", "")
    notifications = undelivered_notifications(state)
    page = Paginator(notifications, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notification_undelivered.html",
        {"page": page, "state": state, "max_attempts": settings.OUTBOX_MAX_ATTEMPTS},
    )


@staff_page
@login_required
@require_POST
@permission_required("portal.resend_notification", raise_exception=True)
def resend_notification(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id)
    try:
        notification = services.resend_notification(notification, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The e-mail “%(subject)s” to %(address)s is queued again.")
            % {"subject": notification.subject, "address": notification.to_email},
        )
    return redirect("undelivered_notifications")


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
