"""The directory as a file: one row per organization, as CSV or XLSX, with flat memory.

Both formats read the organizations in chunks (`.iterator(chunk_size=...)`), so memory
stays the same whether the directory holds 20 or 20,000 of them. The columns are those
an import file accepts, so an export can be edited and imported again.
"""

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import batched
from typing import IO, Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .models import Organization

COLUMNS = (
    "name", "name_en", "acronym", "acronym_en", "kind", "headquarters_country", "countries_of_work",
    "regional_group", "website", "email", "phone", "address", "year_founded", "description",
    "thematic_areas", "ecosoc_status", "ecosoc_year", "verification_state", "slug",
)
# Several values in one cell (countries of work, thematic areas) are separated by this.
LIST_SEPARATOR = ";"
CHUNK_SIZE = 2000
# A spreadsheet treats a cell starting with one of these as a formula (or as the start of one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# CSV rows are sent in batches of this many: one network write per row would be slow.
ROWS_PER_CSV_CHUNK = 200
UTF8_BOM = "\ufeff"


def neutralise(value: str) -> str:
    """Make a cell that a spreadsheet would run as a formula show as text instead (OWASP CSV injection)."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# Read straight from the database (tuples, not model instances): a tenth of the memory per row.
RECORD_FIELDS = ("pk", *(column for column in COLUMNS if column != "thematic_areas"))


def export_cells(record: dict[str, Any], thematic_areas: Iterable[str]) -> list[str | int]:
    """One organization's cells in COLUMNS order: years stay numbers, text is neutralised.

    `record` holds the database values of RECORD_FIELDS; countries of work come as the
    database stores them ("KE,TZ").
    """
    values = dict(record)
    values["countries_of_work"] = LIST_SEPARATOR.join(code for code in (record["countries_of_work"] or "").split(",") if code)
    values["thematic_areas"] = LIST_SEPARATOR.join(sorted(thematic_areas))
    return [
        "" if value is None else value if isinstance(value, int) else neutralise(str(value))
        for value in (values[column] for column in COLUMNS)
    ]


def organization_rows(organizations: QuerySet[Organization]) -> Iterator[list[str | int]]:
    """Every organization of the queryset (in its order) as export cells, CHUNK_SIZE at a time.

    Two queries per chunk: the organizations, then their thematic areas.
    """
    # The directory's queryset prefetches for its page; rows read as tuples have nothing to prefetch into.
    records = organizations.prefetch_related(None).values_list(*RECORD_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    links = Organization.thematic_areas.through.objects
    for chunk in batched(records, CHUNK_SIZE):
        areas: dict[int, list[str]] = defaultdict(list)
        for organization_id, slug in links.filter(organization_id__in=[record[0] for record in chunk]).values_list(
            "organization_id", "thematicarea__slug"
        ):
            areas[organization_id].append(slug)
        for record in chunk:
            yield export_cells(dict(zip(RECORD_FIELDS, record)), areas.get(record[0], ()))


def csv_chunks(rows: Iterable[list[str | int]], *, header: Iterable[str] = COLUMNS) -> Iterator[str]:
    """The CSV text in pieces: a byte-order mark (so Excel reads UTF-8 accents), the header, the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % ROWS_PER_CSV_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(
    rows: Iterable[list[str | int]], *, title: str, header: Iterable[str] = COLUMNS
) -> tuple[IO[bytes], int]:
    """Write the rows to an anonymous temporary XLSX file; returns it (rewound) and the row count.

    openpyxl's write-only workbook streams each row to disk, so memory stays flat.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    count = 0
    for row in rows:
        # Control characters cannot be stored in an XLSX cell (openpyxl refuses the whole file);
        # once removed, what starts the cell may be a formula trigger again.
        sheet.append([neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell)) if isinstance(cell, str) else cell for cell in row])
        count += 1
    file = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file, count
