"""Staff pages demand MFA: CSU staff and coordinators set up TOTP before they reach one."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .roles import has_mfa, roles_of


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
