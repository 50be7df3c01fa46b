"""CSU's import and export of the directory: exact files, formula neutralisation, dry run, all or nothing, bad files."""

import csv
import datetime as dt
import io
import os
import tracemalloc

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from organizations.enums import EcosocStatus, OrganizationKind, VerificationState
from organizations.exports import COLUMNS
from organizations.imports import Outcome, load_preview
from organizations.models import Organization, ThematicArea
from organizations.regions import regional_group_for
from portal.models import ActivityLog
from tests.conftest import give_totp, make_user

pytestmark = pytest.mark.django_db

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") == "1"
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql" and not REQUIRE_SERVICES,
    reason="name similarity uses PostgreSQL's trigrams; SQLite compares names exactly",
)

EXPORT_CSV = "/organizations/export.csv"
EXPORT_XLSX = "/organizations/export.xlsx"
IMPORT = "/organizations/import/"
HEADER = ",".join(COLUMNS)
# 22 November 2026, 10:00 in Vienna.
TODAY = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def csu(client, csu_officer):
    """A client signed in as the CSU officer, with MFA set up so that staff pages open."""
    give_totp(csu_officer)
    client.force_login(csu_officer)
    return client


def organization(name: str, *, slug: str, country: str = "KE", **fields) -> Organization:
    fields.setdefault("verification_state", VerificationState.VERIFIED)
    return Organization.objects.create(name=name, slug=slug, headquarters_country=country, **fields)


def export_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def export_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(export_text(response).removeprefix("\ufeff"), newline="")))


def csv_file(text: str, *, name: str = "organizations.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list], *, name: str = "organizations.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    prefix = "/organizations/import/"
    assert response["Location"].startswith(prefix)
    return response["Location"][len(prefix):].rstrip("/")


def file_errors(response) -> list[str]:
    """The messages shown next to the file field."""
    return [str(error) for error in response.context["form"].errors.get("file", [])]


def summary(plans) -> list[tuple]:
    return [(plan.number, plan.outcome, plan.target_slug, plan.reasons) for plan in plans]


# --- Export: content -------------------------------------------------------------------------------


@pytest.fixture
def exported(db):
    drug_policy = ThematicArea.objects.get(slug="drug-policy")
    gender = ThematicArea.objects.get(slug="gender")
    hra = organization(
        "Harm Reduction Alliance", slug="hra", acronym="HRA", name_en="Harm Reduction Alliance",
        kind=OrganizationKind.NGO, countries_of_work=["KE", "TZ"], website="https://hra.example",
        email="info@hra.example", phone="+254 20 123456", address="Nairobi", year_founded=1998,
        description="Harm reduction in East Africa.", ecosoc_status=EcosocStatus.SPECIAL, ecosoc_year=2010,
    )
    hra.thematic_areas.set([gender, drug_policy])
    organization(
        "Fundación Andina", slug="fundacion-andina", country="PE", kind=OrganizationKind.FOUNDATION,
        acronym="FA", acronym_en="AF", name_en="Andean Foundation",
        verification_state=VerificationState.PENDING,
    )
    return hra


def test_export_csv_lists_every_column_of_each_organization_exactly(csu, exported):
    with time_machine.travel(TODAY, tick=False):
        response = csu.get(EXPORT_CSV)

    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200, "text/csv; charset=utf-8", 'attachment; filename="organizations-2026-11-22.csv"',
    )
    text = export_text(response)
    assert text.startswith("\ufeff")  # the byte-order mark tells Excel the file is UTF-8
    assert text.removeprefix("\ufeff").split("\r\n") == [
        HEADER,
        "Fundación Andina,Andean Foundation,FA,AF,foundation,PE,,latin_american_caribbean,,,,,,,,none,,pending,fundacion-andina",
        "Harm Reduction Alliance,Harm Reduction Alliance,HRA,,ngo,KE,KE;TZ,african,https://hra.example,info@hra.example,"
        "'+254 20 123456,Nairobi,1998,Harm reduction in East Africa.,drug-policy;gender,special,2010,verified,hra",
        "",
    ]


def test_export_csv_keeps_the_directory_filters(csu, exported):
    response = csu.get(EXPORT_CSV, {"kind": "foundation"})

    assert [row[0] for row in export_rows(response)] == ["name", "Fundación Andina"]


def test_export_csv_keeps_the_directory_search(csu, exported):
    response = csu.get(EXPORT_CSV, {"q": "Andina"})

    assert [row[-1] for row in export_rows(response)] == ["slug", "fundacion-andina"]


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_export_csv_neutralises_a_cell_starting_with_a_formula_trigger(csu, trigger):
    organization(f"{trigger}HYPERLINK(\"http://evil.example\")", slug="evil", description=f"{trigger}1+1")

    rows = export_rows(csu.get(EXPORT_CSV))

    row = dict(zip(rows[0], rows[1]))
    assert (row["name"], row["description"]) == (f"'{trigger}HYPERLINK(\"http://evil.example\")", f"'{trigger}1+1")


def test_export_xlsx_is_a_workbook_with_the_same_cells_neutralised(csu, exported):
    organization("=cmd|' /C calc'!A0", slug="evil", description="@SUM(1+1)", phone="-1")
    with time_machine.travel(TODAY, tick=False):
        response = csu.get(EXPORT_XLSX)

    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        'attachment; filename="organizations-2026-11-22.xlsx"',
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == ["'=cmd|' /C calc'!A0", "Fundación Andina", "Harm Reduction Alliance"]
    evil = dict(zip(COLUMNS, rows[1]))
    assert (evil["description"], evil["phone"]) == ("'@SUM(1+1)", "'-1")
    # Text, not formulas: no cell of the sheet holds a formula.
    assert {cell.data_type for row in sheet.iter_rows() for cell in row if cell.value is not None} == {"s", "n"}
    hra = dict(zip(COLUMNS, rows[3]))
    assert (hra["year_founded"], hra["ecosoc_year"], hra["thematic_areas"]) == (1998, 2010, "drug-policy;gender")


def test_export_of_an_unknown_format_is_404(csu):
    assert csu.get("/organizations/export.pdf").status_code == 404


def test_export_is_logged_with_its_format_filters_and_row_count(csu, csu_officer, exported):
    export_text(csu.get(EXPORT_CSV, {"kind": "foundation"}))
    b"".join(csu.get(EXPORT_XLSX).streaming_content)

    entries = ActivityLog.objects.filter(action="organizations.directory.exported").order_by("pk")
    assert [(entry.actor, entry.new_values) for entry in entries] == [
        (csu_officer, {"format": "csv", "filters": "kind=foundation", "rows": 1}),
        (csu_officer, {"format": "xlsx", "filters": "", "rows": 2}),
    ]


# --- Who may import and export -----------------------------------------------------------------------

CSU_PAGES = [EXPORT_CSV, EXPORT_XLSX, IMPORT, "/organizations/import/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"]


@pytest.mark.parametrize("url", CSU_PAGES)
def test_csu_pages_do_not_exist_for_focal_points_coordinators_and_outsiders(client, url, focal_points, coordinators, outsider):
    coordinator = coordinators["vngoc"]
    give_totp(coordinator)  # else the MFA guard stops the coordinator before the page does
    for person in [focal_points["a"], focal_points["b"], coordinator, outsider]:
        client.force_login(person)
        assert (person.email, client.get(url).status_code) == (person.email, 404)
    assert ActivityLog.objects.filter(action="organizations.directory.exported").count() == 0


@pytest.mark.parametrize("url", CSU_PAGES)
def test_csu_pages_send_the_public_to_sign_in(client, url):
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url", CSU_PAGES)
def test_csu_pages_send_csu_without_mfa_to_totp_setup(client, csu_officer, url):
    client.force_login(csu_officer)

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")


# --- Export at scale ---------------------------------------------------------------------------------

MANY = 20_000
# Exporting 20,000 organizations must peak under this much Python memory (tracemalloc), in
# either format; loading them all at once (a list of model instances) takes far more.
PEAK_BOUND = 10 * 1024 * 1024


def _many_organizations(count=MANY):
    areas = list(ThematicArea.objects.all()[:3])
    Organization.objects.bulk_create(
        [
            Organization(
                name=f"Organization number {number:05d}",
                slug=f"organization-{number:05d}",
                acronym=f"ON{number}",
                headquarters_country=country,
                regional_group=regional_group_for(country),
                countries_of_work=[country, "AT"],
                website=f"https://org{number}.example",
                email=f"info@org{number}.example",
                description="Works on drug policy and criminal justice reform. " * 4,
                verification_state=VerificationState.VERIFIED,
            )
            for number, country in zip(range(count), ["KE", "BR", "FR", "IN", "PL"] * (count // 5), strict=True)
        ],
        batch_size=2000,
    )
    links = Organization.thematic_areas.through
    links.objects.bulk_create(
        [links(organization_id=pk, thematicarea_id=areas[pk % 3].pk) for pk in Organization.objects.values_list("pk", flat=True)],
        batch_size=5000,
    )


def _traced_peak(consume) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = consume()
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def test_csv_export_of_20000_organizations_streams_with_flat_memory(csu):
    _many_organizations()
    # Once untraced: the first request imports modules, which is memory too, but not the export's.
    b"".join(csu.get(EXPORT_CSV, {"q": "no such organization"}).streaming_content)

    peak, lines = _traced_peak(
        lambda: sum(chunk.count(b"\r\n") for chunk in csu.get(EXPORT_CSV).streaming_content)
    )

    print(f"\nCSV export of {MANY:,} organizations, peak Python memory: {peak / 2**20:.1f} MiB")
    assert lines == MANY + 1  # the header and every organization, no more, no less
    assert peak < PEAK_BOUND
    entry = ActivityLog.objects.get(action="organizations.directory.exported", new_values__filters="")
    assert (entry.new_values["format"], entry.new_values["rows"]) == ("csv", MANY)


def test_xlsx_export_memory_does_not_grow_with_the_number_of_organizations(csu):
    # XLSX is built row by row into a temporary file (openpyxl's write-only mode) and streamed
    # from it. Only openpyxl's table of distinct strings stays in memory: under 1 KB a row.
    b"".join(csu.get(EXPORT_XLSX, {"q": "no such organization"}).streaming_content)
    peaks = {}
    for count in (1_000, 5_000):
        Organization.objects.all().delete()
        _many_organizations(count)
        peak, xlsx = _traced_peak(lambda: b"".join(csu.get(EXPORT_XLSX).streaming_content))
        peaks[count] = peak - len(xlsx)

    print(f"\nXLSX export peak Python memory beyond the file: {peaks[1_000] / 2**20:.1f} MiB at 1,000, {peaks[5_000] / 2**20:.1f} MiB at 5,000")
    assert sum(1 for _row in load_workbook(io.BytesIO(xlsx), read_only=True).worksheets[0].iter_rows()) == 5_000 + 1
    assert peaks[5_000] - peaks[1_000] < 4_000 * 1024
    assert peaks[5_000] < PEAK_BOUND


# --- Import: the dry run ---------------------------------------------------------------------------------


@pytest.fixture
def existing(db):
    """Two organizations a file can meet: HRA (slug, website) and PRN (name and country)."""
    return {
        "hra": organization(
            "Harm Reduction Alliance", slug="hra", acronym="HRA", website="https://www.hra.example/", kind=OrganizationKind.NGO
        ),
        "prn": organization("Prison Reform Network", slug="prn", country="BR", acronym="PRN", kind=OrganizationKind.NETWORK),
    }


CLASSIFIED = "\r\n".join(
    [
        "name,headquarters_country,kind,acronym,website,description,slug",
        "Harm Reduction Alliance,KE,ngo,HRA,,Harm reduction in East Africa.,hra",  # 2: update by slug
        "Prison Reform Network,br,Network or coalition,,,,",  # 3: same name and country, nothing new
        "HRA Kenya,KE,ngo,,http://hra.example/about,,",  # 4: HRA again, by its website
        "Youth Drug Forum,UG,ngo,PRN,https://ydf.example,,",  # 5: new, but PRN's acronym
        "Acme Trading Ltd,KE,business,,,,",  # 6
        "Nowhere Society,XX,ngo,,,,",  # 7
        "Bad Link Society,KE,ngo,,not a link,,",  # 8
        "N" * 10_000 + ",KE,ngo,,,,",  # 9
        "Juventud sin Drogas,Mexico,foundation,JSD,,Prevención,",  # 10: new, a country by name
    ]
)


def test_import_dry_run_writes_nothing(csu, existing):
    before = (Organization.objects.count(), ActivityLog.objects.count(), list(Organization.objects.values().order_by("pk")))

    response = csu.post(IMPORT, {"file": csv_file(CLASSIFIED)})

    token_of(response)
    assert (Organization.objects.count(), ActivityLog.objects.count(), list(Organization.objects.values().order_by("pk"))) == before


def test_import_preview_classifies_each_row(csu, csu_officer, existing):
    token = token_of(csu.post(IMPORT, {"file": csv_file(CLASSIFIED)}))

    plans = load_preview(token, user=csu_officer).plans
    assert summary(plans) == [
        (2, Outcome.UPDATE, "hra", []),
        (3, Outcome.UNCHANGED, "prn", []),
        (4, Outcome.REFUSE, "hra", ["Row 2 of this file already imports this organization."]),
        (5, Outcome.CREATE, "", []),
        (6, Outcome.REFUSE, "", ["kind: A business is not a civil-society organization."]),
        (7, Outcome.REFUSE, "", ["headquarters_country: “XX” is not a country code (two letters, ISO 3166, e.g. KE for Kenya)."]),
        (8, Outcome.REFUSE, "", ["website: Enter a valid URL."]),
        (9, Outcome.REFUSE, "", ["name: Ensure this value has at most 300 characters (it has 10000)."]),
        (10, Outcome.CREATE, "", []),
    ]
    assert plans[0].changes == {"description": ["", "Harm reduction in East Africa."]}
    assert [(plan.number, plan.looks_like) for plan in plans if plan.looks_like and plan.number != 9] == [
        (5, [{"name": "Prison Reform Network", "slug": "prn", "reasons": ["same acronym"]}]),
    ]
    assert (plans[8].values["headquarters_country"], plans[8].values["verification_state"]) == ("MX", "verified")


def test_import_preview_page_shows_outcomes_reasons_and_look_alikes(csu, existing):
    response = csu.get(reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file(CLASSIFIED)}))]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "9 rows in the file: 2 to create, 1 to update, 1 without changes, 5 refused." in " ".join(text.split())
    assert '<label for="id_skip_refused"><input type="checkbox" name="skip_refused"' in text
    assert "Skip the 5 refused rows</label>" in text
    assert "<li>kind: A business is not a civil-society organization.</li>" in text
    assert '<a href="/organizations/prn/">Prison Reform Network</a> (same acronym)' in text
    assert "Import 3 organizations</button>" in text
    assert "<script>" not in text and "style=" not in text


@needs_postgres
def test_import_preview_finds_similar_names_with_trigrams(csu, csu_officer, existing):
    token = token_of(csu.post(IMPORT, {"file": csv_file("name,headquarters_country,kind\r\nHarm Reduction Aliance,UG,ngo\r\n")}))

    plan = load_preview(token, user=csu_officer).plans[0]
    assert (plan.outcome, [(other["slug"], other["reasons"][0][:13]) for other in plan.looks_like]) == (
        Outcome.CREATE, [("hra", "similar name ")],
    )


def test_import_preview_finds_the_same_name_in_another_case(csu, csu_officer, existing):
    token = token_of(csu.post(IMPORT, {"file": csv_file("name,headquarters_country,kind\r\nHARM reduction alliance,UG,ngo\r\n")}))

    plan = load_preview(token, user=csu_officer).plans[0]
    # PostgreSQL's trigrams call it similar; SQLite's fallback compares names exactly.
    reason = "similar name (100%)" if connection.vendor == "postgresql" else "same name"
    assert (plan.outcome, [(alike["slug"], alike["reasons"][:1]) for alike in plan.looks_like]) == (Outcome.CREATE, [("hra", [reason])])


def test_import_reads_semicolons_a_byte_order_mark_and_xlsx(csu, csu_officer):
    semicolons = "\ufeffname;headquarters_country;kind;countries_of_work\r\nCafé Solidaire;FR;ngo;FR,BE\r\n"
    workbook = xlsx_file([["name", "headquarters_country", "kind", "year_founded"], ["Café Solidaire", "FR", "ngo", 1998]])

    plans = [
        load_preview(token_of(csu.post(IMPORT, {"file": file})), user=csu_officer).plans[0]
        for file in [csv_file(semicolons), workbook]
    ]

    assert [(plan.outcome, plan.values["name"], plan.values["countries_of_work"], plan.values["year_founded"]) for plan in plans] == [
        (Outcome.CREATE, "Café Solidaire", ["BE", "FR"], None),
        (Outcome.CREATE, "Café Solidaire", [], 1998),
    ]


# --- Import: confirming ------------------------------------------------------------------------------------

GOOD = "\r\n".join(
    [
        "name,headquarters_country,kind,acronym,website,thematic_areas,ecosoc_status,ecosoc_year,slug",
        "Harm Reduction Alliance,KE,ngo,HRA,,drug-policy;Gender,special,2012,hra",
        "Youth Drug Forum,UG,ngo,YDF,https://ydf.example,youth,,,",
        "Red Latinoamericana,MX,network,,,,,,",
        "",
    ]
)


def test_import_confirm_writes_every_row_and_logs_each(csu, csu_officer, existing):
    token = token_of(csu.post(IMPORT, {"file": csv_file(GOOD, name="curated.csv")}))

    response = csu.post(reverse("organizations:import_preview", args=[token]))

    assert (response.status_code, response["Location"]) == (302, "/organizations/")
    created = Organization.objects.exclude(pk__in=[existing["hra"].pk, existing["prn"].pk]).order_by("name")
    assert [
        (o.name, o.slug, o.headquarters_country.code, o.regional_group, o.verification_state, sorted(o.thematic_areas.values_list("slug", flat=True)))
        for o in created
    ] == [
        ("Red Latinoamericana", "red-latinoamericana", "MX", "latin_american_caribbean", "verified", []),
        ("Youth Drug Forum", "ydf", "UG", "african", "verified", ["youth"]),
    ]
    hra = Organization.objects.get(slug="hra")
    assert (hra.ecosoc_status, hra.ecosoc_year, sorted(hra.thematic_areas.values_list("slug", flat=True))) == (
        "special", 2012, ["drug-policy", "gender"],
    )
    entries = ActivityLog.objects.filter(action__startswith="organizations.").order_by("pk")
    assert [(entry.action, entry.object_repr, entry.note) for entry in entries] == [
        ("organizations.organization.import_updated", "Harm Reduction Alliance (HRA)", "curated.csv, row 2"),
        ("organizations.organization.imported", "Youth Drug Forum (YDF)", "curated.csv, row 3"),
        ("organizations.organization.imported", "Red Latinoamericana", "curated.csv, row 4"),
        ("organizations.directory.imported", "", ""),
    ]
    assert {entry.actor for entry in entries} == {csu_officer}
    assert (entries[0].old_values, entries[0].new_values) == (
        {"ecosoc_status": "none", "ecosoc_year": None, "thematic_areas": ""},
        {"ecosoc_status": "special", "ecosoc_year": 2012, "thematic_areas": "drug-policy;gender"},
    )
    assert entries[1].new_values == {
        "name": "Youth Drug Forum", "name_en": "", "acronym": "YDF", "acronym_en": "", "kind": "ngo",
        "headquarters_country": "UG", "countries_of_work": "", "website": "https://ydf.example", "email": "",
        "phone": "", "address": "", "year_founded": None, "description": "", "thematic_areas": "youth",
        "ecosoc_status": "none", "ecosoc_year": None, "verification_state": "verified", "slug": "ydf",
    }
    assert entries[3].new_values == {"file": "curated.csv", "rows": 3, "created": 2, "updated": 1, "skipped": 0}


def test_import_confirm_cannot_run_twice(csu, existing):
    url = reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file(GOOD)}))])
    csu.post(url)
    count = Organization.objects.count()

    response = csu.post(url, follow=True)

    assert response.redirect_chain == [(IMPORT, 302)]
    assert "This import preview has expired (a preview is kept for one hour) or was already imported. Upload the file again." in response.content.decode()
    assert Organization.objects.count() == count


def test_import_with_a_refused_row_needs_the_skip_box_then_imports_the_rest(csu, existing):
    text = GOOD + "Acme Trading Ltd,KE,business,,,,,,\r\n"
    url = reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file(text)}))])
    count = Organization.objects.count()

    unticked = csu.post(url)

    assert unticked.status_code == 200
    assert [str(error) for error in unticked.context["form"].errors["skip_refused"]] == [
        "Tick this box to import the other rows without the refused one, or correct the file and upload it again."
    ]
    assert '<ul class="field-errors" id="id_skip_refused_error">' in unticked.content.decode()
    assert Organization.objects.count() == count

    ticked = csu.post(url, {"skip_refused": "on"}, follow=True)

    assert ticked.redirect_chain == [("/organizations/", 302)]
    assert "Imported “organizations.csv”. Organizations created: 2; updated: 1. Refused rows skipped: 1." in ticked.content.decode()
    assert Organization.objects.count() == count + 2
    assert not Organization.objects.filter(name="Acme Trading Ltd").exists()


def test_import_writes_nothing_when_a_row_became_invalid_since_the_preview(csu, csu_officer, existing):
    url = reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file(GOOD)}))])
    ThematicArea.objects.filter(slug="youth").delete()
    before = (Organization.objects.count(), ActivityLog.objects.count(), Organization.objects.get(slug="hra").ecosoc_status)

    response = csu.post(url)

    assert response.status_code == 409
    assert [str(difference) for difference in response.context["differences"]] == [
        "Row 3 would now be refused: thematic_areas: Unknown thematic areas: youth. Known: " + ", ".join(
            sorted(ThematicArea.objects.values_list("slug", flat=True))
        ) + "."
    ]
    assert "Nothing was imported: the directory changed since this preview" in response.content.decode()
    assert (Organization.objects.count(), ActivityLog.objects.count(), Organization.objects.get(slug="hra").ecosoc_status) == before
    # The preview now shows the row refused: confirming asks to skip it.
    assert load_preview(url.split("/")[-2], user=csu_officer).plans[1].outcome == Outcome.REFUSE


def test_import_of_an_export_changes_nothing(csu, csu_officer, exported):
    exported_csv = export_text(csu.get(EXPORT_CSV))
    organization("=HYPERLINK(1)", slug="formula", phone="+43 1 26060")
    exported_csv = export_text(csu.get(EXPORT_CSV))

    token = token_of(csu.post(IMPORT, {"file": csv_file(exported_csv)}))

    assert [plan.outcome for plan in load_preview(token, user=csu_officer).plans] == [Outcome.UNCHANGED] * 3


def test_import_update_keeps_verification_and_says_so(csu, csu_officer, existing):
    text = "name,headquarters_country,kind,verification_state,slug\r\nHarm Reduction Alliance,KE,ngo,rejected,hra\r\n"

    plan = load_preview(token_of(csu.post(IMPORT, {"file": csv_file(text)})), user=csu_officer).plans[0]

    assert (plan.outcome, plan.notes) == (
        Outcome.UNCHANGED,
        ["Verification stays “Verified”: an import does not verify, reject or archive; the review queue does."],
    )


# --- Import: files it refuses ---------------------------------------------------------------------------------


WRONG_HEADER = [
    "The header row has unknown columns: country, colour. The columns a file may have are: " + ", ".join(COLUMNS) + ".",
    "The header row lacks required columns: headquarters_country. Every file needs: name, headquarters_country, kind.",
]


def test_import_refuses_a_wrong_header_with_every_problem(csu, existing):
    before = (Organization.objects.count(), ActivityLog.objects.count())

    response = csu.post(IMPORT, {"file": csv_file("name,country,kind,colour,kind\r\nHRA,KE,ngo,red,ngo\r\n")})

    assert (response.status_code, file_errors(response)) == (
        200, [WRONG_HEADER[0], "The header row names these columns twice: kind.", WRONG_HEADER[1]],
    )
    assert (Organization.objects.count(), ActivityLog.objects.count()) == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv_file("name,headquarters_country,kind,colour\r\nHRA,KE,ngo,red\r\n"), WRONG_HEADER[0].replace("country, colour", "colour")),
        (csv_file("name,kind\r\nHRA,ngo\r\n"), WRONG_HEADER[1]),
        (
            csv_file("name,headquarters_country,kind\r\nCafé Solidaire,FR,ngo\r\n", encoding="latin-1"),
            "The file is not in UTF-8, so its accented letters cannot be read. In Excel, save it with “Save as” and the type "
            "“CSV UTF-8 (Comma delimited)”, or upload it as XLSX.",
        ),
        (csv_file(""), "The file is empty."),
        (csv_file("\r\n ,  \r\n"), "The file is empty."),
        (csv_file("name,headquarters_country,kind\r\n"), "The file has a header row but no organizations below it."),
        (csv_file("x" * (5 * 1024 * 1024 + 1)), "The file is larger than 5 MB. Split it into smaller files."),
        (
            csv_file("name,headquarters_country,kind\r\n" + "Org,KE,ngo\r\n" * 5001),
            "The file has more than 5,000 rows. Split it into smaller files.",
        ),
        (SimpleUploadedFile("report.pdf", b"%PDF-1.4 ..."), "“report.pdf” is not a CSV or XLSX file. Upload a CSV (UTF-8) or XLSX file."),
        (
            SimpleUploadedFile("organizations.xlsx", b"PK\x03\x04 not really a workbook"),
            "This XLSX file cannot be read. Save it again from your spreadsheet program, or save it as “CSV UTF-8”.",
        ),
        (csv_file("name,headquarters_country,kind\r\n\x00\x01binary,KE,ngo\r\n"), "This file is not a CSV text file. Upload a CSV (UTF-8) or XLSX file."),
    ],
    ids=["unknown-columns", "missing-column", "not-utf8", "empty", "blank", "header-only", "over-5-mb", "over-5000-rows", "pdf", "broken-xlsx", "binary"],
)
def test_import_refuses_a_bad_file_beside_the_field_and_changes_nothing(csu, existing, upload, message):
    before = (Organization.objects.count(), ActivityLog.objects.count())

    response = csu.post(IMPORT, {"file": upload})

    assert (response.status_code, file_errors(response)) == (200, [message])
    text = response.content.decode()
    assert '<ul class="field-errors" id="id_file_error">' in text
    assert 'class="error-summary"' in text
    assert (Organization.objects.count(), ActivityLog.objects.count()) == before


def test_import_without_a_file_asks_for_one(csu):
    response = csu.post(IMPORT, {})

    assert (response.status_code, file_errors(response)) == (200, ["Choose the CSV or XLSX file to import."])


def test_import_upload_page_labels_its_field_and_shows_no_inline_code(csu):
    text = csu.get(IMPORT).content.decode()

    assert '<label for="id_file">CSV or XLSX file</label>' in text
    assert 'enctype="multipart/form-data"' in text
    assert "Check the file</button>" in text
    assert "<script>" not in text and "style=" not in text


# --- Import: the preview's address ------------------------------------------------------------------------------


def test_import_preview_of_another_officer_is_404(client, csu, existing):
    token = token_of(csu.post(IMPORT, {"file": csv_file(GOOD)}))
    colleague = make_user("colleague@unodc.test")
    colleague.groups.add(Group.objects.get(name=settings.CSU_STAFF_GROUP))
    give_totp(colleague)
    client.force_login(colleague)

    url = reverse("organizations:import_preview", args=[token])
    assert (client.get(url).status_code, client.post(url, {"skip_refused": "on"}).status_code) == (404, 404)
    assert Organization.objects.count() == 2


def test_import_preview_expires_after_an_hour(csu, existing):
    with time_machine.travel(TODAY, tick=False) as traveller:
        url = reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file(GOOD)}))])
        traveller.shift(dt.timedelta(minutes=59))
        assert csu.get(url).status_code == 200
        traveller.shift(dt.timedelta(minutes=2))

        response = csu.post(url, follow=True)

    assert response.redirect_chain == [(IMPORT, 302)]
    assert "This import preview has expired (a preview is kept for one hour) or was already imported. Upload the file again." in response.content.decode()
    assert Organization.objects.count() == 2


@needs_postgres
def test_import_preview_falls_back_to_exact_names_when_similarity_runs_out_of_time(csu, csu_officer, existing, monkeypatch):
    monkeypatch.setattr("organizations.imports.SIMILARITY_TIME_BUDGET", 0)
    text = "name,headquarters_country,kind\r\nHarm Reduction Aliance,UG,ngo\r\nharm reduction alliance,UG,ngo\r\n"
    token = token_of(csu.post(IMPORT, {"file": csv_file(text)}))

    plans = load_preview(token, user=csu_officer).plans
    assert [(plan.names_compared, plan.looks_like) for plan in plans] == [
        (False, []),
        (False, [{"name": "Harm Reduction Alliance", "slug": "hra", "reasons": ["same name"]}]),
    ]
    page = csu.get(reverse("organizations:import_preview", args=[token])).content.decode()
    assert "The search for similar names ran out of time: 2 rows were compared with the directory by exact name, acronym and website only." in " ".join(page.split())


# --- Queries do not grow with rows ---------------------------------------------------------------------------------


def _queries(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_export_uses_as_many_queries_for_50_organizations_as_for_1(csu):
    organization("Only One", slug="only-one")
    one = [_queries(csu, url) for url in (EXPORT_CSV, EXPORT_XLSX)]
    for number in range(49):
        organization(f"Organization {number}", slug=f"organization-{number}").thematic_areas.set(ThematicArea.objects.all()[:2])

    assert [_queries(csu, url) for url in (EXPORT_CSV, EXPORT_XLSX)] == one


def test_import_preview_uses_as_many_queries_for_50_rows_as_for_1(csu):
    row = "Org {},KE,ngo"
    urls = [
        reverse("organizations:import_preview", args=[token_of(csu.post(IMPORT, {"file": csv_file("\r\n".join(["name,headquarters_country,kind", *(row.format(n) for n in range(count))]))}))])
        for count in (1, 50)
    ]

    assert _queries(csu, urls[0]) == _queries(csu, urls[1])
