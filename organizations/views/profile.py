"""Focal points' pages: register an organization, ask to join one, keep its profile and its focal points."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from portal.middleware import staff_page
from portal.models import User

from .. import services
from ..duplicates import likely_duplicates
from ..enums import RequestStatus, VerificationState
from ..forms import JoinForm, OrganizationForm, ReasonForm, add_service_error, organization_form_class
from ..models import FIELDS_NEEDING_CONFIRMATION, JoinRequest, Organization
from .review import describe_change, field_label


def _organization_for(user, slug: str, permission: str) -> Organization:
    """The organization if `user` holds `permission` on it; otherwise it does not exist for them."""
    organization = get_object_or_404(Organization, slug=slug)
    if not user.has_perm(permission, organization):
        raise Http404
    return organization


def _seen_duplicates(request) -> set[int]:
    return {int(pk) for pk in request.POST.get("seen", "").split(",") if pk.isdigit()}


@login_required
def register_organization(request):
    """A person registers a new organization, after seeing the existing ones that look like it."""
    form = OrganizationForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = likely_duplicates(name=data["name"], acronym=data["acronym"], website=data["website"], email=data["email"])
        # Confirming covers the organizations shown; one that only matches what was typed since is shown first.
        confirmed = request.POST.get("confirm_new") == "1" and {
            likeness.organization.pk for likeness in duplicates
        } <= _seen_duplicates(request)
        if not duplicates or confirmed:
            try:
                organization = services.register_organization(
                    by=request.user, data=data, thematic_areas=data["thematic_areas"]
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "%(organization)s is registered and awaits verification by the Civil Society Unit. "
                        "We will e-mail you their decision."
                    )
                    % {"organization": organization},
                )
                return redirect(organization)
    return render(
        request,
        "organizations/organization_form.html",
        {
            "form": form,
            "duplicates": duplicates,
            "seen": ",".join(str(likeness.organization.pk) for likeness in duplicates),
            "archived": VerificationState.ARCHIVED,
        },
    )


def _saved_message(organization: Organization, form, waiting: list[str], resubmitted: bool) -> str:
    applied = [field for field in form.changed_data if field not in waiting]
    if waiting:
        fields = get_text_list([field_label(field) for field in waiting], _("and"))
        if applied:
            text = _(
                "Your changes to the %(fields)s wait for confirmation by the Civil Society Unit; the other changes are saved."
            ) % {"fields": fields}
        else:
            text = _("Your changes to the %(fields)s wait for confirmation by the Civil Society Unit.") % {"fields": fields}
    elif applied:
        text = _("The profile of %(organization)s is saved.") % {"organization": organization}
    else:
        text = _("Nothing changed: the profile is as it was.")
    if resubmitted:
        text += " " + _("It goes back to the Civil Society Unit for verification.")
    return text


# Staff pages: CSU (and coordinators) act here with powers over others' organizations, so MFA first.
@staff_page
@login_required
def edit_organization(request, slug):
    """Focal points and CSU edit the profile; a focal point's changes to key fields of a verified organization wait for CSU."""
    organization = _organization_for(request.user, slug, "organizations.change_profile")
    form_class = organization_form_class(request.user)
    # The form works on a copy, so the page's heading keeps the saved name while typed values are re-shown.
    form = form_class(request.POST or None, instance=copy.copy(organization))
    if request.method == "POST" and form.is_valid():
        try:
            change = services.update_organization(
                organization, by=request.user, data=form.cleaned_data, thematic_areas=form.cleaned_data["thematic_areas"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            waiting = [field for field in FIELDS_NEEDING_CONFIRMATION if field in form.changed_data] if change else []
            saved = Organization.objects.get(pk=organization.pk)
            resubmitted = (
                organization.verification_state == VerificationState.CHANGES_REQUESTED
                and saved.verification_state == VerificationState.PENDING
            )
            messages.success(request, _saved_message(saved, form, waiting, resubmitted))
            return redirect("organizations:edit", slug=organization.slug)
    pending_change = organization.pending_changes.filter(status=RequestStatus.PENDING).select_related("requested_by").first()
    return render(
        request,
        "organizations/organization_form.html",
        {
            "form": form,
            "organization": organization,
            "pending_change": pending_change,
            "pending_rows": describe_change(pending_change) if pending_change else [],
            "verified": organization.verification_state == VerificationState.VERIFIED,
        },
    )


@login_required
def join_organization(request, slug):
    """A person asks to become a focal point of an existing organization."""
    organization = get_object_or_404(
        Organization.objects.exclude(verification_state__in=[VerificationState.REJECTED, VerificationState.ARCHIVED]),
        slug=slug,
    )
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_to_join(organization, by=request.user, message=form.cleaned_data["message"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Your request to join %(organization)s is sent. We will e-mail you the answer.")
                % {"organization": organization},
            )
        return redirect("organizations:join", slug=organization.slug)
    return render(
        request,
        "organizations/organization_join.html",
        {
            "organization": organization,
            "form": form,
            "is_member": organization.members.filter(user=request.user).exists(),
            "pending_request": organization.join_requests.filter(user=request.user, status=RequestStatus.PENDING).first(),
        },
    )


def _posted_id(request, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


def _decline_form(join_request: JoinRequest, data=None) -> ReasonForm:
    return ReasonForm(
        data,
        auto_id=f"id_request{join_request.pk}_%s",
        reason_label=_("Reason for declining, e-mailed to %(person)s") % {"person": join_request.user},
    )


def _member_action(request, organization: Organization):
    """Carry out one POSTed action of the members page; returns a response, or the decline form to show again."""
    action = request.POST.get("action")
    if action == "remove":
        person = User.objects.filter(
            pk=_posted_id(request, "user"), organization_memberships__organization=organization
        ).first()
        if person is None:  # removed by someone else meanwhile, or never one: say nothing about who it is
            messages.error(request, _("This person is not a focal point of %(organization)s.") % {"organization": organization})
            return redirect("organizations:members", slug=organization.slug)
        try:
            services.remove_focal_point(organization, user=person, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("organizations:members", slug=organization.slug)
        if person == request.user:
            messages.success(request, _("You are no longer a focal point of %(organization)s.") % {"organization": organization})
            if not request.user.has_perm("organizations.verify"):  # only CSU still manages it after leaving
                return redirect("home")
        else:
            messages.success(
                request,
                _("%(person)s is no longer a focal point of %(organization)s.") % {"person": person, "organization": organization},
            )
        return redirect("organizations:members", slug=organization.slug)

    if action in ("accept", "decline"):
        join_request = get_object_or_404(organization.join_requests.select_related("user"), pk=_posted_id(request, "request"))
        if action == "accept":
            try:
                services.accept_join_request(join_request, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(person)s is now a focal point of %(organization)s.")
                    % {"person": join_request.user, "organization": organization},
                )
            return redirect("organizations:members", slug=organization.slug)
        form = _decline_form(join_request, request.POST)
        if form.is_valid():
            try:
                services.decline_join_request(join_request, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    add_service_error(form, error)
                    return form
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The request of %(person)s is declined; they are told by e-mail with your reason.")
                    % {"person": join_request.user},
                )
            return redirect("organizations:members", slug=organization.slug)
        return form
    raise Http404


@staff_page
@login_required
def members(request, slug):
    """An organization's focal points and the requests to join it, for its focal points and CSU."""
    organization = _organization_for(request.user, slug, "organizations.manage_members")
    failed_form = None
    if request.method == "POST":
        outcome = _member_action(request, organization)
        if not isinstance(outcome, ReasonForm):
            return outcome
        failed_form = outcome
    focal_points = list(organization.members.select_related("user").order_by("created_at", "pk"))
    join_requests = list(
        organization.join_requests.filter(status=RequestStatus.PENDING).select_related("user").order_by("created_at", "pk")
    )
    for join_request in join_requests:
        join_request.decline_form = _decline_form(join_request)
        if failed_form is not None and str(join_request.pk) == request.POST.get("request"):
            join_request.decline_form = failed_form
    return render(
        request,
        "organizations/organization_members.html",
        {
            "organization": organization,
            "focal_points": focal_points,
            "join_requests": join_requests,
            "failed_form": failed_form,
        },
    )
