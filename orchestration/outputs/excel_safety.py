"""The one way pipeline-written workbooks put values in cells and land on disk.

Text received from associations must never become a formula in a workbook the département
opens. openpyxl types any str starting with "=" as a formula (and "#N/A" as an error) when it
is assigned to a cell, so every cell is written through `write_cell`, which forces the string
type back after assignment. Text a spreadsheet would read as a formula if the cell were
re-entered (=, +, -, @, a leading tab or carriage return, also after leading spaces) also gets
the quote prefix, Excel's hidden leading apostrophe, so editing the cell keeps it text.
"""

from __future__ import annotations

import math
import numbers
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@")
CONTROL_TRIGGERS = ("\t", "\r")
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
COLUMN_WIDTH_BOUNDS = (8, 60)
LINE_HEIGHT = 15  # points, one line of the default font
NOTE_CHARACTER_WIDTH = 1.1  # column-width units per character of prose, with some margin


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula if it were typed in."""
    return text.startswith(CONTROL_TRIGGERS) or text.lstrip(" \t\r\n").startswith(FORMULA_TRIGGERS)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def safe_cell_value(value: object) -> object:
    """The value to store in a cell: None, bool, int, float, date/datetime, or clean text.

    Missing values (None, NaN, NA, NaT) become None; numpy and pandas scalars become Python
    ones; text loses the control characters an xlsx file cannot hold and is cut at Excel's
    limit; anything else is written as its text.
    """
    if _is_missing(value):
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
    """A paragraph merged across the columns of `widths`, wrapped, its row tall enough.

    Spreadsheets do not grow a merged cell's row to fit its text, so the height is set here.
    """
    cell = write_cell(sheet, row, 1, text)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = math.ceil(len(text) * NOTE_CHARACTER_WIDTH / sum(widths))
    sheet.row_dimensions[row].height = LINE_HEIGHT * max(lines, 1)
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
        sheet.freeze_panes = sheet.cell(row=top_row + 1, column=1).coordinate
        last_column = get_column_letter(len(headers))
        sheet.auto_filter.ref = f"A{top_row}:{last_column}{max(last_row, top_row + 1)}"
    return last_row


def _wrap_long_texts(sheet: Worksheet, widths: dict[int, float], first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            width = widths.get(cell.column)
            if isinstance(cell.value, str) and width and len(cell.value) > width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def set_column_widths(sheet: Worksheet, widths: Sequence[float], first_row: int = 1) -> None:
    """Fixed widths from column A; text longer than its column wraps (from first_row on)."""
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _wrap_long_texts(sheet, dict(enumerate(widths, 1)), first_row)


def _needed_width(cell: Cell) -> int:
    if not isinstance(cell.value, str):
        return 12  # numbers and dates in their formats
    if cell.alignment.wrap_text:  # headers wrap: their longest word is enough
        return max((len(word) for word in cell.value.split()), default=0)
    return len(cell.value)


def fit_column_widths(sheet: Worksheet, first_row: int = 1) -> None:
    """Size each column to its longest value from first_row on (titles above may overflow)."""
    low, high = COLUMN_WIDTH_BOUNDS
    longest: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is not None:
                longest[cell.column] = max(longest.get(cell.column, 0), _needed_width(cell))
    widths = {column: min(max(length + 2, low), high) for column, length in longest.items()}
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    _wrap_long_texts(sheet, widths, first_row)


def print_on_page_width(sheet: Worksheet) -> None:
    """Landscape, narrow margins, as many pages down as needed but one page across."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def save_atomically(book: Workbook, path: Path) -> Path:
    """Save next to the target, then rename: a reader never opens a half-written workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        book.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
