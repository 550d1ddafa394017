"""The blank reporting workbook: sheets, headers, protection, drop-downs and identity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from ase_impact.core import referentiel
from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import check_identity, read_workbook
from ase_impact.publish.template import (
    LAST_DATA_ROW,
    LIST_EXTRAS,
    LIST_HEADER_ROW,
    LIST_TITLES_FR,
    append_data_row,
    build_template,
    list_range_name,
    used_list_codes,
    write_template,
)

READ_DATA_SHEETS = [s for s in referentiel.sheets() if s.is_read and s.sheet_code != "parameters"]
PARAMETERS = referentiel.sheet("parameters").name_fr


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "2026-10" / "cap-avenir.xlsx"
    return load_workbook(write_template(path, "cap-avenir", "2026-10"))


def _validations_by_column(sheet) -> dict[str, list]:
    """Column letter → the validations whose range starts at row 2 of that column."""
    found: dict[str, list] = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            min_col, min_row, max_col, max_row = range_boundaries(cell_range.coord)
            assert (min_col, min_row, max_row) == (max_col, 2, LAST_DATA_ROW), cell_range.coord
            found.setdefault(get_column_letter(min_col), []).append(validation)
    return found


def test_sheets_follow_the_seed_order(book):
    assert book.sheetnames == [spec.name_fr for spec in referentiel.sheets()]
    assert book.active.title == "Explications"


@pytest.mark.parametrize("spec", READ_DATA_SHEETS, ids=lambda s: s.sheet_code)
def test_read_sheet_headers_are_bold_frozen_annotated_and_locked(book, spec):
    sheet = book[spec.name_fr]
    columns = referentiel.columns(spec.sheet_code)
    assert [cell.value for cell in sheet[1]] == [column.header_fr for column in columns]
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert sheet.protection.sheet
    for index, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=index)
        assert header.font.bold
        assert header.protection.locked
        assert column.help_fr in header.comment.text
        letter = get_column_letter(index)
        assert sheet.column_dimensions[letter].protection.locked is False
        assert sheet.column_dimensions[letter].width >= 7


@pytest.mark.parametrize("spec", READ_DATA_SHEETS, ids=lambda s: s.sheet_code)
def test_every_list_column_has_a_dropdown_fed_by_its_named_range(book, spec):
    validations = _validations_by_column(book[spec.name_fr])
    for index, column in enumerate(referentiel.columns(spec.sheet_code), start=1):
        if not column.list_code:
            continue
        (validation,) = validations[get_column_letter(index)]
        assert validation.type == "list"
        assert validation.formula1 == list_range_name(column.list_code)
        assert validation.showErrorMessage


def test_named_ranges_hold_exactly_the_seed_labels_under_their_title(book):
    listed_codes = {
        c.list_code for s in READ_DATA_SHEETS for c in referentiel.columns(s.sheet_code)
    }
    assert set(used_list_codes()) == listed_codes - {None}
    for list_code in used_list_codes():
        ((sheet_title, cells),) = book.defined_names[list_range_name(list_code)].destinations
        assert sheet_title == PARAMETERS
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
        assert min_col == max_col and min_row == LIST_HEADER_ROW + 1
        sheet = book[PARAMETERS]
        values = [sheet.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]
        extra = referentiel.list_labels(LIST_EXTRAS[list_code]) if list_code in LIST_EXTRAS else ()
        assert [str(v) for v in values] == [*referentiel.list_labels(list_code), *extra]
        assert sheet.cell(row=LIST_HEADER_ROW, column=min_col).value == LIST_TITLES_FR[list_code]
        assert sheet.cell(row=max_row + 1, column=min_col).value is None


def test_dates_integers_and_amounts_are_validated(book):
    for spec in READ_DATA_SHEETS:
        sheet = book[spec.name_fr]
        validations = _validations_by_column(sheet)
        for index, column in enumerate(referentiel.columns(spec.sheet_code), start=1):
            letter = get_column_letter(index)
            if column.data_type == "date":
                (validation,) = validations[letter]
                assert validation.type == "date"
                assert validation.formula2 == "DATE(2026,10,31)"
                assert sheet.column_dimensions[letter].number_format == "DD/MM/YYYY"
            elif column.data_type in ("integer", "number"):
                (validation,) = validations[letter]
                assert validation.type == ("whole" if column.data_type == "integer" else "decimal")
                assert (validation.operator, validation.formula1) == ("greaterThanOrEqual", "0")
            elif column.data_type == "text":
                assert letter not in validations


def test_activity_dates_are_bounded_to_the_month(book):
    (validation,) = _validations_by_column(book["Activités"])["A"]
    assert (validation.formula1, validation.formula2) == ("DATE(2026,10,1)", "DATE(2026,10,31)")


def test_identity_block_is_prefilled_as_text(book):
    sheet = book[PARAMETERS]
    rows = [[cell.value for cell in row] for row in sheet["A1:B4"]]
    assert rows == [
        ["Association", "Cap Avenir"],
        ["Code association", "cap-avenir"],
        ["Période", "2026-10"],
        ["Version du modèle", referentiel.CURRENT_TEMPLATE_VERSION],
    ]
    assert list(referentiel.IDENTITY_LABELS) == [row[0] for row in rows]
    assert sheet["B3"].number_format == "@"
    assert sheet.protection.sheet


def test_unknown_code_names_the_association_by_its_code_unless_given(tmp_path):
    unknown = load_workbook(write_template(tmp_path / "a.xlsx", "nouvelle-asso", "2027-01"))
    assert unknown[PARAMETERS]["B1"].value == "nouvelle-asso"
    named = load_workbook(
        write_template(tmp_path / "b.xlsx", "nouvelle-asso", "2027-01", "Nouvelle Association")
    )
    assert named[PARAMETERS]["B1"].value == "Nouvelle Association"
    assert named[PARAMETERS]["B3"].value == "2027-01"


def test_explanations_tell_how_to_fill_the_file(book):
    text = " ".join(str(cell.value) for cell in book["Explications"]["A"] if cell.value)
    for expected in ("AAAA-MM/<code>.xlsx", "JJ/MM/AAAA", "menu déroulant", "pseudonyme"):
        assert expected in text
    for spec in referentiel.sheets():
        if spec.sheet_code != "explanations":
            assert f"« {spec.name_fr} »" in text


@pytest.mark.parametrize("name", ["Synthèse des résultats", "Tableau de bord"])
def test_unread_sheets_say_they_are_the_associations_own(book, name):
    assert "ne le lit pas" in book[name]["A1"].value


@pytest.mark.parametrize(
    ("code", "period"),
    [("cap-avenir", "2026-13"), ("cap-avenir", "10/2026"), ("Cap Avenir", "2026-10")],
)
def test_bad_period_or_code_is_refused_in_french(tmp_path: Path, code, period):
    with pytest.raises(ValueError, match="invalide"):
        write_template(tmp_path / "x.xlsx", code, period)


VALID_ROWS = {
    "pairs": [
        ["BIN-001", "Durand", "Léa", "Femme", date(2011, 3, 4), "Quatrième", "MECS associative",
         "Nord", None, date(2026, 9, 20), None, "En attente de binôme", None, None,
         "Soutien scolaire", None, "Nouveau", None, None, None, None, None, None],
        ["BIN-002", "Morel", "Yanis", "Homme", date(2009, 7, 1), "Seconde", "SAF associatif",
         "Sud", "SAF Arc-en-ciel", date(2026, 3, 2), date(2026, 4, 1), "En cours", None, None,
         "Insertion professionnelle", "Hybride", "Reconduction", "M-01", "Oui", "Hebdomadaire",
         28, 25, None],
        ["BIN-003", "Petit", "Inès", "Femme", "12/05/2010", "Troisième", "Foyer de l'enfance",
         "Est", None, "2026-01-15", date(2026, 2, 1), "Clôturé", date(2026, 10, 10),
         "Objectif atteint", "Orientation académique", "Présentiel", "Nouveau", "M-02", "Non",
         "Mensuelle", 9, 9, "Oui"],
    ],
    "end_questionnaires": [
        ["BIN-003", date(2026, 10, 20), "Oui", "Non", "Ne sait pas", "Oui", "Oui", "Oui", "Non"],
    ],
    "mispe_questionnaires": [
        ["Petit", "Inès", date(2010, 5, 12), "T0 (entrée)", date(2026, 10, 5),
         *([1, 2, 3, 4, "NSP", None] * 3)],
    ],
    "resources": [
        ["Subvention", "Conseil départemental", 30000, "EUR"],
        ["ETP salariés", "Coordination", 1.5, "ETP"],
        ["ETP bénévoles", "Mentors", 2, "ETP"],
        ["Coût annexe", "Locaux", 4000, "EUR"],
        ["Outil", "Plateforme de suivi", None, None],
    ],
    "activities": [
        [date(2026, 10, 3), "Atelier collectif", "Atelier CV", 12],
        ["15/10/2026", "Structure ASE contactée", "MECS Le Phare", None],
    ],
}  # fmt: skip


def test_template_filled_with_valid_rows_reads_back_without_findings(tmp_path):
    book = build_template("cap-avenir", "2026-10")
    for sheet_code, rows in VALID_ROWS.items():
        sheet = book[referentiel.sheet(sheet_code).name_fr]
        excel_rows = [append_data_row(sheet, row) for row in rows]
        assert excel_rows == list(range(2, len(rows) + 2))
    path = tmp_path / "2026-10" / "cap-avenir.xlsx"
    path.parent.mkdir()
    book.save(path)

    workbook = read_workbook(path, "2026-10/cap-avenir.xlsx")
    check_identity(workbook.identity, "2026-10", "cap-avenir", "2026-10/cap-avenir.xlsx")
    validated = validate_workbook(
        workbook, FileContext("2026-10/cap-avenir.xlsx", "2026-10", "cap-avenir")
    )
    for sheet_code, rows in VALID_ROWS.items():
        assert validated[sheet_code].findings.empty, validated[sheet_code].findings["message_fr"]
        assert (
            len(validated[sheet_code].accepted) == validated[sheet_code].rows_received == len(rows)
        )
    sheet = load_workbook(path)["Données"]
    assert sheet["E2"].number_format == "DD/MM/YYYY" and sheet["E2"].protection.locked is False


def test_the_mis_pe_answer_list_offers_the_no_answer_the_rules_accept(book):
    from ase_impact.contracts.rules import NO_ANSWER

    ((_, cells),) = book.defined_names[list_range_name("mispe_answer")].destinations
    values = [cell.value for (cell,) in book[PARAMETERS][cells.replace("$", "")]]
    assert values == [1, 2, 3, 4, NO_ANSWER]


def test_header_notes_never_contradict_the_help(book):
    """« obligatoire sauf pour Outil » is not followed by « Facultatif. »."""
    for spec in READ_DATA_SHEETS:
        for cell in book[spec.name_fr][1]:
            note = cell.comment.text.casefold()
            assert not ("obligatoire" in note and "facultatif" in note), note


def test_every_sheet_prints_one_page_wide_in_landscape(book):
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
