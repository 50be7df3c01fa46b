"""The directory of organizations and one organization's page, for everyone (public fields) and CSU (all)."""

import rules
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from portal.caching import frame_variant, page_response, render_whole
from umbrella.selectors import memberships_of_organization

from .. import caching
from ..enums import VerificationState
from ..filters import OrganizationFilter
from ..models import Organization, OrganizationRedirect
from ..rules import is_focal_point_of
from ..selectors import directory_filter, history_of, organizations_visible_to

ORGANIZATIONS_PER_PAGE = 25


# The permissions are asked of the rules alone: Django's model permissions never grant them, and
# asking those would cost two queries per page for every signed-in person.


def organization_list(request):
    """The directory, searched and filtered by the query string.

    The whole page is cached per kind of reader, language, query string and frame until what it
    shows changes (organizations.caching, portal.caching.frame_variant); htmx's results alone apart.
    """
    # htmx asks for the results only; a history restore (back button, cache miss) wants the page.
    results_only = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    part = "results" if results_only else "page"
    # The whole page is kept, frame included (portal.caching.render_whole): its key holds what the frame shows.
    frame = None if results_only else frame_variant(request)
    key = caching.directory_key(part, request.user, request.GET, parameters=OrganizationFilter.parameters_for(request.user), frame=frame)
    version, kept = caching.read(key) if key else (None, None)
    if kept is None:
        filterset = directory_filter(request.user, request.GET)
        page = Paginator(filterset.qs, ORGANIZATIONS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "filter": filterset,
            "page": page,
            "has_filters": any(value for key, value in request.GET.items() if key != "page"),
            "sees_private_fields": rules.has_perm("organizations.see_private_fields", request.user),
        }
        html = render_to_string(f"organizations/organization_list.html#{'results' if results_only else 'content'}", context, request=request)
        # Rendered by our own template above.
        kept = html if results_only else render_whole("organizations/organization_list.html", {"content": mark_safe(html)}, request)
        if key:
            caching.keep(key, version, kept)
    if results_only:
        response = HttpResponse(mark_safe(kept))  # rendered by our own template above
    else:
        response = page_response(kept, request)
    patch_vary_headers(response, ["HX-Request"])
    return response


def organization_detail(request, slug):
    """One organization's page. What the public sees is cached until it changes (organizations.caching)."""
    key = None if request.user.is_authenticated else caching.public_profile_key(slug)
    version, cached = caching.read(key) if key else (None, None)
    if cached is None:
        visible = organizations_visible_to(request.user)
        organization = visible.prefetch_related("thematic_areas").filter(slug=slug).first()
        if organization is None:
            moved = OrganizationRedirect.objects.filter(old_slug=slug, organization__in=visible).select_related("organization").first()
            if moved is None:
                raise Http404
            return redirect(moved.organization, permanent=True)
        context = profile_context(request, organization)
        cached = (organization.name, render_to_string("organizations/organization_detail.html#body", context, request=request))
        if key:
            caching.keep(key, version, cached)
    title, body = cached
    return render(request, "organizations/organization_detail.html", {"title": title, "body": mark_safe(body)})  # our own template's


def profile_context(request, organization: Organization) -> dict:
    """What an organization's page shows to the person reading it."""
    sees_private_fields = rules.has_perm("organizations.see_private_fields", request.user)
    can_edit = rules.has_perm("organizations.change_profile", request.user, organization)
    return {
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
