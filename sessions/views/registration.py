"""A delegation from its focal points' side: starting it, filling it in, following it; and its page
for everyone who may see it (its focal points, the umbrella body's coordinators, CSU)."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from organizations.enums import VerificationState
from organizations.forms import add_service_error
from organizations.models import Organization
from organizations.rules import is_focal_point_of
from portal.middleware import staff_page

from .. import selectors, services
from ..enums import ParticipantStatus, RegistrationStatus
from ..forms.registration import (
    PARTICIPANT_PREFIX,
    LetterForm,
    ParticipantForm,
    StartRegistrationForm,
    mark_submission_gaps,
    participant_formset,
)
from ..models import LIVE_STATUSES, Registration, Session

MY_REGISTRATIONS_PER_PAGE = 50
SUBMITTABLE = (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED)
MASK = "••••"


def _session(commission: str, number: int) -> Session:
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


def _registration(user, registration_id: int) -> Registration:
    """The registration if this person may see it; otherwise it does not exist for them."""
    registration = selectors.registration_with_context.first(registration_id)
    if registration is None:
        raise Http404
    if not rules.has_perm("sessions.view_registration", user, registration):
        raise Http404
    return registration


def _local(moment, session: Session, pattern: str = "j F Y, H:i") -> str:
    return formats.date_format(timezone.localtime(moment, session.tz), pattern)


def _deadline(session: Session) -> dict[str, str]:
    return {"date": _local(session.registration_closes, session), "city": session.time_zone_label}


# --- Starting a registration ------------------------------------------------------------------


def _window_text(session: Session) -> str:
    """Why no registration can start now, in words."""
    state = session.registration_state
    if state == "not_yet_open":
        return _("Registration for %(session)s opens on %(date)s, %(city)s time. Come back then to register your delegation.") % {
            "session": session, "date": _local(session.registration_opens, session), "city": session.time_zone_label,
        }
    if state == "closed":
        return _("Registration for %(session)s closed on %(date)s, %(city)s time. No new delegation can be registered.") % {
            "session": session, **_deadline(session),
        }
    return _("The dates of registration for %(session)s are not announced yet.") % {"session": session}


@login_required
def register_start(request, commission: str, number: int):
    """A focal point opens a draft delegation: for which organization, and how it registers."""
    session = _session(commission, number)
    own = list(Organization.objects.filter(members__user=request.user).order_by("name", "pk"))
    verified = [organization for organization in own if organization.verification_state == VerificationState.VERIFIED]
    live = {
        registration.organization_id: registration
        for registration in Registration.objects.filter(
            session=session, organization__in=[organization.pk for organization in verified], status__in=LIVE_STATUSES
        )
    }
    context = {
        "session": session,
        "has_organizations": bool(own),
        "verified": verified,
        "live": [live[organization.pk] for organization in verified if organization.pk in live],
        "window_open": session.registration_state == "open",
        "window_text": "" if session.registration_state == "open" else _window_text(session),
        "organization": None,
        "form": None,
    }
    if not context["window_open"] or not verified:
        return render(request, "sessions/registration_start.html", context)

    chosen = request.POST.get("organization") if request.method == "POST" else request.GET.get("organization")
    if len(verified) == 1:
        organization = verified[0]
    else:
        organization = next((candidate for candidate in verified if str(candidate.pk) == chosen), None)
    context["organization"] = organization
    if organization is None or organization.pk in live:
        context["existing"] = live.get(organization.pk) if organization else None
        return render(request, "sessions/registration_start.html", context)

    admission = services.admission_for(organization, session)
    context["admission"] = admission
    if not (admission.direct or admission.bodies):
        return render(request, "sessions/registration_start.html", context)
    form = StartRegistrationForm(
        request.POST if request.method == "POST" else None, organization=organization, session=session, admission=admission
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = services.start_registration(
                session, organization, by=request.user, channel=data["channel"],
                umbrella_body=data["umbrella_body"], congress_category=data["congress_category"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                # The service names the channel and the body separately; the form asks both in one question.
                error = ValidationError(
                    {("way" if field in ("channel", "umbrella_body") else field): messages_ for field, messages_ in error.error_dict.items()}
                )
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The draft registration of %(organization)s for %(session)s is open. Add the participants and the "
                  "accreditation letter, then submit it before %(date)s, %(city)s time.")
                % {"organization": organization, "session": session, **_deadline(session)},
            )
            return redirect("sessions:registration_edit", registration_id=registration.pk)
    context["form"] = form
    return render(request, "sessions/registration_start.html", context)


# --- Filling in the delegation -------------------------------------------------------------------


def _editable(request, registration_id: int) -> tuple[Registration, bool]:
    """The registration (404 unless this person may see it), and whether they may edit it."""
    registration = _registration(request.user, registration_id)
    return registration, rules.has_perm("sessions.edit_registration", request.user, registration)


def _not_editable(request, registration: Registration):
    if is_focal_point_of(request.user, registration.organization):
        messages.info(
            request,
            _("This registration can no longer be changed. Its status: %(status)s.") % {"status": registration.get_status_display()},
        )
    else:
        messages.info(request, _("Only the organization's focal points can change the delegation."))
    return redirect(registration)


def _place_service_error(error: ValidationError, letter_form: LetterForm, changed_forms: list[ParticipantForm]) -> list[str]:
    """Put a service's refusal beside the field it names (the letter, a participant's field); return the rest."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    rest = []
    for key, field_errors in error.error_dict.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == PARTICIPANT_PREFIX and parts[1].isdigit() and int(parts[1]) < len(changed_forms):
            form = changed_forms[int(parts[1])]
            if parts[2] in form.fields:
                form.add_error(parts[2], field_errors)
                continue
        if key in letter_form.fields:
            letter_form.add_error(key, field_errors)
            continue
        rest.extend(message for field_error in field_errors for message in field_error.messages)
    return rest


def _with_one_more_row(data, session: Session):
    """The posted data with one more (empty) participant row, as the no-JavaScript "Add a participant" asks."""
    data = data.copy()
    total_key = f"{PARTICIPANT_PREFIX}-TOTAL_FORMS"
    total = int(data.get(total_key, "0")) if str(data.get(total_key, "0")).isdigit() else 0
    if total < session.quota_per_organization:
        data[total_key] = str(total + 1)
    return data


def _error_summary(letter_form: LetterForm, formset, problems) -> list[tuple[str, str]]:
    """Every error of the page, in page order, as (the field's id or "", the message)."""
    summary = [("", str(error)) for error in letter_form.non_field_errors()]
    field = letter_form["accreditation_letter"]
    summary += [(field.auto_id, f"{field.label}: {error}") for error in field.errors]
    summary += [("", str(error)) for error in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        if form.removed:
            continue
        name = form.participant.passport_name if form.participant is not None else _("New participant %(number)s") % {"number": number}
        summary += [("", f"{name}: {error}") for error in form.non_field_errors()]
        for field in form.visible_fields():
            summary += [(field.auto_id, f"{name}, {field.label}: {error}") for error in field.errors]
    summary += [("", str(problem)) for problem in problems]
    return summary


def _render_edit(request, registration: Registration, *, letter_form, formset, saved_count: int, problems=(), refusal=()):
    session = registration.session
    rows = len(formset.forms)
    return render(
        request,
        "sessions/registration_form.html",
        {
            "registration": registration,
            "session": session,
            "letter_form": letter_form,
            "formset": formset,
            "errors": _error_summary(letter_form, formset, problems),
            "refusal": list(refusal),
            "saved_count": saved_count,
            "quota": session.quota_per_organization,
            "rows": rows,
            "full": rows >= session.quota_per_organization,
            "next_index": formset.total_form_count(),
            "approved": registration.status == RegistrationStatus.APPROVED,
            "can_submit": registration.status in SUBMITTABLE,
            "deadline": _deadline(session) if session.registration_closes else None,
            "window": session.registration_state,
        },
    )


@login_required
def registration_edit(request, registration_id: int):
    """The delegation's form: the letter and the participants; "Save draft", or "Save and submit".

    Everything typed survives a refusal: the page is shown again with what was posted (a
    chosen file excepted, which no browser lets a page fill in again).
    """
    registration, editable = _editable(request, registration_id)
    if not editable:
        return _not_editable(request, registration)
    session = registration.session
    has_letter = bool(registration.accreditation_letter)

    if request.method != "POST":
        participants = selectors.participants_of(registration)
        room = max(session.quota_per_organization - len(participants), 0)
        extra = min(room, (0 if participants else 1) + (1 if request.GET.get("add") else 0))
        formset = participant_formset(session, participants=participants, extra=extra)
        return _render_edit(
            request, registration, letter_form=LetterForm(has_letter=has_letter), formset=formset, saved_count=len(participants)
        )

    was_approved = registration.status == RegistrationStatus.APPROVED
    action = "submit" if "submit" in request.POST else "add" if "add_participant" in request.POST else "save"
    if was_approved and action == "submit":
        action = "save"  # an approved delegation is not submitted again: saving a change sends it back to CSU
    letter_form = LetterForm(request.POST, request.FILES, has_letter=has_letter)
    # A posted row belongs to the saved participant whose id it carries: when no row carries one (a
    # delegation's first save), the saved participants play no part in checking the rows, and the
    # service reads them anyway, under its lock. They are read here only to show the form again.
    claims_saved = _claims_saved_participants(request.POST)
    participants = selectors.participants_of(registration) if claims_saved else []
    formset = participant_formset(session, data=request.POST, files=request.FILES, participants=participants)
    letter_valid = letter_form.is_valid()
    participants_valid = formset.is_valid()
    refusal = None
    if letter_valid and participants_valid:
        changed_data = formset.participant_data()
        removed = formset.removed_ids()
        letter = letter_form.cleaned_data["accreditation_letter"]
        changed = bool(changed_data or removed or letter)
        try:
            if changed and action == "submit":
                # Saved and submitted under one lock; a refused submission still keeps what was saved.
                try:
                    registration = services.save_and_submit_registration(
                        registration, by=request.user, letter=letter, participants=changed_data, remove=removed
                    )
                except services.SubmissionRefused as error:
                    return _submission_refused(request, registration, error)
                return _submitted(request, registration)
            if changed:
                registration = services.save_registration(
                    registration, by=request.user, letter=letter, participants=changed_data, remove=removed
                )
        except ValidationError as error:
            refusal = error
        else:
            return _after_save(request, registration, action=action, changed=changed, was_approved=was_approved)
    if not claims_saved:
        participants = selectors.participants_of(registration)
    if action == "add":
        # Nothing was saved; the rows are shown again as typed, with the new row asked for.
        formset = participant_formset(
            session, data=_with_one_more_row(request.POST, session), files=request.FILES, participants=participants
        )
        formset.is_valid()
    problems = []
    if refusal is not None:
        changed_forms = [form for form in formset.kept_forms if form.is_new or form.has_changed()]
        problems = _place_service_error(refusal, letter_form, changed_forms)
    return _render_edit(
        request, registration, letter_form=letter_form, formset=formset, problems=problems, saved_count=len(participants)
    )


def _claims_saved_participants(data) -> bool:
    """Whether any posted participant row carries the id of a saved participant."""
    ending = "-participant_id"
    return any(
        key.startswith(PARTICIPANT_PREFIX) and key.endswith(ending) and str(value).strip()
        for key, value in data.items()
    )


def _after_save(request, registration: Registration, *, action: str, changed: bool, was_approved: bool):
    session = registration.session
    edit_url = reverse("sessions:registration_edit", kwargs={"registration_id": registration.pk})
    if action == "submit":
        try:
            registration = services.submit_registration(registration, by=request.user)
        except ValidationError as error:
            return _submission_refused(request, registration, error)
        return _submitted(request, registration)
    if was_approved and changed:
        messages.success(
            request,
            _("Your changes are saved. The delegation goes back to the Civil Society Unit, which decides on it again."),
        )
        return redirect(registration)
    if action == "add":
        if changed:
            messages.success(request, _("The draft is saved. Fill in the new participant below."))
        return redirect(f"{edit_url}?add=1#participant-forms")
    if not changed:
        messages.info(request, _("Nothing changed: the delegation is as it was."))
    elif session.registration_closes:
        messages.success(
            request,
            _("The draft is saved. Submit it before %(date)s, %(city)s time; until then it is not sent to anyone.") % _deadline(session),
        )
    else:
        messages.success(request, _("The draft is saved. It is not sent to anyone until you submit it."))
    return redirect(edit_url)


def _submitted(request, registration: Registration):
    messages.success(request, submitted_message(registration))
    return redirect(registration)


def _submission_refused(request, registration: Registration, error: ValidationError):
    """Saved, but not submitted: the form shows the saved delegation and why it was not sent."""
    registration = Registration.objects.select_related("session__commission", "organization", "umbrella_body").get(pk=registration.pk)
    participants = selectors.participants_of(registration)
    formset = participant_formset(registration.session, participants=participants, extra=0 if participants else 1)
    letter_form = LetterForm(has_letter=bool(registration.accreditation_letter))
    mark_submission_gaps(letter_form, formset)
    return _render_edit(
        request, registration, letter_form=letter_form, formset=formset, saved_count=len(participants),
        refusal=error.messages,
    )


def submitted_message(registration: Registration) -> str:
    names = {"session": registration.session, "body": registration.umbrella_body}
    if registration.status == RegistrationStatus.AWAITING_ENDORSEMENT:
        return _(
            "The registration is submitted. It now awaits endorsement by %(body)s, then the decision of the Civil Society "
            "Unit. We will e-mail you each step."
        ) % names
    return _("The registration is submitted to the Civil Society Unit, which decides on it. We will e-mail you its decision.") % names


@login_required
@require_GET
def participant_row(request, registration_id: int):
    """One empty participant row for the form (htmx), numbered `index`; with it, the form's new row count."""
    registration, editable = _editable(request, registration_id)
    if not editable:
        raise Http404
    session = registration.session
    quota = session.quota_per_organization
    index, rows = request.GET.get("index", ""), request.GET.get("rows", "")
    if not index.isdigit() or int(index) >= quota + 20:
        return HttpResponseBadRequest(_("Reload the page to add a participant."))
    index = int(index)
    rows = int(rows) if rows.isdigit() else index
    context = {"registration": registration, "session": session, "quota": quota, "next_index": index}
    if rows >= quota:
        context.update(rows=rows, full=True)
        return render(request, "sessions/registration_form.html#add-participant", {**context, "oob": True})
    form = ParticipantForm(
        prefix=f"{PARTICIPANT_PREFIX}-{index}", session=session, use_required_attribute=False, empty_permitted=True
    )
    context.update(form=form, number=rows + 1, index=index, rows=rows + 1, next_index=index + 1, full=rows + 1 >= quota)
    return render(request, "sessions/registration_form.html#row-response", context)


# --- Following it -------------------------------------------------------------------------------


TIMELINE_LABELS = {
    "sessions.registration.started": gettext_lazy("Draft started"),
    "sessions.registration.saved": gettext_lazy("Draft saved"),
    "sessions.registration.submitted": gettext_lazy("Submitted"),
    "sessions.registration.endorsed": gettext_lazy("Endorsed by the umbrella body"),
    "sessions.registration.declined": gettext_lazy("Declined by the umbrella body"),
    "sessions.registration.approved": gettext_lazy("Approved by the Civil Society Unit"),
    "sessions.registration.rejected": gettext_lazy("Rejected by the Civil Society Unit"),
    "sessions.registration.returned": gettext_lazy("Returned for changes"),
    "sessions.registration.withdrawn": gettext_lazy("Withdrawn"),
    "sessions.registration.expired": gettext_lazy("Expired unsubmitted at the deadline"),
    "sessions.registration.changed_after_approval": gettext_lazy("Changed after approval, back to the Civil Society Unit"),
    "sessions.registration.rule17_recorded": gettext_lazy("Rule 17 answer recorded"),
    "sessions.registration.duplicate_person": gettext_lazy("Person already registered by another organization"),
    "sessions.personal_data.purged": gettext_lazy("Personal data removed after the session"),
}


def timeline_label(action: str) -> str:
    label = TIMELINE_LABELS.get(action)
    return str(label) if label is not None else action


def _timeline_details(entry) -> list[str]:
    """What a step changed, in words: who was added, changed or removed (names only, never personal data)."""
    new = entry.new_values or {}
    details = []
    for key, text in (("added", _("Added: %(names)s")), ("changed", _("Changed: %(names)s")), ("removed", _("Removed: %(names)s"))):
        if new.get(key) and new[key] != "-":
            details.append(text % {"names": new[key]})
    if new.get("letter") == "new":
        details.append(_("New accreditation letter"))
    if entry.action == "sessions.registration.approved" and new.get("rejected") not in (None, "", "-"):
        details.append(_("Participants rejected: %(names)s") % {"names": new["rejected"]})
    if entry.action == "sessions.registration.rule17_recorded" and new.get("rule17"):
        details.append({"no_objection": _("No objection"), "objection": _("Objection")}.get(new["rule17"], new["rule17"]))
    if entry.note:
        details.append(entry.note)
    return details


def status_explanation(registration: Registration) -> str:
    """Where the registration stands and what happens next, in one or two sentences."""
    session = registration.session
    body = registration.umbrella_body
    names = {"body": body.acronym or body.name if body else "", "session": session}
    status = registration.status
    closed = session.registration_state == "closed"
    if status == RegistrationStatus.DRAFT:
        if closed:
            return _("A draft, never submitted: registration closed on %(date)s, %(city)s time.") % _deadline(session)
        if session.registration_closes:
            return _("A draft: nothing is sent yet. Submit it before %(date)s, %(city)s time.") % _deadline(session)
        return _("A draft: nothing is sent yet.")
    if status == RegistrationStatus.AWAITING_ENDORSEMENT:
        return _("Awaiting endorsement by %(body)s, then the decision of the Civil Society Unit.") % names
    if status == RegistrationStatus.ENDORSED:
        if registration.changed_after_approval:
            return _("Changed after approval: awaiting a new decision of the Civil Society Unit.")
        return _("Endorsed by %(body)s; awaiting the decision of the Civil Society Unit.") % names
    if status == RegistrationStatus.SUBMITTED:
        if registration.changed_after_approval:
            return _("Changed after approval: awaiting a new decision of the Civil Society Unit.")
        return _("Submitted; awaiting the decision of the Civil Society Unit.")
    if status == RegistrationStatus.APPROVED:
        return _("Approved. The approved participants received a confirmation by e-mail.")
    if status == RegistrationStatus.RETURNED:
        if closed:
            return _("Returned for changes, and not submitted again: registration closed on %(date)s, %(city)s time.") % _deadline(session)
        if session.registration_closes:
            return _("Returned for changes: change the delegation as asked and submit it again before %(date)s, %(city)s time.") % _deadline(session)
        return _("Returned for changes: change the delegation as asked and submit it again.")
    if status == RegistrationStatus.DECLINED:
        return _("Declined by %(body)s. The registration has ended.") % names
    if status == RegistrationStatus.REJECTED:
        return _("Rejected by the Civil Society Unit. The registration has ended.")
    if status == RegistrationStatus.WITHDRAWN:
        return _("Withdrawn by the organization. The registration has ended.")
    return _("Not submitted before the deadline. The registration has ended.")


def mask(value: str) -> str:
    """A personal value as people without the right to it see it: hidden but its last two characters."""
    value = str(value or "")
    if not value:
        return ""
    return MASK + value[-2:] if len(value) > 4 else MASK


def _detail_action(request, registration: Registration):
    """Carry out a focal point's POSTed action (submit, withdraw); a response, or the submission's refusal."""
    action = request.POST.get("action")
    try:
        if action == "submit":
            try:
                registration = services.submit_registration(registration, by=request.user)
            except ValidationError as error:
                return error.messages
            messages.success(request, submitted_message(registration))
        elif action == "withdraw":
            try:
                services.withdraw_registration(registration, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The registration of %(organization)s for %(session)s is withdrawn. Nobody is registered for it any more.")
                    % {"organization": registration.organization, "session": registration.session},
                )
        else:
            raise Http404
    except PermissionDenied as denied:
        raise Http404 from denied
    return redirect(registration)


@staff_page
@login_required
def registration_detail(request, registration_id: int):
    """One delegation: where it stands, its participants, its letter, its timeline and the actions open to this person."""
    registration = _registration(request.user, registration_id)
    user = request.user
    refusal = []
    if request.method == "POST":
        outcome = _detail_action(request, registration)
        if not isinstance(outcome, list):
            return outcome
        refusal = outcome
    session = registration.session
    is_focal_point = is_focal_point_of(user, registration.organization)
    see_personal_data = rules.has_perm("sessions.see_personal_data", user, registration)
    participants = selectors.participants_of(registration)
    for participant in participants:
        participant.shown_passport_number = participant.passport_number if see_personal_data else mask(participant.passport_number)
        participant.visa_letter_ready = (
            see_personal_data and participant.needs_visa_letter and participant.status == ParticipantStatus.APPROVED
        )
    timeline = [
        {"entry": entry, "label": timeline_label(entry.action), "details": _timeline_details(entry)}
        for entry in selectors.registration_timeline(registration)
    ]
    return render(
        request,
        "sessions/registration_detail.html",
        {
            "registration": registration,
            "session": session,
            "participants": participants,
            "see_personal_data": see_personal_data,
            "mask": MASK,
            "explanation": status_explanation(registration),
            "timeline": timeline,
            "refusal": refusal,
            "can_edit": rules.has_perm("sessions.edit_registration", user, registration),
            "can_submit": is_focal_point and registration.status in SUBMITTABLE,
            "can_withdraw": rules.has_perm("sessions.withdraw_registration", user, registration),
            "can_decide": rules.has_perm("sessions.review_registrations", user)
            and registration.status in (RegistrationStatus.SUBMITTED, RegistrationStatus.ENDORSED),
            "can_endorse": rules.has_perm("sessions.endorse_registration", user, registration)
            and registration.status == RegistrationStatus.AWAITING_ENDORSEMENT,
        },
    )


@login_required
def my_registrations(request):
    """The registrations of this person's organizations: upcoming sessions first, then past ones."""
    page = Paginator(selectors.registrations_of_focal_point(request.user), MY_REGISTRATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    registrations = list(page.object_list)
    return render(
        request,
        "sessions/registration_list.html",
        {
            "page": page,
            "upcoming": [registration for registration in registrations if registration.session.end_date >= today],
            "past": [registration for registration in registrations if registration.session.end_date < today],
            "open_sessions": list(selectors.open_for_registration()) if page.paginator.count == 0 else [],
        },
    )
