"""The directory of organizations and one organization's page, for everyone (public fields) and CSU (all)."""

import rules
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from umbrella.selectors import memberships_of_organization

from ..enums import VerificationState
from ..models import Organization, OrganizationRedirect
from ..rules import is_focal_point_of
from ..selectors import directory_filter, history_of, organizations_visible_to

ORGANIZATIONS_PER_PAGE = 25


# The permissions are asked of the rules alone: Django's model permissions never grant them, and
# asking those would cost two queries per page for every signed-in person.


def organization_list(request):
    filterset = directory_filter(request.user, request.GET)
    page = Paginator(filterset.qs, ORGANIZATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "has_filters": any(value for key, value in request.GET.items() if key != "page"),
        "sees_private_fields": rules.has_perm("organizations.see_private_fields", request.user),
    }
    # htmx asks for the results only; a history restore (back button, cache miss) wants the page.
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "organizations/organization_list.html#results", context)
    else:
        response = render(request, "organizations/organization_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def organization_detail(request, slug):
    visible = organizations_visible_to(request.user)
    organization = visible.prefetch_related("thematic_areas").filter(slug=slug).first()
    if organization is None:
        moved = OrganizationRedirect.objects.filter(old_slug=slug, organization__in=visible).select_related("organization").first()
        if moved is None:
            raise Http404
        return redirect(moved.organization, permanent=True)
    sees_private_fields = rules.has_perm("organizations.see_private_fields", request.user)
    can_edit = rules.has_perm("organizations.change_profile", request.user, organization)
    context = {
        "organization": organization,
        "sees_private_fields": sees_private_fields,
        # The organization's own focal points entered its phone and address: they may see them.
        "sees_contacts": can_edit,
        "can_edit": can_edit,
        "can_manage_members": rules.has_perm("organizations.manage_members", request.user, organization),
        # Anyone signed in who does not yet act for it may ask to; CSU may decide on it.
        "can_ask_to_join": request.user.is_authenticated
        and not is_focal_point_of(request.user, organization)
        and organization.verification_state not in (VerificationState.REJECTED, VerificationState.ARCHIVED),
        "can_verify": sees_private_fields,
        "history": with_changes(history_of(organization)) if sees_private_fields else None,
        "umbrella_memberships": memberships_of_organization(organization, request.user),
    }
    return render(request, "organizations/organization_detail.html", context)


def with_changes(entries) -> list:
    """Log entries, each with `changes`: the field's label and its old and new value in words."""
    entries = list(entries)
    for entry in entries:
        fields = dict.fromkeys([*entry.old_values, *entry.new_values])
        entry.changes = [
            {
                "label": _field_label(name),
                "old": _value_in_words(name, entry.old_values.get(name)),
                "new": _value_in_words(name, entry.new_values.get(name)),
            }
            for name in fields
        ]
    return entries


def _field_label(name: str) -> str:
    try:
        return Organization._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name


def _value_in_words(name: str, value):
    try:
        field = Organization._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    return dict(field.flatchoices).get(value, value) if field.choices else value
