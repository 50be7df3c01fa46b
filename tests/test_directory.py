"""The directory at /organizations/ and one organization's page: who sees what, search, filters, scale."""

import datetime as dt
import html
import os
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import QueryDict
from django.utils import timezone

from organizations.enums import EcosocStatus, OrganizationKind, VerificationState
from organizations.models import Organization, OrganizationMember, OrganizationRedirect, ThematicArea
from organizations.selectors import directory_filter, organizations_visible_to
from portal.models import ActivityLog

pytestmark = pytest.mark.django_db

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
# With REQUIRE_SERVICES=1 (CI) these run, and fail, rather than skip on SQLite.
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES,
    reason="full-text and trigram search need PostgreSQL; SQLite only matches plain text",
)

LIST_URL = "/organizations/"


def make_organization(name, acronym="", *, country="AT", state=VerificationState.VERIFIED, **fields):
    slug = fields.pop("slug", None) or re.sub(r"[^a-z0-9]+", "-", (acronym or name).lower()).strip("-")
    areas = fields.pop("thematic_areas", ())
    organization = Organization.objects.create(
        name=name, acronym=acronym, slug=slug, headquarters_country=country, verification_state=state, **fields
    )
    if areas:
        organization.thematic_areas.set(ThematicArea.objects.filter(slug__in=areas))
    return organization


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def listed(response) -> list[str]:
    """The organizations' names in the directory's rows, in order."""
    return [
        html.unescape(name)
        for name in re.findall(r'<th scope="row">\s*<a href="/organizations/[^"]+/">([^<]+)</a>', response.content.decode())
    ]


@pytest.fixture
def pending(focal_points):
    """An organization awaiting verification whose focal point also acts for organization "a"."""
    organization = make_organization(
        "Accra Integrity Watch",
        "AIW",
        country="GH",
        state=VerificationState.PENDING,
        email="contact@aiw.example",
        phone="+233 30 000 0000",
        internal_notes="Registration papers expected in March.",
    )
    OrganizationMember.objects.create(organization=organization, user=focal_points["a"])
    return organization


@pytest.fixture
def profiled(organizations):
    """Organization "a" with every profile field filled in."""
    organization = organizations["a"]
    organization.name_en = "Harm Reduction Alliance of Kenya"
    organization.kind = OrganizationKind.NETWORK
    organization.countries_of_work = ["KE", "UG"]
    organization.website = "https://hra.example/"
    organization.email = "info@hra.example"
    organization.phone = "+254 20 000 0000"
    organization.address = "PO Box 1, Nairobi"
    organization.year_founded = 1999
    organization.description = "Peer-led harm reduction services in East Africa."
    organization.ecosoc_status = EcosocStatus.SPECIAL
    organization.ecosoc_year = 2015
    organization.ecosoc_checked_on = dt.date(2026, 10, 1)
    organization.internal_notes = "Renewed ECOSOC report filed late."
    organization.save()
    organization.thematic_areas.set(ThematicArea.objects.filter(slug__in=["harm-reduction", "hiv-and-aids"]))
    return organization


# --- Who sees what ------------------------------------------------------------------------


def test_directory_for_the_public_lists_verified_organizations_only(client, organizations, pending):
    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert listed(response) == ["Harm Reduction Alliance", "Prison Reform Network"]
    page = text(response)
    assert "2 organizations" in page
    assert "contact@aiw.example" not in page
    assert "Verification" not in page


def test_directory_for_the_public_shows_no_contacts_or_notes(client, profiled):
    page = text(client.get(LIST_URL))

    assert "+254 20 000 0000" not in page
    assert "Renewed ECOSOC report" not in page
    assert "info@hra.example" not in page  # the list shows no contacts; the public page does


def test_directory_for_csu_lists_every_organization_with_state_and_contacts(client, csu_officer, organizations, pending):
    client.force_login(csu_officer)

    response = client.get(LIST_URL)

    assert listed(response) == ["Accra Integrity Watch", "Harm Reduction Alliance", "Prison Reform Network"]
    page = text(response)
    assert "3 organizations" in page
    assert '<span class="badge badge-pending">Pending verification</span>' in page
    assert '<a href="mailto:contact@aiw.example">contact@aiw.example</a><br>+233 30 000 0000' in page


def test_directory_for_a_focal_point_includes_their_own_pending_organization(client, focal_points, pending):
    make_organization("Nepal Youth Against Drugs", "NYAD", country="NP", state=VerificationState.PENDING)
    client.force_login(focal_points["a"])

    assert listed(client.get(LIST_URL)) == ["Accra Integrity Watch", "Harm Reduction Alliance", "Prison Reform Network"]


def test_visible_organizations_per_persona(csu_officer, coordinators, focal_points, outsider, pending):
    def slugs(user):
        return sorted(organizations_visible_to(user).values_list("slug", flat=True))

    assert slugs(AnonymousUser()) == ["hra", "prn"]
    assert slugs(outsider) == ["hra", "prn"]
    assert slugs(coordinators["vngoc"]) == ["hra", "prn"]
    assert slugs(focal_points["a"]) == ["aiw", "hra", "prn"]
    assert slugs(focal_points["b"]) == ["hra", "prn"]
    assert slugs(csu_officer) == ["aiw", "hra", "prn"]


def test_visible_organizations_list_an_organization_once_whatever_its_focal_points(focal_points, organizations, outsider):
    OrganizationMember.objects.create(organization=organizations["a"], user=outsider)

    assert list(organizations_visible_to(focal_points["a"]).values_list("slug", flat=True).order_by("slug")) == ["hra", "prn"]


def test_detail_for_the_public_shows_the_profile_and_public_fields_only(client, profiled):
    response = client.get("/organizations/hra/")

    assert response.status_code == 200
    page = text(response)
    assert '<h1>Harm Reduction Alliance <span class="acronym">(HRA)</span></h1>' in page
    assert '<p class="subtitle" lang="en">Harm Reduction Alliance of Kenya</p>' in page
    assert "<dt>Kind of organization</dt><dd>Network or coalition</dd>" in page
    assert "<dt>Headquarters country</dt><dd>Kenya</dd>" in page
    assert "<dt>Countries of work</dt><dd>Kenya, Uganda</dd>" in page
    assert "<dt>UN regional group</dt><dd>African States</dd>" in page
    assert '<dt>Website</dt><dd><a href="https://hra.example/" rel="noopener nofollow">https://hra.example/</a></dd>' in page
    assert '<dt>E-mail</dt><dd><a href="mailto:info@hra.example">info@hra.example</a></dd>' in page
    assert "<dt>Year founded</dt><dd>1999</dd>" in page
    assert "<dt>ECOSOC consultative status</dt><dd>Special (since 2015)</dd>" in page
    # In the database's collation: "HIV and AIDS" comes first under C, second under en_US.
    areas = ", ".join(area.name for area in ThematicArea.objects.filter(slug__in=["harm-reduction", "hiv-and-aids"]))
    assert f"<dt>Thematic areas</dt><dd>{areas}</dd>" in page
    assert "<p>Peer-led harm reduction services in East Africa.</p>" in page
    for private in ["+254 20 000 0000", "PO Box 1", "Renewed ECOSOC report", "Change history", "ECOSOC status last checked", "Edit profile"]:
        assert private not in page


def test_detail_shows_engagement_sections_with_empty_states(client, organizations):
    page = text(client.get("/organizations/prn/"))

    assert (
        '<h2 id="engagement-heading">Engagement</h2> '
        "<h3>Umbrella memberships</h3> <p class=\"empty-state\">No umbrella body membership is recorded yet.</p> "
        '<h3>Sessions attended</h3> <p class="empty-state">No session attendance is recorded yet.</p> '
        '<h3>Side events</h3> <p class="empty-state">No side event is recorded yet.</p>'
    ) in page


def test_detail_for_csu_shows_contacts_notes_verification_and_history(client, csu_officer, profiled):
    organization_type = ContentType.objects.get_for_model(Organization)
    ActivityLog.objects.create(
        actor=csu_officer, action="organizations.organization.verified", content_type=organization_type,
        object_id=str(profiled.pk), old_values={"verification_state": "pending"}, new_values={"verification_state": "verified"},
        created_at=timezone.make_aware(dt.datetime(2026, 9, 1, 9, 30)),
    )
    ActivityLog.objects.create(
        actor=None, action="organizations.organization.changed", content_type=organization_type,
        object_id=str(profiled.pk), old_values={"headquarters_country": "UG"}, new_values={"headquarters_country": "KE"},
        created_at=timezone.make_aware(dt.datetime(2026, 10, 2, 14, 0)),
    )
    ActivityLog.objects.create(  # another organization's entry stays off this page
        actor=csu_officer, action="organizations.organization.verified", content_type=organization_type,
        object_id=str(profiled.pk + 1000), new_values={"verification_state": "verified"},
    )
    client.force_login(csu_officer)

    page = text(client.get("/organizations/hra/"))

    assert "<dt>Phone</dt><dd>+254 20 000 0000</dd>" in page
    assert "<dt>Postal address</dt><dd>PO Box 1, Nairobi</dd>" in page
    assert '<dt>Verification</dt><dd><span class="badge badge-verified">Verified</span></dd>' in page
    assert "<dt>ECOSOC status last checked</dt><dd>1 October 2026</dd>" in page
    assert "<dt>Internal notes</dt><dd>Renewed ECOSOC report filed late.</dd>" in page
    history = page.split('<h2 id="history-heading">Change history</h2>', 1)[1]
    rows = re.findall(r"<tr> (.*?) </tr>", history.split("<tbody>", 1)[1])
    assert len(rows) == 2
    assert "2 Oct 2026, 14:00" in rows[0] and "the portal" in rows[0]
    assert "headquarters country: <del>Uganda</del> → <ins>Kenya</ins>" in rows[0]
    assert "1 Sep 2026, 09:30" in rows[1] and "Clara Officer" in rows[1] or "officer@unodc.test" in rows[1]
    assert "<code>organizations.organization.verified</code>" in rows[1]
    assert "verification: <del>Pending verification</del> → <ins>Verified</ins>" in rows[1]
    assert 'href="/organizations/hra/edit/"' in page and 'href="/organizations/hra/members/"' in page


def test_detail_for_csu_without_history_says_so(client, csu_officer, organizations):
    client.force_login(csu_officer)

    assert '<p class="empty-state">No change recorded yet.</p>' in text(client.get("/organizations/hra/"))


def test_detail_for_a_focal_point_of_a_pending_organization_shows_it_with_edit_links(client, focal_points, pending):
    client.force_login(focal_points["a"])

    response = client.get("/organizations/aiw/")

    assert response.status_code == 200
    page = text(response)
    assert '<span class="badge badge-pending">Pending verification</span>' in page
    assert '<a role="button" href="/organizations/aiw/edit/">Edit profile</a>' in page
    assert '<a role="button" class="secondary" href="/organizations/aiw/members/">Members</a>' in page
    assert "<dt>Phone</dt><dd>+233 30 000 0000</dd>" in page
    assert "Registration papers expected" not in page
    assert "Change history" not in page


@pytest.mark.parametrize("who", ["public", "outsider", "other focal point", "coordinator"])
def test_detail_of_a_pending_organization_is_404_for_anyone_not_acting_for_it(client, who, outsider, focal_points, coordinators, pending):
    user = {"public": None, "outsider": outsider, "other focal point": focal_points["b"], "coordinator": coordinators["vngoc"]}[who]
    if user is not None:
        client.force_login(user)

    response = client.get("/organizations/aiw/")

    assert response.status_code == 404
    assert "Accra Integrity Watch" not in text(response)


@pytest.mark.parametrize("who", ["public", "outsider", "other focal point"])
def test_detail_of_a_verified_organization_has_no_edit_links_for_others(client, who, outsider, focal_points, organizations):
    if who != "public":
        client.force_login({"outsider": outsider, "other focal point": focal_points["b"]}[who])

    page = text(client.get("/organizations/hra/"))

    assert "Edit profile" not in page
    assert 'href="/organizations/hra/members/"' not in page


def test_detail_of_an_unknown_slug_is_404(client, organizations):
    assert client.get("/organizations/no-such-organization/").status_code == 404


def test_detail_at_an_old_slug_redirects_permanently_to_the_new_address(client, organizations):
    OrganizationRedirect.objects.create(old_slug="harm-reduction-alliance", organization=organizations["a"])

    response = client.get("/organizations/harm-reduction-alliance/")

    assert (response.status_code, response["Location"]) == (301, "/organizations/hra/")


def test_detail_at_an_old_slug_of_a_hidden_organization_is_404(client, pending):
    OrganizationRedirect.objects.create(old_slug="accra-watch", organization=pending)

    assert client.get("/organizations/accra-watch/").status_code == 404


# --- Search ----------------------------------------------------------------------------------


def test_search_finds_by_acronym(client, organizations):
    assert listed(client.get(LIST_URL, {"q": "PRN"})) == ["Prison Reform Network"]


def test_search_finds_words_of_the_description(client, organizations):
    make_organization("Fundación Justicia y Paz", "FJP", country="GT", description="Legal aid for women in prison.")

    assert listed(client.get(LIST_URL, {"q": "legal aid"})) == ["Fundación Justicia y Paz"]


def test_search_ignores_case(client, organizations):
    assert listed(client.get(LIST_URL, {"q": "prison REFORM"})) == ["Prison Reform Network"]


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("misspelt", ["Transparancy", "transparency internatonal", "Transparensy Intl"])
def test_search_finds_a_misspelt_name_on_postgresql(client, organizations, misspelt):
    make_organization("Transparency International", "TI", country="DE")
    make_organization("Transport Workers Union", "TWU", country="GB")

    assert listed(client.get(LIST_URL, {"q": misspelt})) == ["Transparency International"]


@pytest.mark.postgres
@needs_postgres
def test_search_ranks_a_name_match_above_a_mention_in_a_description(client):
    make_organization("Anti-Corruption Network", "ACN", description="We campaign for transparency in public procurement.")
    make_organization("Transparency International", "TI", country="DE")

    assert listed(client.get(LIST_URL, {"q": "transparency"})) == ["Transparency International", "Anti-Corruption Network"]
    assert listed(client.get(LIST_URL, {"q": "transparency", "sort": "name"})) == [
        "Anti-Corruption Network",
        "Transparency International",
    ]


@pytest.mark.postgres
@needs_postgres
def test_search_uses_the_trigram_and_full_text_indexes_on_postgresql(csu_officer, organizations):
    """The search must spell the indexed expressions exactly, or PostgreSQL scans the table."""
    searched = directory_filter(csu_officer, QueryDict("q=Transparancy")).qs
    sql, params = searched.query.sql_with_params()
    with connection.cursor() as cursor:
        # A table of two rows is best read whole; forbid that, and walking a whole B-tree.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on organization_search_names_trgm" in plan
    assert "Bitmap Index Scan on organization_search_text_fts" in plan


def test_search_without_match_shows_the_empty_state_with_a_way_out(client, organizations):
    page = text(client.get(LIST_URL, {"q": "zzzzqqq"}))

    assert "0 organizations" in page
    assert '<p class="empty-state">No organization matches these filters.</p> <p><a href="/organizations/">Clear all filters</a></p>' in page


def test_directory_without_organizations_says_none_are_listed(client):
    page = text(client.get(LIST_URL))

    assert '<p class="empty-state">No organizations are listed yet.</p>' in page
    assert "Clear all filters" not in page


# --- Filters and sorting ---------------------------------------------------------------------


@pytest.fixture
def assorted(organizations):
    """Organizations "a" (HRA, Kenya) and "b" (PRN, Brazil), and three more that differ in one filter each."""
    organizations["a"].thematic_areas.set(ThematicArea.objects.filter(slug="harm-reduction"))
    organizations["b"].thematic_areas.set(ThematicArea.objects.filter(slug="criminal-justice-and-prison-reform"))
    return [
        make_organization("Wiener Verein für Suchtprävention", "WVS", country="AT", kind=OrganizationKind.FOUNDATION,
                          ecosoc_status=EcosocStatus.SPECIAL, ecosoc_year=2004, thematic_areas=["drug-prevention-and-treatment"]),
        make_organization("Mumbai Drug Policy Forum", "MDPF", country="IN", kind=OrganizationKind.NETWORK,
                          ecosoc_status=EcosocStatus.GENERAL, ecosoc_year=1998, thematic_areas=["drug-policy", "harm-reduction"]),
        make_organization("Cape Youth Recovery Trust", "CYRT", country="ZA", kind=OrganizationKind.CHARITABLE,
                          thematic_areas=["youth"]),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "network"}, ["Mumbai Drug Policy Forum"]),
        ({"kind": "ngo"}, ["Harm Reduction Alliance", "Prison Reform Network"]),
        ({"headquarters_country": "KE"}, ["Harm Reduction Alliance"]),
        ({"regional_group": "african"}, ["Cape Youth Recovery Trust", "Harm Reduction Alliance"]),
        ({"regional_group": "western_european_other"}, ["Wiener Verein für Suchtprävention"]),
        ({"thematic_area": "harm-reduction"}, ["Harm Reduction Alliance", "Mumbai Drug Policy Forum"]),
        ({"ecosoc_status": "special"}, ["Wiener Verein für Suchtprävention"]),
        ({"ecosoc_status": "none"}, ["Cape Youth Recovery Trust", "Harm Reduction Alliance", "Prison Reform Network"]),
        ({"regional_group": "african", "thematic_area": "youth"}, ["Cape Youth Recovery Trust"]),
        ({"q": "drug", "thematic_area": "harm-reduction"}, ["Mumbai Drug Policy Forum"]),
    ],
)
def test_directory_filter_narrows_the_list(client, assorted, params, expected):
    response = client.get(LIST_URL, params)

    assert response.status_code == 200
    assert listed(response) == expected


def test_directory_filter_form_has_a_visible_label_for_every_field(client, assorted):
    page = text(client.get(LIST_URL))

    for field_id, label in [
        ("id_q", "Search names, acronyms and descriptions"),
        ("id_kind", "Kind of organization"),
        ("id_headquarters_country", "Headquarters country"),
        ("id_regional_group", "UN regional group"),
        ("id_thematic_area", "Thematic area"),
        ("id_ecosoc_status", "ECOSOC consultative status"),
        ("id_sort", "Sort by"),
    ]:
        assert f'<label for="{field_id}">{label}</label>' in page
    assert 'hx-get="/organizations/" hx-target="#results" hx-push-url="true"' in page
    assert "<script>" not in page and "style=" not in page


def test_verification_state_filter_is_ignored_for_anyone_but_csu(client, focal_points, pending):
    make_organization("Nepal Youth Against Drugs", "NYAD", country="NP", state=VerificationState.PENDING)
    client.force_login(focal_points["b"])

    response = client.get(LIST_URL, {"verification_state": "pending"})

    assert listed(response) == ["Harm Reduction Alliance", "Prison Reform Network"]
    assert 'name="verification_state"' not in response.content.decode()


def test_verification_state_filter_is_offered_to_csu(client, csu_officer, pending):
    make_organization("Nepal Youth Against Drugs", "NYAD", country="NP", state=VerificationState.PENDING)
    client.force_login(csu_officer)

    response = client.get(LIST_URL, {"verification_state": "pending"})

    assert listed(response) == ["Accra Integrity Watch", "Nepal Youth Against Drugs"]
    assert '<label for="id_verification_state">Verification</label>' in text(response)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Cape Youth Recovery Trust", "Harm Reduction Alliance", "Mumbai Drug Policy Forum", "Prison Reform Network", "Wiener Verein für Suchtprävention"]),
        ("name", ["Cape Youth Recovery Trust", "Harm Reduction Alliance", "Mumbai Drug Policy Forum", "Prison Reform Network", "Wiener Verein für Suchtprävention"]),
        ("-name", ["Wiener Verein für Suchtprävention", "Prison Reform Network", "Mumbai Drug Policy Forum", "Harm Reduction Alliance", "Cape Youth Recovery Trust"]),
        # Austria, Brazil, India, Kenya, South Africa: by the country's name, not its code (ZA).
        ("country", ["Wiener Verein für Suchtprävention", "Prison Reform Network", "Mumbai Drug Policy Forum", "Harm Reduction Alliance", "Cape Youth Recovery Trust"]),
        ("newest", ["Cape Youth Recovery Trust", "Mumbai Drug Policy Forum", "Wiener Verein für Suchtprävention", "Prison Reform Network", "Harm Reduction Alliance"]),
    ],
)
def test_directory_sorts(client, assorted, sort, expected):
    for age, organization in enumerate(reversed(Organization.objects.order_by("pk"))):
        Organization.objects.filter(pk=organization.pk).update(created_at=timezone.now() - dt.timedelta(days=age))

    assert listed(client.get(LIST_URL, {"sort": sort})) == expected


def test_directory_sorts_by_country_name_not_by_code(client, organizations):
    make_organization("Deutsches Netzwerk Opferschutz", "DNO", country="DE")
    make_organization("Schweizer Suchtforum", "SSF", country="CH")

    # Brazil, Germany, Kenya, Switzerland; by code CH would come before DE.
    assert listed(client.get(LIST_URL, {"sort": "country"})) == [
        "Prison Reform Network", "Deutsches Netzwerk Opferschutz", "Harm Reduction Alliance", "Schweizer Suchtforum"
    ]


def test_directory_result_count_is_singular_for_one(client, organizations):
    assert '<p class="result-count" role="status">1 organization</p>' in text(client.get(LIST_URL, {"q": "HRA"}))


# --- Pagination and htmx --------------------------------------------------------------------


def test_directory_pages_by_25_and_page_links_keep_the_filters(client):
    Organization.objects.bulk_create(
        Organization(name=f"Network {number:02d}", slug=f"network-{number:02d}", headquarters_country="AT",
                     kind=OrganizationKind.NETWORK, verification_state=VerificationState.VERIFIED)
        for number in range(1, 31)
    )
    make_organization("Foundation Outside the Filter", "FOF", kind=OrganizationKind.FOUNDATION)

    first = client.get(LIST_URL, {"kind": "network", "sort": "name"})
    second = client.get(LIST_URL, {"kind": "network", "sort": "name", "page": "2"})

    assert listed(first) == [f"Network {number:02d}" for number in range(1, 26)]
    assert listed(second) == [f"Network {number:02d}" for number in range(26, 31)]
    assert "30 organizations" in text(first)
    assert 'href="?kind=network&amp;sort=name&amp;page=2" rel="next"' in text(first)
    assert "<span>Page 1 of 2</span>" in text(first)
    assert 'href="?kind=network&amp;sort=name&amp;page=1" rel="prev"' in text(second)


def test_directory_page_out_of_range_shows_the_last_page(client, organizations):
    assert listed(client.get(LIST_URL, {"page": "99"})) == ["Harm Reduction Alliance", "Prison Reform Network"]
    assert listed(client.get(LIST_URL, {"page": "abc"})) == ["Harm Reduction Alliance", "Prison Reform Network"]


def test_directory_htmx_request_gets_the_results_only(client, organizations):
    response = client.get(LIST_URL, {"q": "prison"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<form" not in body
    assert body.lstrip().startswith('<p class="result-count" role="status">1 organization</p>')
    assert listed(response) == ["Prison Reform Network"]
    assert response["Vary"] == "HX-Request, Accept-Language, Cookie"


def test_directory_htmx_history_restore_gets_the_whole_page(client, organizations):
    response = client.get(LIST_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "spaceship"}, "kind", "Select a valid choice. spaceship is not one of the available choices."),
        ({"headquarters_country": "XX"}, "headquarters_country", "Select a valid choice. XX is not one of the available choices."),
        ({"thematic_area": "astrology"}, "thematic_area", "Select a valid choice. That choice is not one of the available choices."),
        ({"sort": "shoe-size"}, "sort", "Select a valid choice. shoe-size is not one of the available choices."),
        ({"q": "x" * 201}, "q", "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_directory_invalid_filter_value_is_ignored_with_a_message_next_to_the_field(client, organizations, params, field, message):
    response = client.get(LIST_URL, {**params, "regional_group": "african"})

    assert response.status_code == 200
    page = text(response)
    assert f'<ul class="field-errors" id="id_{field}_error"><li>{message}</li></ul>' in page
    assert f'aria-describedby="id_{field}_error"' in page
    assert "Please correct the errors below" in page
    # The valid filter still applies.
    assert listed(response) == ["Harm Reduction Alliance"]


def test_directory_search_with_odd_characters_does_not_fail(client, organizations):
    for query in ["&|!():*", "'", '"', "-", "a <-> b", "\\", "%_"]:
        response = client.get(LIST_URL, {"q": query})
        assert (query, response.status_code) == (query, 200)


def test_directory_filter_queryset_is_what_the_export_needs(csu_officer, assorted, pending):
    """The export streams directory_filter(user, GET).qs: searched, filtered and sorted, in one go."""
    params = QueryDict("regional_group=african&sort=-name")

    public = directory_filter(AnonymousUser(), params).qs
    staff = directory_filter(csu_officer, params).qs

    assert [o.name for o in public] == ["Harm Reduction Alliance", "Cape Youth Recovery Trust"]
    assert [o.name for o in staff] == ["Harm Reduction Alliance", "Cape Youth Recovery Trust", "Accra Integrity Watch"]


# --- Scale: a fixed number of queries ----------------------------------------------------------


def add_organizations(count: int, *, state=VerificationState.VERIFIED) -> list[Organization]:
    """`count` organizations in Kenya working on drug policy and harm reduction, with a focal point's contacts."""
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Organization {number:03d}", acronym=f"O{number:03d}", slug=f"organization-{number:03d}",
                     headquarters_country="KE", regional_group="african", email=f"o{number}@example.test",
                     verification_state=state)
        for number in range(count)
    )
    areas = ThematicArea.objects.filter(slug__in=["drug-policy", "harm-reduction"])
    Organization.thematic_areas.through.objects.bulk_create(
        Organization.thematic_areas.through(organization_id=organization.pk, thematicarea_id=area.pk)
        for organization in organizations for area in areas
    )
    return organizations


# Every filter at once, so that each adds whatever query it needs.
LIST_PARAMS = {"q": "organization", "regional_group": "african", "thematic_area": "drug-policy", "sort": "name"}


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # the thematic area asked for, count, rows, their thematic areas, the thematic areas and
        # the umbrella bodies offered
        ("public", 6),
        # + the login session with the user and its roles (portal.login_sessions)
        ("csu", 7),
        # the same: the person's own organizations are a subquery of the count and the rows
        ("focal point", 7),
    ],
)
def test_directory_query_count_is_the_same_for_1_and_50_rows(client, csu_officer, focal_points, django_assert_num_queries, who, queries):
    user = {"public": None, "csu": csu_officer, "focal point": focal_points["a"]}[who]
    if user is not None:
        client.force_login(user)
    if connection.vendor != "postgresql" and LIST_PARAMS.get("q"):
        queries += 1  # SQLite compares the names in Python for misspellings: one more read
    Organization.objects.all().delete()
    add_organizations(1)
    with django_assert_num_queries(queries):
        response = client.get(LIST_URL, LIST_PARAMS)
    assert len(listed(response)) == 1

    Organization.objects.all().delete()
    add_organizations(50)
    with django_assert_num_queries(queries):
        response = client.get(LIST_URL, LIST_PARAMS)
    assert len(listed(response)) == 25
    assert "50 organizations" in text(response)


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        ("public", 3),  # organization, its thematic areas, its umbrella memberships
        # + the login session with the user and its roles (portal.login_sessions), whether the person is a focal
        # point of it, history
        ("csu", 6),
        # + the login session with the user and its roles (portal.login_sessions), whether the person is a focal point of it
        ("focal point", 5),
    ],
)
def test_detail_query_count_does_not_grow_with_thematic_areas_or_history(
    client, csu_officer, focal_points, profiled, django_assert_num_queries, who, queries
):
    user = {"public": None, "csu": csu_officer, "focal point": focal_points["a"]}[who]
    if user is not None:
        client.force_login(user)
    organization_type = ContentType.objects.get_for_model(Organization)

    def log(count):
        ActivityLog.objects.bulk_create(
            ActivityLog(actor=csu_officer, action="organizations.organization.changed", content_type=organization_type,
                        object_id=str(profiled.pk), old_values={"phone": ""}, new_values={"phone": f"+43 {number}"})
            for number in range(count)
        )

    log(1)
    with django_assert_num_queries(queries):
        assert client.get("/organizations/hra/").status_code == 200
    log(20)
    profiled.thematic_areas.set(ThematicArea.objects.all()[:8])
    with django_assert_num_queries(queries):
        response = client.get("/organizations/hra/")
    assert response.content.decode().count("<code>organizations.organization.changed</code>") == (21 if who == "csu" else 0)


def test_bench_seed_creates_realistic_organizations():
    from bench.seed_organizations import seed
    from organizations.regions import regional_group_for

    assert seed(60) == 60

    organizations = list(Organization.objects.filter(slug__startswith="bench-").prefetch_related("thematic_areas"))
    assert len(organizations) == 60
    assert all(o.regional_group == regional_group_for(o.headquarters_country) for o in organizations)
    assert all(1 <= len(o.thematic_areas.all()) <= 4 for o in organizations)
    assert all(o.headquarters_country in o.countries_of_work for o in organizations)
    assert {o.verification_state for o in organizations} >= {VerificationState.VERIFIED}
    assert len({o.name for o in organizations}) > 40


def test_organization_page_offers_to_join_to_people_who_do_not_act_for_it(client, organizations, focal_points, outsider):
    join = 'href="/organizations/hra/join/"'
    client.force_login(outsider)
    assert join in client.get("/organizations/hra/").content.decode()
    client.force_login(focal_points["a"])
    assert join not in client.get("/organizations/hra/").content.decode()
    client.logout()
    assert join not in client.get("/organizations/hra/").content.decode()


def test_organization_page_links_csu_to_the_verification_decision(client, organizations, csu_officer, outsider):
    decide = 'href="/organizations/hra/verification/"'
    client.force_login(csu_officer)
    assert decide in client.get("/organizations/hra/").content.decode()
    client.force_login(outsider)
    assert decide not in client.get("/organizations/hra/").content.decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Transparancy", ["Transparency International"]),
        ("transparency internatonal", ["Transparency International"]),
        ("workers", ["Transport Workers Union"]),
        ("procurement", ["Anti-Corruption Network"]),
        ("zebra", []),
    ],
)
def test_portable_search_of_the_embedded_default_finds_misspelt_names(organizations, text, expected):
    make_organization("Transparency International", "TI", country="DE")
    make_organization("Transport Workers Union", "TWU", country="GB")
    make_organization("Anti-Corruption Network", "ACN", description="We campaign for fair public procurement.")
    from organizations.selectors import search_organizations

    found = search_organizations(Organization.objects.order_by("name"), text, engine="sqlite")

    assert [organization.name for organization in found] == expected


def test_directory_offers_csu_the_export_of_the_current_filters(client, organizations, csu_officer, outsider):
    client.force_login(csu_officer)
    page = client.get(LIST_URL, {"kind": "ngo", "page": "1"}).content.decode()
    assert 'href="/organizations/export.csv?kind=ngo"' in page
    assert 'href="/organizations/export.xlsx?kind=ngo"' in page
    assert 'href="/organizations/import/"' in page
    client.force_login(outsider)
    assert "/organizations/export.csv" not in client.get(LIST_URL).content.decode()


def test_directory_filters_by_active_umbrella_membership(client, organizations, bodies):
    from umbrella.models import UmbrellaMembership

    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], status="active")
    UmbrellaMembership.objects.create(organization=organizations["b"], body=bodies["vngoc"], status="applied")
    UmbrellaMembership.objects.create(organization=organizations["b"], body=bodies["alliance"], status="active")

    assert listed(client.get(LIST_URL, {"umbrella": "vngoc"})) == ["Harm Reduction Alliance"]
    assert listed(client.get(LIST_URL, {"umbrella": "alliance"})) == ["Prison Reform Network"]
    response = client.get(LIST_URL, {"umbrella": "nowhere"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
