"""The feedback workbook an association receives for a file, in French.

A « Synthèse » (the file, its status, row counts and the anomalies counted by rule, exactly)
and the « Anomalies » list (one line per rejected cell or alert, PII values already masked; at
most the first MAX_FINDINGS_PER_RULE of each rule, the Synthèse says how many are listed).

One renderer (render_feedback_workbook) draws it from data: the file's facts (FeedbackFacts),
its findings with their counts by rule and, for a refused file, the refusal. The pipeline writes
`outputs/<AAAA-MM>/retours/<association>.xlsx` from the quality tables
(write_feedback_workbook); `ase-impact check` and the portal write the very same workbook from
a file checked in memory (checked_file_facts), before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ase_impact.contracts import rules
from ase_impact.contracts.findings import MAX_FINDINGS_PER_RULE, count_by_rule
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.keys import period_end
from ase_impact.intake.check import CheckedFile
from ase_impact.publish.excel_safety import (
    fit_column_widths,
    save_atomically,
    set_column_widths,
    write_note,
    write_row,
    write_table,
    write_title,
)
from ase_impact.publish.layout import print_on_page_width
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
RECEIPT_NOTE = (
    "Classeur produit automatiquement par le Département à la réception de votre fichier."
)
CHECK_NOTE = (
    "Vérification avant envoi : ce fichier n'a pas encore été transmis au Département. "
    "Les mêmes règles lui seront appliquées à sa réception."
)


def feedback_path(outputs_dir: Path, period: str, association_code: str) -> Path:
    return outputs_dir / period / FEEDBACK_FOLDER / f"{association_code}.xlsx"


@dataclass(frozen=True)
class Refusal:
    """Why a file was refused as a whole, and which data of the month stay in force."""

    error_code: str | None
    message_fr: str
    in_force_note: str | None  # None when not known (a file checked before sending)


@dataclass(frozen=True)
class FeedbackFacts:
    """What the « Synthèse » says about one file (rows counts are None for a refused file)."""

    period: str
    association_code: str
    association_name: str | None
    file_name: str
    status: str
    message_fr: str | None
    received_at: datetime | None
    version: int | None = None  # None for a file checked before sending
    rows_received: int | None = None
    rows_accepted: int | None = None
    rows_rejected: int | None = None
    rows_with_alerts: int | None = None
    refusal: Refusal | None = None
    checked_before_sending: bool = False
    # Set when the publication gate put this file in quarantine: why, and what stays in force.
    quarantine_note: str | None = None

    @property
    def is_refused(self) -> bool:
        return self.status == vocabulary.REJECTED


def _latest_submission(conn, period: str, association_code: str) -> Submission:
    submission = queries.latest_submission(conn, period, association_code)
    if submission is None:
        raise LookupError(
            f"Aucun fichier enregistré pour l'association « {association_code} » et la "
            f"période {period} : pas de retour à produire."
        )
    return submission


def sorted_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Rejected cells and alerts ordered by sheet, Excel row, severity, rule."""
    findings = findings.copy()
    sheet_order = {sheet.name_fr: sheet.order for sheet in referentiel.sheets()}
    findings["sheet_order"] = findings["sheet"].map(sheet_order)
    findings["severity_order"] = (findings["severity"] != vocabulary.ERREUR).astype(int)
    return findings.sort_values(
        ["sheet_order", "excel_row", "severity_order", "rule_code"], na_position="first"
    ).reset_index(drop=True)


class _PlainPlaceholders(dict):
    """Fills a rule message's placeholders that a by-rule summary cannot know (one row's
    previous month, value…) with an ellipsis: the sentence stays whole, the details are the
    « Anomalies » sheet's."""

    def __missing__(self, key: str) -> str:
        return "…"


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


def finding_label(rule_code: str, severity: str) -> str:
    """The « Gravité » a finding shows: « À vérifier » for a plausibility query, else its
    severity's label."""
    if rules.is_query(rule_code):
        return vocabulary.rule_categories()[vocabulary.QUERY].label_fr
    return vocabulary.severity_label(severity)


def rows_to_check(findings: pd.DataFrame, rule_counts: pd.DataFrame) -> int | str:
    """Rows with at least one plausibility query (« À vérifier »), counted apart; « au moins N »
    when the file had more findings than the workbook lists, some queries among them."""
    if findings.empty:
        return 0
    queried = findings[findings["rule_code"].map(rules.is_query).astype(bool)]
    rows = len(queried[["sheet", "excel_row"]].drop_duplicates())
    queries_of = rule_counts[rule_counts["rule_code"].map(rules.is_query).astype(bool)]
    if (queries_of["findings"] > queries_of["findings_listed"]).any():
        return f"au moins {rows}"
    return rows


def _rule_counts(rule_counts: pd.DataFrame, facts: FeedbackFacts) -> list[tuple]:
    """One line per rule: every finding counted, and how many the « Anomalies » sheet lists;
    errors first, then alerts, plausibility queries (« À vérifier ») last."""
    counts: Counter = Counter()
    listed: Counter = Counter()
    for row in rule_counts.itertuples(index=False):
        counts[row.rule_code, row.severity] += int(row.findings)
        listed[row.rule_code, row.severity] += int(row.findings_listed)
    ordered = sorted(
        counts,
        key=lambda item: (item[1] != vocabulary.ERREUR, rules.is_query(item[0]), item[0]),
    )
    return [
        (
            code,
            rule_description(code, facts.period, facts.file_name),
            finding_label(code, severity),
            counts[code, severity],
            listed[code, severity],
        )
        for code, severity in ordered
    ]


def _identity_lines(
    facts: FeedbackFacts, findings: pd.DataFrame, rule_counts: pd.DataFrame
) -> list[tuple[str, object, str | None]]:
    lines = [
        ("Association", facts.association_name or facts.association_code, None),
        ("Code association", facts.association_code, None),
        ("Période", facts.period, None),
        ("Fichier", facts.file_name, None),
    ]
    if facts.version is not None:
        lines.append(("Version", facts.version, None))
    received = "Vérifié le" if facts.checked_before_sending else "Reçu le"
    lines += [
        (received, facts.received_at, DATETIME_FORMAT),
        ("Statut", vocabulary.status_label(facts.status), None),
    ]
    if not facts.is_refused:
        lines += [
            ("Lignes reçues", facts.rows_received, None),
            ("Lignes acceptées", facts.rows_accepted, None),
            ("Lignes rejetées", facts.rows_rejected, None),
            ("Lignes acceptées avec alerte", facts.rows_with_alerts, None),
            (
                "dont lignes à vérifier (valeurs inhabituelles)",
                rows_to_check(findings, rule_counts),
                None,
            ),
            ("Bilan", facts.message_fr, None),
        ]
    if facts.quarantine_note:
        lines.append(("Publication", facts.quarantine_note, None))
    return lines


def _refusal_lines(refusal: Refusal) -> list[tuple[str, object, str | None]]:
    lines = [
        ("Motif du refus", refusal.message_fr, None),
        ("Code de l'erreur", refusal.error_code, None),
    ]
    if refusal.in_force_note:
        lines.append(("Données prises en compte", refusal.in_force_note, None))
    return lines


def _in_force_note(submission: Submission) -> str:
    if submission.version_in_force:
        return (
            f"La version {submission.version_in_force} reçue le "
            f"{submission.received_at_in_force:%d/%m/%Y à %H:%M} reste celle "
            f"prise en compte pour {submission.period}."
        )
    return f"Aucune donnée de votre association n'est prise en compte pour {submission.period}."


def _write_summary(
    sheet, facts: FeedbackFacts, findings: pd.DataFrame, rule_counts: pd.DataFrame
) -> None:
    write_title(sheet, 1, "Retour sur votre fichier de suivi mensuel")
    write_note(
        sheet,
        2,
        CHECK_NOTE if facts.checked_before_sending else RECEIPT_NOTE,
        SUMMARY_WIDTHS,
    )
    lines = _identity_lines(facts, findings, rule_counts)
    if facts.refusal is not None:
        lines += _refusal_lines(facts.refusal)
    for row, (label, value, number_format) in enumerate(lines, FIRST_LINE_ROW):
        label_cell, value_cell = write_row(
            sheet, row, [label, value], number_formats=[None, number_format]
        )
        label_cell.font = LABEL_FONT
        value_cell.alignment = VALUE_ALIGNMENT
    row = FIRST_LINE_ROW + len(lines) + 1
    write_title(sheet, row, "Anomalies par règle", heading=True)
    before_sending = facts.checked_before_sending
    if findings.empty and rule_counts.empty:
        if facts.is_refused:
            advice = refusal_advice(facts.refusal and facts.refusal.error_code, before_sending)
        else:
            advice = "Aucune anomalie : toutes les lignes lues " + (
                "seront intégrées." if before_sending else "ont été intégrées."
            )
        write_note(sheet, row + 1, advice, SUMMARY_WIDTHS)
        return
    lines = _rule_counts(rule_counts, facts)
    last = write_table(sheet, row + 1, RULE_SUMMARY_HEADERS, lines)
    errors = (rule_counts["severity"] == vocabulary.ERREUR).any()
    advice = rows_advice(before_sending) if errors else alerts_advice(before_sending)
    if errors and any(count > listed for *_, count, listed in lines):
        advice += (
            f" Pour une règle enfreinte plus de {MAX_FINDINGS_PER_RULE} fois, seules les "
            "premières lignes sont listées : la même erreur se répète sans doute sur toute la "
            "colonne ; corrigez-la partout."
        )
    write_note(sheet, last + 2, advice, SUMMARY_WIDTHS)


def next_step(
    error_code: str | None, is_refused: bool, rejected: int, alerts: int, before_sending: bool
) -> str | None:
    """What the officer does next with a file, by the kind of problem it has (None: none)."""
    if is_refused:
        return refusal_advice(error_code, before_sending)
    if rejected:
        return rows_advice(before_sending)
    return alerts_advice(before_sending) if alerts else None


def refusal_advice(code: str | None, before_sending: bool) -> str:
    """What to do with a refused file; its identity cells sit in a protected sheet."""
    again = "vérifiez-le à nouveau" if before_sending else "déposez-le à nouveau"
    if code in rules.RULES and rules.rule(code).kind == rules.IDENTITY:
        return (
            "Fichier refusé : son identité (onglet protégé « Paramètres figés ») ne correspond "
            "pas au mois ou à l'association pour lesquels il a été déposé. Ne modifiez pas ces "
            "cellules : si c'est le fichier d'un autre mois, déposez-le pour ce mois-là ; si "
            "c'est celui d'une autre association, il ne vous revient pas de l'envoyer ; sinon, "
            "téléchargez le modèle du bon mois (portail des associations, ou auprès du "
            f"Département), recopiez-y vos lignes puis {again}."
        )
    return f"Fichier refusé : corrigez le motif ci-dessus puis {again}."


def rows_advice(before_sending: bool) -> str:
    if before_sending:
        return (
            "Corrigez les lignes listées dans l'onglet « Anomalies » puis vérifiez à nouveau le "
            "fichier complet avant de l'envoyer : les lignes signalées « Erreur » ne seraient "
            "pas intégrées."
        )
    return (
        "Corrigez les lignes signalées « Erreur » dans l'onglet « Anomalies » puis déposez à "
        "nouveau le fichier complet dans le même dossier : la nouvelle version remplacera "
        "celle-ci."
    )


def alerts_advice(before_sending: bool) -> str:
    """Alerts only: every row is (or will be) taken in; nothing has to be sent again."""
    check = (
        "Rien à corriger avant l'envoi : toutes les lignes seront intégrées."
        if before_sending
        else "Rien à redéposer : toutes les lignes ont été intégrées."
    )
    return (
        f"{check} Les alertes signalent des lignes conservées mais à regarder (valeur hors du "
        "champ d'un indicateur, ou valeur inhabituelle à vérifier) ; si une valeur est "
        "erronée, corrigez-la dans votre prochain fichier."
    )


def _write_anomalies(sheet, findings: pd.DataFrame) -> None:
    rows = (
        (
            finding.sheet,
            finding.excel_row,
            finding.pair_id,
            finding.column_header,
            finding.value_received,
            finding.rule_code,
            finding_label(finding.rule_code, finding.severity),
            finding.message_fr,
        )
        for finding in findings.itertuples(index=False)
    )
    write_table(sheet, 1, ANOMALY_HEADERS, rows, filterable=True)


def feedback_workbook(
    facts: FeedbackFacts, findings: pd.DataFrame, rule_counts: pd.DataFrame
) -> Workbook:
    """The feedback workbook of one file, in memory: its facts, its findings (masked) and how
    many each rule gave."""
    findings = sorted_findings(findings)
    book = Workbook()
    summary = book.active
    summary.title = "Synthèse"
    _write_summary(summary, facts, findings, rule_counts)
    set_column_widths(summary, SUMMARY_WIDTHS, first_row=FIRST_LINE_ROW)
    anomalies = book.create_sheet("Anomalies")
    _write_anomalies(anomalies, findings)
    fit_column_widths(anomalies)
    for sheet in book.worksheets:
        print_on_page_width(sheet)
    return book


def render_feedback_workbook(
    facts: FeedbackFacts, findings: pd.DataFrame, rule_counts: pd.DataFrame, path: Path
) -> Path:
    """Write the feedback workbook of one file to path, atomically."""
    return save_atomically(feedback_workbook(facts, findings, rule_counts), path)


def _quarantine_note(submission: Submission) -> str | None:
    if not submission.is_quarantined:
        return None
    reason = submission.quarantine_reason_fr
    return (
        f"Fichier mis en quarantaine le {submission.quarantined_at:%d/%m/%Y à %H:%M} : "
        f"{reason[:1].upper()}{reason[1:]} Ses chiffres ne sont pas publiés. "
        + _in_force_note(submission)
        + " Les autres associations sont publiées. Vérifiez le fichier puis déposez une "
        "version corrigée : elle sera contrôlée à nouveau."
    )


def submission_facts(conn: duckdb.DuckDBPyConnection, submission: Submission) -> FeedbackFacts:
    """The facts of a file as the quality tables recorded it."""
    refusal = None
    if submission.is_refused:
        error = queries.file_error(conn, submission.file_name, submission.sha256)
        code, message = error or (None, submission.message_fr)
        refusal = Refusal(code, message, _in_force_note(submission))
    return FeedbackFacts(
        period=submission.period,
        association_code=submission.association_code,
        association_name=submission.association_name,
        file_name=submission.file_name,
        status=submission.status,
        message_fr=submission.message_fr,
        received_at=submission.received_at,
        version=submission.version,
        rows_received=submission.rows_received,
        rows_accepted=submission.rows_accepted,
        rows_rejected=submission.rows_rejected,
        rows_with_alerts=submission.rows_with_alerts,
        refusal=refusal,
        quarantine_note=_quarantine_note(submission),
    )


def checked_file_facts(checked: CheckedFile, checked_at: datetime) -> FeedbackFacts:
    """The facts of a file checked in memory, before it is sent (no version, no record)."""
    totals = checked.totals
    refusal = None
    if checked.is_refused:
        refusal = Refusal(checked.error.code, checked.error.message_fr, None)
    return FeedbackFacts(
        period=checked.period or "",
        association_code=checked.association_code or "",
        association_name=checked.identity.get("association_name"),
        file_name=checked.display_name,
        status=checked.status,
        message_fr=checked.message_fr,
        received_at=checked_at,
        rows_received=totals.received if totals else None,
        rows_accepted=totals.accepted if totals else None,
        rows_rejected=totals.rejected if totals else None,
        rows_with_alerts=totals.alerts if totals else None,
        refusal=refusal,
        checked_before_sending=True,
    )


def write_missing_feedback(conn: duckdb.DuckDBPyConnection, outputs_dir: Path) -> list[Path]:
    """The feedback workbooks of the latest files that have none written since they came in:
    a run stopped between loading a file and writing its feedback (killed, outputs not
    writable) would otherwise leave its association without one for good."""
    written = []
    for period, association_code, received_at in queries.latest_receptions(conn):
        path = feedback_path(outputs_dir, period, association_code)
        if path.exists() and path.stat().st_mtime >= received_at.timestamp():
            continue
        written.append(write_feedback_workbook(conn, period, association_code, outputs_dir))
    return written


def write_feedback_workbook(
    conn: duckdb.DuckDBPyConnection, period: str, association_code: str, outputs_dir: Path
) -> Path:
    """Write the feedback workbook of the latest file of (period "AAAA-MM", association)."""
    submission = _latest_submission(conn, period, association_code)
    findings = queries.file_findings(conn, submission)
    rule_counts = queries.file_rule_counts(conn, submission)
    if rule_counts.empty and not findings.empty:  # a file loaded before rules were counted
        rule_counts = count_by_rule(findings)
    return render_feedback_workbook(
        submission_facts(conn, submission),
        findings,
        rule_counts,
        feedback_path(outputs_dir, period, association_code),
    )
