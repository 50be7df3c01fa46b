"""The directory's and an organization's page from the cache: queries, invalidation, who gets which variant; the XLSX writer."""

import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from organizations import caching
from organizations.enums import VerificationState
from organizations.exports import write_xlsx
from organizations.imports import _set_thematic_areas
from organizations.models import Organization, OrganizationMember, ThematicArea
from tests.test_directory import add_organizations, listed, make_organization, text
from umbrella.enums import MembershipStatus
from umbrella.models import UmbrellaMembership

pytestmark = pytest.mark.django_db

LIST_URL = "/organizations/"
FILTERS = {"regional_group": "african", "thematic_area": "drug-policy", "sort": "name"}


def queries_of(client, url, params=None, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, headers=headers)
    assert response.status_code == 200
    return len(queries), response


def main(response) -> str:
    """The page's <main>: what the view renders, without the page's CSRF token (masked anew for every response)."""
    return re.search(r"<main .*</main>", response.content.decode(), re.DOTALL).group(0)


def sign_in(client, user):
    if user is not None:
        client.force_login(user)


# --- The directory: queries once cached ---------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize(
    ("who", "cached_queries"),
    [
        ("public", 0),
        # the login session with the user and its roles (portal.login_sessions)
        ("csu", 1),
        ("focal point", 1),
    ],
)
def test_directory_cached_costs_no_query_of_its_own_at_1_and_many_rows(
    client, csu_officer, focal_points, thematic_areas, django_assert_num_queries, who, cached_queries, rows
):
    sign_in(client, {"public": None, "csu": csu_officer, "focal point": focal_points["a"]}[who])
    Organization.objects.all().delete()
    add_organizations(rows)
    _first, first = queries_of(client, LIST_URL, FILTERS)

    with django_assert_num_queries(cached_queries):
        second = client.get(LIST_URL, FILTERS)

    assert main(second) == main(first)
    assert listed(second) == [f"Organization {number:03d}" for number in range(min(rows, 25))]


def test_directory_htmx_results_are_cached_apart_from_the_whole_page(client, thematic_areas, django_assert_num_queries):
    add_organizations(2)
    _count, page = queries_of(client, LIST_URL, FILTERS)
    _count, results = queries_of(client, LIST_URL, FILTERS, HX_Request="true")

    with django_assert_num_queries(0):
        assert client.get(LIST_URL, FILTERS, headers={"HX-Request": "true"}).content == results.content
    with django_assert_num_queries(0):
        assert main(client.get(LIST_URL, FILTERS)) == main(page)
    assert "<h1>" not in results.content.decode()
    assert "<h1>Directory of organizations</h1>" in page.content.decode()
    assert listed(results) == listed(page) == ["Organization 000", "Organization 001"]


def test_directory_with_an_unknown_parameter_is_rendered_every_time(client, thematic_areas):
    add_organizations(2)
    params = {**FILTERS, "utm_source": "newsletter"}
    first, response = queries_of(client, LIST_URL, params)
    second, again = queries_of(client, LIST_URL, params)

    # the thematic area asked for, count, rows, their thematic areas, the thematic areas and umbrella bodies offered
    assert (first, second) == (6, 6)
    # The pagination and export links keep every parameter, which is why the page is not cached.
    assert main(again) == main(response)


def test_directory_other_pages_and_languages_are_cached_apart(client, thematic_areas):
    add_organizations(30)
    first = listed(client.get(LIST_URL, FILTERS))
    second = listed(client.get(LIST_URL, {**FILTERS, "page": 2}))
    french = client.get(LIST_URL, FILTERS, headers={"Accept-Language": "fr"})

    assert first == [f"Organization {number:03d}" for number in range(25)]
    assert second == [f"Organization {number:03d}" for number in range(25, 30)]
    assert ("30 organisations" in text(french), "30 organizations" in text(client.get(LIST_URL, FILTERS))) == (True, True)


# --- The directory: every reader gets their own variant --------------------------------------------------------


def test_directory_never_serves_what_csu_sees_to_the_public(client, csu_officer, organizations):
    make_organization("Accra Integrity Watch", "AIW", country="GH", state=VerificationState.PENDING, phone="+233 30 000 0000")
    client.force_login(csu_officer)
    staff = client.get(LIST_URL)
    client.logout()
    public = client.get(LIST_URL)

    assert listed(staff) == ["Accra Integrity Watch", "Harm Reduction Alliance", "Prison Reform Network"]
    assert listed(public) == ["Harm Reduction Alliance", "Prison Reform Network"]
    assert ("+233 30 000 0000" in text(staff), "+233 30 000 0000" in text(public)) == (True, False)
    assert ("Export these organizations as CSV" in text(staff), "Export these organizations as CSV" in text(public)) == (True, False)


def test_directory_never_serves_one_focal_points_own_organizations_to_another(client, focal_points, organizations):
    pending = make_organization("Accra Integrity Watch", "AIW", country="GH", state=VerificationState.PENDING)
    OrganizationMember.objects.create(organization=pending, user=focal_points["a"])
    client.force_login(focal_points["a"])
    own = listed(client.get(LIST_URL))
    client.force_login(focal_points["b"])
    other = listed(client.get(LIST_URL))
    client.logout()
    public = listed(client.get(LIST_URL))

    assert own == ["Accra Integrity Watch", "Harm Reduction Alliance", "Prison Reform Network"]
    assert other == public == ["Harm Reduction Alliance", "Prison Reform Network"]


def test_directory_shows_a_new_focal_points_organization_at_once(client, focal_points, organizations):
    pending = make_organization("Accra Integrity Watch", "AIW", country="GH", state=VerificationState.PENDING)
    client.force_login(focal_points["b"])
    before = listed(client.get(LIST_URL))
    OrganizationMember.objects.create(organization=pending, user=focal_points["b"])

    assert before == ["Harm Reduction Alliance", "Prison Reform Network"]
    assert listed(client.get(LIST_URL)) == ["Accra Integrity Watch", "Harm Reduction Alliance", "Prison Reform Network"]


# --- The directory: forgetting when what it shows changes -----------------------------------------------------


def test_directory_shows_a_renamed_organization_at_once(client, organizations):
    assert listed(client.get(LIST_URL)) == ["Harm Reduction Alliance", "Prison Reform Network"]
    organizations["a"].name = "Alliance for Harm Reduction"
    organizations["a"].save()

    assert listed(client.get(LIST_URL)) == ["Alliance for Harm Reduction", "Prison Reform Network"]


def test_directory_drops_an_organization_archived_or_deleted(client, organizations):
    assert listed(client.get(LIST_URL)) == ["Harm Reduction Alliance", "Prison Reform Network"]
    organizations["a"].verification_state = VerificationState.ARCHIVED
    organizations["a"].save()
    assert listed(client.get(LIST_URL)) == ["Prison Reform Network"]
    organizations["b"].delete()

    assert listed(client.get(LIST_URL)) == []


def test_directory_follows_thematic_areas_added_renamed_and_bulk_imported(client, organizations, thematic_areas):
    params = {"thematic_area": "drug-policy"}
    assert listed(client.get(LIST_URL, params)) == []
    organizations["a"].thematic_areas.add(thematic_areas["drug-policy"])
    assert listed(client.get(LIST_URL, params)) == ["Harm Reduction Alliance"]

    area = thematic_areas["drug-policy"]
    area.name = "Drugs and health"
    area.save()
    assert "Drugs and health" in text(client.get(LIST_URL, params))

    # The import writes the links in bulk, without signals, and says so itself.
    _set_thematic_areas({organizations["b"].pk: ["drug-policy"]})
    assert listed(client.get(LIST_URL, params)) == ["Harm Reduction Alliance", "Prison Reform Network"]


def test_directory_follows_umbrella_memberships(client, organizations, bodies):
    params = {"umbrella": "vngoc"}
    membership = UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], status=MembershipStatus.APPLIED)
    assert listed(client.get(LIST_URL, params)) == []
    membership.status = MembershipStatus.ACTIVE
    membership.save()

    assert listed(client.get(LIST_URL, params)) == ["Harm Reduction Alliance"]


def test_directory_version_changes_at_once_and_again_on_commit(django_capture_on_commit_callbacks, organizations):
    # A page rendered from the old rows between the change and the commit must not be kept under the new version.
    before = caching.directory_version()
    with django_capture_on_commit_callbacks(execute=True):
        organizations["a"].save()
        during = caching.directory_version()
    after = caching.directory_version()

    assert len({before, during, after}) == 3


# --- One organization's page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("areas", [1, 8])
def test_profile_for_the_public_is_cached_at_one_and_many_thematic_areas(
    client, organizations, thematic_areas, django_assert_num_queries, areas
):
    chosen = list(ThematicArea.objects.order_by("name")[:areas])
    organizations["a"].thematic_areas.set(chosen)
    first = client.get("/organizations/hra/")
    with django_assert_num_queries(0):
        second = client.get("/organizations/hra/")

    assert main(second) == main(first)
    assert re.search(r"<title>Harm Reduction Alliance · UNODC</title>", second.content.decode())
    assert f"<dt>Thematic areas</dt><dd>{html.escape(', '.join(area.name for area in chosen))}</dd>" in text(second)


def test_profile_for_the_public_follows_changes(client, organizations, bodies):
    assert "<h1>Harm Reduction Alliance" in text(client.get("/organizations/hra/"))
    organizations["a"].name = "Alliance for Harm Reduction"
    organizations["a"].save()
    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], status=MembershipStatus.ACTIVE)
    page = text(client.get("/organizations/hra/"))

    assert "<h1>Alliance for Harm Reduction" in page
    assert "<title>Alliance for Harm Reduction · UNODC</title>" in page
    assert '<a href="/umbrella/vngoc/">Vienna NGO Committee on Drugs</a>' in page


def test_profile_archived_after_the_public_read_it_is_404(client, organizations):
    assert client.get("/organizations/hra/").status_code == 200
    organizations["a"].verification_state = VerificationState.ARCHIVED
    organizations["a"].save()

    assert client.get("/organizations/hra/").status_code == 404


def test_profile_signed_in_is_never_the_publics_nor_cached(client, csu_officer, focal_points, organizations, django_assert_num_queries):
    organizations["a"].phone = "+254 20 000 0000"
    organizations["a"].save()
    public = text(client.get("/organizations/hra/"))
    client.force_login(focal_points["a"])
    own = text(client.get("/organizations/hra/"))
    client.force_login(csu_officer)
    staff_first, staff = queries_of(client, "/organizations/hra/")
    staff_second, _again = queries_of(client, "/organizations/hra/")
    client.logout()

    assert ("+254 20 000 0000" in public, "Edit profile" in public) == (False, False)
    assert ("+254 20 000 0000" in own, "Edit profile" in own) == (True, True)
    assert "For the Civil Society Unit" in text(staff)
    assert staff_second == staff_first == 6  # the user comes with the session and its roles (portal.login_sessions)
    assert "For the Civil Society Unit" not in text(client.get("/organizations/hra/"))


# --- The XLSX writer ------------------------------------------------------------------------------------------


def test_write_xlsx_reads_back_with_every_kind_of_cell():
    file, count = write_xlsx(
        [["Café & <Co>", "", None, 1998, 2.5, True, "=1+1", "a\x01b\nc", "  spaced "], ["second"]],
        title='Members & "friends" <of> the body, a long title cut at 31',
        header=["text", "empty", "none", "int", "float", "bool", "formula", "control", "spaces"],
    )
    with file:
        workbook = load_workbook(io.BytesIO(file.read()))
    sheet = workbook.worksheets[0]

    assert count == 2
    assert sheet.title == 'Members & "friends" <of> the bo'
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["text", "empty", "none", "int", "float", "bool", "formula", "control", "spaces"],
        ["Café & <Co>", None, None, 1998, 2.5, True, "'=1+1", "ab\nc", "  spaced "],
        ["second", None, None, None, None, None, None, None, None],
    ]
    assert [cell.data_type for cell in sheet[2]] == ["s", "inlineStr", "n", "n", "n", "b", "s", "s", "s"]


def test_write_xlsx_of_no_rows_is_the_header_alone():
    file, count = write_xlsx([], title="Organizations", header=["name", "slug"])
    with file:
        rows = list(load_workbook(io.BytesIO(file.read()), read_only=True).worksheets[0].iter_rows(values_only=True))

    assert (count, rows) == (0, [("name", "slug")])
