"""Public pages of sessions: the list and one session, with what the visitor may do there."""

import rules
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from organizations.enums import VerificationState
from organizations.models import Organization

from ..models import LIVE_STATUSES, Registration, Session
from ..selectors import past_sessions, upcoming_sessions


def session_list(request):
    past_page = Paginator(past_sessions(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "sessions/session_list.html",
        {
            "upcoming": upcoming_sessions(),
            "past_page": past_page,
            "can_manage": rules.has_perm("sessions.manage_sessions", request.user),
        },
    )


def session_detail(request, commission: str, number: int):
    session = get_object_or_404(
        Session.objects.select_related("commission"), commission__code=commission, number=number
    )
    context = {
        "session": session,
        "can_manage": rules.has_perm("sessions.manage_sessions", request.user),
        "can_review": rules.has_perm("sessions.review_registrations", request.user),
        "own_registrations": [],
        "can_register": False,
    }
    if request.user.is_authenticated:
        # The person's organizations that already have a delegation here get a link to it;
        # a verified one without one may register while the window is open.
        own_registrations = list(
            Registration.objects.filter(
                session=session, organization__members__user=request.user, status__in=LIVE_STATUSES
            )
            .select_related("organization")
            .order_by("organization__name", "pk")
        )
        context["own_registrations"] = own_registrations
        if session.registration_state == "open":
            context["can_register"] = (
                Organization.objects.filter(members__user=request.user, verification_state=VerificationState.VERIFIED)
                .exclude(pk__in=[registration.organization_id for registration in own_registrations])
                .exists()
            )
    return render(request, "sessions/session_detail.html", context)
