"""Core pages: home, the staff activity log and the error pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from rules.contrib.views import permission_required

from sessions.selectors import upcoming_sessions

from .middleware import staff_page
from .selectors import activity_visible_to, todos_for


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


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
