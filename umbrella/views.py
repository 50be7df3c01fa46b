"""Pages of the umbrella bodies: the public profiles and rosters, applying, the coordinator
dashboard, one membership with its decisions, and CSU's page of coordinators."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from organizations.enums import VerificationState
from organizations.exports import csv_chunks, write_xlsx
from organizations.forms import add_service_error
from organizations.models import Organization
from sessions.selectors import upcoming_participation
from portal.middleware import staff_page
from portal.models import User
from portal.services import log_activity

from . import services
from .enums import MembershipStatus
from .exports import roster_header, roster_rows
from .filters import MemberFilter
from .forms import AppointCoordinatorForm, ApplicationForm, DecisionForm
from .models import UmbrellaBody, UmbrellaMembership
from .rules import has_conflict_of_interest
from .selectors import (
    bodies_for_list,
    body_profile,
    members_of,
    membership_history,
    memberships_managed_by,
    pending_applications,
    roster_of,
)

ROSTER_PER_PAGE = 100
MEMBERS_PER_PAGE = 50
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed_body(request, slug: str) -> UmbrellaBody:
    """The body if this person coordinates it or is CSU; otherwise it has no staff pages for them."""
    body = get_object_or_404(UmbrellaBody, slug=slug)
    if not rules.has_perm("umbrella.manage_body", request.user, body):
        raise Http404
    return body


# --- Public pages ------------------------------------------------------------------------------


def body_list(request):
    return render(request, "umbrella/umbrellabody_list.html", {"bodies": bodies_for_list()})


def body_detail(request, slug):
    body = body_profile(slug)
    if body is None:
        raise Http404
    page = Paginator(roster_of(body), ROSTER_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "umbrella/umbrellabody_detail.html",
        {
            "body": body,
            "page": page,
            "coordinators": [link.user for link in body.coordinator_links.all()],
            "can_manage": rules.has_perm("umbrella.manage_body", request.user, body),
            "can_appoint": rules.has_perm("umbrella.appoint_coordinators", request.user),
        },
    )


# --- Applying ---------------------------------------------------------------------------------


@login_required
def apply(request, slug):
    """A focal point applies for membership on behalf of one of their verified organizations."""
    body = get_object_or_404(UmbrellaBody.objects.prefetch_related("categories"), slug=slug)
    own = Organization.objects.filter(members__user=request.user).order_by("name")
    verified = own.filter(verification_state=VerificationState.VERIFIED)
    form = ApplicationForm(request.POST or None, body=body, organizations=verified)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.apply_for_membership(
                data["organization"], body, by=request.user, category=data["category"], motivation=data["motivation"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The application of %(organization)s is sent to %(body)s. We will e-mail you their decision.")
                % {"organization": membership.organization, "body": body},
            )
            return redirect(membership)
    memberships = {
        membership.organization_id: membership
        for membership in UmbrellaMembership.objects.filter(body=body, organization__in=own).select_related("organization")
    }
    return render(
        request,
        "umbrella/membership_apply.html",
        {
            "body": body,
            "form": form,
            "has_verified": verified.exists(),
            "has_organizations": own.exists(),
            "memberships": sorted(memberships.values(), key=lambda membership: membership.organization.name),
        },
    )


# --- Coordinator dashboard ----------------------------------------------------------------------


@staff_page
@login_required
def dashboard(request, slug):
    """Pending applications first, then the members, filtered; for the body's coordinators and CSU."""
    body = _managed_body(request, slug)
    memberships = memberships_managed_by(request.user, body)
    pending = list(pending_applications(memberships).prefetch_related("organization__members"))
    coordinator_ids = {link.user_id for link in body.coordinator_links.all()}
    for membership in pending:
        focal_point_ids = {member.user_id for member in membership.organization.members.all()}
        membership.you_are_conflicted = request.user.pk in focal_point_ids and request.user.pk in coordinator_ids
        # No coordinator free of a conflict (or none at all): CSU decides.
        membership.csu_decides = coordinator_ids <= focal_point_ids
    filterset = MemberFilter(request.GET, members_of(memberships), body=body)
    page = Paginator(filterset.qs, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    # One query for the whole page: each member's delegations to sessions that have not ended.
    participation = upcoming_participation([membership.organization_id for membership in page])
    for membership in page:
        membership.participation = participation.get(membership.organization_id, [])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "umbrella/umbrellabody_dashboard.html",
        {
            "body": body,
            "pending": pending,
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "has_filters": any(value for key, value in request.GET.items() if key != "page"),
        },
    )


@staff_page
@login_required
@require_GET
def export_roster(request, slug, file_format):
    """The members as filtered on the dashboard, as CSV or XLSX. Logs the export."""
    if file_format not in ("csv", "xlsx"):
        raise Http404
    body = _managed_body(request, slug)
    filterset = MemberFilter(request.GET, members_of(memberships_managed_by(request.user, body)), body=body)
    memberships = filterset.qs
    file_name = f"{body.slug}-members-{timezone.localdate():%Y-%m-%d}.{file_format}"
    new = {"format": file_format, "filters": request.GET.urlencode()}
    if file_format == "xlsx":
        file, rows = write_xlsx(roster_rows(memberships), title=_("Members"), header=roster_header())
        log_activity("umbrella.roster.exported", actor=request.user, target=body, new={**new, "rows": rows})
        response = FileResponse(file, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE)
    else:
        log_activity("umbrella.roster.exported", actor=request.user, target=body, new={**new, "rows": memberships.count()})
        response = StreamingHttpResponse(
            csv_chunks(roster_rows(memberships), header=roster_header()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, file_name)
    # Members' contacts: never kept by a shared cache.
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- One membership ----------------------------------------------------------------------------


def _reason_label(decision: str, body: UmbrellaBody) -> str:
    labels = {
        "accept": _("Note to the organization"),
        "decline": _("Reason for declining, e-mailed to the organization's focal points"),
        "suspend": _("Reason for the suspension, e-mailed to the organization's focal points"),
        "reinstate": _("Note to the organization"),
        "end": _("Reason for ending the membership, e-mailed to the organization's focal points"),
        "withdraw": _("Note to the coordinators of %(body)s") % {"body": body},
    }
    return labels[decision]


def _step_label(action: str) -> str:
    labels = {
        "umbrella.membership.applied": _("Applied"),
        "umbrella.membership.accepted": _("Accepted"),
        "umbrella.membership.declined": _("Declined"),
        "umbrella.membership.suspended": _("Suspended"),
        "umbrella.membership.reinstated": _("Reinstated"),
        "umbrella.membership.ended": _("Ended by the body"),
        "umbrella.membership.withdrawn": _("Withdrawn by the organization"),
    }
    return labels.get(action, action)


def _success_message(membership: UmbrellaMembership, decision: str) -> str:
    names = {"organization": membership.organization, "body": membership.body}
    texts = {
        "accept": _("%(organization)s is now a member of %(body)s; its focal points are told by e-mail."),
        "decline": _("The application of %(organization)s is declined; its focal points are told by e-mail with your reason."),
        "suspend": _("The membership of %(organization)s is suspended; its focal points are told by e-mail with your reason."),
        "reinstate": _("The membership of %(organization)s is active again; its focal points are told by e-mail."),
        "end": _("The membership of %(organization)s has ended; its focal points are told by e-mail with your reason."),
        "withdraw": _("%(organization)s has withdrawn from %(body)s; the body is told by e-mail."),
    }
    if decision == "withdraw" and membership.status == MembershipStatus.APPLIED:  # the status before the decision
        return _("The application of %(organization)s to %(body)s is withdrawn; the body is told by e-mail.") % names
    return texts[decision] % names


@staff_page
@login_required
def membership_detail(request, slug, membership_id):
    """One membership: where it stands, its history, and the decisions this person may take."""
    membership = get_object_or_404(
        UmbrellaMembership.objects.select_related("organization", "body", "category", "applied_by", "changed_by"),
        pk=membership_id,
        body__slug=slug,
    )
    if not rules.has_perm("umbrella.view_membership", request.user, membership):
        raise Http404
    failed_form = None
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in services.DECISIONS:
            raise Http404
        form = DecisionForm(
            request.POST,
            decision=decision,
            reason_required=services.DECISIONS[decision].reason_required,
            reason_label=_reason_label(decision, membership.body),
        )
        if form.is_valid():
            try:
                services.decide_membership(
                    membership,
                    decision,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    seen_status=form.cleaned_data["seen_status"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    add_service_error(form, error)
                    failed_form = form
                else:
                    messages.error(request, " ".join(error.messages))
                    return redirect(membership)
            else:
                messages.success(request, _success_message(membership, decision))
                return redirect(membership)
        else:
            failed_form = form
    forms = []
    for decision in services.decisions_open_to(request.user, membership):
        if failed_form is not None and failed_form.decision == decision.name:
            forms.append(failed_form)
        else:
            forms.append(
                DecisionForm(
                    decision=decision.name,
                    reason_required=decision.reason_required,
                    reason_label=_reason_label(decision.name, membership.body),
                    initial={"seen_status": membership.status},
                )
            )
    sees_history = rules.has_perm("umbrella.see_membership_history", request.user, membership)
    history = list(membership_history(membership))
    for entry in history:
        entry.step = _step_label(entry.action)
    return render(
        request,
        "umbrella/membership_detail.html",
        {
            "membership": membership,
            "body": membership.body,
            "organization": membership.organization,
            "decision_forms": forms,
            "failed_form": failed_form,
            "conflicted": has_conflict_of_interest(request.user, membership) and not rules.has_perm(
                "umbrella.decide_membership", request.user, membership
            ),
            "history": history if sees_history else None,
            "ended_by_body": bool(history) and history[-1].action == services.DECISIONS["end"].action,
            "can_manage": rules.has_perm("umbrella.manage_body", request.user, membership.body),
            "can_apply_again": rules.has_perm("umbrella.withdraw_membership", request.user, membership),
            "statuses": MembershipStatus,
        },
    )


# --- Coordinators (CSU) ----------------------------------------------------------------------------


@staff_page
@login_required
def coordinators(request, slug):
    """CSU appoints and removes the body's coordinators."""
    body = get_object_or_404(UmbrellaBody, slug=slug)
    if not rules.has_perm("umbrella.appoint_coordinators", request.user):
        raise Http404
    form = AppointCoordinatorForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "appoint":
            form = AppointCoordinatorForm(request.POST)
            if form.is_valid():
                try:
                    services.appoint_coordinator(body, user=form.user, by=request.user)
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    messages.success(
                        request,
                        _("%(person)s is now a coordinator of %(body)s and is told by e-mail.") % {"person": form.user, "body": body},
                    )
                    return redirect("umbrella:coordinators", slug=body.slug)
        elif action == "remove":
            user_id = request.POST.get("user", "")
            person = User.objects.filter(pk=user_id).first() if user_id.isdigit() else None
            if person is None:
                raise Http404
            try:
                services.remove_coordinator(body, user=person, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(person)s is no longer a coordinator of %(body)s and is told by e-mail.") % {"person": person, "body": body},
                )
            return redirect("umbrella:coordinators", slug=body.slug)
        else:
            raise Http404
    links = body.coordinator_links.select_related("user").order_by("appointed_at", "pk")
    return render(request, "umbrella/coordinator_list.html", {"body": body, "links": links, "form": form})
