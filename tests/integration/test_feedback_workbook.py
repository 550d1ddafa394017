"""The feedback workbook of real ingested files: counts, anomalies, refusal, masking, no formula."""

from __future__ import annotations

import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from ase_impact.cli.run_summary import RunOutcome, summary_lines
from ase_impact.intake.ingestion import ingest_file
from ase_impact.publish.feedback import write_feedback_workbook, write_missing_feedback
from tests.integration.sample_rows import mispe_row, pair_row, resource_row, write_submission
from tests.integration.test_pii import SECRETS

PERIOD = "2026-10"
ASSOCIATION = "cap-avenir"
FORMULA_PAIR_ID = "=1+2"
FORMULA_SEX = '=HYPERLINK("http://exemple.invalid","Femme")'


def keep_formulas_as_text(path: Path) -> Path:
    """Make every "=…" cell a text cell, as an association typing "'=1+2" in Excel would."""
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.save(path)
    return path


def xml_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(".xml")}


def assert_no_formula_and_no_pii(path: Path) -> None:
    members = xml_members(path)
    worksheets = {name: data for name, data in members.items() if "worksheets/" in name}
    assert worksheets and not [name for name, data in worksheets.items() if b"<f" in data]
    leaks = {name: SECRETS.found_in_bytes(data) for name, data in members.items()}
    assert not {name: found for name, found in leaks.items() if found}


def label_values(sheet) -> dict[str, object]:
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=4, max_col=2, values_only=True)}


def table_below(sheet, header: str) -> list[tuple]:
    """Rows of the table whose first header cell is `header`, up to the first empty row."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(index for index, row in enumerate(rows) if row[0] == header) + 1
    table = []
    for row in rows[start:]:
        if row[0] is None:
            break
        table.append(row)
    return table


def write_file_with_anomalies(raw_dir: Path) -> Path:
    """3 + 1 valid pairs, a valid pair with id "=1+2", two rejected pairs, one MIS PE alert."""
    extra_pairs = [
        pair_row(FORMULA_PAIR_ID, "Zorglubienne", "Quetzalix", date(2011, 7, 23)),
        pair_row("B-060", "Kastafiore-Pélagie", "Ombrelune", date(2013, 2, 27), Sexe=FORMULA_SEX),
        pair_row("B-061", "Vrillançonne", "Zorglubienne", date(1990, 3, 15)),
    ]
    mispe = [
        mispe_row("Nomtest1", "Prenomtest1", date(2010, 1, 1), date(2026, 10, 5)),
        # 19 at passation: outside MIS PE's 13-18 scope, kept with an alert.
        mispe_row("Ombrelune", "Kastafiore-Pélagie", date(2007, 1, 9), date(2026, 10, 8)),
    ]
    path = write_submission(
        raw_dir, PERIOD, ASSOCIATION, extra_pairs=extra_pairs, rows={"mispe_questionnaires": mispe}
    )
    return keep_formulas_as_text(path)


def test_feedback_counts_rules_and_lists_every_anomaly(settings, conn):
    path = write_file_with_anomalies(settings.raw_dir)
    report = ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, 30))
    feedback = write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir)

    assert feedback == settings.outputs_dir / PERIOD / "retours" / f"{ASSOCIATION}.xlsx"
    assert [p.name for p in feedback.parent.iterdir()] == [feedback.name]  # no temp file left
    book = load_workbook(feedback)
    assert book.sheetnames == ["Synthèse", "Anomalies"]
    summary = label_values(book["Synthèse"])
    assert summary["Fichier"] == "2026-10/cap-avenir.xlsx"
    assert summary["Version"] == 1
    assert summary["Reçu le"] == datetime(2026, 11, 3, 9, 30)
    assert summary["Statut"] == "Accepté, avec des lignes rejetées"
    # Données 7 rows (2 rejected), fin de mentorat 1, MIS PE 2 (1 alert), Ressources 1, Activités 1.
    assert (
        summary["Lignes reçues"],
        summary["Lignes acceptées"],
        summary["Lignes rejetées"],
        summary["Lignes acceptées avec alerte"],
    ) == (12, 10, 2, 1)

    by_rule = table_below(book["Synthèse"], "Code de la règle")
    # Every finding counted, and how many the « Anomalies » sheet lists (all, here).
    assert [(code, severity, count, listed) for code, _, severity, count, listed in by_rule] == [
        ("DON-006", "Erreur (ligne rejetée)", 1, 1),
        ("DON-009", "Erreur (ligne rejetée)", 1, 1),
        ("MIS-006", "Alerte (ligne conservée)", 1, 1),
    ]
    assert by_rule[1][1] == (
        "L'âge au dernier jour du mois (31/10/2026) doit être compris entre 6 et 25 ans."
    )

    anomalies = book["Anomalies"]
    assert anomalies.freeze_panes == "A2" and anomalies.auto_filter.ref == "A1:H4"
    rows = list(anomalies.iter_rows(min_row=2, values_only=True))
    assert [row[:7] for row in rows] == [
        ("Données", 7, "B-060", "Sexe", FORMULA_SEX, "DON-006", "Erreur (ligne rejetée)"),
        ("Données", 8, "B-061", "Date de naissance", "***", "DON-009", "Erreur (ligne rejetée)"),
        ("Questionnaire MIS PE", 3, None, "Date de naissance", "***", "MIS-006",
         "Alerte (ligne conservée)"),
    ]  # fmt: skip
    messages = dict(zip(report.findings["rule_code"], report.findings["message_fr"], strict=True))
    assert [row[7] for row in rows] == [
        messages["DON-006"],
        messages["DON-009"],
        messages["MIS-006"],
    ]
    assert messages["DON-006"].startswith("Fichier 2026-10/cap-avenir.xlsx, onglet « Données »")


def test_text_starting_with_equals_stays_text(settings, conn):
    ingest_file(write_file_with_anomalies(settings.raw_dir), settings, conn)
    feedback = write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir)

    cell = load_workbook(feedback)["Anomalies"]["E2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA_SEX, "s", True)
    calamine_rows = CalamineWorkbook.from_path(str(feedback)).get_sheet_by_name("Anomalies")
    assert calamine_rows.to_python()[1][4] == FORMULA_SEX
    assert_no_formula_and_no_pii(feedback)


def test_a_refused_file_shows_its_file_level_message_and_the_version_in_force(settings, conn):
    first = write_file_with_anomalies(settings.raw_dir)
    ingest_file(first, settings, conn, received_at=datetime(2026, 11, 3, 9, 30))
    # The second file declares another month in « Paramètres figés »: refused as a whole.
    refused = write_submission(settings.raw_dir, PERIOD, ASSOCIATION, period="2026-09")
    report = ingest_file(refused, settings, conn, received_at=datetime(2026, 11, 5, 14, 0))
    assert report.status == "rejected"

    feedback = write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir)
    book = load_workbook(feedback)
    summary = label_values(book["Synthèse"])
    assert summary["Version"] == 2
    assert summary["Statut"] == "Refusé (erreur bloquante, rien n'a été intégré)"
    assert summary["Motif du refus"] == report.message_fr
    assert "2026-09" in summary["Motif du refus"]
    assert summary["Code de l'erreur"].startswith("PAR-")
    assert summary["Données prises en compte"] == (
        "La version 1 reçue le 03/11/2026 à 09:30 reste celle prise en compte pour 2026-10."
    )
    assert "Lignes reçues" not in summary
    # The identity cells are protected: the advice says what to do instead of editing them.
    advice = notes(book["Synthèse"])
    assert "déposez-le pour ce mois-là" in advice and "téléchargez le modèle du bon mois" in advice
    assert "ase-impact" not in advice  # no command for an association's officer
    # The first version's anomalies belong to its own feedback, not to the refused file's.
    assert book["Anomalies"].max_row == 1
    assert_no_formula_and_no_pii(feedback)
    # The console summary says which version still counts and where the advice is.
    outcome = RunOutcome([(PERIOD, ASSOCIATION)], [], [], [], build_succeeded=False)
    lines = summary_lines(conn, outcome, settings)
    refusal = lines.index(f"    {report.message_fr}")
    assert lines[refusal + 1 : refusal + 3] == [
        "    · la version 1 reste en vigueur",
        f"    · détail : {feedback}",
    ]


def test_the_summary_names_an_unreadable_files_association_from_the_registry(settings, conn):
    path = settings.raw_dir / PERIOD / f"{ASSOCIATION}.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")  # an interrupted upload: nothing in it names the association
    assert ingest_file(path, settings, conn).status == "rejected"
    outcome = RunOutcome([(PERIOD, ASSOCIATION)], [], [], [], build_succeeded=False)
    heading = f"- {PERIOD} · {ASSOCIATION} (Cap Avenir) — {PERIOD}/{ASSOCIATION}.xlsx, version 1"
    assert heading in summary_lines(conn, outcome, settings)


def notes(sheet) -> str:
    return " ".join(str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0])


def test_a_file_with_only_alerts_has_nothing_to_re_deposit(settings, conn):
    # 19 at passation: outside MIS PE's 13-18 scope, kept with an alert; nothing rejected.
    mispe = [mispe_row("Ombrelune", "Kastafiore-Pélagie", date(2007, 1, 9), date(2026, 10, 8))]
    path = write_submission(
        settings.raw_dir, PERIOD, ASSOCIATION, rows={"mispe_questionnaires": mispe}
    )
    report = ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, 30))
    assert (report.status, report.rows_rejected, report.rows_with_alerts) == ("accepted", 0, 1)
    advice = notes(
        load_workbook(write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir))[
            "Synthèse"
        ]
    )
    assert "Rien à redéposer" in advice
    assert "déposez à nouveau" not in advice and "Corrigez les lignes" not in advice


def test_a_file_with_rejected_rows_is_told_to_correct_and_re_deposit(settings, conn):
    ingest_file(write_file_with_anomalies(settings.raw_dir), settings, conn)
    book = load_workbook(write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir))
    advice = notes(book["Synthèse"])
    assert "déposez à nouveau le fichier complet" in advice and "Rien à redéposer" not in advice


def test_no_feedback_without_a_file(conn, settings):
    with pytest.raises(LookupError, match="Aucun fichier enregistré"):
        write_feedback_workbook(conn, PERIOD, "envol-mentorat", settings.outputs_dir)


def test_plausibility_queries_show_as_to_check_and_are_counted_apart(settings, conn):
    # 330 sessions held for 11 planned: possible, so the row is kept, but « À vérifier ».
    typo = pair_row(
        "B-070", "Nomtest70", "Prenomtest70", date(2010, 1, 2), **{"Séances prévues": 11}
    ) | {"Séances réalisées": 330}
    path = write_submission(settings.raw_dir, PERIOD, ASSOCIATION, extra_pairs=[typo])
    report = ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, 30))
    assert (report.status, report.rows_rejected, report.rows_with_alerts) == ("accepted", 0, 1)
    book = load_workbook(write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir))
    summary = label_values(book["Synthèse"])
    assert summary["Statut"] == "Accepté"
    assert summary["Lignes acceptées avec alerte"] == 1
    assert summary["dont lignes à vérifier (valeurs inhabituelles)"] == 1
    by_rule = table_below(book["Synthèse"], "Code de la règle")
    assert [(code, severity, count) for code, _, severity, count, _ in by_rule] == [
        ("DON-050", "À vérifier", 1)
    ]
    (row,) = book["Anomalies"].iter_rows(min_row=2, values_only=True)
    assert row[:7] == ("Données", 6, "B-070", "Séances réalisées", "330", "DON-050", "À vérifier")
    assert "ne comptent pas dans le taux de réalisation" in row[7]
    # The console summary counts the queried row apart too, as the feedback does.
    # (No build here: the summary's lines on the built marts are left out.)
    outcome = RunOutcome([(PERIOD, ASSOCIATION)], [], [], [], build_succeeded=False)
    (line,) = [line for line in summary_lines(conn, outcome, settings) if "en alerte" in line]
    assert line.endswith("rejetées 0, en alerte 1 (dont 1 à vérifier)")


def test_a_change_from_the_previous_month_is_queried_at_reception(settings, conn):
    september = write_submission(settings.raw_dir, "2026-09", ASSOCIATION)
    ingest_file(september, settings, conn, received_at=datetime(2026, 10, 3, 9, 0))
    # October: B-001 declared « Homme » (it was « Femme »), its resource ×10 and more.
    pairs = [
        pair_row(f"B-{index:03d}", f"Nomtest{index}", f"Prenomtest{index}", date(2010, 1, index))
        for index in range(1, 4)
    ]
    pairs[0] = {**pairs[0], "Sexe": "Homme"}
    october = write_submission(
        settings.raw_dir,
        PERIOD,
        ASSOCIATION,
        rows={
            "pairs": pairs,
            "end_questionnaires": [],
            "resources": [resource_row(amount=120001.0)],
        },
    )
    report = ingest_file(october, settings, conn, received_at=datetime(2026, 11, 3, 9, 0))
    found = report.findings.sort_values("rule_code")[["rule_code", "pair_id", "value_received"]]
    assert found.values.tolist() == [["DON-055", "B-001", "Homme"], ["RES-010", None, "120001"]]
    assert report.rows_with_alerts == 2
    assert "fichier de 2026-09" in report.findings["message_fr"].iloc[0]
    # The by-rule table states the rule without one row's previous month, and says so.
    by_rule = {
        row[0]: row[1]
        for row in load_workbook(
            write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir)
        )["Synthèse"].iter_rows(values_only=True)
    }
    assert by_rule["DON-055"] == (
        "Le sexe diffère de celui déclaré pour ce binôme dans le fichier de … : à vérifier."
    )
    assert by_rule["RES-010"].startswith(
        "Le montant a été multiplié ou divisé par plus de 10 depuis le fichier de … (…) pour"
    )
    # The rows are kept, flagged.
    flagged = conn.execute(
        "SELECT pair_id FROM raw.pairs WHERE period = '2026-10-01' AND has_alerts"
    ).fetchall()
    assert flagged == [("B-001",)]
    assert conn.execute(
        "SELECT rows_with_alerts FROM quality.submissions WHERE period = '2026-10-01'"
    ).fetchone() == (2,)


def test_a_file_with_far_fewer_pairs_than_the_previous_one_is_queried_once(settings, conn):
    # September declares 12 ongoing pairs and a closed one (13); October only its first 4
    # and the closed one (5): fewer than half. Said once, on the first pair; the rows count.
    september = write_submission(settings.raw_dir, "2026-09", ASSOCIATION, pairs=12)
    ingest_file(september, settings, conn, received_at=datetime(2026, 10, 3, 9, 0))
    october = write_submission(settings.raw_dir, PERIOD, ASSOCIATION, pairs=4)
    report = ingest_file(october, settings, conn, received_at=datetime(2026, 11, 3, 9, 0))
    found = report.findings[["rule_code", "excel_row", "pair_id", "value_received"]]
    assert found.values.tolist() == [["DON-058", 2, "B-001", "5"]]
    assert "celui de 2026-09 (13 binômes) : à vérifier" in report.findings["message_fr"].iloc[0]
    assert report.status == "accepted" and report.rows_with_alerts == 1
    rows = [
        row
        for row in load_workbook(
            write_feedback_workbook(conn, PERIOD, ASSOCIATION, settings.outputs_dir)
        )["Anomalies"].iter_rows(values_only=True)
        if row[0] == "Données"
    ]
    assert [row[:7] for row in rows] == [
        ("Données", 2, "B-001", "Identifiant binôme", "5", "DON-058", "À vérifier")
    ]


def test_a_feedback_workbook_a_stopped_run_left_unwritten_is_written_by_the_next(settings, conn):
    # The run that loaded these files was stopped (killed, outputs not writable) before it
    # wrote their feedback: the next run's outputs write it, and only it.
    for code in ("cap-avenir", "envol-mentorat"):
        ingest_file(write_submission(settings.raw_dir, "2026-10", code), settings, conn)
    kept = write_feedback_workbook(conn, "2026-10", "envol-mentorat", settings.outputs_dir)
    kept_bytes = kept.read_bytes()

    written = write_missing_feedback(conn, settings.outputs_dir)

    assert [path.relative_to(settings.outputs_dir).as_posix() for path in written] == [
        "2026-10/retours/cap-avenir.xlsx"
    ]
    assert load_workbook(written[0]).sheetnames  # a whole workbook
    assert kept.read_bytes() == kept_bytes
    assert write_missing_feedback(conn, settings.outputs_dir) == []  # nothing left to write
    # A feedback older than its file (the file came in again after it was written) is
    # written again.
    os.utime(kept, (0, 0))
    assert write_missing_feedback(conn, settings.outputs_dir) == [kept]
