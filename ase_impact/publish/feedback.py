"""The feedback workbook an association receives for its latest file of a month, in French.

`outputs/<AAAA-MM>/retours/<association>.xlsx`: a « Synthèse » (the file, its status, row
counts and the anomalies counted by rule, exactly, from quality.rule_counts) and the
« Anomalies » list (one line per rejected cell or alert, as recorded in the quality tables,
PII values already masked there; at most the first MAX_FINDINGS_PER_RULE of each rule, the
Synthèse says how many are listed).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ase_impact.contracts import rules
from ase_impact.contracts.findings import MAX_FINDINGS_PER_RULE, count_by_rule
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.keys import period_end
from ase_impact.publish.excel_safety import (
    fit_column_widths,
    print_on_page_width,
    save_atomically,
    set_column_widths,
    write_note,
    write_row,
    write_table,
    write_title,
)
from ase_impact.warehouse import queries
from ase_impact.warehouse.queries import Submission

ANOMALY_HEADERS = (
    "Onglet",
    "Ligne Excel",
    "Identifiant binôme",
    "Colonne",
    "Valeur reçue",
    "Règle",
    "Gravité",
    "Message",
)
RULE_SUMMARY_HEADERS = (
    "Code de la règle",
    "Règle",
    "Gravité",
    "Nombre de signalements",
    "Dont listés dans « Anomalies »",
)
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
FEEDBACK_FOLDER = "retours"
LABEL_FONT = Font(bold=True)
VALUE_ALIGNMENT = Alignment(horizontal="left", vertical="top", wrap_text=True)
# Synthèse: labels and rule codes, values and rule messages, severity, counts.
SUMMARY_WIDTHS = (30, 80, 26, 26, 26)
FIRST_LINE_ROW = 4


def feedback_path(outputs_dir: Path, period: str, association_code: str) -> Path:
    return outputs_dir / period / FEEDBACK_FOLDER / f"{association_code}.xlsx"


def _latest_submission(conn, period: str, association_code: str) -> Submission:
    submission = queries.latest_submission(conn, period, association_code)
    if submission is None:
        raise LookupError(
            f"Aucun fichier enregistré pour l'association « {association_code} » et la "
            f"période {period} : pas de retour à produire."
        )
    return submission


def _findings(conn, submission: Submission) -> pd.DataFrame:
    """The file's rejected cells and alerts, ordered by sheet, Excel row, severity, rule."""
    findings = queries.file_findings(conn, submission)
    sheet_order = {sheet.name_fr: sheet.order for sheet in referentiel.sheets()}
    findings["sheet_order"] = findings["sheet"].map(sheet_order)
    findings["severity_order"] = (findings["severity"] != vocabulary.ERREUR).astype(int)
    return findings.sort_values(
        ["sheet_order", "excel_row", "severity_order", "rule_code"], na_position="first"
    ).reset_index(drop=True)


class _PlainPlaceholders(dict):
    """Fills a rule message's placeholders that a by-rule summary cannot know with nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def rule_description(code: str, period: str, file_name: str) -> str:
    """The rule's own message as a sentence, without any one row's details."""
    try:
        message = rules.rule(code).message_fr
    except KeyError:
        return code
    end = period_end(period).strftime("%d/%m/%Y")
    text = message.format_map(
        _PlainPlaceholders(period=period, period_end=end, file=file_name)
    ).strip()
    return text[:1].upper() + text[1:]


def _rule_counts(rule_counts: pd.DataFrame, submission: Submission) -> list[tuple]:
    """One line per rule: every finding counted, and how many the « Anomalies » sheet lists."""
    counts: Counter = Counter()
    listed: Counter = Counter()
    for row in rule_counts.itertuples(index=False):
        counts[row.rule_code, row.severity] += int(row.findings)
        listed[row.rule_code, row.severity] += int(row.findings_listed)
    ordered = sorted(counts, key=lambda item: (item[1] != vocabulary.ERREUR, item[0]))
    return [
        (
            code,
            rule_description(code, submission.period, submission.file_name),
            vocabulary.severity_label(severity),
            counts[code, severity],
            listed[code, severity],
        )
        for code, severity in ordered
    ]


def _identity_lines(submission: Submission) -> list[tuple[str, object, str | None]]:
    lines = [
        ("Association", submission.association_name or submission.association_code, None),
        ("Code association", submission.association_code, None),
        ("Période", submission.period, None),
        ("Fichier", submission.file_name, None),
        ("Version", submission.version, None),
        ("Reçu le", submission.received_at, DATETIME_FORMAT),
        ("Statut", vocabulary.status_label(submission.status), None),
    ]
    if not submission.is_refused:
        lines += [
            ("Lignes reçues", submission.rows_received, None),
            ("Lignes acceptées", submission.rows_accepted, None),
            ("Lignes rejetées", submission.rows_rejected, None),
            ("Lignes acceptées avec alerte", submission.rows_with_alerts, None),
            ("Bilan", submission.message_fr, None),
        ]
    return lines


def _refusal_lines(conn, submission: Submission) -> list[tuple[str, object, str | None]]:
    error = queries.file_error(conn, submission.file_name, submission.sha256)
    code, message = error or (None, submission.message_fr)
    lines = [("Motif du refus", message, None), ("Code de l'erreur", code, None)]
    if submission.version_in_force:
        note = (
            f"La version {submission.version_in_force} reçue le "
            f"{submission.received_at_in_force:%d/%m/%Y à %H:%M} reste celle "
            f"prise en compte pour {submission.period}."
        )
    else:
        note = f"Aucune donnée de votre association n'est prise en compte pour {submission.period}."
    return lines + [("Données prises en compte", note, None)]


def _write_summary(
    sheet, conn, submission: Submission, findings: pd.DataFrame, rule_counts: pd.DataFrame
) -> None:
    write_title(sheet, 1, "Retour sur votre fichier de suivi mensuel")
    write_note(
        sheet,
        2,
        "Classeur produit automatiquement par le Département à la réception de votre fichier.",
        SUMMARY_WIDTHS,
    )
    lines = _identity_lines(submission)
    if submission.is_refused:
        lines += _refusal_lines(conn, submission)
    for row, (label, value, number_format) in enumerate(lines, FIRST_LINE_ROW):
        label_cell, value_cell = write_row(
            sheet, row, [label, value], number_formats=[None, number_format]
        )
        label_cell.font = LABEL_FONT
        value_cell.alignment = VALUE_ALIGNMENT
    row = FIRST_LINE_ROW + len(lines) + 1
    write_title(sheet, row, "Anomalies par règle", heading=True)
    if findings.empty and rule_counts.empty:
        advice = (
            "Fichier refusé : corrigez le motif ci-dessus puis déposez le fichier à nouveau."
            if submission.is_refused
            else "Aucune anomalie : toutes les lignes lues ont été intégrées."
        )
        write_note(sheet, row + 1, advice, SUMMARY_WIDTHS)
        return
    lines = _rule_counts(rule_counts, submission)
    last = write_table(sheet, row + 1, RULE_SUMMARY_HEADERS, lines)
    advice = (
        "Corrigez les lignes listées dans l'onglet « Anomalies » puis déposez à nouveau le "
        "fichier complet dans le même dossier : la nouvelle version remplacera celle-ci."
    )
    if any(count > listed for *_, count, listed in lines):
        advice += (
            f" Pour une règle enfreinte plus de {MAX_FINDINGS_PER_RULE} fois, seules les "
            "premières lignes sont listées : la même erreur se répète sans doute sur toute la "
            "colonne ; corrigez-la partout."
        )
    write_note(sheet, last + 2, advice, SUMMARY_WIDTHS)


def _write_anomalies(sheet, findings: pd.DataFrame) -> None:
    rows = (
        (
            finding.sheet,
            finding.excel_row,
            finding.pair_id,
            finding.column_header,
            finding.value_received,
            finding.rule_code,
            vocabulary.severity_label(finding.severity),
            finding.message_fr,
        )
        for finding in findings.itertuples(index=False)
    )
    write_table(sheet, 1, ANOMALY_HEADERS, rows, filterable=True)


def write_feedback_workbook(
    conn: duckdb.DuckDBPyConnection, period: str, association_code: str, outputs_dir: Path
) -> Path:
    """Write the feedback workbook of the latest file of (period "AAAA-MM", association)."""
    submission = _latest_submission(conn, period, association_code)
    findings = _findings(conn, submission)
    rule_counts = queries.file_rule_counts(conn, submission)
    if rule_counts.empty and not findings.empty:  # a file loaded before rules were counted
        rule_counts = count_by_rule(findings)
    book = Workbook()
    summary = book.active
    summary.title = "Synthèse"
    _write_summary(summary, conn, submission, findings, rule_counts)
    set_column_widths(summary, SUMMARY_WIDTHS, first_row=FIRST_LINE_ROW)
    anomalies = book.create_sheet("Anomalies")
    _write_anomalies(anomalies, findings)
    fit_column_widths(anomalies)
    for sheet in book.worksheets:
        print_on_page_width(sheet)
    return save_atomically(book, feedback_path(outputs_dir, period, association_code))
