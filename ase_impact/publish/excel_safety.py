"""The one way pipeline-written workbooks put values in cells and land on disk.

Text received from associations must never become a formula in a workbook the département
opens. openpyxl types any str starting with "=" as a formula (and "#N/A" as an error) when it
is assigned to a cell, so every cell is written through `write_cell`, which forces the string
type back after assignment. Text a spreadsheet would read as a formula if the cell were
re-entered (=, +, -, @, a leading tab or carriage return, also after leading spaces) also gets
the quote prefix, Excel's hidden leading apostrophe, so editing the cell keeps it text.

Tables of tens of thousands of rows skip openpyxl's cells, which cost tens of microseconds
each to hold and to serialise: `write_large_table` keeps their rows aside and `save_atomically`
writes them straight into the sheet's XML, with the same guarantee (text is an inline string,
never a formula) and the same styles.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import uuid
import weakref
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@")
CONTROL_TRIGGERS = ("\t", "\r")
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
COLUMN_WIDTH_BOUNDS = (8, 60)
NUMBER_WIDTH = 12  # numbers and dates in their formats
DATETIME_WIDTH = 18  # "DD/MM/YYYY HH:MM", and room for the filter's button
WRAP_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
MARKER_ALIGNMENT = Alignment(horizontal="right")
STREAMED_ROWS_PER_CHUNK = 2000
DIMENSION_RE = re.compile(r'<dimension ref="([A-Z]+[0-9]+)(?::[A-Z]+[0-9]+)?"\s*/>')


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula if it were typed in."""
    return text.startswith(CONTROL_TRIGGERS) or text.lstrip(" \t\r\n").startswith(FORMULA_TRIGGERS)


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA or NaT: a cell left empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def safe_cell_value(value: object) -> object:
    """The value to store in a cell: None, bool, int, float, date/datetime, or clean text.

    Missing values (None, NaN, NA, NaT) become None; numpy and pandas scalars become Python
    ones; text loses the control characters an xlsx file cannot hold and is cut at Excel's
    limit; anything else is written as its text.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real | Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_TEXT]


def write_cell(
    sheet: Worksheet, row: int, column: int, value: object, number_format: str | None = None
) -> Cell:
    """Write one value; text is always stored as text, never as a formula or an error."""
    cell = sheet.cell(row=row, column=column)
    safe = safe_cell_value(value)
    cell.value = safe
    if isinstance(safe, str):
        cell.data_type = "s"  # after assignment: openpyxl has just typed "=…" as a formula
        if is_formula_like(safe):
            cell.quotePrefix = True
    if number_format and safe is not None:
        cell.number_format = number_format
        if isinstance(safe, str):  # a marker among numbers, never glued to the number before
            cell.alignment = MARKER_ALIGNMENT
    return cell


def write_row(
    sheet: Worksheet,
    row: int,
    values: Iterable[object],
    start_column: int = 1,
    number_formats: Sequence[str | None] | None = None,
) -> list[Cell]:
    """Write values side by side from (row, start_column); number_formats match values."""
    values = list(values)
    formats = list(number_formats or [None] * len(values))
    return [
        write_cell(sheet, row, start_column + offset, value, formats[offset])
        for offset, value in enumerate(values)
    ]


def write_title(sheet: Worksheet, row: int, text: str, heading: bool = False) -> Cell:
    cell = write_cell(sheet, row, 1, text)
    cell.font = HEADING_FONT if heading else TITLE_FONT
    return cell


def write_note(sheet: Worksheet, row: int, text: str, widths: Sequence[float]) -> Cell:
    """A paragraph merged across the columns of `widths`, wrapped (its row is grown to fit
    by layout.print_on_page_width)."""
    cell = write_cell(sheet, row, 1, text)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_header(sheet: Worksheet, row: int, headers: Sequence[str], start_column: int = 1):
    for cell in write_row(sheet, row, headers, start_column):
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def write_table(
    sheet: Worksheet,
    top_row: int,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    number_formats: Sequence[str | None] | None = None,
    filterable: bool = False,
) -> int:
    """Write a header row and its rows from column A; returns the last row written.

    filterable: freeze everything above the first data row and put an autofilter on the
    table (one per sheet, so only for the sheet's main table).
    """
    write_header(sheet, top_row, headers)
    last_row = top_row
    for last_row, values in enumerate(rows, top_row + 1):
        write_row(sheet, last_row, values, number_formats=number_formats)
    if filterable:
        filter_table(sheet, top_row, len(headers), last_row)
    return last_row


def filter_table(sheet: Worksheet, top_row: int, column_count: int, last_row: int) -> None:
    """Freeze the rows down to a table's header and put the sheet's autofilter on the table."""
    sheet.freeze_panes = f"A{top_row + 1}"  # a coordinate: sheet.cell() would add a cell
    last_column = get_column_letter(column_count)
    sheet.auto_filter.ref = f"A{top_row}:{last_column}{max(last_row, top_row + 1)}"


def _wrap_long_texts(sheet: Worksheet, widths: dict[int, float], first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            width = widths.get(cell.column)
            too_long = isinstance(cell.value, str) and width and len(cell.value) > width
            if too_long and not cell.alignment.wrap_text:
                cell.alignment = Alignment(
                    horizontal=cell.alignment.horizontal, vertical="top", wrap_text=True
                )


def set_column_widths(sheet: Worksheet, widths: Sequence[float], first_row: int = 1) -> None:
    """Fixed widths from column A; text longer than its column wraps (from first_row on)."""
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _wrap_long_texts(sheet, dict(enumerate(widths, 1)), first_row)


def _value_width(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    return DATETIME_WIDTH if isinstance(value, datetime) else NUMBER_WIDTH


def _is_marker(cell: Cell) -> bool:
    """Text in a number's place (« non calculable »): write_cell right-aligns it."""
    return isinstance(cell.value, str) and cell.alignment.horizontal == "right"


def _needed_width(cell: Cell, markers_wrap: bool = False) -> int:
    if isinstance(cell.value, str) and (
        cell.alignment.wrap_text or markers_wrap and _is_marker(cell)
    ):
        # Headers wrap: their longest word is enough.
        return max((len(word) for word in cell.value.split()), default=0)
    return _value_width(cell.value)


def _column_width(longest: int, widest: int = COLUMN_WIDTH_BOUNDS[1]) -> int:
    return min(max(longest + 2, COLUMN_WIDTH_BOUNDS[0]), widest)


def fit_column_widths(
    sheet: Worksheet,
    first_row: int = 1,
    widest: int = COLUMN_WIDTH_BOUNDS[1],
    markers_wrap: bool = False,
) -> None:
    """Size each column to its longest value from first_row on (titles above may overflow);
    text wider than `widest` wraps, and so do markers among numbers if markers_wrap (a wide
    table of numbers stays narrow enough to print)."""
    longest: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is not None:
                needed = _needed_width(cell, markers_wrap)
                longest[cell.column] = max(longest.get(cell.column, 0), needed)
    widths = {column: _column_width(length, widest) for column, length in longest.items()}
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    _wrap_long_texts(sheet, widths, first_row)


# --- Large tables, streamed into the sheet's XML ---------------------------------------------


@dataclass(frozen=True)
class _StreamedTable:
    """Rows kept aside for save_atomically, and the XML each column's values become."""

    top_row: int  # the header's row, written by openpyxl; the data rows follow it
    rows: Sequence[Sequence[object]]
    letters: tuple[str, ...]
    # Per column: (value's type, value) -> the cell's XML after `<c r="A2"`, "" when empty.
    cell_xml: tuple[dict[tuple[type, object], str], ...]

    def xml_chunks(self) -> Iterator[str]:
        """The data rows as `<row>` elements, a few thousand rows per string."""
        columns = tuple(zip(self.letters, self.cell_xml, strict=True))
        chunk: list[str] = []
        for row_number, values in enumerate(self.rows, self.top_row + 1):
            cells = "".join(
                [
                    f'<c r="{letter}{row_number}"{xml}'
                    for (letter, xml_of), value in zip(columns, values, strict=True)
                    if (xml := xml_of[value.__class__, value])
                ]
            )
            chunk.append(f'<row r="{row_number}">{cells}</row>')
            if len(chunk) == STREAMED_ROWS_PER_CHUNK:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)


# Worksheet -> its streamed table; weak, so a workbook dropped unsaved takes its rows along.
_STREAMED_TABLES: weakref.WeakKeyDictionary[Worksheet, _StreamedTable] = weakref.WeakKeyDictionary()


def _style_id(sheet: Worksheet, number_format: str | None, quoted: bool, wrapped: bool) -> int:
    """The workbook's index of a cell style; registering it puts it in the saved styles."""
    cell = Cell(sheet)
    if number_format:
        cell.number_format = number_format
    cell.quotePrefix = quoted
    if wrapped:
        cell.alignment = WRAP_ALIGNMENT
    return cell.style_id


def _cell_xml(safe: object, width: int, style: Callable[[bool, bool], int], epoch) -> str:
    """What follows `<c r="A2"` for one value already made safe, typed as write_cell types it.

    style(quoted, wrapped): the id of the column's style with the quote prefix, wrapping.
    """
    if safe is None or (isinstance(safe, float) and not math.isfinite(safe)):
        return ""
    if isinstance(safe, str):
        # t="inlineStr": a string, whatever its first character; never <f>, never t="e".
        space = ' xml:space="preserve"' if safe != safe.strip() else ""
        style_id = style(is_formula_like(safe), len(safe) > width)
        return f' s="{style_id}" t="inlineStr"><is><t{space}>{escape(safe)}</t></is></c>'
    if isinstance(safe, bool):
        return f' s="{style(False, False)}" t="b"><v>{int(safe)}</v></c>'
    if isinstance(safe, date):
        safe = to_excel(safe, epoch)
    return f' s="{style(False, False)}" t="n"><v>{safe:.16g}</v></c>'


def write_large_table(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    number_formats: Sequence[str | None] | None = None,
    top_row: int = 1,
) -> int:
    """write_table(filterable=True) then fit_column_widths, for tens of thousands of rows.

    The header goes through openpyxl; the rows (scalars: text, numbers, dates, missing) are
    written into the sheet's XML by save_atomically, so nothing may be written below the
    header afterwards. Widths and styles come from each column's distinct values, each made
    safe once. Returns the last row.
    """
    write_header(sheet, top_row, headers)
    last_row = top_row + len(rows)
    filter_table(sheet, top_row, len(headers), last_row)
    formats = list(number_formats or [None] * len(headers))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(headers)
    header_cells = sheet[top_row][: len(headers)]
    cell_xml = []
    widths = {}
    for column, (header, values, number_format) in enumerate(
        zip(header_cells, columns, formats, strict=True), 1
    ):
        safe_values = {key: safe_cell_value(key[1]) for key in {(v.__class__, v) for v in values}}
        longest = max(
            [_needed_width(header)]
            + [_value_width(safe) for safe in safe_values.values() if safe is not None]
        )
        widths[column] = _column_width(longest)
        sheet.column_dimensions[get_column_letter(column)].width = widths[column]
        style = cache(partial(_style_id, sheet, number_format))
        cell_xml.append(
            {
                key: _cell_xml(safe, widths[column], style, sheet.parent.epoch)
                for key, safe in safe_values.items()
            }
        )
    _wrap_long_texts(sheet, widths, top_row)
    letters = tuple(get_column_letter(column) for column in range(1, len(headers) + 1))
    _STREAMED_TABLES[sheet] = _StreamedTable(top_row, rows, letters, tuple(cell_xml))
    return last_row


def _streamed_tables(book: Workbook) -> dict[Worksheet, _StreamedTable]:
    tables = {sheet: _STREAMED_TABLES.get(sheet) for sheet in book.worksheets}
    for sheet, table in tables.items():
        if table is not None and sheet.max_row > table.top_row:
            raise ValueError(f"{sheet.title}: cells written below a large table's header")
    return {sheet: table for sheet, table in tables.items() if table is not None}


def _with_streamed_rows(saved: Path, target: Path, tables: dict[str, _StreamedTable]) -> None:
    """Copy the saved package, the streamed tables' rows inserted in their sheets' XML."""
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as package,
    ):
        for member in source.infolist():
            data = source.read(member)
            table = tables.get(member.filename)
            if table is None:
                package.writestr(member, data)
                continue
            head, tail = data.decode("utf-8").split("</sheetData>")
            last_column = table.letters[-1]
            last_row = table.top_row + len(table.rows)
            # The used range: from openpyxl's top-left cell to the last streamed one.
            head = DIMENSION_RE.sub(rf'<dimension ref="\1:{last_column}{last_row}"/>', head, 1)
            streamed = zipfile.ZipInfo(member.filename, member.date_time)
            streamed.compress_type = zipfile.ZIP_DEFLATED
            with package.open(streamed, "w", force_zip64=True) as sheet_xml:
                sheet_xml.write(head.encode("utf-8"))
                for chunk in table.xml_chunks():
                    sheet_xml.write(chunk.encode("utf-8"))
                sheet_xml.write(f"</sheetData>{tail}".encode())


def save_atomically(book: Workbook, path: Path) -> Path:
    """Save next to the target, then rename: a reader never opens a half-written workbook.

    The rows of the workbook's large tables are written into their sheets on the way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = _streamed_tables(book)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    saved = partial.with_suffix(".openpyxl.tmp")
    try:
        if tables:
            book.save(saved)
            # openpyxl numbers the sheets' parts when it saves.
            by_part = {sheet.path.lstrip("/"): table for sheet, table in tables.items()}
            _with_streamed_rows(saved, partial, by_part)
        else:
            book.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
        saved.unlink(missing_ok=True)
    return path
