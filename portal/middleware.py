"""The portal's middleware: e-mails enqueued after the answer; staff pages demand MFA."""

import logging
from functools import partial

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .roles import has_mfa, roles_of
from .services import deliveries_after_response, enqueue_deliveries

logger = logging.getLogger(__name__)


class DeliveriesAfterResponse:
    """Enqueue the e-mails a request committed once its answer has been sent, not before.

    Django closes a response after the server has sent it (HttpResponseBase.close(), which runs
    the response's closers): a submission's answer does not wait for the broker. The e-mails are
    already committed to the outbox; the sweep enqueues any that a dying process left behind.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        waiting = []
        token = deliveries_after_response.set(waiting)
        try:
            response = self.get_response(request)
        except BaseException:
            if waiting:
                enqueue_deliveries(waiting)
            raise
        finally:
            deliveries_after_response.reset(token)
        if waiting:
            # Django swallows a closer's exception: say what failed (the sweep enqueues them anyway).
            response._resource_closers.append(partial(_enqueue_after_response, waiting))
        return response


def _enqueue_after_response(notification_ids: list[int]) -> None:
    try:
        enqueue_deliveries(notification_ids)
    except Exception:
        logger.exception("Could not enqueue notifications %s after the response", notification_ids)


def staff_page(view_func):
    """Mark a view as a staff page: only reachable with MFA set up."""
    view_func.staff_page = True
    return view_func


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        is_staff_page = getattr(view_func, "staff_page", False) or request.path.startswith("/admin/")
        if not is_staff_page or not request.user.is_authenticated:
            return None
        needs = roles_of(request.user).needs_mfa or request.user.is_staff
        if needs and not has_mfa(request.user):
            messages.warning(
                request,
                _("Staff pages need two-factor authentication. Set up an authenticator app to continue."),
            )
            return redirect("mfa_activate_totp")
        return None
