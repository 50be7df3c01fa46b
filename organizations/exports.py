"""The directory as a file: one row per organization, as CSV or XLSX, with flat memory.

Both formats read the organizations in chunks (`.iterator(chunk_size=...)`), so memory
stays the same whether the directory holds 20 or 20,000 of them. The columns are those
an import file accepts, so an export can be edited and imported again.
"""

import csv
import functools
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO
from xml.sax.saxutils import escape as xml_escape

from django.db.models import OuterRef, QuerySet, StringAgg, Subquery, Value
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

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
# The export's columns are these, in this order, with the thematic areas put in at their place.
RECORD_FIELDS = ("pk", *(column for column in COLUMNS if column != "thematic_areas"))
_THEMATIC_AREAS_AT = COLUMNS.index("thematic_areas")
_COUNTRIES_OF_WORK_AT = COLUMNS.index("countries_of_work")


def export_cells(record: tuple, thematic_areas: Iterable[str]) -> list[str | int]:
    """One organization's cells in COLUMNS order: years stay numbers, text is neutralised.

    `record` holds the database values of RECORD_FIELDS, in that order; countries of work
    come as the database stores them ("KE,TZ").
    """
    values = list(record[1:])
    values.insert(_THEMATIC_AREAS_AT, LIST_SEPARATOR.join(sorted(thematic_areas)))
    values[_COUNTRIES_OF_WORK_AT] = LIST_SEPARATOR.join(filter(None, (values[_COUNTRIES_OF_WORK_AT] or "").split(",")))
    return ["" if value is None else value if isinstance(value, int) else neutralise(str(value)) for value in values]


def organization_rows(organizations: QuerySet[Organization]) -> Iterator[list[str | int]]:
    """Every organization of the queryset (in its order) as export cells, read CHUNK_SIZE at a time.

    One query: each row brings its thematic areas' slugs along, joined by the database. (A
    second query per chunk, "the links of these 2,000 organizations", cost more in sending
    2,000 parameters than in reading the links.)
    """
    areas = (
        Organization.thematic_areas.through.objects.filter(organization_id=OuterRef("pk"))
        .order_by()
        .values("organization_id")
        .annotate(slugs=StringAgg("thematicarea__slug", delimiter=Value(LIST_SEPARATOR)))
        .values("slugs")
    )
    # The directory's queryset prefetches for its page; rows read as tuples have nothing to prefetch into.
    records = (
        organizations.prefetch_related(None)
        .annotate(export_thematic_areas=Subquery(areas))
        .values_list(*RECORD_FIELDS, "export_thematic_areas")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for *record, slugs in records:
        yield export_cells(record, slugs.split(LIST_SEPARATOR) if slugs else ())


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

    The sheet's XML is written row by row straight into the compressed archive, so memory
    stays flat. Not openpyxl's write-only workbook: it builds an element for every cell, which
    took 16 s for 20,000 organizations (docs/performance.md) where writing the text takes about
    one. The workbook is what openpyxl writes less its optional parts (theme, document
    properties): text as inline strings, numbers as numbers, an empty text as an empty cell.
    """
    file = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION) as archive:
            for name, content in _xlsx_package(title[:31]).items():
                archive.writestr(name, content)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
                sheet = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                sheet.write(_SHEET_START)
                sheet.write(_xlsx_row(1, list(header)))
                count = 0
                for count, row in enumerate(rows, start=1):
                    sheet.write(_xlsx_row(count + 1, row))
                sheet.write(_SHEET_END)
                sheet.flush()
                sheet.detach()
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file, count


# Level 1 of 9: a fifth of the time of the default level, for a file about a third larger.
XLSX_COMPRESSION = 1
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_START = f'{_XML_DECLARATION}<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"


def _xlsx_package(title: str) -> dict[str, str]:
    """The parts of the workbook around its one sheet."""
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": (
            f'{_XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{spreadsheet}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{spreadsheet}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{spreadsheet}.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'{_XML_DECLARATION}<Relationships xmlns="{_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{_DOCUMENT_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_XML_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_DOCUMENT_RELATIONSHIPS}"><sheets>'
            f'<sheet name="{xml_escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_DECLARATION}<Relationships xmlns="{_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{_DOCUMENT_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOCUMENT_RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>'
        ),
        # The smallest style sheet spreadsheet programs accept: one font, the two required fills, one of each else.
        "xl/styles.xml": (
            f'{_XML_DECLARATION}<styleSheet xmlns="{_MAIN}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
    }


def _xml_text(text: str) -> str:
    # What xml.sax.saxutils.escape does, without its call and its check for extra entities: 380,000 times.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.cache
def _column_letter(index: int) -> str:
    return get_column_letter(index)


def _xlsx_row(number: int, cells: list) -> str:
    """One row of the sheet's XML. Text is neutralised as in CSV; None leaves the cell out, as openpyxl does."""
    parts = [f'<row r="{number}">']
    for index, value in enumerate(cells, start=1):
        if value is None:
            continue
        reference = f"{_column_letter(index)}{number}"
        if isinstance(value, bool):
            parts.append(f'<c r="{reference}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            parts.append(f'<c r="{reference}" t="n"><v>{value!r}</v></c>')
        else:
            # Control characters cannot be stored in an XLSX cell; once removed, what starts
            # the cell may be a formula trigger again.
            text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
            if text:
                parts.append(f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(text)}</t></is></c>')
            else:
                parts.append(f'<c r="{reference}" t="inlineStr"/>')
    parts.append("</row>")
    return "".join(parts)
