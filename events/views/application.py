"""A side-event application from the focal points' side: proposing it, filling it in, following it,
confirming a co-organizer; and its page for everyone who may see it (the organizers' focal points, CSU)."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from organizations.enums import VerificationState
from organizations.models import Organization, OrganizationMember
from portal.middleware import staff_page
from portal.models import ActivityLog
from sessions.models import Session

from .. import selectors, services
from ..enums import LANGUAGE_CHOICES, CoOrganizerStatus, SideEventStatus
from ..forms.application import MAX_SPEAKERS, SPEAKER_PREFIX, SideEventForm, speaker_formset
from ..models import CoOrganizer, SideEvent

MY_APPLICATIONS_PER_PAGE = 50
SUBMITTABLE = (SideEventStatus.DRAFT, SideEventStatus.RETURNED)
WITHDRAWABLE = tuple(status for status, following in services.TRANSITIONS.items() if SideEventStatus.WITHDRAWN in following)
REVIEWABLE = (SideEventStatus.SUBMITTED, SideEventStatus.WAITLISTED, SideEventStatus.ACCEPTED)
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)


def _session(commission: str, number: int) -> Session:
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


def _event(user, event_id: int) -> SideEvent:
    """The application if this person may see it; otherwise it does not exist for them."""
    event = get_object_or_404(
        SideEvent.objects.select_related("session__commission", "lead_organization", "room", "slot", "decided_by"), pk=event_id
    )
    if not rules.has_perm("events.view_application", user, event):
        raise Http404
    return event


def _application_url(event: SideEvent) -> str:
    return reverse("events:application", kwargs={"event_id": event.pk})


def _edit_url(event: SideEvent) -> str:
    return reverse("events:edit", kwargs={"event_id": event.pk})


def _local(moment, session: Session, pattern: str = "j F Y, H:i") -> str:
    return formats.date_format(timezone.localtime(moment, session.tz), pattern)


def _closing(session: Session) -> dict[str, str]:
    return {"date": _local(session.side_events_close, session), "city": session.time_zone_label}


def _window_text(session: Session) -> str:
    """Why no application can start now, in words."""
    state = session.side_event_state
    if state == "not_yet_open":
        return _(
            "Side-event applications for %(session)s open on %(date)s, %(city)s time. Come back then to propose your side event."
        ) % {"session": session, "date": _local(session.side_events_open, session), "city": session.time_zone_label}
    if state == "closed":
        return _(
            "Side-event applications for %(session)s closed on %(date)s, %(city)s time. No new side event can be proposed."
        ) % {"session": session, **_closing(session)}
    return _("The dates of side-event applications for %(session)s are not announced yet.") % {"session": session}


# --- Proposing a side event ------------------------------------------------------------------------


@login_required
def apply(request, commission: str, number: int):
    """A focal point proposes a side event, with one of their verified organizations as lead organizer."""
    session = _session(commission, number)
    own = list(Organization.objects.filter(members__user=request.user).order_by("name", "pk"))
    verified = [organization for organization in own if organization.verification_state == VerificationState.VERIFIED]
    leading = {
        event.lead_organization_id: event
        for event in SideEvent.objects.filter(
            session=session, lead_organization__in=[organization.pk for organization in verified]
        ).select_related("lead_organization")
    }
    window_open = session.side_event_state == "open"
    context = {
        "session": session,
        "has_organizations": bool(own),
        "verified": verified,
        "leading": [leading[organization.pk] for organization in verified if organization.pk in leading],
        "window_open": window_open,
        "window_text": "" if window_open else _window_text(session),
        "organization": None,
        "existing": None,
    }
    if not window_open or not verified:
        return render(request, "events/sideevent_apply.html", context)

    chosen = request.POST.get("organization") if request.method == "POST" else request.GET.get("organization")
    if len(verified) == 1:
        organization = verified[0]
    else:
        organization = next((candidate for candidate in verified if str(candidate.pk) == chosen), None)
    context["organization"] = organization
    if organization is None or organization.pk in leading:
        context["existing"] = leading.get(organization.pk) if organization else None
        return render(request, "events/sideevent_apply.html", context)

    if request.method != "POST":
        return _render_form(
            request, None, session=session, organization=organization,
            form=SideEventForm(lead_organization=organization), formset=speaker_formset(extra=3), context=context,
        )
    return _post_application(request, None, session=session, organization=organization, context=context)


# --- Filling it in -------------------------------------------------------------------------------


def _not_editable(request, event: SideEvent):
    if rules.has_perm("events.act_for_lead_organizer", request.user, event):
        messages.info(
            request, _("This application can no longer be changed. Its status: %(status)s.") % {"status": event.get_status_display()}
        )
    else:
        messages.info(request, _("Only the lead organizer's focal points can change the application."))
    return redirect(_application_url(event))


@login_required
def application_edit(request, event_id: int):
    """The application's form: the event, its partners and its speakers; "Save draft", or "Save and submit".

    Everything typed survives a refusal: the page is shown again with what was posted.
    """
    event = _event(request.user, event_id)
    if not rules.has_perm("events.edit_application", request.user, event):
        return _not_editable(request, event)
    if request.method == "POST":
        return _post_application(request, event, session=event.session, organization=event.lead_organization)
    speakers = list(event.speakers.all())
    extra = (0 if speakers else 1) + (1 if request.GET.get("add") else 0)
    extra = max(min(extra, MAX_SPEAKERS - len(speakers)), 0)
    return _render_form(
        request, event, session=event.session, organization=event.lead_organization,
        form=SideEventForm(lead_organization=event.lead_organization, event=event),
        formset=speaker_formset(speakers=speakers, extra=extra),
        saved_speakers=speakers,
    )


def _post_application(request, event: SideEvent | None, *, session: Session, organization: Organization, context=None):
    """Validate and save the posted application (creating it when event is None), then submit it if asked."""
    action = "submit" if "submit" in request.POST else "add" if "add_speaker" in request.POST else "save"
    form = SideEventForm(request.POST, lead_organization=organization, event=event)
    formset = speaker_formset(data=request.POST)
    form_valid = form.is_valid()
    speakers_valid = formset.is_valid()
    refusal = None
    if form_valid and speakers_valid:
        try:
            event = services.save_side_event(
                event, by=request.user, session=session, organization=organization, data=form.event_data(),
                themes=form.cleaned_data["themes"], speakers=formset.speaker_data(), co_organizers=form.cleaned_data["co_organizers"],
            )
        except PermissionDenied as denied:
            raise Http404 from denied
        except ValidationError as error:
            refusal = error
        else:
            return _after_save(request, event, action=action)
    if action == "add":
        # Nothing was saved; the rows are shown again as typed, with the new row asked for.
        formset = speaker_formset(data=_with_one_more_row(request.POST))
        formset.is_valid()
    problems = _place_service_error(refusal, form, formset) if refusal is not None else []
    return _render_form(
        request, event, session=session, organization=organization, form=form, formset=formset, problems=problems, context=context
    )


def _with_one_more_row(data):
    """The posted data with one more (empty) speaker row, as the no-JavaScript "Add a speaker" asks."""
    data = data.copy()
    total_key = f"{SPEAKER_PREFIX}-TOTAL_FORMS"
    total = int(data.get(total_key, "0")) if str(data.get(total_key, "0")).isdigit() else 0
    if total < MAX_SPEAKERS:
        data[total_key] = str(total + 1)
    return data


def _place_service_error(error: ValidationError, form: SideEventForm, formset) -> list[str]:
    """Put a service's refusal beside the field it names (an event field, a speaker's name); return the rest."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    rest = []
    kept = formset.kept_forms
    for key, field_errors in error.error_dict.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == SPEAKER_PREFIX and parts[1].isdigit() and int(parts[1]) < len(kept):
            speaker_form = kept[int(parts[1])]
            if parts[2] in speaker_form.fields:
                speaker_form.add_error(parts[2], field_errors)
                continue
        if key in form.fields:
            form.add_error(key, field_errors)
            continue
        rest.extend(message for field_error in field_errors for message in field_error.messages)
    return rest


def submitted_message() -> str:
    return _(
        "The application is submitted to the Civil Society Unit, which reviews applications in the order they arrive. "
        "We will e-mail you its decision."
    )


def _after_save(request, event: SideEvent, *, action: str):
    session = event.session
    if action == "submit":
        try:
            event = services.submit_side_event(event, by=request.user)
        except ValidationError as error:
            # Saved, but not submitted: the form shows the saved application and why it was not sent.
            event = SideEvent.objects.select_related("session__commission", "lead_organization").get(pk=event.pk)
            speakers = list(event.speakers.all())
            return _render_form(
                request, event, session=event.session, organization=event.lead_organization,
                form=SideEventForm(lead_organization=event.lead_organization, event=event),
                formset=speaker_formset(speakers=speakers, extra=0 if speakers else 1),
                saved_speakers=speakers, refusal=error.messages,
            )
        messages.success(request, submitted_message())
        return redirect(_application_url(event))
    if action == "add":
        messages.success(request, _("The draft is saved. Fill in the new speaker below."))
        return redirect(f"{_edit_url(event)}?add=1#speakers")
    messages.success(
        request,
        _("The draft is saved. Submit it before %(date)s, %(city)s time; until then it is not sent to anyone.") % _closing(session),
    )
    return redirect(_edit_url(event))


def _error_summary(form: SideEventForm, formset, problems) -> list[tuple[str, str]]:
    """Every error of the page, in page order, as (the field's id or "", the message)."""
    summary = [("", str(error)) for error in form.non_field_errors()]
    for field in form.visible_fields():
        summary += [(field.auto_id, f"{field.label}: {error}") for error in field.errors]
    summary += [("", str(error)) for error in formset.non_form_errors()]
    for number, speaker_form in enumerate(formset.forms, start=1):
        if speaker_form.removed:
            continue
        name = _("Speaker %(number)s") % {"number": number}
        for field in speaker_form.visible_fields():
            summary += [(field.auto_id, f"{name}, {field.label}: {error}") for error in field.errors]
    summary += [("", str(problem)) for problem in problems]
    return summary


def _render_form(
    request, event: SideEvent | None, *, session: Session, organization: Organization, form, formset,
    saved_speakers=(), problems=(), refusal=(), context=None,
):
    """The application's form: on the page that proposes it (event None), or on its own page."""
    rows = formset.total_form_count()
    # What the page shows: the rows as posted, or the saved speakers.
    indicators = selectors.panel_indicators(formset.typed_speakers() if formset.is_bound else saved_speakers)
    return render(
        request,
        "events/sideevent_form.html" if event is not None else "events/sideevent_apply.html",
        {
            **(context or {}),
            "event": event,
            "session": session,
            "organization": organization,
            "form": form,
            "formset": formset,
            "errors": _error_summary(form, formset, problems) if form.is_bound else [],
            "refusal": list(refusal),
            "indicators": indicators,
            "form_action": _edit_url(event) if event is not None else "",
            "speaker_row_url": reverse("events:speaker_row", kwargs={"event_id": event.pk}) if event is not None else "",
            "next_index": rows,
            "full": rows >= MAX_SPEAKERS,
            "max_speakers": MAX_SPEAKERS,
            "closing": _closing(session) if session.side_events_close else None,
            "window": session.side_event_state,
        },
    )


@login_required
@require_GET
def speaker_row(request, event_id: int):
    """One empty speaker row for the form (htmx), numbered `index`; with it, the form's new row count."""
    event = _event(request.user, event_id)
    if not rules.has_perm("events.edit_application", request.user, event):
        raise Http404
    index = request.GET.get("index", "")
    if not index.isdigit() or int(index) > MAX_SPEAKERS:
        return HttpResponseBadRequest(_("Reload the page to add a speaker."))
    index = int(index)
    context = {"event": event, "speaker_row_url": reverse("events:speaker_row", kwargs={"event_id": event.pk}), "max_speakers": MAX_SPEAKERS}
    if index >= MAX_SPEAKERS:
        return render(request, "events/sideevent_form.html#add-speaker", {**context, "next_index": index, "full": True, "oob": True})
    formset = speaker_formset()
    form = formset.form(
        auto_id=formset.auto_id, prefix=formset.add_prefix(index), use_required_attribute=False, empty_permitted=True,
        renderer=formset.renderer,
    )
    formset.add_fields(form, index)
    context.update(form=form, number=index + 1, next_index=index + 1, full=index + 1 >= MAX_SPEAKERS)
    return render(request, "events/sideevent_form.html#row-response", context)


@login_required
@require_POST
def panel_indicators(request):
    """The panel indicators of the speakers as typed so far (htmx; nothing is saved)."""
    formset = speaker_formset(data=request.POST)
    indicators = selectors.panel_indicators(formset.typed_speakers())
    return render(request, "events/sideevent_form.html#indicators", {"indicators": indicators})


# --- Following it -------------------------------------------------------------------------------


TIMELINE_LABELS = {
    "events.side_event.created": gettext_lazy("Application started"),
    "events.side_event.saved": gettext_lazy("Application saved"),
    "events.side_event.submitted": gettext_lazy("Submitted to the Civil Society Unit"),
    "events.side_event.accepted": gettext_lazy("Accepted by the Civil Society Unit"),
    "events.side_event.waitlisted": gettext_lazy("Put on the waiting list by the Civil Society Unit"),
    "events.side_event.rejected": gettext_lazy("Not accepted by the Civil Society Unit"),
    "events.side_event.returned": gettext_lazy("Returned for changes"),
    "events.side_event.scheduled": gettext_lazy("Room and time set"),
    "events.side_event.rescheduled": gettext_lazy("Moved to another room or time"),
    "events.side_event.cancelled": gettext_lazy("Cancelled by the Civil Society Unit"),
    "events.side_event.withdrawn": gettext_lazy("Withdrawn by the lead organizer"),
    "events.co_organizer.confirmed": gettext_lazy("Co-organizing confirmed"),
    "events.co_organizer.declined": gettext_lazy("Co-organizing declined"),
}


def timeline_label(action: str) -> str:
    label = TIMELINE_LABELS.get(action)
    return str(label) if label is not None else action


def _timeline_details(entry: ActivityLog) -> list[str]:
    """What a step changed, in words."""
    old, new = entry.old_values or {}, entry.new_values or {}
    details = []
    if entry.action.startswith("events.co_organizer.") and new.get("organization"):
        details.append(new["organization"])
    if entry.action == "events.side_event.scheduled" and new.get("room"):
        details.append(_("%(room)s, %(slot)s") % {"room": new["room"], "slot": new.get("slot", "")})
    if entry.action == "events.side_event.rescheduled" and new.get("room"):
        details.append(
            _("From %(old_room)s, %(old_slot)s to %(room)s, %(slot)s")
            % {"old_room": old.get("room", ""), "old_slot": old.get("slot", ""), "room": new["room"], "slot": new.get("slot", "")}
        )
    if entry.note:
        details.append(entry.note)
    return details


def _timeline(event: SideEvent) -> list[dict]:
    entries = (
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(SideEvent), object_id=str(event.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )
    return [{"entry": entry, "label": timeline_label(entry.action), "details": _timeline_details(entry)} for entry in entries]


def status_explanation(event: SideEvent) -> str:
    """Where the application stands and what happens next, in one or two sentences."""
    session = event.session
    status = event.status
    closed = session.side_event_state == "closed"
    if status == SideEventStatus.DRAFT:
        if closed:
            return _("A draft, never submitted: side-event applications closed on %(date)s, %(city)s time.") % _closing(session)
        if session.side_events_close:
            return _("A draft: nothing is sent yet. Submit it before %(date)s, %(city)s time.") % _closing(session)
        return _("A draft: nothing is sent yet.")
    if status == SideEventStatus.SUBMITTED:
        return _(
            "Submitted on %(date)s, %(city)s time. The Civil Society Unit reviews applications in the order they arrived "
            "and will e-mail its decision."
        ) % {"date": _local(event.submitted_at, session), "city": session.time_zone_label}
    if status == SideEventStatus.RETURNED:
        if closed:
            return _(
                "Returned for changes, and not submitted again: side-event applications closed on %(date)s, %(city)s time."
            ) % _closing(session)
        return _(
            "Returned for changes: change the application as asked and submit it again before %(date)s, %(city)s time. "
            "It keeps its place in the queue."
        ) % _closing(session)
    if status == SideEventStatus.WAITLISTED:
        return _("On the waiting list. If a place frees up, the Civil Society Unit may accept it; we will e-mail you.")
    if status == SideEventStatus.ACCEPTED:
        if event.is_scheduled:
            return _("Accepted and scheduled: it is on the public programme of %(session)s.") % {"session": session}
        return _("Accepted. The Civil Society Unit will give it a room and a time; we will e-mail you.")
    if status == SideEventStatus.REJECTED:
        return _("Not accepted by the Civil Society Unit. The application has ended.")
    if status == SideEventStatus.WITHDRAWN:
        return _("Withdrawn by the lead organizer. The application has ended.")
    return _("Cancelled by the Civil Society Unit. Calendars that subscribed to the programme show it as cancelled.")


def _detail_action(request, event: SideEvent):
    """Carry out a POSTed action (submit, withdraw, confirm or decline co-organizing); a response, or the submission's refusal."""
    action = request.POST.get("action")
    try:
        if action == "submit":
            try:
                services.submit_side_event(event, by=request.user)
            except ValidationError as error:
                return error.messages
            messages.success(request, submitted_message())
        elif action == "withdraw":
            try:
                services.withdraw_side_event(event, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The side event “%(title)s” is withdrawn. The Civil Society Unit no longer considers it.") % {"title": event.title},
                )
        elif action in ("confirm", "decline"):
            chosen = request.POST.get("co_organizer", "")
            co_organizer = event.co_organizers.select_related("organization").filter(pk=int(chosen) if chosen.isdigit() else 0).first()
            if co_organizer is None:
                raise Http404
            accept = action == "confirm"
            try:
                services.confirm_co_organizer(co_organizer, by=request.user, accept=accept)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                names = {"organization": co_organizer.organization, "title": event.title, "lead": event.lead_organization}
                if accept:
                    messages.success(
                        request,
                        _("You confirmed that %(organization)s co-organizes “%(title)s”. We told %(lead)s.") % names,
                    )
                else:
                    messages.success(
                        request,
                        _("You declined, for %(organization)s, to co-organize “%(title)s”. We told %(lead)s.") % names,
                    )
        else:
            raise Http404
    except PermissionDenied as denied:
        raise Http404 from denied
    return redirect(_application_url(event))


@staff_page
@login_required
def application_detail(request, event_id: int):
    """One application: where it stands, its content, its organizers and speakers, its timeline and the actions
    open to this person."""
    event = _event(request.user, event_id)
    user = request.user
    refusal = []
    if request.method == "POST":
        outcome = _detail_action(request, event)
        if not isinstance(outcome, list):
            return outcome
        refusal = outcome
    session = event.session
    acts_for_lead = rules.has_perm("events.act_for_lead_organizer", user, event)
    speakers = list(event.speakers.all())
    co_organizers = list(event.co_organizers.select_related("organization"))
    own = (
        set(
            OrganizationMember.objects.filter(
                user=user, organization_id__in=[co_organizer.organization_id for co_organizer in co_organizers]
            ).values_list("organization_id", flat=True)
        )
        if co_organizers
        else set()
    )
    for co_organizer in co_organizers:
        co_organizer.answerable = co_organizer.status == CoOrganizerStatus.PENDING and co_organizer.organization_id in own
    return render(
        request,
        "events/sideevent_application.html",
        {
            "event": event,
            "session": session,
            "explanation": status_explanation(event),
            "themes": list(event.themes.all()),
            "language_names": [str(LANGUAGE_NAMES[code]) for code in event.languages or [] if code in LANGUAGE_NAMES],
            "speakers": speakers,
            "indicators": selectors.panel_indicators(speakers),
            "co_organizers": co_organizers,
            "timeline": _timeline(event),
            "refusal": refusal,
            "can_edit": rules.has_perm("events.edit_application", user, event),
            "can_submit": acts_for_lead and event.status in SUBMITTABLE,
            "can_withdraw": acts_for_lead and event.status in WITHDRAWABLE,
            "can_review": rules.has_perm("events.review", user) and event.status in REVIEWABLE,
        },
    )


def _sessions_open_for_side_events():
    now = timezone.now()
    return (
        Session.objects.filter(side_events_open__lte=now, side_events_close__gt=now, end_date__gte=timezone.localdate())
        .select_related("commission")
        .order_by("side_events_close", "pk")
    )


@login_required
def my_applications(request):
    """The side events this person's organizations lead or co-organize: upcoming sessions first, then past ones."""
    page = Paginator(selectors.applications_of_focal_point(request.user), MY_APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    if events:
        own = set(OrganizationMember.objects.filter(user=request.user).values_list("organization_id", flat=True))
        partnerships: dict[int, list[CoOrganizer]] = {}
        for co_organizer in CoOrganizer.objects.filter(event__in=[event.pk for event in events], organization_id__in=own).select_related(
            "organization"
        ):
            partnerships.setdefault(co_organizer.event_id, []).append(co_organizer)
        for event in events:
            event.leads = event.lead_organization_id in own
            event.my_co_organizers = partnerships.get(event.pk, [])
    today = timezone.localdate()
    return render(
        request,
        "events/sideevent_list.html",
        {
            "page": page,
            "upcoming": [event for event in events if event.session.end_date >= today],
            "past": [event for event in events if event.session.end_date < today],
            "open_sessions": list(_sessions_open_for_side_events()) if page.paginator.count == 0 else [],
        },
    )
