"""CSU's import of organizations from CSV or XLSX: read the file, plan every row, then apply all of it or nothing.

Three steps, each its own function:

1. `read_import_file` turns an upload into a table (header checked, at most MAX_ROWS rows)
   or refuses the file with a message for CSU.
2. `plan_import` decides per row what would happen (create, update, no change, refuse with
   the reasons) and which existing organizations a row looks like. It writes nothing.
3. `apply_import` plans again inside one transaction and writes only if every row still
   has the outcome CSU confirmed; otherwise it raises ImportOutdated and writes nothing.

Between steps 2 and 3 the table and its plan wait in the cache (`store_preview`), for
PREVIEW_LIFETIME seconds, under a random token that only the uploader may use.
"""

import csv
import io
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries
from openpyxl import load_workbook

from portal.models import User
from portal.services import log_activity

from .caching import forget_directory
from .duplicates import NAME_SIMILARITY, website_domain
from .enums import BUSINESS, EcosocStatus, OrganizationKind, VerificationState
from .exports import COLUMNS, FORMULA_TRIGGERS, LIST_SEPARATOR
from .models import Organization, OrganizationRedirect, ThematicArea

# organizations.services is imported where it is used: it reads the reserved slugs from urls.py,
# whose views import this module.

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED_COLUMNS = ("name", "headquarters_country", "kind")
# The fields an import writes. The other columns of an export are accepted so that an export
# imports again: `slug` finds the organization, `regional_group` follows from the country.
IMPORTED_FIELDS = tuple(column for column in COLUMNS if column not in ("slug", "regional_group"))
MULTI_VALUE_FIELDS = ("countries_of_work", "thematic_areas")
PREVIEW_LIFETIME = 60 * 60
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Web addresses on these hosts are one page among millions: only the whole address tells
# two organizations apart, never the domain alone.
SHARED_WEBSITE_HOSTS = frozenset(
    "facebook.com m.facebook.com instagram.com linkedin.com twitter.com x.com youtube.com "
    "sites.google.com t.me wa.me linktr.ee".split()
)
LOOKS_LIKE_LIMIT = 3
# Comparing names by similarity: at most this many candidates per name, this many names per
# query, and this many seconds for the whole file (a web request must not time out).
SIMILAR_CANDIDATES = 50
SIMILARITY_BATCH = 50
SIMILARITY_TIME_BUDGET = 8.0


# --- 1. Reading the file --------------------------------------------------------------------------


@dataclass
class ImportRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]
    extra_cells: int = 0  # non-empty cells beyond the header's columns


@dataclass
class ImportTable:
    file_name: str
    columns: list[str]
    rows: list[ImportRow]


def read_import_file(upload) -> ImportTable:
    """Read an uploaded CSV (UTF-8, comma or semicolon) or XLSX (first sheet) file.

    Raises ValidationError with messages meant for CSU when the file cannot be imported as a
    whole: too large, not CSV or XLSX, not UTF-8, empty, a wrong header, too many rows.
    """
    name = Path(upload.name or "").name
    if upload.size > MAX_FILE_SIZE:
        raise ValidationError(
            _("The file is larger than %(size)s MB. Split it into smaller files.") % {"size": MAX_FILE_SIZE // (1024 * 1024)},
            code="too_large",
        )
    suffix = Path(name).suffix.lower()
    if suffix not in {".csv", ".txt", ".xlsx"}:
        raise ValidationError(
            _("“%(name)s” is not a CSV or XLSX file. Upload a CSV (UTF-8) or XLSX file.") % {"name": name},
            code="wrong_type",
        )
    content = upload.read()
    if not content.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    # By content, not name: a workbook is a ZIP archive, whatever it is called.
    records = _xlsx_records(content) if content.startswith(b"PK\x03\x04") else _csv_records(content)
    return _table(records, file_name=name)


def _csv_records(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _(
                "The file is not in UTF-8, so its accented letters cannot be read. In Excel, save it "
                "with “Save as” and the type “CSV UTF-8 (Comma delimited)”, or upload it as XLSX."
            ),
            code="encoding",
        ) from None
    if "\x00" in text:
        raise ValidationError(_("This file is not a CSV text file. Upload a CSV (UTF-8) or XLSX file."), code="wrong_type")
    header_line = text.split("\n", 1)[0]
    try:
        # The header alone decides: names of columns hold no commas or semicolons of their own.
        delimiter = csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise ValidationError(
            _("Row %(number)s cannot be read as CSV (%(error)s).") % {"number": reader.line_num, "error": error},
            code="broken_csv",
        ) from None


def _xlsx_records(content: bytes) -> Iterator[list[str]]:
    unreadable = ValidationError(
        _("This XLSX file cannot be read. Save it again from your spreadsheet program, or save it as “CSV UTF-8”."),
        code="broken_xlsx",
    )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen unrelated types for a damaged or foreign file
        raise unreadable from None
    try:
        if not workbook.worksheets:
            return
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except ValidationError:
        raise
    except Exception:
        raise unreadable from None
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year typed in a spreadsheet arrives as 1998.0
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _clean_cell(value: str) -> str:
    value = value.strip()
    # Undo the export's protection against formulas, so that an export imports again unchanged.
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
        value = value[1:].strip()
    return value


def _column_name(cell: str) -> str:
    """'Headquarters country ' -> 'headquarters_country'."""
    return "_".join(cell.lower().split())


def _table(records: Iterator[list[str]], *, file_name: str) -> ImportTable:
    columns: list[str] | None = None
    rows: list[ImportRow] = []
    for number, raw_cells in enumerate(records, start=1):
        cells = [_clean_cell(cell) for cell in raw_cells]
        if not any(cells):
            continue
        if columns is None:
            columns = _check_header(cells)
            continue
        if len(rows) == MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(limit)s rows. Split it into smaller files.") % {"limit": f"{MAX_ROWS:,}"},
                code="too_many_rows",
            )
        rows.append(
            ImportRow(
                number=number,
                cells={column: cells[index] if index < len(cells) else "" for index, column in enumerate(columns)},
                extra_cells=sum(1 for cell in cells[len(columns):] if cell),
            )
        )
    if columns is None:
        raise ValidationError(_("The file is empty."), code="empty")
    if not rows:
        raise ValidationError(_("The file has a header row but no organizations below it."), code="no_rows")
    return ImportTable(file_name=file_name, columns=columns, rows=rows)


def _check_header(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    columns = [_column_name(cell) for cell in cells]
    errors = []
    unnamed = [str(index) for index, column in enumerate(columns, start=1) if not column]
    if unnamed:
        errors.append(_("These columns of the header row have no name: %(columns)s.") % {"columns": ", ".join(unnamed)})
    unknown = [column for column in columns if column and column not in COLUMNS]
    if unknown:
        errors.append(
            _("The header row has unknown columns: %(unknown)s. The columns a file may have are: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(COLUMNS)}
        )
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        errors.append(_("The header row names these columns twice: %(columns)s.") % {"columns": ", ".join(repeated)})
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        errors.append(
            _("The header row lacks required columns: %(missing)s. Every file needs: %(required)s.")
            % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS)}
        )
    if errors:
        raise ValidationError(errors, code="wrong_header")
    return columns


# --- 2. Planning each row ----------------------------------------------------------------------------


class Outcome(models.TextChoices):
    CREATE = "create", gettext_lazy("Create")
    UPDATE = "update", gettext_lazy("Update")
    UNCHANGED = "unchanged", gettext_lazy("No change")
    REFUSE = "refuse", gettext_lazy("Refuse")


@dataclass
class RowPlan:
    """What importing one row would do. Plain data only: it waits in the cache between the steps."""

    number: int
    name: str
    outcome: str = Outcome.REFUSE
    reasons: list[str] = field(default_factory=list)  # why it is refused
    notes: list[str] = field(default_factory=list)  # what CSU should know although it is imported
    target_id: int | None = None  # the organization it updates
    target_name: str = ""
    target_slug: str = ""
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field: [old, new] of an update
    values: dict[str, Any] = field(default_factory=dict)  # every field of a new organization
    slug_hint: str = ""  # the slug the file asks for a new organization
    looks_like: list[dict[str, Any]] = field(default_factory=list)  # {"name", "slug", "reasons"}
    names_compared: bool = True  # False when the comparison of similar names ran out of time

    @property
    def writes(self) -> bool:
        return self.outcome in (Outcome.CREATE, Outcome.UPDATE)

    def get_outcome_display(self) -> str:
        return Outcome(self.outcome).label


def _choice(enum: type[models.TextChoices], text: str) -> str:
    """A choice's value from its value or its English label, in any case: 'Special' -> 'special'."""
    wanted = text.strip().lower()
    for value, label in enum.choices:
        if wanted in (value.lower(), str(label).lower()):
            return value
    return wanted


def _split(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[;,]", text) if item.strip()]


class ImportRowForm(forms.ModelForm):
    """One row of an import file, validated as the organization it would become.

    Text comes as it stands in the cells; several values in a cell are separated by semicolons.
    The model's own field validation applies on top (lengths, URL, e-mail, year ranges).
    """

    kind = forms.CharField()
    headquarters_country = forms.CharField()
    countries_of_work = forms.CharField(required=False)
    thematic_areas = forms.CharField(required=False)
    ecosoc_status = forms.CharField()
    verification_state = forms.CharField()

    class Meta:
        model = Organization
        fields = IMPORTED_FIELDS

    def __init__(self, *args, thematic_areas: dict[str, ThematicArea], **kwargs):
        super().__init__(*args, **kwargs)
        self.known_areas = thematic_areas

    def clean_kind(self) -> str:
        if self.cleaned_data["kind"].strip().lower() in (BUSINESS, "company", "private company"):
            raise ValidationError(_("A business is not a civil-society organization."), code="business")
        kind = _choice(OrganizationKind, self.cleaned_data["kind"])
        if kind not in OrganizationKind.values:
            raise ValidationError(
                _("“%(value)s” is not a kind of organization. Kinds: %(kinds)s.")
                % {"value": self.cleaned_data["kind"], "kinds": ", ".join(OrganizationKind.values)},
                code="invalid_choice",
            )
        return kind

    def _country(self, text: str) -> str:
        code = text.strip().upper()
        if code in countries:
            return code
        # A country's English name is accepted too ("Kenya"); codes are what the export writes.
        code = countries.by_name(text.strip())
        if code:
            return code
        raise ValidationError(
            _("“%(value)s” is not a country code (two letters, ISO 3166, e.g. KE for Kenya).") % {"value": text},
            code="invalid_country",
        )

    def clean_headquarters_country(self) -> str:
        return self._country(self.cleaned_data["headquarters_country"])

    def clean_countries_of_work(self) -> list[str]:
        codes, errors = [], []
        for text in _split(self.cleaned_data["countries_of_work"]):
            try:
                code = self._country(text)
            except ValidationError as error:
                errors.append(error)
            else:
                if code not in codes:
                    codes.append(code)
        if errors:
            raise ValidationError(errors)
        return codes

    def clean_thematic_areas(self) -> list[ThematicArea]:
        areas, unknown = [], []
        for text in _split(self.cleaned_data["thematic_areas"]):
            area = self.known_areas.get(text.lower())
            if area is None:
                unknown.append(text)
            elif area not in areas:
                areas.append(area)
        if unknown:
            raise ValidationError(
                _("Unknown thematic areas: %(unknown)s. Known: %(known)s.")
                % {
                    "unknown": ", ".join(unknown),
                    "known": ", ".join(sorted({area.slug for area in self.known_areas.values()})),
                },
                code="invalid_choice",
            )
        return areas

    def clean_ecosoc_status(self) -> str:
        status = _choice(EcosocStatus, self.cleaned_data["ecosoc_status"])
        if status not in EcosocStatus.values:
            raise ValidationError(
                _("“%(value)s” is not an ECOSOC status. Statuses: %(statuses)s.")
                % {"value": self.cleaned_data["ecosoc_status"], "statuses": ", ".join(EcosocStatus.values)},
                code="invalid_choice",
            )
        return status

    def clean_verification_state(self) -> str:
        state = _choice(VerificationState, self.cleaned_data["verification_state"])
        if state not in VerificationState.values:
            raise ValidationError(
                _("“%(value)s” is not a verification state. States: %(states)s.")
                % {"value": self.cleaned_data["verification_state"], "states": ", ".join(VerificationState.values)},
                code="invalid_choice",
            )
        return state

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("ecosoc_year") and cleaned.get("ecosoc_status") == EcosocStatus.NONE:
            self.add_error(
                "ecosoc_year",
                ValidationError(_("A year of ECOSOC status needs an ECOSOC status (roster, special or general)."), code="no_status"),
            )
        return cleaned

    # A file has up to MAX_ROWS rows, so what this form already checks is not checked twice.

    def _get_validation_exclusions(self):
        # The clean_* methods above accept only valid codes and choices; the model's checks of
        # the same fields walk every country and choice again (a third of the time per row).
        return super()._get_validation_exclusions() | {
            "kind", "headquarters_country", "countries_of_work", "ecosoc_status", "verification_state",
        }

    def validate_unique(self):
        # No unique field is imported through this form: the slug is chosen at creation.
        pass

    def validate_constraints(self):
        # The model's one check constraint (no ECOSOC year without a status) is clean()'s;
        # the model would check it with a query per row.
        pass


def _normal_name(name: str) -> str:
    return " ".join(name.casefold().split())


def website_key(url: str) -> str:
    """What identifies an organization's website: its domain, or the whole address on a shared host."""
    domain = website_domain(url)
    if domain in SHARED_WEBSITE_HOSTS:
        path = urlsplit(url if "//" in url else f"//{url}").path.strip("/").lower()
        return f"{domain}/{path}" if path else ""
    return domain


class _Existing:
    """What identifies the organizations already in the database, read once per plan."""

    def __init__(self):
        self.by_slug: dict[str, int] = {}
        self.by_website: dict[str, list[int]] = defaultdict(list)
        self.by_name_and_country: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_acronym: dict[str, list[int]] = defaultdict(list)
        self.labels: dict[int, tuple[str, str]] = {}  # pk: (name, slug)
        columns = ("pk", "slug", "name", "name_en", "acronym", "acronym_en", "website", "headquarters_country")
        for pk, slug, name, name_en, acronym, acronym_en, website, country in (
            Organization.objects.order_by("pk").values_list(*columns).iterator(chunk_size=5000)
        ):
            self.labels[pk] = (name, slug)
            self.by_slug[slug] = pk
            if key := website_key(website):
                self.by_website[key].append(pk)
            for each in {_normal_name(name), _normal_name(name_en)} - {""}:
                self.by_name_and_country[(each, country)].append(pk)
                self.by_name[each].append(pk)
            for each in {acronym.strip().casefold(), acronym_en.strip().casefold()} - {""}:
                self.by_acronym[each].append(pk)
        self.redirects = dict(OrganizationRedirect.objects.values_list("old_slug", "organization_id"))


def _similar_names(names: dict[int, str]) -> tuple[dict[int, list[tuple[int, float]]], set[int]]:
    """Per row number, up to LOOKS_LIKE_LIMIT organizations with a similar name (PostgreSQL's trigrams).

    Returns what was found and the row numbers whose names were not compared: the comparison
    stops after SIMILARITY_TIME_BUDGET seconds, so a large file never times the request out.
    Each name probes the trigram index on search_names; the inner LIMIT bounds the work when
    thousands of names look alike. Elsewhere nothing: the caller compares names exactly.
    """
    found: dict[int, list[tuple[int, float]]] = defaultdict(list)
    if connection.vendor != "postgresql" or not names:
        return found, set()
    pending = list(names)
    deadline = time.monotonic() + SIMILARITY_TIME_BUDGET
    while pending and (remaining := deadline - time.monotonic()) > 0:
        batch = pending[:SIMILARITY_BATCH]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # The index's own threshold: with the default (0.3), names that merely share
                # common words ("association", "international") are all read and compared.
                cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(NAME_SIMILARITY)])
                # Misled by the inner LIMIT, the planner prefers reading the whole table for
                # each name (about 200 ms at 20,000 organizations) to the index (a few ms).
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(max(1, int(remaining * 1000)))])
                cursor.execute(
                    """
                    SELECT wanted.number, alike.id, alike.score
                    FROM unnest(%s::int[], %s::text[]) AS wanted(number, name)
                    CROSS JOIN LATERAL (
                        SELECT candidate.id, candidate.score
                        FROM (
                            SELECT o.id, greatest(similarity(o.name, wanted.name), similarity(o.name_en, wanted.name)) AS score
                            FROM organizations_organization o
                            WHERE o.search_names %% wanted.name
                              AND greatest(similarity(o.name, wanted.name), similarity(o.name_en, wanted.name)) >= %s
                            LIMIT %s
                        ) candidate
                        ORDER BY candidate.score DESC, candidate.id
                        LIMIT %s
                    ) alike
                    """,
                    [batch, [names[number] for number in batch], NAME_SIMILARITY, SIMILAR_CANDIDATES, LOOKS_LIKE_LIMIT],
                )
                rows = cursor.fetchall()
                # Inside an outer transaction, SET LOCAL would outlive this block: undo it.
                for setting in ("statement_timeout", "enable_seqscan", "pg_trgm.similarity_threshold"):
                    cursor.execute(f"SET LOCAL {setting} TO DEFAULT")
        except OperationalError:  # the statement timeout: out of time
            break
        for number, pk, score in rows:
            found[number].append((pk, score))
        pending = pending[SIMILARITY_BATCH:]
    return found, set(pending)


def plan_import(rows: list[ImportRow], *, look_alikes: bool = True) -> list[RowPlan]:
    """Decide what importing each row would do, reading the database and writing nothing.

    Without `look_alikes`, rows are not compared with similar organizations: that informs
    CSU but changes no outcome.
    """
    existing = _Existing()
    areas = {}
    for area in ThematicArea.objects.all():
        areas[area.name.casefold()] = area
        areas[area.slug] = area
    plans = [RowPlan(number=row.number, name=row.cells.get("name", "")) for row in rows]

    # First who is who, so that every organization to update is read in one query.
    for plan, row in zip(plans, rows):
        _match(plan, row, existing)
    targets = Organization.objects.prefetch_related("thematic_areas").in_bulk(
        {plan.target_id for plan in plans if plan.target_id}
    )
    claimed: dict[tuple, int] = {}
    for plan, row in zip(plans, rows):
        if not plan.reasons:
            _validate(plan, row, targets.get(plan.target_id), areas, claimed)
        if plan.reasons:
            plan.outcome, plan.changes, plan.values = Outcome.REFUSE, {}, {}
    if look_alikes:
        _find_look_alikes(plans, rows, existing)
    return plans


def _match(plan: RowPlan, row: ImportRow, existing: _Existing) -> None:
    """Find the organization a row updates: by slug, else website, else name and country."""
    cells = row.cells
    if row.extra_cells:
        plan.reasons.append(
            _("This row has %(count)s more cells than the header has columns.") % {"count": row.extra_cells}
        )
        return
    slug = cells.get("slug", "").lower()
    if slug and slug in existing.by_slug:
        plan.target_id = existing.by_slug[slug]
    elif slug and slug in existing.redirects:
        plan.target_id = existing.redirects[slug]
        plan.notes.append(
            _("“%(slug)s” was merged into “%(name)s”, which this row updates.")
            % {"slug": slug, "name": existing.labels[plan.target_id][0]}
        )
    else:
        plan.slug_hint = slug
        candidates: list[int] = []
        if key := website_key(cells.get("website", "")):
            candidates = existing.by_website.get(key, [])
            how = _("website")
        if not candidates and cells.get("name"):
            country = cells.get("headquarters_country", "").upper()
            country = country if country in countries else countries.by_name(country) or country
            candidates = existing.by_name_and_country.get((_normal_name(cells["name"]), country), [])
            how = _("name and country")
        if len(candidates) > 1:
            plan.reasons.append(
                _("Several organizations match this row by %(how)s: %(names)s. Add the slug column to say which one.")
                % {"how": how, "names": ", ".join(f"{existing.labels[pk][0]} ({existing.labels[pk][1]})" for pk in candidates)}
            )
            return
        if candidates:
            plan.target_id = candidates[0]
    if plan.target_id:
        plan.target_name, plan.target_slug = existing.labels[plan.target_id]


def _field_values(organization: Organization) -> dict[str, Any]:
    """The imported fields but thematic areas as plain data: country codes, None for an unknown year."""
    values = {name: getattr(organization, name) for name in IMPORTED_FIELDS if name != "thematic_areas"}
    values["headquarters_country"] = organization.headquarters_country.code or ""
    values["countries_of_work"] = [country.code for country in organization.countries_of_work]
    return values


def _as_cell(value: Any) -> str:
    """A field's plain value as the text of a cell."""
    if value is None:
        return ""
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)


def _validate(
    plan: RowPlan, row: ImportRow, target: Organization | None, areas: dict[str, ThematicArea], claimed: dict[tuple, int]
) -> None:
    given = {column: value for column, value in row.cells.items() if column in IMPORTED_FIELDS and value}
    if target is not None:
        old = _field_values(target)
        old["thematic_areas"] = sorted(area.slug for area in target.thematic_areas.all())
        # Empty cells keep what the organization has; verification is decided in the review queue.
        data = {name: _as_cell(value) for name, value in old.items()} | given
        state = _choice(VerificationState, given.get("verification_state", target.verification_state))
        if state != target.verification_state:
            plan.notes.append(
                _("Verification stays “%(state)s”: an import does not verify, reject or archive; the review queue does.")
                % {"state": target.get_verification_state_display()}
            )
        data["verification_state"] = target.verification_state
        form = ImportRowForm(data, instance=target, thematic_areas=areas)
    else:
        # CSU imports its own curated data: verified unless the file says otherwise.
        data = {"ecosoc_status": EcosocStatus.NONE, "verification_state": VerificationState.VERIFIED} | given
        form = ImportRowForm(data, thematic_areas=areas)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                plan.reasons.append(f"{name}: {error}" if name != "__all__" else error)
        return

    instance = form.instance
    new = _field_values(instance)
    new["thematic_areas"] = sorted(area.slug for area in form.cleaned_data["thematic_areas"])
    if target is not None:
        keys = [("organization", target.pk)]
    else:
        keys = [("name", _normal_name(instance.name), instance.headquarters_country.code)]
        if key := website_key(instance.website):
            keys.append(("website", key))
        if plan.slug_hint:
            keys.append(("slug", plan.slug_hint))
    for key in keys:
        if key in claimed:
            plan.reasons.append(
                _("Row %(number)s of this file already imports this organization.") % {"number": claimed[key]}
            )
            return
    for key in keys:
        claimed[key] = plan.number

    if target is None:
        plan.outcome, plan.values = Outcome.CREATE, new
        return
    plan.changes = {name: [old[name], new[name]] for name in IMPORTED_FIELDS if old[name] != new[name]}
    plan.outcome = Outcome.UPDATE if plan.changes else Outcome.UNCHANGED


def _find_look_alikes(plans: list[RowPlan], rows: list[ImportRow], existing: _Existing) -> None:
    """Tell which existing organizations (other than the one a row updates) each row resembles."""
    # Rows that create an organization first: for them a look-alike may be a duplicate in the making.
    ordered = sorted(zip(plans, rows), key=lambda pair: pair[0].outcome != Outcome.CREATE)
    similar, not_compared = _similar_names({row.number: row.cells["name"] for _plan, row in ordered if row.cells.get("name")})
    for plan, row in zip(plans, rows):
        reasons: dict[int, list[str]] = defaultdict(list)
        for acronym in {row.cells.get("acronym", "").casefold(), row.cells.get("acronym_en", "").casefold()} - {""}:
            for pk in existing.by_acronym.get(acronym, []):
                reasons[pk].append(_("same acronym"))
        if key := website_key(row.cells.get("website", "")):
            for pk in existing.by_website.get(key, []):
                reasons[pk].append(_("same website"))
        plan.names_compared = row.number not in not_compared
        if connection.vendor == "postgresql" and plan.names_compared:
            for pk, alike in similar.get(row.number, []):
                reasons[pk].append(_("similar name (%(percent)s%%)") % {"percent": round(alike * 100)})
        elif name := _normal_name(row.cells.get("name", "")):
            for pk in existing.by_name.get(name, []):
                reasons[pk].append(_("same name"))
        reasons.pop(plan.target_id, None)
        ranked = sorted(reasons.items(), key=lambda item: (-len(item[1]), existing.labels[item[0]][0]))
        plan.looks_like = [
            {"name": existing.labels[pk][0], "slug": existing.labels[pk][1], "reasons": why}
            for pk, why in ranked[:LOOKS_LIKE_LIMIT]
        ]


# --- Waiting for confirmation -------------------------------------------------------------------


@dataclass
class ImportPreview:
    token: str
    user_id: int
    file_name: str
    columns: list[str]
    rows: list[ImportRow]
    plans: list[RowPlan]
    created_at: datetime

    def count(self, outcome: str) -> int:
        return sum(1 for plan in self.plans if plan.outcome == outcome)


def _cache_key(token: str) -> str:
    return f"organizations:import:{token}"


def store_preview(*, user: User, table: ImportTable, plans: list[RowPlan], token: str | None = None) -> ImportPreview:
    """Keep an upload and its plan for PREVIEW_LIFETIME seconds; returns it with its (new) token."""
    preview = ImportPreview(
        token=token or secrets.token_urlsafe(24),
        user_id=user.pk,
        file_name=table.file_name,
        columns=table.columns,
        rows=table.rows,
        plans=plans,
        created_at=timezone.now(),
    )
    # Plain data, not pickled objects of this module: a deployment in between must still read it.
    payload = {
        "user_id": preview.user_id,
        "file_name": preview.file_name,
        "columns": preview.columns,
        "rows": [asdict(row) for row in preview.rows],
        "plans": [asdict(plan) for plan in preview.plans],
        "created_at": preview.created_at.isoformat(),
    }
    cache.set(_cache_key(preview.token), payload, PREVIEW_LIFETIME)
    return preview


class PreviewExpired(Exception):
    """Nothing waits under this token: it expired, was imported, or never existed."""


class PreviewNotFound(Exception):
    """Not a token, or another person's preview: for this person it does not exist."""


def load_preview(token: str, *, user: User) -> ImportPreview:
    """The preview waiting under `token` for `user`; raises PreviewExpired or PreviewNotFound."""
    if not TOKEN_PATTERN.match(token):
        raise PreviewNotFound
    payload = cache.get(_cache_key(token))
    if payload is None:
        raise PreviewExpired
    if payload["user_id"] != user.pk:
        raise PreviewNotFound
    return ImportPreview(
        token=token,
        user_id=payload["user_id"],
        file_name=payload["file_name"],
        columns=payload["columns"],
        rows=[ImportRow(**row) for row in payload["rows"]],
        plans=[RowPlan(**plan) for plan in payload["plans"]],
        created_at=datetime.fromisoformat(payload["created_at"]),
    )


def discard_preview(token: str) -> None:
    cache.delete(_cache_key(token))


# --- 3. Applying ---------------------------------------------------------------------------------------


class ImportOutdated(Exception):
    """The database changed since the preview: some rows would now have another outcome."""

    def __init__(self, differences: list[str]):
        super().__init__("; ".join(differences))
        self.differences = differences


@dataclass
class ImportResult:
    created: int
    updated: int
    skipped: int


def apply_import(preview: ImportPreview, *, by: User) -> ImportResult:
    """Write every row CSU confirmed, all of them or none.

    Side effects, in order, in one transaction: locks the organizations the preview updates,
    plans the rows again (raising ImportOutdated, with nothing written, if any row's outcome
    or organization changed), creates and updates the organizations, logging each as
    `organizations.organization.imported` or `organizations.organization.import_updated` with
    old and new values, and logs the whole import as `organizations.directory.imported`.
    """
    with transaction.atomic():
        wanted = [plan.target_id for plan in preview.plans if plan.target_id]
        list(Organization.objects.select_for_update().filter(pk__in=wanted).order_by("pk").values_list("pk"))
        plans = plan_import(preview.rows, look_alikes=False)
        differences = _differences(preview.plans, plans)
        if differences:
            raise ImportOutdated(differences)

        targets = Organization.objects.in_bulk([plan.target_id for plan in plans if plan.outcome == Outcome.UPDATE])
        # Thematic areas are written at the end in two queries, not two per row.
        new_areas: dict[int, list[str]] = {}
        created = updated = 0
        for plan in plans:
            note = _("%(file)s, row %(number)s") % {"file": preview.file_name, "number": plan.number}
            if plan.outcome == Outcome.CREATE:
                organization = _create(plan, by=by, note=note)
                new_areas[organization.pk] = plan.values["thematic_areas"]
                created += 1
            elif plan.outcome == Outcome.UPDATE:
                _update(targets[plan.target_id], plan, by=by, note=note)
                if "thematic_areas" in plan.changes:
                    new_areas[plan.target_id] = plan.changes["thematic_areas"][1]
                updated += 1
        _set_thematic_areas(new_areas)
        result = ImportResult(created=created, updated=updated, skipped=sum(1 for plan in plans if plan.outcome == Outcome.REFUSE))
        log_activity(
            "organizations.directory.imported",
            actor=by,
            new={"file": preview.file_name, "rows": len(plans), **asdict(result)},
        )
    return result


def _differences(before: list[RowPlan], after: list[RowPlan]) -> list[str]:
    differences = []
    for old, new in zip(before, after, strict=True):
        if (old.outcome, old.target_id) == (new.outcome, new.target_id):
            continue
        if new.outcome == Outcome.REFUSE:
            differences.append(
                _("Row %(number)s would now be refused: %(reasons)s")
                % {"number": new.number, "reasons": " ".join(new.reasons)}
            )
        elif old.outcome == new.outcome:
            differences.append(
                _("Row %(number)s now matches “%(name)s” instead.") % {"number": new.number, "name": new.target_name}
            )
        else:
            differences.append(
                _("Row %(number)s: “%(before)s” before, “%(after)s” now.")
                % {"number": new.number, "before": old.get_outcome_display(), "after": new.get_outcome_display()}
            )
    return differences


def _create(plan: RowPlan, *, by: User, note: str) -> Organization:
    from .services import unique_slug

    values = {name: value for name, value in plan.values.items() if name != "thematic_areas"}
    organization = Organization(**values)
    organization.slug = unique_slug(plan.slug_hint or organization.acronym or organization.name)
    organization.save()
    log_activity(
        "organizations.organization.imported",
        actor=by,
        target=organization,
        new={**{name: _loggable(value) for name, value in plan.values.items()}, "slug": organization.slug},
        note=note,
    )
    return organization


def _update(organization: Organization, plan: RowPlan, *, by: User, note: str) -> None:
    fields = [name for name in plan.changes if name != "thematic_areas"]
    for name in fields:
        setattr(organization, name, plan.changes[name][1])
    if fields:
        organization.save(update_fields=[*fields, "updated_at"])
    log_activity(
        "organizations.organization.import_updated",
        actor=by,
        target=organization,
        old={name: _loggable(old) for name, (old, _new) in plan.changes.items()},
        new={name: _loggable(new) for name, (_old, new) in plan.changes.items()},
        note=note,
    )


def _set_thematic_areas(new_areas: dict[int, list[str]]) -> None:
    """Give each organization exactly these thematic areas (by slug)."""
    if not new_areas:
        return
    links = Organization.thematic_areas.through
    area_ids = dict(ThematicArea.objects.values_list("slug", "pk"))
    links.objects.filter(organization_id__in=new_areas).delete()
    links.objects.bulk_create(
        [
            links(organization_id=organization_id, thematicarea_id=area_ids[slug])
            for organization_id, slugs in new_areas.items()
            for slug in slugs
        ],
        batch_size=1000,
    )
    # Bulk writes send no signals: the directory's cache is told here that the links changed.
    forget_directory()


def _loggable(value: Any) -> Any:
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else value


# --- The forms of the two pages ---------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy(
            "At most 5 MB and 5,000 rows. A CSV file must be UTF-8 (in Excel: “CSV UTF-8”); "
            "of a workbook, the first sheet is read."
        ),
        error_messages={
            "required": gettext_lazy("Choose the CSV or XLSX file to import."),
            "empty": gettext_lazy("The file is empty."),
        },
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.table = read_import_file(upload)
        return upload


class ConfirmImportForm(forms.Form):
    """Confirming an import; with refused rows, CSU must say that they are left out."""

    skip_refused = forms.BooleanField(required=False)

    def __init__(self, *args, refused: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = refused
        if refused:
            self.fields["skip_refused"].label = ngettext(
                "Skip the %(count)s refused row", "Skip the %(count)s refused rows", refused
            ) % {"count": refused}
        else:
            del self.fields["skip_refused"]

    def clean(self):
        cleaned = super().clean()
        if self.refused and not cleaned.get("skip_refused"):
            self.add_error(
                "skip_refused",
                ValidationError(
                    ngettext(
                        "Tick this box to import the other rows without the refused one, or correct the file and upload it again.",
                        "Tick this box to import the other rows without the %(count)s refused ones, or correct the file and upload it again.",
                        self.refused,
                    )
                    % {"count": self.refused},
                    code="refused_rows",
                ),
            )
        return cleaned
