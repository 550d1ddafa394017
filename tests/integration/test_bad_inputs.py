"""Hostile and odd files, each ingested for real over an accepted partition.

Every case drops its file as raw/2026-10/cap-avenir.xlsx after a valid version of that
partition and a valid file of another association were loaded, ingests it through
ingest_file (or ingest_partition) into a real DuckDB file, and checks the exact French message
and that nothing accepted before was lost. Row-level cases check their exact findings.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ase_impact.core.settings import Settings, load_settings
from ase_impact.intake import file_checks
from ase_impact.intake.discovery import discover_files, submission_files
from ase_impact.intake.ingestion import IngestionReport, ingest_file, ingest_partition
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from tests.conftest import isolated_environment
from tests.hostile_files import (
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
    assert path not in [found for *_, found in submission_files(settings.raw_dir)]


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
    assert [p.name for *_, p in submission_files(settings.raw_dir)] == [
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
