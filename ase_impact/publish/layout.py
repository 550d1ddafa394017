"""How the pipeline's workbooks sit on a screen and on paper: row heights, pages, charts.

Neither Excel (when it opens a file) nor LibreOffice grows a row to fit wrapped text written
by a program, and neither grows a merged cell's row at all: text would overlap the next row or
be cut. Heights are therefore estimated here from each text's length and its column's width.
Pages are A4 landscape, one page across, header rows repeated; blocks that must not be cut
(a chart beside its table) get page breaks from the same estimate of what a page holds.

The workbooks stay written by openpyxl (XlsxWriter was considered): the only tables large
enough for speed to matter are already streamed (excel_safety.write_large_table), XlsxWriter's
autofit estimates text widths much as this module does, and XlsxWriter only writes, while the
template is built in memory and then filled (prefilled months, the demo generator).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl.chart import BarChart
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

DEFAULT_FONT_SIZE = 11
LINE_HEIGHT = 15  # points, one line of the default font
CHARACTER_WIDTH = 1.15  # column-width units per character of wrapped text, with some margin
DEFAULT_COLUMN_WIDTH = 8.43  # a column whose width was never set
PAPER_A4 = 9
# A4 landscape in points, less the margins set below (left/right 0.4 in, top/bottom 0.5 in).
PRINTABLE_WIDTH = 842 - 2 * 0.4 * 72
PRINTABLE_HEIGHT = 595 - 2 * 0.5 * 72
PAGE_SAFETY = 0.95  # spreadsheets round heights and scales their own way: keep some room
CM_PER_POINT = 2.54 / 72
CATEGORY_HEIGHT_CM = 0.6  # one category of a horizontal bar chart
CHART_FRAME_CM = 2.8  # a chart's title and value axis
BOLD_WIDTH = 1.1  # bold characters are wider
AXIS_FONT_SIZE = 900  # hundredths of a point


def column_width(sheet: Worksheet, column: int) -> float:
    letter = get_column_letter(column)
    if letter in sheet.column_dimensions and sheet.column_dimensions[letter].width:
        return sheet.column_dimensions[letter].width
    return DEFAULT_COLUMN_WIDTH


def width_points(width: float) -> float:
    """A column's width in points: about 7 pixels per width unit and 5 of padding, at 96 dpi."""
    return (7 * width + 5) * 0.75


def _wrapped_lines(paragraph: str, per_line: float) -> int:
    """Lines of one paragraph wrapped word by word, as a spreadsheet wraps it."""
    lines, length = 1, 0.0
    for word in paragraph.split():
        if length and length + 1 + len(word) > per_line:
            lines, length = lines + 1, 0.0
        length += len(word) + (1 if length else 0)
        while length > per_line:  # a word longer than a line is broken
            lines, length = lines + 1, length - per_line
    return lines


def text_lines(
    text: str, width: float, font_size: float = DEFAULT_FONT_SIZE, bold: bool = False
) -> int:
    """How many lines a wrapped text takes in a cell `width` units wide."""
    character = CHARACTER_WIDTH * font_size / DEFAULT_FONT_SIZE * (BOLD_WIDTH if bold else 1)
    per_line = max(width / character, 1)
    return sum(_wrapped_lines(part, per_line) for part in text.split("\n"))


def _merged_widths(sheet: Worksheet) -> dict[tuple[int, int], float]:
    """The top-left cell of each merged range → the range's total width."""
    widths = {}
    for merged in sheet.merged_cells.ranges:
        columns = range(merged.min_col, merged.max_col + 1)
        widths[merged.min_row, merged.min_col] = sum(column_width(sheet, c) for c in columns)
    return widths


def font_size(cell) -> float:
    return (cell.font and cell.font.sz) or DEFAULT_FONT_SIZE


def fit_row_heights(sheet: Worksheet) -> None:
    """Grow each row holding wrapped text to the lines its longest text takes."""
    merged = _merged_widths(sheet)
    for row in sheet.iter_rows():
        needed = 0.0
        for cell in row:
            if not (isinstance(cell.value, str) and cell.alignment.wrap_text):
                continue
            width = merged.get((cell.row, cell.column)) or column_width(sheet, cell.column)
            size = font_size(cell)
            lines = text_lines(cell.value, width, size, bool(cell.font and cell.font.b))
            needed = max(needed, lines * LINE_HEIGHT * size / DEFAULT_FONT_SIZE)
        if needed > LINE_HEIGHT:
            current = sheet.row_dimensions[row[0].row].height or 0
            sheet.row_dimensions[row[0].row].height = max(current, needed)
            _align_tops(row)


def _align_tops(row) -> None:
    """A tall row reads line by line: its other cells at the top too, not at the bottom."""
    for cell in row:
        if cell.value is not None and cell.alignment.vertical is None:
            cell.alignment = cell.alignment.copy(vertical="top")


def row_height(sheet: Worksheet, row: int) -> float:
    """A row's height in points: the one set, else the default grown for a larger font."""
    if sheet.row_dimensions[row].height:
        return sheet.row_dimensions[row].height
    sizes = [font_size(cell) for cell in sheet[row] if cell.value is not None]
    return LINE_HEIGHT * max([DEFAULT_FONT_SIZE, *sizes]) / DEFAULT_FONT_SIZE


def _anchor_column(chart) -> int:
    """The column of the cell a chart was anchored on (sheet.add_chart(chart, "E4"))."""
    letters, _ = coordinate_from_string(chart.anchor)
    return column_index_from_string(letters)


def content_width_points(sheet: Worksheet) -> float:
    """The width a page must hold: the used columns, and every chart from its anchor."""
    columns = sum(width_points(column_width(sheet, c)) for c in range(1, sheet.max_column + 1))
    charts = [
        sum(width_points(column_width(sheet, c)) for c in range(1, _anchor_column(chart)))
        + chart.width / CM_PER_POINT
        for chart in sheet._charts
    ]
    return max([columns, *charts])


def page_height_points(sheet: Worksheet) -> float:
    """The height of sheet rows (points, unscaled) one printed page holds, fitted to width."""
    scale = min(1.0, PRINTABLE_WIDTH / content_width_points(sheet))
    return PRINTABLE_HEIGHT * PAGE_SAFETY / scale


def keep_blocks_on_pages(sheet: Worksheet, blocks: Sequence[tuple[int, int]]) -> None:
    """Page breaks so that no block (first row, last row) is cut between two pages.

    Blocks follow each other; what precedes the first block starts the first page.
    """
    fit_row_heights(sheet)
    # Every height explicit: LibreOffice places charts from the heights it knows at import,
    # so a row it would size itself (a larger title) shifts the charts below off their rows.
    for row in range(1, blocks[-1][1] + 1 if blocks else 1):
        sheet.row_dimensions[row].height = row_height(sheet, row)
    capacity = page_height_points(sheet)
    used = sum(row_height(sheet, row) for row in range(1, blocks[0][0])) if blocks else 0
    for first, last in blocks:
        height = sum(row_height(sheet, row) for row in range(first, last + 1))
        if used and used + height > capacity:
            sheet.row_breaks.append(Break(id=first - 1))
            used = 0
        used += height


def chart_rows(chart) -> int:
    """Rows of the default height a chart anchored on a row covers, and one row of space."""
    return math.ceil(chart.height / CM_PER_POINT / LINE_HEIGHT) + 1


def _space_text_after_numbers(sheet: Worksheet) -> None:
    """Indent text that follows a right-aligned number, or a right-aligned marker standing
    for one: "75 nombre" and "< seuil nombre", not "75nombre"."""
    for row in sheet.iter_rows():
        for before, cell in zip(row, row[1:], strict=False):
            number = isinstance(before.value, int | float) and not isinstance(before.value, bool)
            marker = isinstance(before.value, str) and before.alignment.horizontal == "right"
            if (
                (number or marker)
                and isinstance(cell.value, str)
                and cell.alignment.horizontal is None
            ):
                cell.alignment = cell.alignment.copy(horizontal="left", indent=1)


def _header_row(sheet: Worksheet) -> int | None:
    """The last row frozen at the top (a table's header), if any."""
    if not sheet.freeze_panes:
        return None
    _, first_free_row, _, _ = range_boundaries(sheet.freeze_panes)
    return first_free_row - 1 or None


def print_on_page_width(sheet: Worksheet, print_area: bool = True) -> None:
    """A4 landscape, narrow margins, one page across and as many down as needed; rows grown
    to their wrapped text; a frozen header repeated on every page.

    print_area: limit printing to the cells written (not for a sheet users fill later), unless
    the sheet has its own already (a table whose rows are written at save, write_large_table).
    """
    fit_row_heights(sheet)
    _space_text_after_numbers(sheet)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    header = _header_row(sheet)
    if header:
        sheet.print_title_rows = f"1:{header}"
    # Charts reach beyond the cells: LibreOffice knows their extent.
    if print_area and not sheet._charts and not sheet.print_area:
        sheet.print_area = f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}"


def _axis_font() -> RichText:
    properties = CharacterProperties(sz=AXIS_FONT_SIZE)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=properties), endParaRPr=properties)
    return RichText(p=[paragraph])


def show_every_category(chart, categories: int) -> None:
    """Every category labelled, in the table's order from the top; tall enough to read them.

    A horizontal bar chart draws its first category at the bottom and skips labels that do
    not fit: reverse its category axis (values then read at the bottom) and give each
    category its own height.
    """
    if not isinstance(chart, BarChart):
        return
    chart.x_axis.tickLblSkip = 1
    chart.x_axis.txPr = _axis_font()
    if chart.type == "bar":
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"
        chart.height = max(chart.height, CHART_FRAME_CM + CATEGORY_HEIGHT_CM * categories)
