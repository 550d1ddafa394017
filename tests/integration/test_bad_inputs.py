"""Hostile and odd files, each ingested for real over an accepted partition.

Every case drops its file as raw/2026-10/cap-avenir.xlsx after a valid version of that
partition and a valid file of another association were loaded, ingests it through
ingest_file (or ingest_partition) into a real DuckDB file, and checks the exact French message
and that nothing accepted before was lost. Row-level cases check their exact findings.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ase_impact.contracts.findings import MAX_FINDINGS_PER_FILE, MAX_FINDINGS_PER_RULE
from ase_impact.core import keys
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings, load_settings
from ase_impact.intake import file_checks
from ase_impact.intake.discovery import discover_files, pending_files, submission_files
from ase_impact.intake.ingestion import IngestionReport, ingest_file, ingest_partition
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.publish.feedback import write_feedback_workbook
from ase_impact.warehouse import connection, loader, schema
from tests.conftest import DEMO_REGISTRY, isolated_environment
from tests.hostile_files import (
    blank_template,
    error_logical_and_percent_cells,
    garbage_rows,
    hidden_duplicate_data_sheet,
    huge_session_count,
    invisible_characters,
    long_text_cell,
    mac_workbook_with_serial_birth_date,
    nameless_youths,
    ole2_file,
    pad_sheet,
    rewrite_parts,
    sheet_part,
    with_cached_results,
)
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import pair_row, write_submission
from tests.integration.test_loading import RAW_TABLES, raw_counts, table_dump
from tests.workbook_factory import headers_of

PERIOD = "2026-10"
CODE = "cap-avenir"
OTHER_CODE = "envol-mentorat"
NAME = f"{PERIOD}/{CODE}.xlsx"
ACCEPTED_AT = datetime(2026, 11, 3, 9, 30)
REFUSED_AT = datetime(2026, 11, 5, 14, 0)


@pytest.fixture(scope="module")
def accepted_state(tmp_path_factory) -> Path:
    """raw/, archive and warehouse once a valid file of CODE and of OTHER_CODE were accepted.

    Built once and copied for each test: ingesting two workbooks for every case is slow.
    """
    root = tmp_path_factory.mktemp("accepted")
    with isolated_environment(root, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        with connection.connect(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            for code in (CODE, OTHER_CODE):
                path = write_submission(settings.raw_dir, PERIOD, code)
                report = ingest_file(path, settings, conn, received_at=ACCEPTED_AT)
                assert report.status == "accepted"
    return root


@pytest.fixture
def settings(settings, isolated_paths, accepted_state) -> Settings:
    """The shared settings (tests/integration/conftest.py), their folders holding accepted_state."""
    shutil.copytree(accepted_state, isolated_paths, dirs_exist_ok=True)
    return settings


@dataclass(frozen=True)
class PreviousState:
    raw: dict[str, list[tuple]]
    counts: dict[str, int]  # the partition's raw row counts


def raw_state(conn) -> dict[str, list[tuple]]:
    return table_dump(conn, RAW_TABLES)


@pytest.fixture
def previous(conn) -> PreviousState:
    """The partition and another association's file, both accepted before the bad file."""
    assert raw_counts(conn, OTHER_CODE)["pairs"] == 4
    return PreviousState(raw_state(conn), raw_counts(conn, CODE))


def valid_file(settings, **options) -> Path:
    return write_submission(settings.raw_dir, PERIOD, CODE, **options)


def bad_path(settings, file_name: str = f"{CODE}.xlsx") -> Path:
    path = settings.raw_dir / PERIOD / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def refused(conn, settings, path: Path, previous: PreviousState) -> tuple[IngestionReport, str]:
    """Ingest the bad file, check raw did not change; the report and the error code recorded."""
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert report.status == "rejected"
    assert raw_state(conn) == previous.raw
    assert raw_counts(conn, CODE) == previous.counts
    [(code, message)] = conn.execute(
        "SELECT error_code, message_fr FROM quality.file_errors WHERE file_sha256 = ?",
        [report.sha256],
    ).fetchall()
    assert message == report.message_fr
    return report, code


def submission_statuses(conn, code: str = CODE) -> list[tuple]:
    return conn.execute(
        "SELECT version, status FROM quality.submissions WHERE association_code = ? "
        "ORDER BY version",
        [code],
    ).fetchall()


def assert_refusal(conn, settings, path, previous, code: str, message: str) -> None:
    """The file is refused with exactly this code and message, recorded as version 2."""
    report, recorded_code = refused(conn, settings, path, previous)
    assert (recorded_code, report.message_fr) == (code, message)
    assert submission_statuses(conn) == [(1, "accepted"), (2, "rejected")]


# ---------------------------------------------------------------------------------------------
# Not a workbook at all


NOT_A_WORKBOOK = {
    "empty": (
        b"",
        "FIC-008",
        "le fichier est vide (0 octet), son dépôt a sans doute été interrompu ; déposez à "
        "nouveau le classeur enregistré depuis Excel.",
    ),
    "csv": (
        "Identifiant binôme;Sexe\nB-001;Femme\n".encode("cp1252"),
        "FIC-011",
        "c'est un fichier texte (par exemple un export CSV) renommé en .xlsx, pas un classeur "
        "Excel ; recopiez les données dans le modèle de classeur, enregistrez-le au format "
        "« Classeur Excel (.xlsx) » puis déposez-le à nouveau.",
    ),
    "binary-not-zip": (
        b"%PDF-1.7\n\x00\x01\x02 binary",
        "FIC-004",
        "ce n'est pas un classeur Excel au format .xlsx (ancien format .xls, fichier protégé "
        "par un mot de passe ou autre fichier renommé) ; enregistrez-le depuis Excel au format "
        "« Classeur Excel (.xlsx) », sans mot de passe, puis déposez-le à nouveau.",
    ),
    "old-xls": (
        ole2_file(password_protected=False),
        "FIC-009",
        "c'est un classeur Excel à l'ancien format .xls (Excel 97-2003), renommé en .xlsx ; "
        "ouvrez-le dans Excel, enregistrez-le au format « Classeur Excel (.xlsx) » puis "
        "déposez-le à nouveau.",
    ),
    "password-protected": (
        ole2_file(password_protected=True),
        "FIC-010",
        "le classeur est protégé par un mot de passe et ne peut pas être lu ; ouvrez-le dans "
        "Excel, retirez le mot de passe (Fichier > Informations > Protéger le classeur), "
        "enregistrez-le au format « Classeur Excel (.xlsx) » puis déposez-le à nouveau.",
    ),
}


@pytest.mark.parametrize("case", NOT_A_WORKBOOK)
def test_a_file_that_is_not_an_xlsx_workbook(settings, conn, previous, case):
    contents, code, advice = NOT_A_WORKBOOK[case]
    path = bad_path(settings)
    path.write_bytes(contents)
    assert_refusal(
        conn, settings, path, previous, code, f"Fichier 2026-10/cap-avenir.xlsx : {advice}"
    )


def test_a_truncated_workbook(settings, conn, previous):
    path = valid_file(settings, pairs=5)
    contents = path.read_bytes()
    path.write_bytes(contents[: len(contents) // 2])
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-005",
        "Fichier 2026-10/cap-avenir.xlsx : le classeur est endommagé et ne peut pas être lu ; "
        "ouvrez-le dans Excel, enregistrez-le à nouveau au format .xlsx puis déposez-le.",
    )


# ---------------------------------------------------------------------------------------------
# Zip bombs and oversized sheets: refused before calamine (or anything) expands them


@pytest.fixture
def calamine_opened(monkeypatch) -> list[str]:
    """The files calamine is asked to open: none, when a file is refused before loading."""
    opened: list[str] = []
    calamine = SimpleNamespace(CalamineWorkbook=SimpleNamespace(from_path=opened.append))
    monkeypatch.setattr("ase_impact.intake.workbook.python_calamine", calamine)
    return opened


def _nothing_decompressed(monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("a zip member was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_a_zip_bomb_is_refused_from_its_directory(
    settings, conn, previous, monkeypatch, calamine_opened
):
    path = pad_sheet(valid_file(settings), "Données", megabytes=201)
    assert path.stat().st_size < 1024 * 1024
    _nothing_decompressed(monkeypatch)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-012",
        "Fichier 2026-10/cap-avenir.xlsx : une fois décompressé, le classeur dépasserait la "
        "taille maximale admise (200 Mo) ; par sécurité, le classeur n'a pas été ouvert. "
        "Enregistrez à nouveau le modèle rempli depuis Excel, sans données superflues, puis "
        "déposez-le.",
    )
    assert calamine_opened == []


def test_a_member_compressed_too_well_is_refused(
    settings, conn, previous, monkeypatch, calamine_opened
):
    path = valid_file(settings)
    part = sheet_part(path, "Données")
    pad_sheet(path, "Données", megabytes=11)
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo(part)
    ratio = member.file_size // member.compress_size
    assert file_checks.MAX_COMPRESSION_RATIO < ratio < 1000
    _nothing_decompressed(monkeypatch)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-012",
        "Fichier 2026-10/cap-avenir.xlsx : la partie « xl/worksheets/sheet4.xml » du classeur "
        f"se décompresse en 11 Mo, {ratio} fois sa taille compressée (au plus 100 fois "
        "admis) ; par sécurité, le classeur n'a pas été ouvert. Enregistrez à nouveau le "
        "modèle rempli depuis Excel, sans données superflues, puis déposez-le.",
    )
    assert calamine_opened == []


def _with_sheet_xml(path: Path, sheet_name: str, rows_xml: str, dimension: str) -> Path:
    """Append rows to a sheet's XML and declare its dimension, as a big export would."""
    part = sheet_part(path, sheet_name)

    def transform(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        text = data.decode().replace("</sheetData>", rows_xml + "</sheetData>")
        start = text.index("<dimension ref=")
        end = text.index("/>", start) + 2
        return (text[:start] + f'<dimension ref="{dimension}"/>' + text[end:]).encode()

    return rewrite_parts(path, transform)


def _limit_message(cell: str) -> str:
    return (
        f"Fichier 2026-10/cap-avenir.xlsx, onglet « Données » : la cellule {cell} contient une "
        "valeur au-delà de la limite de 50 000 lignes de données et 200 colonnes ; rien n'a été "
        "chargé. Supprimez les lignes et colonnes superflues puis déposez le fichier à nouveau."
    )


def test_100000_rows_are_refused_before_loading(settings, conn, previous, calamine_opened):
    rows = "".join(
        f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>B-{row}</t></is></c></row>'
        for row in range(7, 100_002)
    )
    path = _with_sheet_xml(valid_file(settings), "Données", rows, "A1:SF100001")
    assert_refusal(conn, settings, path, previous, "FIC-013", _limit_message("A50002"))
    assert calamine_opened == []


def test_500_columns_are_refused_before_loading(settings, conn, previous, calamine_opened):
    cells = "".join(f'<c r="{get_column_letter(n)}7"><v>1</v></c>' for n in range(1, 501))
    path = _with_sheet_xml(valid_file(settings), "Données", f'<row r="7">{cells}</row>', "A1:SF7")
    assert_refusal(conn, settings, path, previous, "FIC-013", _limit_message("GS7"))
    assert calamine_opened == []


# ---------------------------------------------------------------------------------------------
# Formulas


def _with_formulas(path: Path, header: str, formulas: dict[int, str]) -> Path:
    book = load_workbook(path)
    sheet = book["Données"]
    column = headers_of("pairs").index(header) + 1
    for excel_row, formula in formulas.items():
        sheet.cell(row=excel_row, column=column, value=formula)
    book.save(path)
    return path


def test_formulas_without_cached_results_are_refused(settings, conn, previous):
    path = _with_formulas(valid_file(settings), "Séances réalisées", {2: "=4+4", 3: "=2*4"})
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-014",
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Données » : les cellules V2 et V3 "
        "contiennent une formule dont le résultat n'a pas été enregistré ; rien n'a été chargé. "
        "Ouvrez le classeur dans Excel ou LibreOffice et enregistrez-le (les résultats des "
        "formules sont alors enregistrés), ou remplacez les formules par leurs valeurs, puis "
        "déposez-le à nouveau.",
    )


def test_formulas_with_cached_results_use_them(settings, conn, previous):
    path = with_cached_results(
        _with_formulas(valid_file(settings), "Séances réalisées", {2: "=3+3"}), "6"
    )
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert report.status == "accepted"
    held = conn.execute(
        "SELECT excel_row, sessions_held FROM raw.pairs WHERE association_code = ? "
        "ORDER BY excel_row",
        [CODE],
    ).fetchall()
    assert held == [(2, 6), (3, 8), (4, 8), (5, 8)]


# ---------------------------------------------------------------------------------------------
# Sheets and headers


def test_a_sheet_renamed_without_its_accent(settings, conn, previous):
    path = valid_file(settings)
    book = load_workbook(path)
    book["Données"].title = "Donnees"
    book.save(path)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-006",
        "Fichier 2026-10/cap-avenir.xlsx : l'onglet « Données » est absent (vouliez-vous dire "
        "« Données » à la place de « Donnees » ?) ; rien n'a été chargé. Utilisez le modèle de "
        "classeur sans renommer ni supprimer ses onglets.",
    )


def test_reordered_sheets_are_accepted(settings, conn, previous):
    path = valid_file(settings, pairs=5)
    book = load_workbook(path)
    book.move_sheet("Paramètres figés", offset=-(len(book.sheetnames) - 1))
    book.move_sheet("Activités", offset=-3)
    book.save(path)
    assert load_workbook(path).sheetnames[0] == "Paramètres figés"
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert (report.status, report.version) == ("accepted", 2)
    assert raw_counts(conn, CODE) == {**previous.counts, "pairs": 6}


def test_merged_header_cells(settings, conn, previous):
    path = valid_file(settings)
    book = load_workbook(path)
    book["Données"].merge_cells("A1:B1")
    book.save(path)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-007",
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Données » : la colonne obligatoire « Nom du "
        "bénéficiaire » est absente (cellules fusionnées dans l'en-tête : A1:B1 ; annulez la "
        "fusion, chaque colonne doit garder son propre en-tête) ; rien n'a été chargé. Les "
        "en-têtes doivent rester ceux du modèle, sur la première ligne.",
    )


# ---------------------------------------------------------------------------------------------
# Dates typed as numbers and as text in one column: a plausible Excel serial is a date


def test_dates_as_serial_numbers_and_as_text_in_one_column(settings, conn, previous):
    def pair(pair_id: str, applied_on: object) -> dict:
        return pair_row(
            pair_id,
            "Nomtest",
            "Prenomtest",
            date(2010, 1, 1),
            **{"Date de candidature": applied_on},
        )

    extra = [
        pair("B-101", 46083),  # 02/03/2026 typed in a cell formatted as a number
        pair("B-102", 46083.75),  # the same day, with a time
        pair("B-103", "02/03/2026"),
        pair("B-104", "2026-03-02"),
        pair("B-105", 2026),  # a year alone: serial 2026 is in 1905
        pair("B-106", 80000),  # in 2119
    ]
    path = valid_file(settings, extra_pairs=extra)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)

    assert (report.status, report.rows_rejected) == ("accepted_with_rejections", 2)
    applied = conn.execute(
        "SELECT pair_id, application_date FROM raw.pairs WHERE pair_id BETWEEN 'B-101' AND "
        "'B-199' ORDER BY pair_id"
    ).fetchall()
    assert applied == [(f"B-10{n}", date(2026, 3, 2)) for n in range(1, 5)]
    findings = conn.execute(
        "SELECT excel_row, column_header, value_received, rule_code, message_fr "
        "FROM quality.rejected_rows WHERE file_sha256 = ? ORDER BY excel_row",
        [report.sha256],
    ).fetchall()
    unreadable = (
        "colonne « Date de candidature » : la date est illisible ; saisissez une date Excel "
        "ou une date au format JJ/MM/AAAA."
    )
    assert findings == [
        (
            excel_row,
            "Date de candidature",
            value,
            "DON-017",
            f"Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne {excel_row}, {unreadable}",
        )
        for excel_row, value in ((10, "2026"), (11, "80000"))
    ]


# ---------------------------------------------------------------------------------------------
# File names


FILE_NAME_MESSAGE = (
    "Fichier 2026-10/{name} : le nom du fichier doit être le code de l'association suivi de "
    ".xlsx, en minuscules sans accent, chiffres et tirets (2 à 41 caractères, par exemple "
    "cap-avenir.xlsx)."
)


@pytest.mark.parametrize("file_name", ["Cap Avenir.xlsx", "cap-avénir.xlsx", "..cap.xlsx"])
def test_file_names_with_spaces_accents_or_dots(settings, conn, previous, file_name):
    path = write_submission(settings.raw_dir, PERIOD, CODE)
    path = path.rename(path.with_name(file_name))
    report, code = refused(conn, settings, path, previous)
    assert (code, report.message_fr) == (
        "FIC-003",
        FILE_NAME_MESSAGE.format(name=file_name),
    )
    assert (report.period, report.association_code) == (None, None)
    assert submission_statuses(conn) == [(1, "accepted")]
    # Hidden files (a name starting with a dot) are never picked up; the others are reported.
    discovered = [p.name for p in discover_files(settings.raw_dir)]
    assert (file_name in discovered) == (not file_name.startswith("."))
    assert path not in [found for *_, found in submission_files(settings)]


def test_a_path_outside_raw_is_never_discovered(settings, conn, previous):
    outside = write_submission(settings.raw_dir.parent / "elsewhere", PERIOD, "intrus")
    (settings.raw_dir / PERIOD / "intrus.xlsx").symlink_to(outside)
    (settings.raw_dir / "2026-11").symlink_to(outside.parent, target_is_directory=True)
    assert [
        p.relative_to(settings.raw_dir).as_posix() for p in discover_files(settings.raw_dir)
    ] == [
        "2026-10/cap-avenir.xlsx",
        "2026-10/envol-mentorat.xlsx",
    ]
    escaping = settings.raw_dir / PERIOD / ".." / ".." / "elsewhere" / PERIOD / "intrus.xlsx"
    report, code = refused(conn, settings, escaping, previous)
    assert (code, report.message_fr) == (
        "FIC-001",
        "Fichier intrus.xlsx : le fichier n'est pas rangé au bon endroit ; déposez chaque "
        "classeur dans le dossier de son mois, sous la forme AAAA-MM/code-association.xlsx "
        "(par exemple 2026-10/cap-avenir.xlsx).",
    )


# ---------------------------------------------------------------------------------------------
# Two files for one (month, association)


def _conflict_message(file_name: str, files: str, code: str = CODE) -> str:
    return (
        f"Fichier 2026-10/{file_name} : deux fichiers ont été déposés pour la même association "
        f"et le même mois ({files}) ; aucun n'a été chargé et la version déjà intégrée, s'il y "
        f"en a une, reste en vigueur. Ne laissez que 2026-10/{code}.xlsx puis relancez."
    )


def _file_errors(settings) -> list[tuple]:
    with connection.connect(settings.warehouse, read_only=True) as conn:
        return conn.execute(
            "SELECT file_name, error_code, message_fr FROM quality.file_errors ORDER BY file_name"
        ).fetchall()


def test_two_files_for_a_new_partition_are_both_refused(settings, conn, previous):
    conn.close()  # ingest_partition takes the warehouse itself
    code = "passerelles-jeunes"
    upper_case = write_submission(settings.raw_dir, PERIOD, code, pairs=5)
    upper_case.rename(upper_case.with_name(f"{code}.XLSX"))
    write_submission(settings.raw_dir, PERIOD, code, pairs=2)

    report = ingest_partition(settings, PERIOD, code)
    both = f"« 2026-10/{code}.XLSX » et « 2026-10/{code}.xlsx »"
    messages = [_conflict_message(f"{code}.{suffix}", both, code) for suffix in ("XLSX", "xlsx")]
    assert (report.status, report.message_fr) == ("rejected", messages[0])
    assert _file_errors(settings) == [
        (f"2026-10/{code}.XLSX", "FIC-015", messages[0]),
        (f"2026-10/{code}.xlsx", "FIC-015", messages[1]),
    ]
    with connection.connect(settings.warehouse, read_only=True) as conn:
        assert raw_state(conn) == previous.raw
        assert submission_statuses(conn, code) == [(1, "rejected"), (2, "rejected")]


def test_a_second_file_next_to_the_accepted_one_keeps_it_in_force(settings, conn, previous):
    conn.close()  # ingest_partition takes the warehouse itself
    accepted = settings.raw_dir / NAME
    accepted_bytes = accepted.read_bytes()
    valid_file(settings, pairs=5).rename(accepted.with_name(f"{CODE}.XLSX"))
    accepted.write_bytes(accepted_bytes)

    report = ingest_partition(settings, PERIOD, CODE)
    again = ingest_partition(settings, PERIOD, CODE)  # a rerun records nothing more
    both = "« 2026-10/cap-avenir.XLSX » et « 2026-10/cap-avenir.xlsx »"
    assert report.message_fr == again.message_fr == _conflict_message("cap-avenir.XLSX", both)
    assert _file_errors(settings) == [
        ("2026-10/cap-avenir.XLSX", "FIC-015", _conflict_message("cap-avenir.XLSX", both))
    ]
    with connection.connect(settings.warehouse, read_only=True) as reopened:
        assert raw_state(reopened) == previous.raw
        assert submission_statuses(reopened) == [(1, "accepted"), (2, "rejected")]


def test_an_xls_next_to_the_xlsx_does_not_block_it(settings):
    path = valid_file(settings, pairs=5)
    path.with_suffix(".xls").write_bytes(ole2_file(password_protected=False))
    assert [p.name for *_, p in submission_files(settings)] == [
        "cap-avenir.xlsx",
        "envol-mentorat.xlsx",
    ]
    assert ingest_partition(settings, PERIOD, CODE).sheet_counts["pairs"].accepted == 6
    with connection.connect(settings.warehouse) as conn:
        report = ingest_file(path.with_suffix(".xls"), settings, conn)
    assert (report.status, report.message_fr) == (
        "rejected",
        FILE_NAME_MESSAGE.format(name="cap-avenir.xls"),
    )


# ---------------------------------------------------------------------------------------------
# Issue 15: hostile files that broke a run, crashed it or changed data silently


def _findings(conn, sha256: str, table: str = "rejected_rows") -> list[tuple]:
    return conn.execute(
        f"SELECT excel_row, column_header, value_received, rule_code, message_fr "
        f"FROM quality.{table} WHERE file_sha256 = ? ORDER BY sheet, excel_row, rule_code",
        [sha256],
    ).fetchall()


def test_a_very_hidden_copy_of_a_read_sheet_refuses_the_file(settings, conn, previous):
    # Before: the last sheet of that name was read, the 28 visible pairs dropped silently.
    path = hidden_duplicate_data_sheet(settings.raw_dir, PERIOD, CODE)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-018",
        "Fichier 2026-10/cap-avenir.xlsx : le classeur contient 2 onglets nommés « Données » : "
        "« Données » et « Données  » (très masqué, invisible depuis Excel, nom entouré "
        "d'espaces) ; rien n'a été chargé, car on ne peut pas savoir lequel lire. Supprimez "
        "les onglets en trop (y compris masqués : clic droit sur un onglet > Afficher) pour ne "
        "garder qu'un onglet de chaque nom, puis déposez le fichier à nouveau.",
    )


@pytest.mark.parametrize(
    ("folder", "advice"),
    [
        (
            "2025-12",
            "Les mois antérieurs à 2026-01 ne sont pas intégrés : vérifiez le dossier où le "
            "fichier a été déposé.",
        ),
        (
            "2099-12",
            "Un fichier ne peut pas décrire un mois qui n'a pas encore commencé : déposez-le "
            "dans le dossier du mois qu'il décrit.",
        ),
    ],
    ids=["before the partitions", "future"],
)
def test_a_month_outside_the_supported_range_is_refused_before_any_partition(
    settings, conn, previous, folder, advice
):
    # Before: a month before the partitions' start crashed every run (Dagster CheckError),
    # 2099-12 moved the calendar.
    path = write_submission(settings.raw_dir, folder, CODE)
    report, code = refused(conn, settings, path, previous)
    last = keys.current_period()
    assert (code, report.message_fr) == (
        "FIC-016",
        f"Fichier {folder}/cap-avenir.xlsx : le mois {folder} est hors de la période prise en "
        f"charge (2026-01 à {last}) ; rien n'a été chargé. {advice}",
    )
    assert (report.period, report.association_code) == (None, None)
    assert submission_statuses(conn) == [(1, "accepted")]  # no partition, no version
    pending = pending_files(settings, {})
    assert path in pending.misnamed
    assert all(period != folder for period, _ in pending.new_or_changed)


def test_an_association_missing_from_the_registry_is_refused(settings, conn, previous):
    # Before: accepted and counted in the département's figures.
    path = write_submission(settings.raw_dir, PERIOD, "inconnue")
    report, code = refused(conn, settings, path, previous)
    registry = load_registry(settings.registry)
    assert (code, report.message_fr) == (
        "FIC-017",
        "Fichier 2026-10/inconnue.xlsx : l'association « inconnue » n'est pas inscrite au "
        "registre des associations du département ; rien n'a été chargé. Vérifiez le nom du "
        "fichier (le code de l'association suivi de .xlsx) ; pour inscrire une association, "
        f"ajoutez sa ligne au registre {registry.path} (colonnes association_code, "
        "association_name, territory_code, expected_from, expected_until, does_mentoring, "
        "does_residential_care), puis relancez.",
    )
    assert submission_statuses(conn, "inconnue") == []


def test_an_association_added_to_the_registry_is_accepted(settings, conn, previous, tmp_path):
    registry = tmp_path / "registre.csv"
    line = "inconnue,Nouvelle association,nord,2026-10-01,,true,false\n"
    registry.write_text(DEMO_REGISTRY.read_text(encoding="utf-8") + line, encoding="utf-8")
    path = write_submission(settings.raw_dir, PERIOD, "inconnue")
    report = ingest_file(path, replace(settings, registry=registry), conn)
    assert (report.status, report.version) == ("accepted", 1)


def test_a_count_past_the_warehouse_integer_rejects_its_row_only(settings, conn, previous):
    # Before: CAST … AS INTEGER overflowed, the whole file was lost behind another error.
    path = huge_session_count(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert (report.status, report.version, report.rows_rejected) == (
        "accepted_with_rejections",
        2,
        1,
    )
    assert raw_counts(conn, CODE)["pairs"] == previous.counts["pairs"]
    assert _findings(conn, report.sha256) == [
        (
            6,
            "Séances prévues",
            "3000000000",
            "DON-048",
            "Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne 6, colonne « Séances "
            "prévues » : la valeur dépasse 1 000 000, le maximum admis pour ce nombre.",
        )
    ]


def test_invisible_characters_make_neither_another_youth_nor_another_pair(settings, conn, previous):
    path = invisible_characters(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    # One youth spelt three ways: one key. Two pair ids that differ only by a zero-width space
    # or by case: every row carrying them is rejected (DON-002).
    keys_of_lina = conn.execute(
        "SELECT count(DISTINCT youth_key) FROM raw.pairs WHERE pair_id IN ('Y-1', 'Y-2', 'Y-3')"
    ).fetchone()
    assert keys_of_lina == (1,)
    duplicated = [(row, rule) for row, _, _, rule, _ in _findings(conn, report.sha256)]
    assert duplicated == [(7, "DON-002"), (8, "DON-002"), (9, "DON-002"), (10, "DON-002")]
    assert report.rows_rejected == 4


def test_a_blank_template_dropped_as_a_correction_keeps_the_pairs_in_force(
    settings, conn, previous
):
    # Before: « accepté, aucune ligne reçue », the pairs in force erased without a word.
    path = blank_template(settings.raw_dir, PERIOD, CODE)
    assert_refusal(
        conn,
        settings,
        path,
        previous,
        "FIC-019",
        "Fichier 2026-10/cap-avenir.xlsx : l'onglet « Données » ne contient aucune ligne alors "
        "que la version en vigueur (version 1 reçue le 03/11/2026 à 09:30) en compte 4 ; c'est "
        "sans doute un modèle vierge déposé par erreur. Rien n'a été chargé et la version 1 "
        "reste prise en compte. Déposez le fichier rempli ; l'onglet garde chaque mois tous les "
        "binômes, y compris ceux terminés (statut « Clôturé » ou « Abandonné »).",
    )


def test_a_blank_template_for_a_new_partition_is_accepted_as_empty(settings, conn, previous):
    path = blank_template(settings.raw_dir, "2026-11", CODE)
    report = ingest_file(path, settings, conn)
    assert (report.status, report.rows_received, report.message_fr) == (
        "accepted",
        0,
        "Aucune ligne reçue.",
    )


def test_a_mac_workbook_reads_a_serial_birth_date_in_its_own_date_system(settings, conn, previous):
    # Before: read with the 1900 epoch, 2011 became 2007 and the youth 19 instead of 15.
    path = mac_workbook_with_serial_birth_date(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert report.status == "accepted"
    mac = conn.execute(
        "SELECT birth_month, age_at_period_end FROM raw.pairs WHERE pair_id = 'M-001'"
    ).fetchone()
    assert mac == ("2011-05", 15)
    others = conn.execute(
        "SELECT birth_month FROM raw.pairs WHERE pair_id = 'B-001' AND association_code = ?",
        [CODE],
    ).fetchone()
    assert others == ("2010-01",)  # real dates are read in the 1904 system too


def test_error_logical_and_percent_cells_reject_their_rows_saying_why(settings, conn, previous):
    # Before: errors read as empty, VRAI as text, 50 % as 0.5 €.
    path = error_logical_and_percent_cells(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert (report.status, report.rows_rejected) == ("accepted_with_rejections", 6)
    found = [
        (row, column, value, rule) for row, column, value, rule, _ in _findings(conn, report.sha256)
    ]
    assert found == [
        (4, "Séances prévues", "#DIV/0!", "CEL-001"),
        (5, "Date de naissance", "***", "CEL-001"),
        (6, "Identifiant mentor", "#REF!", "CEL-001"),
        (7, "Territoire", "#VALUE!", "CEL-001"),
        (8, "Structure ASE d'origine", "VRAI", "CEL-002"),
        (3, "Montant", "50 %", "CEL-003"),
    ]
    messages = [message for *_, message in _findings(conn, report.sha256)]
    assert "l'erreur Excel « #N/A »" in messages[1]  # named, even in a personal column
    assert "format pourcentage (50 %)" in messages[5]
    amounts = conn.execute(
        "SELECT detail, amount FROM raw.resources WHERE association_code = ? ORDER BY detail",
        [CODE],
    ).fetchall()
    assert amounts == [("Fondation Lumière", 12000.0)]


def test_names_without_a_letter_are_rejected_not_merged(settings, conn, previous):
    # Before: "-" and "'" both normalised to "", two youths got one key.
    path = nameless_youths(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    found = [(row, rule) for row, _, _, rule, _ in _findings(conn, report.sha256)]
    assert found == [(4, "DON-046"), (4, "DON-047"), (5, "DON-046"), (5, "DON-047")]
    assert conn.execute("SELECT count(*) FROM raw.pairs WHERE pair_id LIKE 'N-%'").fetchone() == (
        0,
    )


def test_a_text_longer_than_the_limit_is_rejected_not_cut(settings, conn, previous):
    # Before: cut to 32,767 characters in the outputs without a message.
    path = long_text_cell(settings.raw_dir, PERIOD, CODE)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    [(row, column, value, rule, message)] = _findings(conn, report.sha256)
    assert (row, column, rule) == (4, "Structure ASE d'origine", "CEL-004")
    assert value == "S" * 100 + "… (100 000 caractères)"
    assert message.endswith(
        "le texte compte 100 000 caractères, au-delà de la limite de 500 ; raccourcissez-le."
    )


def test_a_garbage_file_stores_capped_findings_and_exact_counts(settings, conn, previous):
    # Before: 599,653 findings, 3.0 GB, 207 s and a 20 MB feedback workbook.
    path = garbage_rows(settings.raw_dir, PERIOD, CODE, rows=5_000)
    report = ingest_file(path, settings, conn, received_at=REFUSED_AT)
    assert (report.rows_received, report.rows_rejected) == (5_000, 5_000)
    counts = dict(
        conn.execute(
            "SELECT rule_code, findings FROM quality.rule_counts WHERE file_sha256 = ?",
            [report.sha256],
        ).fetchall()
    )
    assert len(counts) >= 10 and set(counts.values()) == {5_000}
    stored = conn.execute(
        "SELECT rule_code, count(*) FROM quality.rejected_rows WHERE file_sha256 = ? GROUP BY 1",
        [report.sha256],
    ).fetchall()
    assert sum(n for _, n in stored) == MAX_FINDINGS_PER_FILE
    assert all(n <= MAX_FINDINGS_PER_RULE for _, n in stored)
    # The feedback says the exact counts, and how many it lists.
    feedback = write_feedback_workbook(conn, PERIOD, CODE, settings.outputs_dir)
    book = load_workbook(feedback, read_only=True)
    summary = [row for row in book["Synthèse"].iter_rows(values_only=True) if row[0] in counts]
    assert {row[0]: (row[3], row[4]) for row in summary} == {
        code: (5_000, dict(stored).get(code, 0)) for code in counts
    }
    assert book["Anomalies"].max_row == MAX_FINDINGS_PER_FILE + 1


def test_a_failed_insert_reports_its_own_error_not_the_cleanup(conn):
    # Before: `unregister` in a `finally` hid the real error behind "transaction aborted".
    columns = (("excel_row", "INTEGER"), ("sessions_planned", "INTEGER"))
    conn.execute(
        "CREATE TABLE raw.probe (period DATE, association_code VARCHAR, "
        "file_sha256 VARCHAR, excel_row INTEGER, sessions_planned INTEGER)"
    )
    frame = pd.DataFrame({"excel_row": [2], "sessions_planned": [3_000_000_000]})
    conn.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.ConversionException, match="INT32|out of range|overflow"):
        loader._insert_frame(conn, "raw.probe", columns, frame, [date(2026, 10, 1), CODE, "x"])
    conn.execute("ROLLBACK")
