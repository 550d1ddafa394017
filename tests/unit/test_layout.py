"""Layout of the written workbooks: wrapped text's lines, row heights, pages, charts."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart
from openpyxl.styles import Alignment

from ase_impact.publish import layout
from ase_impact.publish.excel_safety import filter_table, write_note, write_table


def test_text_lines_wrap_word_by_word_and_break_long_words():
    assert layout.text_lines("abc", 10) == 1
    assert layout.text_lines("", 10) == 1
    assert layout.text_lines("un\ndeux", 40) == 2
    # 8 characters a line at width 9.2: "aaaa bbb" then "cccc".
    assert layout.text_lines("aaaa bbb cccc", 9.2) == 2
    assert layout.text_lines("a" * 25, 11.5) == 3  # broken every 10 characters
    # 34 characters: one line of a 40-wide cell, two once bold.
    assert (layout.text_lines("abcd " * 7, 40), layout.text_lines("abcd " * 7, 40, bold=True)) == (
        1,
        2,
    )


def test_rows_grow_to_their_wrapped_text_and_merged_notes():
    sheet = Workbook().active
    write_table(sheet, 3, ["Réponses « Oui » au questionnaire de fin de mentorat", "Nombre"], [])
    sheet.column_dimensions["A"].width = 15
    write_note(sheet, 1, "Une note de deux cents caractères. " * 6, [20, 20])
    sheet["A5"], sheet["B5"] = "court", 12
    sheet["A6"], sheet["B6"] = "un message trop long pour une seule ligne", 7
    sheet["A6"].alignment = Alignment(wrap_text=True)
    layout.fit_row_heights(sheet)
    assert sheet.row_dimensions[3].height >= 5 * layout.LINE_HEIGHT  # header in 5+ lines
    assert sheet.row_dimensions[1].height >= 6 * layout.LINE_HEIGHT  # 210 characters, width 40
    assert sheet.row_dimensions[5].height is None  # nothing wrapped: left to the spreadsheet
    assert sheet.row_dimensions[6].height >= 3 * layout.LINE_HEIGHT  # 41 characters, width 15
    assert sheet["B6"].alignment.vertical == "top"  # level with the wrapped text's first line


def test_blocks_are_never_cut_by_a_page_break():
    sheet = Workbook().active
    blocks = [(first, first + 14) for first in range(4, 4 + 6 * 15, 15)]
    for first, _ in blocks:
        sheet.cell(first, 1, "titre")
    layout.keep_blocks_on_pages(sheet, blocks)
    breaks = [item.id for item in sheet.row_breaks.brk]
    assert breaks, "six blocks of 225 points do not fit on one page"
    starts = {first - 1 for first, _ in blocks}
    assert set(breaks) <= starts  # always right before a block
    # As many blocks per page as fit in what a page holds, fitted to the sheet's width.
    per_page = int(layout.page_height_points(sheet) // (15 * layout.LINE_HEIGHT))
    assert len(breaks) == -(-len(blocks) // per_page) - 1


def test_print_settings_repeat_the_header_and_limit_the_area():
    book = Workbook()
    table, filled = book.active, book.create_sheet()
    last = write_table(table, 2, ["Onglet", "Ligne"], [("Données", 3), ("Données", 4)])
    filter_table(table, 2, 2, last)
    filled["A1"] = "en-tête"
    layout.print_on_page_width(table)
    layout.print_on_page_width(filled, print_area=False)
    assert table.print_title_rows == "$1:$2"
    assert table.print_area == "'Sheet'!$A$1:$B$4"
    assert table.page_setup.orientation == "landscape" and table.page_setup.paperSize == 9
    assert table.sheet_properties.pageSetUpPr.fitToPage and table.page_setup.fitToWidth == 1
    assert not filled.print_area and not filled.print_title_rows
    assert table["B3"].alignment.horizontal is None and table["A3"].alignment == Alignment()


def test_text_after_a_number_or_a_marker_standing_for_one_is_indented():
    sheet = Workbook().active
    sheet.append(["Jeunes accompagnés", 75, "nombre"])
    sheet.append(["Jeunes en attente", "< seuil", "nombre"])
    sheet["B2"].alignment = Alignment(horizontal="right")
    layout.print_on_page_width(sheet)
    for unit in ("C1", "C2"):
        assert (sheet[unit].alignment.horizontal, sheet[unit].alignment.indent) == ("left", 1)
    assert sheet["B1"].alignment.indent == 0
    assert sheet["A2"].alignment.horizontal is None  # a label before text: left as it is


def test_horizontal_bars_list_every_category_from_the_top():
    bars = BarChart()
    bars.type = "bar"
    layout.show_every_category(bars, 10)
    assert bars.x_axis.tickLblSkip == 1
    assert bars.x_axis.scaling.orientation == "maxMin" and bars.y_axis.crosses == "max"
    assert bars.height >= layout.CHART_FRAME_CM + 10 * layout.CATEGORY_HEIGHT_CM
    columns = BarChart()
    layout.show_every_category(columns, 4)
    assert columns.x_axis.tickLblSkip == 1 and columns.x_axis.scaling.orientation == "minMax"
    pie = PieChart()
    layout.show_every_category(pie, 4)  # a pie labels its slices in its legend
    assert pie.height == PieChart().height
