"""CSU's pages to create and edit sessions. Staff pages (MFA); for anyone else they do not exist."""

import copy

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from organizations.forms import add_service_error
from portal.middleware import staff_page

from .. import services
from ..forms.session import SessionForm
from ..models import Session


def _require_manager(request) -> None:
    if not rules.has_perm("sessions.manage_sessions", request.user):
        raise Http404


@staff_page
@login_required
def session_create(request):
    _require_manager(request)
    form = SessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.save_session(None, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The session “%(session)s” is created.") % {"session": session})
            return redirect(session)
    return render(request, "sessions/session_form.html", {"form": form, "session": None})


@staff_page
@login_required
def session_edit(request, commission: str, number: int):
    _require_manager(request)
    session = get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)
    # The form writes what was typed into its instance; the page keeps showing the session as saved.
    form = SessionForm(request.POST if request.method == "POST" else None, instance=copy.copy(session))
    if request.method == "POST" and form.is_valid():
        try:
            session = services.save_session(session, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The session “%(session)s” is saved.") % {"session": session})
            return redirect(session)
    return render(request, "sessions/session_form.html", {"form": form, "session": session})
