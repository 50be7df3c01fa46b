"""Deciding on delegations: CSU's review queue and exports, the decisions, the coordinators' endorsement queue."""

from dataclasses import dataclass
from functools import partial

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_countries import countries

from organizations.exports import csv_chunks, write_xlsx
from organizations.models import OrganizationMember
from portal.caching import frame_variant, page_response, render_shared, render_whole
from portal.middleware import staff_page
from portal.services import log_activity
from umbrella.models import UmbrellaBody

from .. import caching, services
from ..enums import Channel, RegistrationStatus, Rule17Outcome
from ..exports import (
    approved_participants,
    participant_rows,
    participants_header,
    rule17_header,
    rule17_registrations,
    rule17_rows,
)
from ..filters import QUEUE_STATUSES, RegistrationFilter, filter_fields_html
from ..forms.review import BulkApprovalForm, DecisionForm
from ..models import Registration, Session
from ..selectors import endorsement_queue as endorsement_queue_of
from ..selectors import registrations_for_review, review_queue_countries
from ..templatetags.review_tags import DRAFT_KEY

QUEUE_PER_PAGE = 50
ENDORSEMENTS_PER_PAGE = 50
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reviewed_session(request, commission: str, number: int) -> Session:
    """The session, for CSU; for anyone else its review pages do not exist."""
    if not rules.has_perm("sessions.review_registrations", request.user):
        raise Http404
    return get_object_or_404(Session.objects.select_related("commission"), commission__code=commission, number=number)


# --- CSU's review queue --------------------------------------------------------------------------------


# What a row of the queue shows; the rest of a registration, its organization's long texts above all, is not read.
QUEUE_COLUMNS = (
    "session_id", "organization_id", "umbrella_body_id", "channel", "status", "rule17_outcome", "submitted_at",
    "changed_after_approval", "organization__name", "organization__acronym", "organization__headquarters_country",
    "umbrella_body__acronym",
)  # fmt: skip


def _label_rows(registrations, zone) -> None:
    """Give each row of a page its shown texts at once: labels looked up in plain dicts, the submission time in the
    session's time zone as the date filter writes it ("j M Y, H:i"). Per row, the template's get_FOO_display, country
    names, {% url %} and {% blocktranslate %} cost more than the rest of the page."""
    labels = {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("status", RegistrationStatus.choices), ("channel", Channel.choices), ("rule17_outcome", Rule17Outcome.choices),
        )
    }  # fmt: skip
    # The template's former {% blocktranslate %}: the same messages, the values escaped by the template.
    select, through = _("Select %(organization)s"), _("Through %(body)s")
    for registration in registrations:
        organization = registration.organization
        registration.url = reverse("sessions:registration", kwargs={"registration_id": registration.pk})
        registration.select_label = select % {"organization": organization.name}
        registration.status_label = labels["status"].get(registration.status, registration.status)
        registration.channel_label = (
            through % {"body": registration.umbrella_body.acronym}
            if registration.umbrella_body_id
            else labels["channel"].get(registration.channel, registration.channel)
        )
        registration.rule17_label = labels["rule17_outcome"].get(registration.rule17_outcome, registration.rule17_outcome)
        registration.country_name = countries.name(organization.headquarters_country.code)
        registration.submitted_label = ""
        if registration.submitted_at:
            local = timezone.localtime(registration.submitted_at, zone)
            registration.submitted_label = dateformat.format(local, "j M Y, H:i")


def status_counts(queue) -> list[tuple[str, str, int]]:
    """(status, label, count) of each status present in the queue, in the workflow's order; one query."""
    found = dict(queue.order_by().values_list("status").annotate(count=Count("pk")))
    return [(status, label, found[status]) for status, label in QUEUE_STATUSES if found.get(status)]


@staff_page
@login_required
def review_queue(request, commission, number):
    """A session's registrations for CSU: counts per status, filters, and approving several at once.

    The whole page is cached per query string and frame until a registration, a participant, an
    organization, a session or a body changes (sessions.caching); the CSRF token of the approval form
    and any messages are put in for each request (portal.caching.page_response).
    """
    if not rules.has_perm("sessions.review_registrations", request.user):
        raise Http404
    if request.method == "POST":
        if request.POST.get("action") != "bulk_approve":
            raise Http404
        _bulk_approve(request, _reviewed_session(request, commission, number))
        return redirect(request.get_full_path())
    find_session = partial(_reviewed_session, request, commission, number)
    if all(name in QUEUE_PARAMETERS for name in request.GET):
        # Kept whole, frame included (portal.caching.render_whole): the address asked is part of the frame's variant.
        page = caching.cached_part("review-queue", commission, number, (frame_variant(request),), find_session, partial(_review_queue_page, request))
    else:  # a made-up parameter must not add cache entries
        page = _review_queue_page(request, find_session())
    return page_response(page, request)


def _review_queue_page(request, session: Session) -> str:
    content = mark_safe(_review_queue_content(request, session))  # our own template's
    return render_whole("sessions/review_queue.html", {"session": session, "content": content}, request)


# The query string of the queue's pages: its filters and the page number.
QUEUE_PARAMETERS = frozenset({*RegistrationFilter.base_filters, "page"})


def _review_queue_content(request, session: Session) -> str:
    queue = registrations_for_review(session).select_related(None).select_related("organization", "umbrella_body")
    queue = queue.only(*QUEUE_COLUMNS)
    filterset = RegistrationFilter(request.GET, queue, session=session, country_codes=review_queue_countries(session))
    counts = status_counts(queue)
    total = sum(count for _status, _label, count in counts)
    has_filters = any(value for key, value in request.GET.items() if key != "page")
    paginator = Paginator(filterset.qs, QUEUE_PER_PAGE)
    if not has_filters:
        # Unfiltered, the page count is the status counts' total: no second count of the queue.
        paginator.count = total
    page = paginator.get_page(request.GET.get("page"))
    _label_rows(page, session.tz)
    return render_shared(
        "sessions/review_queue.html#content",
        {
            "session": session,
            "filter": filterset,
            "filter_fields": filter_fields_html(filterset),
            "page": page,
            "status_counts": counts,
            "total": total,
            "has_filters": has_filters,
            "awaiting_csu": services.AWAITING_CSU,
            "can_approve_on_page": any(registration.status in services.AWAITING_CSU for registration in page),
        },
        request,
    )


def _bulk_approve(request, session: Session) -> None:
    form = BulkApprovalForm(request.POST, session=session)
    if not form.is_valid():
        for error in form.errors.get("ids", []):
            messages.error(request, error)
        return
    outcome = services.approve_registrations(form.cleaned_data["ids"], by=request.user)
    if outcome.approved:
        messages.success(
            request,
            ngettext(
                "%(count)s registration approved. Its focal points and approved participants are told by e-mail.",
                "%(count)s registrations approved. Their focal points and approved participants are told by e-mail.",
                len(outcome.approved),
            )
            % {"count": len(outcome.approved)},
        )
    for registration, reason in outcome.refused:
        messages.error(
            request,
            _("%(organization)s was not approved. %(reason)s") % {"organization": registration.organization, "reason": reason},
        )


# --- Deciding on one registration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    permission: str
    fields: tuple[str, ...]  # what the panel's form for it posts, kept as a draft when refused


DECISIONS = {
    "approve": Decision("sessions.review_registrations", ("reason",)),
    "reject": Decision("sessions.review_registrations", ("reason",)),
    "return": Decision("sessions.review_registrations", ("reason",)),
    "rule17": Decision("sessions.review_registrations", ("outcome", "note")),
    "endorse": Decision("sessions.endorse_registration", ("reason",)),
    "decline": Decision("sessions.endorse_registration", ("reason",)),
}


def _apply(action: str, registration: Registration, form: DecisionForm, user) -> str:
    """Take the decision through its service; returns what to tell the person who took it."""
    data = form.cleaned_data
    names = {"organization": registration.organization}
    if action == "approve":
        rejected = form.rejected
        services.approve_registration(registration, by=user, note=data["reason"], rejected=rejected)
        approved = len(form.participants) - len(rejected)
        if rejected:
            return _(
                "The registration of %(organization)s is approved. Participants approved: %(approved)s; rejected: "
                "%(rejected)s. Its focal points and the approved participants are told by e-mail."
            ) % {**names, "approved": approved, "rejected": len(rejected)}
        return ngettext(
            "The registration of %(organization)s is approved. Its focal points and the approved participant are told by e-mail.",
            "The registration of %(organization)s is approved. Its focal points and the %(approved)s approved participants are told by e-mail.",
            approved,
        ) % {**names, "approved": approved}
    if action == "reject":
        services.reject_registration(registration, by=user, reason=data["reason"])
        return _("The registration of %(organization)s is rejected. Its focal points are told by e-mail, with your reason.") % names
    if action == "return":
        services.return_registration(registration, by=user, reason=data["reason"])
        return _(
            "The registration of %(organization)s is returned for changes. Its focal points are told by e-mail, with your "
            "reason, and can change and submit it again."
        ) % names
    if action == "endorse":
        services.endorse_registration(registration, by=user, note=data["reason"])
        return _(
            "You endorsed the registration of %(organization)s; it goes to the Civil Society Unit for a decision. Its focal "
            "points are told by e-mail."
        ) % names
    if action == "decline":
        services.decline_endorsement(registration, by=user, reason=data["reason"])
        return _("You declined the registration of %(organization)s. Its focal points are told by e-mail, with your reason.") % names
    services.record_rule17_outcome(registration, by=user, outcome=data["outcome"], note=data["note"])
    if data["outcome"] == Rule17Outcome.NO_OBJECTION:
        return _(
            "No objection recorded for %(organization)s under rule 17: the registration can now be approved. Nobody is "
            "e-mailed until you decide."
        ) % names
    return _(
        "Objection recorded for %(organization)s under rule 17: the registration can only be rejected. Nobody is e-mailed "
        "until you decide."
    ) % names


def _keep_draft(request, registration: Registration, action: str, form: DecisionForm, errors: dict[str, list[str]]) -> None:
    """Keep what was typed into a refused decision, so that the decision panel shows it again (see
    sessions/templatetags/review_tags.py); the registration page is redirected to, not re-rendered here."""
    posted = form.data
    request.session[DRAFT_KEY] = {
        "registration": registration.pk,
        "action": action,
        **{name: posted.get(name, "") for name in DECISIONS[action].fields},
        "rejected": {
            str(participant.pk): posted.get(f"reason_{participant.pk}", "")
            for participant in form.participants
            if posted.get(f"reject_{participant.pk}")
        },
        "errors": errors,
    }


@staff_page
@login_required
@require_POST
def decide(request, registration_id):
    """One decision on one registration (approve, reject, return, rule 17, endorse, decline); back to its page.

    A refused decision is told as an error message; what was typed is kept for the decision
    panel (request.session["decision_draft"]), so nothing typed is lost.
    """
    registration = get_object_or_404(
        Registration.objects.select_related("session__commission", "organization", "umbrella_body"), pk=registration_id
    )
    action = request.POST.get("action", "")
    decision = DECISIONS.get(action)
    if decision is None or not rules.has_perm(decision.permission, request.user, registration):
        raise Http404
    participants = list(registration.participants.all()) if action == "approve" else []
    form = DecisionForm(request.POST, participants=participants)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
        _keep_draft(request, registration, action, form, {field: [str(error) for error in errors] for field, errors in form.errors.items()})
        return redirect(registration)
    try:
        message = _apply(action, registration, form, request.user)
    except PermissionDenied as denied:
        raise Http404 from denied
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        _keep_draft(request, registration, action, form, error.message_dict if hasattr(error, "error_dict") else {})
        return redirect(registration)
    request.session.pop(DRAFT_KEY, None)
    messages.success(request, message)
    return redirect(registration)


# --- The coordinators' endorsement queue ---------------------------------------------------------------------


@staff_page
@login_required
def endorsement_queue(request, slug):
    """The registrations made through a body: those awaiting its endorsement first, then the decided ones."""
    body = get_object_or_404(UmbrellaBody, slug=slug)
    if not rules.has_perm("umbrella.manage_body", request.user, body):
        raise Http404
    awaiting_first = Case(
        When(status=RegistrationStatus.AWAITING_ENDORSEMENT, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    queue = endorsement_queue_of(body).alias(awaiting_first=awaiting_first).order_by(
        "awaiting_first", "-session__start_date", "submitted_at", "pk"
    )
    page = Paginator(queue, ENDORSEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    # A coordinator does not endorse their own organization's delegation (rules: sessions.endorse_registration).
    own = set(OrganizationMember.objects.filter(user=request.user).values_list("organization_id", flat=True))
    awaiting, decided = [], []
    for registration in page:
        if registration.status == RegistrationStatus.AWAITING_ENDORSEMENT:
            registration.you_are_conflicted = registration.organization_id in own and not rules.has_perm(
                "sessions.review_registrations", request.user
            )
            awaiting.append(registration)
        else:
            decided.append(registration)
    return render(
        request,
        "umbrella/endorsement_queue.html",
        {
            "body": body,
            "page": page,
            "awaiting": awaiting,
            "decided": decided,
            "awaiting_count": queue.filter(status=RegistrationStatus.AWAITING_ENDORSEMENT).count(),
        },
    )


# --- Exports (CSU) --------------------------------------------------------------------------------------------


def _export(request, session: Session, *, file_format: str, kind: str, action: str, title: str, header, rows, count):
    """Send the rows as CSV (streamed) or XLSX (a temporary file), logging the export without any personal data."""
    file_name = f"{session.commission.code}-{session.number}-{kind}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "xlsx":
        file, written = write_xlsx(rows, title=title, header=header)
        log_activity(action, actor=request.user, target=session, new={"format": file_format, "rows": written})
        response = FileResponse(file, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE)
    else:
        log_activity(action, actor=request.user, target=session, new={"format": file_format, "rows": count()})
        response = StreamingHttpResponse(csv_chunks(rows, header=header), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, file_name)
    # Passport data: never kept by a shared cache or the browser's.
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_page
@login_required
@require_GET
def export_participants(request, commission, number, file_format):
    """The approved participants of the session's approved delegations, for badge production."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    session = _reviewed_session(request, commission, number)
    participants = approved_participants(session)
    return _export(
        request, session, file_format=file_format, kind="participants", action="sessions.participants.exported",
        title=_("Participants"), header=participants_header(), rows=participant_rows(participants), count=participants.count,
    )


@staff_page
@login_required
@require_GET
def export_rule17(request, commission, number, file_format):
    """The organizations of the session on the rule 17 list, with the States' answer so far."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    session = _reviewed_session(request, commission, number)
    registrations = rule17_registrations(session)
    return _export(
        request, session, file_format=file_format, kind="rule-17", action="sessions.rule17.exported",
        title=_("Rule 17 list"), header=rule17_header(), rows=rule17_rows(registrations), count=registrations.count,
    )
