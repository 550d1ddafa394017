"""`ase-impact check FILE.xlsx`: the pipeline's rules on one workbook before it is sent.

No key, no archive, no warehouse: the only file written is the feedback workbook, and it is
the very workbook the pipeline writes for the same file once ingested (same anomalies, same
messages).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.publish.feedback import write_feedback_workbook
from tests.integration.cli_runs import run_cli
from tests.integration.sample_rows import mispe_row, write_submission
from tests.integration.test_feedback_workbook import (
    assert_no_formula_and_no_pii,
    label_values,
    write_file_with_anomalies,
)

PERIOD, CODE = "2026-10", "cap-avenir"


def files_under(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def elsewhere(tmp_path):
    """A folder outside every path setting, as an officer's downloads folder."""
    folder = tmp_path / "telechargements"
    folder.mkdir()
    return folder


def test_a_file_with_rejected_rows_would_be_accepted(isolated_paths, elsewhere):
    path = write_file_with_anomalies(elsewhere / "brouillon")
    moved = path.rename(elsewhere / "mon fichier.xlsx")

    run = run_cli("check", str(moved), "--association", CODE, "--period", PERIOD)

    assert run.exit_code == 0, run.stderr
    assert "Résultat : accepté, avec des lignes rejetées ; lignes reçues 12, acceptées 10, " in (
        run.stdout
    )
    assert "Fichier 2026-10/cap-avenir.xlsx, onglet « Données », ligne 7, colonne « Sexe »" in (
        run.stdout
    )
    assert "Corrigez les lignes listées dans l'onglet « Anomalies »" in run.stdout
    feedback = elsewhere / "mon fichier_retour.xlsx"
    assert f"Classeur de retour : {feedback}" in run.stdout
    summary = label_values(load_workbook(feedback)["Synthèse"])
    assert summary["Statut"] == "Accepté, avec des lignes rejetées"
    assert "Version" not in summary and "Vérifié le" in summary
    assert_no_formula_and_no_pii(feedback)
    # Nothing else written: no key created, no archive, no warehouse.
    assert files_under(elsewhere) == ["mon fichier.xlsx", "mon fichier_retour.xlsx"]
    assert files_under(isolated_paths) == []


def test_the_destination_comes_from_the_place_or_the_file_itself(isolated_paths, elsewhere):
    placed = write_submission(elsewhere, PERIOD, CODE)  # <AAAA-MM>/<code>.xlsx
    run = run_cli("check", str(placed))
    assert run.exit_code == 0
    assert (
        "Fichier vérifié : 2026-10/cap-avenir.xlsx (association cap-avenir, période 2026-10)"
        in (run.stdout)
    )
    loose = placed.rename(elsewhere / "export.xlsx")
    run = run_cli("check", str(loose))
    assert run.exit_code == 0
    assert "Fichier vérifié : export.xlsx (association cap-avenir, période 2026-10)" in run.stdout


def test_a_refused_file_exits_1_with_the_pipeline_message(isolated_paths, elsewhere):
    path = write_submission(elsewhere, PERIOD, CODE, period="2026-09")
    run = run_cli("check", str(path))
    assert run.exit_code == 1
    message = (
        "Fichier 2026-10/cap-avenir.xlsx, onglet « Paramètres figés » : le fichier indique la "
        "période 2026-09 mais a été déposé dans 2026-10."
    )
    assert message in run.stdout
    # The identity cells are protected: the command says where the file belongs instead.
    assert "déposez-le pour ce mois-là" in run.stdout
    assert "téléchargez le modèle du bon mois" in run.stdout
    summary = label_values(load_workbook(elsewhere / PERIOD / "cap-avenir_retour.xlsx")["Synthèse"])
    assert summary["Motif du refus"] == message
    assert summary["Code de l'erreur"] == "PAR-005"


@pytest.mark.parametrize("placed", [True, False], ids=["destination-from-place", "from-file"])
@pytest.mark.parametrize(
    ("period", "code", "error_code", "says"),
    [
        (PERIOD, "inconnue", "FIC-017", "l'association « inconnue » n'est pas inscrite"),
        ("2023-12", CODE, "FIC-016", "le mois 2023-12 est hors de la période prise en charge"),
    ],
)
def test_a_month_or_an_association_a_run_refuses_is_refused(
    isolated_paths, elsewhere, placed, period, code, error_code, says
):
    path = write_submission(elsewhere, period, code)
    if not placed:  # then « Paramètres figés » gives the destination
        path = path.rename(elsewhere / "export.xlsx")
    run = run_cli("check", str(path))
    assert run.exit_code == 1
    assert "Résultat : refusé" in run.stdout and says in run.stdout
    feedback = path.with_name(path.stem + "_retour.xlsx")
    assert label_values(load_workbook(feedback)["Synthèse"])["Code de l'erreur"] == error_code


def test_a_feedback_path_that_cannot_be_written_is_a_usage_error(isolated_paths, elsewhere):
    path = write_submission(elsewhere, PERIOD, CODE)
    folder = run_cli("check", str(path), "-o", str(elsewhere))
    assert (folder.exit_code, folder.stdout) == (2, "")
    assert folder.stderr.startswith("-o doit nommer un fichier .xlsx, pas un dossier")
    # Under a file, not a folder: no one can write there, root included.
    (elsewhere / "notes.txt").write_text("notes")
    unwritable = run_cli("check", str(path), "-o", str(elsewhere / "notes.txt" / "r.xlsx"))
    assert unwritable.exit_code == 2 and "Traceback" not in unwritable.stderr
    assert unwritable.stderr.startswith("Classeur de retour impossible à écrire")


def test_a_file_named_in_another_encoding_is_checked(isolated_paths, elsewhere):
    named = Path(os.fsdecode(os.fsencode(elsewhere) + b"/caf\xe9.xlsx"))
    write_submission(elsewhere, PERIOD, CODE).rename(named)
    run = run_cli("check", str(named), "--association", CODE, "--period", PERIOD)
    assert run.exit_code == 0, run.stderr
    assert "Résultat : accepté" in run.stdout
    assert f"Classeur de retour : {elsewhere}/caf\ufffd_retour.xlsx" in run.stdout


def test_strict_exits_1_on_rejected_rows(isolated_paths, elsewhere):
    path = write_file_with_anomalies(elsewhere)
    assert run_cli("check", str(path), "--strict").exit_code == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ("absent.xlsx",),
        ("{file}", "--period", "2026-13"),
        ("{file}", "--association", "Cap Avenir"),
    ],
)
def test_usage_errors_exit_2(isolated_paths, elsewhere, arguments):
    path = write_submission(elsewhere, PERIOD, CODE)
    arguments = [argument.format(file=path) for argument in arguments]
    try:
        exit_code = run_cli("check", *arguments).exit_code
    except SystemExit as stop:  # argparse refuses a malformed option itself
        exit_code = stop.code
    assert exit_code == 2


def test_a_file_in_raw_gets_its_feedback_outside_raw(isolated_paths):
    settings = load_settings()
    path = write_submission(settings.raw_dir, PERIOD, CODE)
    run = run_cli("check", str(path))
    assert run.exit_code == 0
    assert files_under(settings.raw_dir) == ["2026-10/cap-avenir.xlsx"]
    assert (settings.outputs_dir / "verifications" / PERIOD / "cap-avenir_retour.xlsx").is_file()


def test_check_and_the_pipeline_write_the_same_anomalies(settings, conn, elsewhere):
    path = write_file_with_anomalies(settings.raw_dir)
    copy = elsewhere / PERIOD / f"{CODE}.xlsx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    run_cli("check", str(copy))
    ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, 30))
    pipeline = write_feedback_workbook(conn, PERIOD, CODE, settings.outputs_dir)

    checked_book = load_workbook(elsewhere / PERIOD / f"{CODE}_retour.xlsx")
    pipeline_book = load_workbook(pipeline)
    assert list(checked_book["Anomalies"].values) == list(pipeline_book["Anomalies"].values)
    checked, ingested = (label_values(book["Synthèse"]) for book in (checked_book, pipeline_book))
    same = ("Fichier", "Statut", "Lignes reçues", "Lignes acceptées", "Lignes rejetées", "Bilan")
    assert {label: checked[label] for label in same} == {label: ingested[label] for label in same}


def test_a_file_with_only_alerts_needs_no_correction_before_sending(isolated_paths, elsewhere):
    # 19 at passation: outside MIS PE's 13-18 scope, kept with an alert; nothing rejected.
    mispe = [mispe_row("Ombrelune", "Kastafiore-Pélagie", date(2007, 1, 9), date(2026, 10, 8))]
    path = write_submission(elsewhere, PERIOD, CODE, rows={"mispe_questionnaires": mispe})
    run = run_cli("check", str(path))
    assert run.exit_code == 0 and "rejetées 0, en alerte 1" in run.stdout
    assert "Rien à corriger avant l'envoi" in run.stdout
    assert "Corrigez" not in run.stdout
