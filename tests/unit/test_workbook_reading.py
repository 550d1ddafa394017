"""Reading real workbooks written with openpyxl: headers, blank rows, dates, file-level errors."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from ase_impact.contracts.errors import FileLevelError
from ase_impact.core import referentiel
from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import check_identity, parse_submission_path, read_workbook
from tests.hostile_files import replace_text, rewrite_parts, sheet_part
from tests.unit.test_rules_pairs import BASE_PAIR
from tests.workbook_factory import headers_of, write_workbook

PERIOD = "2026-10"
CODE = "cap-avenir"
NAME = f"{PERIOD}/{CODE}.xlsx"


def _write(tmp_path: Path, **options) -> Path:
    path = tmp_path / "raw" / PERIOD / f"{CODE}.xlsx"
    return write_workbook(path, **{"association_code": CODE, "period": PERIOD, **options})


def _pair(pair_id: str, **overrides) -> dict:
    return {**BASE_PAIR, "Identifiant binôme": pair_id, **overrides}


def _replaced(headers: list[str], old: str, new: str) -> list[str]:
    return [new if header == old else header for header in headers]


def test_headers_match_ignoring_case_and_outer_spaces(tmp_path):
    headers = _replaced(headers_of("pairs"), "Date de naissance", "date de naissance ")
    headers = _replaced(headers, "Sexe", "  SEXE")
    path = _write(
        tmp_path,
        headers={"pairs": headers},
        rows={
            "pairs": [{**_pair("B-1"), "date de naissance ": date(2010, 3, 4), "  SEXE": "Homme"}]
        },
    )
    sheet = read_workbook(path, NAME).sheets["pairs"]
    assert sheet.header_findings.empty
    assert sheet.frame.loc[0, "birth_date"] == date(2010, 3, 4)
    assert sheet.frame.loc[0, "sex"] == "Homme"


def test_a_misspelt_required_header_is_a_file_level_error_with_a_hint(tmp_path):
    headers = _replaced(headers_of("pairs"), "Date de naissance", "Date naissance")
    path = _write(tmp_path, headers={"pairs": headers})
    with pytest.raises(FileLevelError) as raised:
        read_workbook(path, NAME)
    assert raised.value.code == "FIC-007"
    assert raised.value.message_fr == (
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Données » : la colonne obligatoire "
        "« Date de naissance » est absente (vouliez-vous dire « Date de naissance » à la place "
        "de « Date naissance » ?) ; rien n'a été chargé. Les en-têtes doivent rester ceux du "
        "modèle, sur la première ligne."
    )


def test_a_header_without_its_accent_is_not_forgiven(tmp_path):
    headers = _replaced(headers_of("activities"), "Type d'activité", "Type d'activite")
    path = _write(tmp_path, headers={"activities": headers})
    with pytest.raises(FileLevelError) as raised:
        read_workbook(path, NAME)
    assert "« Type d'activité » à la place de « Type d'activite »" in raised.value.message_fr


def test_a_misspelt_optional_header_is_unknown_and_missing_and_read_as_empty(tmp_path):
    headers = _replaced(headers_of("pairs"), "Structure ASE d'origine", "Structure ASE origine")
    row = {**_pair("B-1"), "Structure ASE origine": "MECS Les Tilleuls"}
    path = _write(tmp_path, headers={"pairs": headers}, rows={"pairs": [row]})
    sheet = read_workbook(path, NAME).sheets["pairs"]
    findings = sheet.header_findings.set_index("rule_code")
    assert set(findings["severity"]) == {"alerte"}
    assert findings.loc["ENT-001", "column_header"] == "Structure ASE origine"
    assert findings.loc["ENT-001", "message_fr"] == (
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne 1, colonne « Structure ASE "
        "origine » : colonne inconnue, ignorée. Vouliez-vous dire « Structure ASE d'origine » ?"
    )
    assert findings.loc["ENT-002", "column_header"] == "Structure ASE d'origine"
    assert sheet.frame["referring_structure"].isna().all()


def test_extra_columns_are_warnings_and_are_not_read(tmp_path):
    headers = [*headers_of("activities"), "Commentaire interne"]
    rows = [
        {
            "Date": date(2026, 10, 3),
            "Type d'activité": "Atelier collectif",
            "Intitulé ou structure": "Atelier CV",
            "Commentaire interne": "à revoir",
        }
    ]
    path = _write(tmp_path, headers={"activities": headers}, rows={"activities": rows})
    workbook = read_workbook(path, NAME)
    sheet = workbook.sheets["activities"]
    assert sheet.header_findings[["rule_code", "severity", "column_header"]].values.tolist() == [
        ["ENT-001", "alerte", "Commentaire interne"]
    ]
    assert "à revoir" not in sheet.frame.to_numpy().tolist()[0]
    validated = validate_workbook(workbook, FileContext(NAME, PERIOD, CODE))["activities"]
    assert len(validated.accepted) == 1
    assert validated.findings["rule_code"].tolist() == ["ENT-001"]


def test_blank_rows_are_skipped_and_excel_rows_kept(tmp_path):
    rows = [_pair("B-1"), {}, {"Identifiant binôme": "   "}, _pair("B-2"), {}]
    path = _write(tmp_path, rows={"pairs": rows})
    sheet = read_workbook(path, NAME).sheets["pairs"]
    assert sheet.frame["excel_row"].tolist() == [2, 5]
    assert sheet.frame["pair_id"].tolist() == ["B-1", "B-2"]
    validated = validate_workbook(read_workbook(path, NAME), FileContext(NAME, PERIOD, CODE))
    assert validated["pairs"].rows_received == 2
    assert validated["pairs"].accepted["excel_row"].tolist() == [2, 5]


def test_a_row_filled_only_in_an_unknown_column_is_blank(tmp_path):
    headers = ["N°", *headers_of("resources")]
    rows = [{"N°": 1, "Catégorie": "Outil", "Détail": "Agenda partagé"}, {"N°": 2}, {"N°": 3}]
    path = _write(tmp_path, headers={"resources": headers}, rows={"resources": rows})
    assert read_workbook(path, NAME).sheets["resources"].frame["excel_row"].tolist() == [2]


def test_values_are_read_as_typed_in_excel(tmp_path):
    row = _pair(
        "  B-1 ",
        **{
            "Date de candidature": "01/02/2026",
            "Date de mise en relation": "2026-03-01",
            "Date de fin": datetime(2026, 10, 5, 0, 0),
            "Séances prévues": 20,
        },
    )
    path = _write(tmp_path, rows={"pairs": [row]})
    frame = read_workbook(path, NAME).sheets["pairs"].frame
    record = frame.iloc[0]
    assert record["pair_id"] == "B-1"
    assert record["application_date"] == "01/02/2026"
    assert record["sessions_planned"] == 20.0
    assert record["referring_structure"] == "MECS Les Tilleuls"
    assert list(frame.columns) == [*(s.field for s in referentiel.columns("pairs")), "excel_row"]


def test_french_iso_and_real_dates_all_parse(tmp_path):
    rows = [
        _pair("B-1", **{"Date de candidature": "01/02/2026"}),
        _pair("B-2", **{"Date de candidature": "2026-02-01"}),
        _pair("B-3", **{"Date de candidature": date(2026, 2, 1)}),
        _pair("B-4", **{"Date de candidature": datetime(2026, 2, 1, 9, 15)}),
    ]
    path = _write(tmp_path, rows={"pairs": rows})
    validated = validate_workbook(read_workbook(path, NAME), FileContext(NAME, PERIOD, CODE))
    accepted = validated["pairs"].accepted
    assert accepted["application_date"].tolist() == [pd.Timestamp("2026-02-01")] * 4
    assert validated["pairs"].findings.empty


def test_invisible_and_control_characters_are_not_read(tmp_path):
    zero_width, byte_order, left_to_right = "\u200b", "\ufeff", "\u200e"
    rows = [
        _pair(
            "B-1",
            **{"Date de candidature": f"{zero_width}01/02/2026", "Séances prévues": "20\u200b"},
        ),
        {"Identifiant binôme": zero_width, "Sexe": byte_order},  # shows nothing: a blank row
        _pair(
            "B-2",
            **{
                "Date de candidature": f"{byte_order}2026-02-01",
                "Séances prévues": f"2{left_to_right}4",
            },
        ),
    ]
    path = _write(tmp_path, rows={"pairs": rows})
    # A NUL, which openpyxl does not write, as Excel's XML escapes it; PostgreSQL refuses it.
    replace_text(path, "MECS Les Tilleuls", "MECS _x0000_Les\tTilleuls")

    workbook = read_workbook(path, NAME)
    assert workbook.sheets["pairs"].frame["excel_row"].tolist() == [2, 4]
    validated = validate_workbook(workbook, FileContext(NAME, PERIOD, CODE))["pairs"]
    assert validated.findings.empty
    accepted = validated.accepted
    assert accepted["application_date"].tolist() == [pd.Timestamp("2026-02-01")] * 2
    assert accepted["sessions_planned"].tolist() == [20, 24]
    assert accepted["referring_structure"].tolist() == ["MECS Les\tTilleuls"] * 2


def test_the_cells_a_merge_covers_are_rejected_saying_so(tmp_path):
    rows = [_pair("B-1"), _pair("B-2", Sexe=None), _pair("B-3", Sexe=None), _pair("B-4")]
    path = _write(tmp_path, rows={"pairs": rows})
    sex = get_column_letter(headers_of("pairs").index("Sexe") + 1)
    book = load_workbook(path)
    book["Données"].merge_cells(f"{sex}2:{sex}4")  # « Femme » shown on three rows, held on one
    book["Données"].merge_cells("A20:C22")  # empty cells merged: nothing shows, nothing changes
    book.save(path)

    validated = validate_workbook(read_workbook(path, NAME), FileContext(NAME, PERIOD, CODE))
    pairs = validated["pairs"]
    assert (pairs.rows_received, pairs.accepted["pair_id"].tolist()) == (4, ["B-1", "B-4"])
    found = pairs.findings[["excel_row", "rule_code", "value_received"]].values.tolist()
    assert found == [[3, "CEL-005", f"{sex}2:{sex}4"], [4, "CEL-005", f"{sex}2:{sex}4"]]
    merged = f"{sex}2:{sex}4"
    assert (
        pairs.findings["message_fr"]
        .iloc[0]
        .endswith(
            f"colonne « Sexe » : la cellule fait partie des cellules fusionnées {merged} : Excel y "
            "affiche la valeur de la première, mais elle est vide ; annulez la fusion (Accueil > "
            "Fusionner et centrer) et saisissez la valeur sur chaque ligne."
        )
    )


def test_an_identity_cell_reads_as_it_shows(tmp_path):
    path = _write(tmp_path, period=202610, association_code=f"\u200b{CODE}")
    identity = read_workbook(path, NAME).identity
    assert (identity["period"], identity["association_code"]) == ("202610", CODE)
    with pytest.raises(FileLevelError) as refused:
        check_identity(identity, PERIOD, CODE, NAME)
    assert "(valeur lue : « 202610 »)" in refused.value.message_fr


def test_identity_reads_a_period_typed_as_a_date_and_a_version_typed_as_a_number(tmp_path):
    path = _write(tmp_path, period=date(2026, 10, 1), template_version=2026.1)
    identity = read_workbook(path, NAME).identity
    assert identity == {
        "association_name": "Association de test",
        "association_code": CODE,
        "period": "2026-10",
        "template_version": "2026.1",
    }
    check_identity(identity, PERIOD, CODE, NAME)


def test_sheet_names_ignore_case_and_outer_spaces_but_not_accents(tmp_path):
    path = _write(tmp_path)
    book = load_workbook(path)
    book["Ressources"].title = " RESSOURCES "
    book["Activités"].title = "Activites"
    book.save(path)
    with pytest.raises(FileLevelError) as raised:
        read_workbook(path, NAME)
    assert raised.value.message_fr == (
        "Fichier 2026-10/cap-avenir.xlsx : l'onglet « Activités » est absent (vouliez-vous "
        "dire « Activités » à la place de « Activites » ?) ; rien n'a été chargé. Utilisez le "
        "modèle de classeur sans renommer ni supprimer ses onglets."
    )


# ---------------------------------------------------------------------------------------------
# File-level errors: nothing of the file is loaded, and the French message says why.


def _raised(callable_, *args) -> FileLevelError:
    with pytest.raises(FileLevelError) as raised:
        callable_(*args)
    return raised.value


def test_a_file_that_is_neither_a_workbook_nor_text_is_not_a_workbook(tmp_path):
    path = tmp_path / "raw" / PERIOD / f"{CODE}.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    error = _raised(read_workbook, path, NAME)
    assert (error.code, error.message_fr) == (
        "FIC-004",
        "Fichier 2026-10/cap-avenir.xlsx : ce n'est pas un classeur Excel au format .xlsx "
        "(ancien format .xls, fichier protégé par un mot de passe ou autre fichier renommé) ; "
        "enregistrez-le depuis Excel au format « Classeur Excel (.xlsx) », sans mot de passe, "
        "puis déposez-le à nouveau.",
    )


@pytest.mark.parametrize("kept_bytes", [100, 3000])
def test_a_corrupt_zip_is_reported_as_damaged(tmp_path, kept_bytes):
    path = _write(tmp_path)
    path.write_bytes(path.read_bytes()[:kept_bytes])
    error = _raised(read_workbook, path, NAME)
    assert (error.code, error.message_fr) == (
        "FIC-005",
        "Fichier 2026-10/cap-avenir.xlsx : le classeur est endommagé et ne peut pas être lu ; "
        "ouvrez-le dans Excel, enregistrez-le à nouveau au format .xlsx puis déposez-le.",
    )


def _with_rows_xml(path: Path, rows_xml: str) -> Path:
    """Append raw rows to the XML of « Données », as another spreadsheet program might write."""
    part = sheet_part(path, "Données")

    def transform(name: str, data: bytes) -> bytes:
        return data.replace(b"</sheetData>", rows_xml.encode() + b"</sheetData>", 1)

    return rewrite_parts(path, lambda name, data: transform(name, data) if name == part else data)


@pytest.mark.parametrize(
    ("rows_xml", "code", "said"),
    [
        # Cells without their position: followed from the row, A50002 is past the limit.
        (
            '<row r="50002"><c t="inlineStr"><is><t>B-9</t></is></c></row>',
            "FIC-013",
            "la cellule A50002 contient une valeur",
        ),
        # A prefixed cell element with a formula and no cached result.
        (
            '<row r="7"><x:c xmlns:x="urn:example" r="C7"><x:f>1+1</x:f></x:c></row>',
            "FIC-014",
            "la cellule C7 contient une formule",
        ),
    ],
)
def test_sheets_written_unusually_are_still_checked_cell_by_cell(tmp_path, rows_xml, code, said):
    path = _with_rows_xml(_write(tmp_path, rows={"pairs": [_pair("B-1")]}), rows_xml)
    error = _raised(read_workbook, path, NAME)
    assert error.code == code
    assert f"onglet « Données » : {said}" in error.message_fr


def test_an_empty_cell_past_the_limits_or_a_formula_in_a_comment_refuses_nothing(tmp_path):
    rows = '<!-- <f>1+1</f> --><row r="7"><c r="GS7" s="0"/></row>'
    path = _with_rows_xml(_write(tmp_path, rows={"pairs": [_pair("B-1")]}), rows)
    frame = read_workbook(path, NAME).sheets["pairs"].frame
    assert frame["pair_id"].tolist() == ["B-1"]


def test_a_document_type_declaration_in_a_sheet_is_a_damaged_file(tmp_path):
    path = _write(tmp_path, rows={"pairs": [_pair("B-1")]})
    part = sheet_part(path, "Données")
    doctype = b'<!DOCTYPE worksheet [<!ENTITY e "x">]>'

    def transform(name: str, data: bytes) -> bytes:
        return data.replace(b"<worksheet", doctype + b"<worksheet", 1) if name == part else data

    assert _raised(read_workbook, rewrite_parts(path, transform), NAME).code == "FIC-005"


def test_missing_sheets_are_named(tmp_path):
    path = _write(tmp_path, omit_sheets=["Ressources", "Paramètres figés"])
    error = _raised(read_workbook, path, NAME)
    assert error.code == "FIC-006"
    assert error.message_fr.startswith(
        "Fichier 2026-10/cap-avenir.xlsx : les onglets « Ressources » et « Paramètres figés » "
        "sont absents ; rien n'a été chargé."
    )


def test_a_missing_required_column_is_named(tmp_path):
    headers = [h for h in headers_of("resources") if h not in ("Catégorie", "Détail")]
    error = _raised(read_workbook, _write(tmp_path, headers={"resources": headers}), NAME)
    assert error.code == "FIC-007"
    assert error.message_fr.startswith(
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Ressources » : les colonnes obligatoires "
        "« Catégorie » et « Détail » sont absentes ; rien n'a été chargé."
    )


def test_a_period_mismatch_names_both_months(tmp_path):
    identity = read_workbook(_write(tmp_path, period="2026-09"), NAME).identity
    error = _raised(check_identity, identity, PERIOD, CODE, NAME)
    assert (error.code, error.message_fr) == (
        "PAR-005",
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Paramètres figés » : le fichier indique la "
        "période 2026-09 mais a été déposé dans 2026-10.",
    )


def test_an_association_code_mismatch_names_both_codes(tmp_path):
    identity = read_workbook(_write(tmp_path, association_code="envol"), NAME).identity
    error = _raised(check_identity, identity, PERIOD, CODE, NAME)
    assert (error.code, error.message_fr) == (
        "PAR-003",
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Paramètres figés » : le fichier indique le "
        "code association envol mais a été déposé pour l'association cap-avenir.",
    )


def test_an_unsupported_template_version_is_refused_while_reading(tmp_path):
    error = _raised(read_workbook, _write(tmp_path, template_version="2025.2"), NAME)
    assert (error.code, error.message_fr) == (
        "PAR-007",
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Paramètres figés » : la version du modèle "
        "2025.2 n'est pas prise en charge (versions acceptées : 2026.1) ; utilisez le modèle de "
        "classeur à jour.",
    )


def test_a_missing_template_version_is_refused_while_reading(tmp_path):
    error = _raised(read_workbook, _write(tmp_path, template_version=None), NAME)
    assert error.code == "PAR-006"
    assert "la cellule « Version du modèle » est vide" in error.message_fr


def test_a_valid_path_gives_period_and_association(tmp_path):
    raw = tmp_path / "raw"
    assert parse_submission_path(raw, raw / "2026-10" / "cap-avenir.xlsx") == ("2026-10", CODE)


@pytest.mark.parametrize(
    ("relative", "code", "message"),
    [
        (
            "cap-avenir.xlsx",
            "FIC-001",
            "Fichier cap-avenir.xlsx : le fichier n'est pas rangé au bon endroit ; déposez chaque "
            "classeur dans le dossier de son mois, sous la forme AAAA-MM/code-association.xlsx "
            "(par exemple 2026-10/cap-avenir.xlsx).",
        ),
        (
            "2026-13/cap-avenir.xlsx",
            "FIC-002",
            "Fichier 2026-13/cap-avenir.xlsx : le dossier « 2026-13 » n'est pas un mois valide ; "
            "il doit être nommé AAAA-MM (par exemple 2026-10).",
        ),
        (
            "2026-10/Cap Avenir.xlsx",
            "FIC-003",
            "Fichier 2026-10/Cap Avenir.xlsx : le nom du fichier doit être le code de "
            "l'association suivi de .xlsx, en minuscules sans accent, chiffres et tirets (2 à 41 "
            "caractères, par exemple cap-avenir.xlsx).",
        ),
        (
            "\uff12\uff10\uff12\uff16-10/cap-avenir.xlsx",  # full-width digits
            "FIC-002",
            "Fichier \uff12\uff10\uff12\uff16-10/cap-avenir.xlsx : le dossier « "
            "\uff12\uff10\uff12\uff16-10 » n'est pas un mois valide ; il doit être nommé AAAA-MM "
            "(par exemple 2026-10).",
        ),
        (
            os.fsdecode(b"2026-10/caf\xe9.xlsx"),  # « café.xlsx » named in Latin-1
            "FIC-003",
            "Fichier 2026-10/caf\ufffd.xlsx : le nom du fichier doit être le code de "
            "l'association suivi de .xlsx, en minuscules sans accent, chiffres et tirets (2 à 41 "
            "caractères, par exemple cap-avenir.xlsx).",
        ),
    ],
)
def test_invalid_file_names_are_refused(tmp_path, relative, code, message):
    raw = tmp_path / "raw"
    error = _raised(parse_submission_path, raw, raw / relative)
    assert (error.code, error.message_fr) == (code, message)


@pytest.mark.parametrize("date1904", [False, True], ids=["1900 (Windows)", "1904 (Mac)"])
def test_a_date_typed_as_a_plain_number_counts_from_the_workbooks_date_system(tmp_path, date1904):
    # As Excel shows it: the serial of 04/05/2011 in the workbook's own date system.
    epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    serial = (date(2011, 5, 4) - epoch).days
    rows = [_pair("B-1", **{"Date de naissance": serial, "Date de candidature": date(2026, 2, 1)})]
    path = _write(tmp_path, rows={"pairs": rows})
    if date1904:
        book = load_workbook(path)
        book.epoch = CALENDAR_MAC_1904  # real dates are written in 1904 serials too
        book.save(path)
    validated = validate_workbook(read_workbook(path, NAME), FileContext(NAME, PERIOD, CODE))
    pairs = validated["pairs"]
    assert pairs.findings.empty
    assert pairs.accepted["birth_date"].tolist() == [pd.Timestamp("2011-05-04")]
    assert pairs.accepted["application_date"].tolist() == [pd.Timestamp("2026-02-01")]
