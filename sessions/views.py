"""Public pages of sessions."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from .models import Session
from .selectors import past_sessions, upcoming_sessions


def session_list(request):
    past_page = Paginator(past_sessions(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "sessions/session_list.html",
        {"upcoming": upcoming_sessions(), "past_page": past_page},
    )


def session_detail(request, commission: str, number: int):
    session = get_object_or_404(
        Session.objects.select_related("commission"), commission__code=commission, number=number
    )
    return render(request, "sessions/session_detail.html", {"session": session})
