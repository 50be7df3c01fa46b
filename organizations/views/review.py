"""CSU's pages: the verification queue, decisions on organizations and on waiting changes, duplicates and merge."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries.fields import Country

from portal.middleware import staff_page
from portal.models import ActivityLog

from .. import services
from ..duplicates import duplicate_pairs
from ..enums import RequestStatus, VerificationState
from ..forms import ChangeDecisionForm, MergeForm, VerificationDecisionForm, add_service_error
from ..models import Organization, OrganizationChange, OrganizationMember


def csu_page(permission: str):
    """A CSU staff page: login, MFA (staff_page) and `permission`; anyone else finds nothing here."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise Http404
            return view(request, *args, **kwargs)

        return staff_page(login_required(wrapper))

    return decorator


@dataclass(frozen=True)
class Decision:
    value: str
    label: Promise
    target: str
    service: Callable[..., Organization]
    done: Promise
    style: str = ""


DECISIONS = {
    decision.value: decision
    for decision in [
        Decision(
            VerificationDecisionForm.VERIFY, gettext_lazy("Verify"), VerificationState.VERIFIED,
            services.verify_organization,
            gettext_lazy("%(organization)s is verified and appears in the public directory; its focal points are told by e-mail."),
        ),
        Decision(
            VerificationDecisionForm.REQUEST_CHANGES, gettext_lazy("Request changes"), VerificationState.CHANGES_REQUESTED,
            services.request_organization_changes,
            gettext_lazy("The focal points of %(organization)s are asked by e-mail for the changes."),
            "secondary",
        ),
        Decision(
            VerificationDecisionForm.REJECT, gettext_lazy("Reject"), VerificationState.REJECTED,
            services.reject_organization,
            gettext_lazy("%(organization)s is rejected; its focal points are told by e-mail with your reason."),
            "danger outline",
        ),
        Decision(
            VerificationDecisionForm.ARCHIVE, gettext_lazy("Archive"), VerificationState.ARCHIVED,
            services.archive_organization,
            gettext_lazy("%(organization)s is archived and no longer appears in the directory."),
            "danger outline",
        ),
    ]
}


def decisions_for(organization: Organization) -> list[Decision]:
    """The verification decisions that may follow the organization's current state."""
    allowed = services.VERIFICATION_TRANSITIONS[organization.verification_state]
    return [decision for decision in DECISIONS.values() if decision.target in allowed]


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return default


# --- Showing values ----------------------------------------------------------------------------


def shown_value(field: str, value) -> str:
    """A field's stored (JSON-friendly) value as people read it: country names, choice labels."""
    if value in ("", None, []):
        return ""
    if field == "headquarters_country":
        return Country(value).name
    if field == "countries_of_work":
        return ", ".join(Country(code).name for code in value)
    if field == "thematic_areas":
        return ", ".join(value)
    model_field = Organization._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def field_label(field: str) -> str:
    return str(Organization._meta.get_field(field).verbose_name)


def describe_change(change: OrganizationChange) -> list[tuple[str, str, str]]:
    """(field, old value, new value) for each field of a change waiting for CSU."""
    return [
        (field_label(field), shown_value(field, change.old_values.get(field)), shown_value(field, new))
        for field, new in change.new_values.items()
    ]


# --- The queue ----------------------------------------------------------------------------------


@csu_page("organizations.verify")
def review_queue(request):
    focal_points = Prefetch("members", queryset=OrganizationMember.objects.select_related("user").order_by("created_at"))
    waiting = list(
        Organization.objects.filter(verification_state__in=[VerificationState.PENDING, VerificationState.CHANGES_REQUESTED])
        .prefetch_related(focal_points)
        .order_by("created_at", "pk")
    )
    # What CSU asked for last, so the queue says why an organization waits for its focal points.
    asked = {
        entry.object_id: entry.note
        for entry in ActivityLog.objects.filter(
            action="organizations.organization.changes_requested",
            content_type=ContentType.objects.get_for_model(Organization),
            object_id__in=[str(o.pk) for o in waiting if o.verification_state == VerificationState.CHANGES_REQUESTED],
        ).order_by("created_at", "pk")
    }
    for organization in waiting:
        organization.decisions = decisions_for(organization)
        organization.decision_form = VerificationDecisionForm(auto_id=f"id_org{organization.pk}_%s")
        organization.changes_asked = asked.get(str(organization.pk), "")
    changes = list(
        OrganizationChange.objects.filter(status=RequestStatus.PENDING)
        .select_related("organization", "requested_by")
        .order_by("created_at", "pk")
    )
    for change in changes:
        change.rows = describe_change(change)
        change.decision_form = ChangeDecisionForm(auto_id=f"id_change{change.pk}_%s")
    return render(
        request,
        "organizations/review_queue.html",
        {
            "pending": [o for o in waiting if o.verification_state == VerificationState.PENDING],
            "changes_requested": [o for o in waiting if o.verification_state == VerificationState.CHANGES_REQUESTED],
            "changes": changes,
        },
    )


@csu_page("organizations.verify")
def decide_verification(request, slug):
    organization = get_object_or_404(Organization, slug=slug)
    next_url = _next_url(request, reverse("organizations:review_queue"))
    form = VerificationDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = DECISIONS[form.cleaned_data["decision"]]
        try:
            organization = decision.service(organization, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # a refused transition: nothing to correct on the form
                messages.error(request, " ".join(error.messages))
                return redirect(next_url)
            add_service_error(form, error)
        else:
            messages.success(request, decision.done % {"organization": organization})
            return redirect(next_url)
    return render(
        request,
        "organizations/verification_decision.html",
        {
            "organization": organization,
            "form": form,
            "decisions": decisions_for(organization),
            "next_url": next_url,
            "chosen": request.POST.get("decision", ""),
        },
    )


@csu_page("organizations.verify")
def decide_change(request, change_id):
    change = get_object_or_404(OrganizationChange.objects.select_related("organization", "requested_by"), pk=change_id)
    next_url = _next_url(request, reverse("organizations:review_queue"))
    form = ChangeDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirm = form.cleaned_data["decision"] == ChangeDecisionForm.CONFIRM
        try:
            if confirm:
                decided = services.confirm_organization_change(change, by=request.user)
            else:
                decided = services.decline_organization_change(change, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # already decided by someone else
                messages.error(request, " ".join(error.messages))
                return redirect(next_url)
            add_service_error(form, error)
        else:
            organization = Organization.objects.get(pk=decided.organization_id)  # as the confirmed change left it
            if confirm:
                messages.success(
                    request,
                    _("The changes to %(organization)s are confirmed and applied; its focal points are told by e-mail.")
                    % {"organization": organization},
                )
            else:
                messages.success(
                    request,
                    _("The changes to %(organization)s are declined; its focal points are told by e-mail with your reason.")
                    % {"organization": organization},
                )
            return redirect(next_url)
    change.rows = describe_change(change)
    return render(
        request,
        "organizations/change_decision.html",
        {"change": change, "organization": change.organization, "form": form, "next_url": next_url},
    )


# --- Duplicates and merge -----------------------------------------------------------------------


@csu_page("organizations.merge")
def duplicate_list(request):
    return render(request, "organizations/duplicate_list.html", {"pairs": duplicate_pairs()})


# Shown side by side before a merge, in this order.
MERGE_SHOWN_FIELDS = (
    "name", "name_en", "acronym", "acronym_en", "kind", "headquarters_country", "countries_of_work", "website",
    "email", "phone", "address", "year_founded", "description", "ecosoc_status", "ecosoc_year", "verification_state",
)


@dataclass(frozen=True)
class MergeRow:
    label: str
    kept: str
    duplicate: str
    filled: bool  # the kept record takes the duplicate's value


def merge_preview(keep: Organization, duplicate: Organization) -> dict:
    """What merge_organizations would do: fields filled, records moved, history carried over."""
    rows = []
    for field in MERGE_SHOWN_FIELDS:
        kept_value = services.plain(getattr(keep, field))
        duplicate_value = services.plain(getattr(duplicate, field))
        if field == "countries_of_work":
            filled = any(code not in kept_value for code in duplicate_value)
        else:
            filled = field in services.MERGE_FILL_FIELDS and kept_value in ("", None) and duplicate_value not in ("", None)
        rows.append(MergeRow(field_label(field), shown_value(field, kept_value), shown_value(field, duplicate_value), filled))

    kept_areas = set(keep.thematic_areas.values_list("pk", flat=True))
    new_areas = [area for area in duplicate.thematic_areas.all() if area.pk not in kept_areas]
    kept_users = set(keep.members.values_list("user_id", flat=True))
    duplicate_members = list(duplicate.members.select_related("user").order_by("created_at"))
    moved = []
    for relation in Organization._meta.related_objects:
        if relation.related_model is OrganizationMember:
            continue  # said per person below
        if relation.many_to_many:
            count = getattr(duplicate, relation.get_accessor_name()).count()
        else:
            count = relation.related_model._default_manager.filter(**{relation.field.name: duplicate}).count()
        if count:
            moved.append((str(relation.related_model._meta.verbose_name_plural), count))
    history = ActivityLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Organization), object_id=str(duplicate.pk)
    ).count()
    return {
        "rows": rows,
        "new_areas": new_areas,
        "members_moving": [m for m in duplicate_members if m.user_id not in kept_users],
        "members_already": [m for m in duplicate_members if m.user_id in kept_users],
        "moved": moved,
        "history": history,
    }


@csu_page("organizations.merge")
def merge(request, keep, duplicate):
    kept = get_object_or_404(Organization, slug=keep)
    merged = get_object_or_404(Organization, slug=duplicate)
    if kept.pk == merged.pk:
        raise Http404
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        merged_name = str(merged)
        try:
            kept = services.merge_organizations(kept, merged, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("organizations:duplicates")
        messages.success(
            request,
            _("%(duplicate)s is merged into %(organization)s; its old address now leads here.")
            % {"duplicate": merged_name, "organization": kept},
        )
        return redirect(kept)
    return render(
        request,
        "organizations/merge_confirm.html",
        {"kept": kept, "duplicate": merged, "form": form, "preview": merge_preview(kept, merged)},
    )
