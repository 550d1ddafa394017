"""The French summary `ase-impact run` prints, read from the quality tables, and its exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ase_impact.contracts.rules import VOLUME_GAP_PERCENT
from ase_impact.core import vocabulary
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings
from ase_impact.gate.suites import MART_QUERIES, VOLUME_INDICATOR, implausible_moves
from ase_impact.intake.discovery import display_name
from ase_impact.publish.feedback import feedback_path, rows_to_check
from ase_impact.warehouse import queries
from ase_impact.warehouse.access import ASSOCIATION_ROLE, PUBLISHED_SCHEMA, READER_ROLE
from ase_impact.warehouse.connection import CORRUPTION_SIGNS
from ase_impact.warehouse.connection import label as warehouse_label

FIRST_REJECTIONS = 3


@dataclass
class RunOutcome:
    """What a run did: the orchestrator fills it, the summary reports it."""

    ingested: list[tuple[str, str]]
    unchanged: list[tuple[str, str]]
    misnamed: list[Path]
    technical_failures: list[str]
    build_succeeded: bool
    blocking_checks_failed: list[str] = field(default_factory=list)
    # Failed build step → what its error said (French for the project's own errors).
    build_step_errors: dict[str, str] = field(default_factory=dict)
    # Entries of raw/ that are not files to read (a folder, a link out of raw/), with why.
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _submission_lines(conn, period: str, association_code: str, settings: Settings) -> list[str]:
    submission = queries.latest_submission(conn, period, association_code)
    if submission is None:
        return [f"- {period} · {association_code} : aucune soumission enregistrée"]
    # The registry names the association, even when its file could not be read.
    registered = load_registry(settings.registry).get(association_code)
    name = registered.association_name if registered else submission.association_name
    lines = [
        f"- {period} · {association_code} ({name or 'nom inconnu'})"
        f" — {submission.file_name}, version {submission.version}",
        f"    statut : {vocabulary.status_label(submission.status).lower()}",
    ]
    detail = f"    · détail : {feedback_path(settings.outputs_dir, period, association_code)}"
    if submission.is_refused:
        # The feedback workbook says what to do; the in-force version says what still counts.
        in_force = _in_force(submission.version_in_force)
        return lines + [f"    {submission.message_fr}", f"    · {in_force}", detail]
    lines[-1] += (
        f" ; lignes reçues {submission.rows_received}, acceptées {submission.rows_accepted}, "
        f"rejetées {submission.rows_rejected}, en alerte {submission.rows_with_alerts}"
    )
    # The plausibility queries (« À vérifier »), counted apart as the feedback counts them.
    to_check = rows_to_check(
        queries.file_findings(conn, submission), queries.file_rule_counts(conn, submission)
    )
    if to_check:
        lines[-1] += f" (dont {to_check} à vérifier)"
    first = queries.first_rejection_messages(conn, submission.sha256, FIRST_REJECTIONS)
    lines += [f"    · {message}" for message in first]
    if submission.rows_rejected > len(first):
        lines.append(
            f"    · … voir quality.rejected_rows ({submission.rows_rejected} lignes rejetées "
            "au total)"
        )
    if submission.rows_with_alerts:
        nothing_to_send = "" if submission.rows_rejected else " (rien à redéposer)"
        lines.append(
            f"    · {submission.rows_with_alerts} ligne(s) acceptée(s) avec alerte dans "
            f"{submission.file_name}, à vérifier{nothing_to_send}"
        )
    if submission.rows_rejected or submission.rows_with_alerts:
        lines.append(detail)
    return lines


def _in_force(version_in_force) -> str:
    """Which version of the partition the figures keep, after a refusal or a quarantine."""
    if pd.isna(version_in_force):
        return "aucune version n'est en vigueur"
    return f"la version {int(version_in_force)} reste en vigueur"


def _quarantine_lines(conn) -> list[str]:
    """The files in quarantine: left out of every figure, the previous version in force."""
    quarantined = queries.quarantined_files(conn)
    if quarantined.empty:
        return []
    lines = [
        "Fichiers mis en quarantaine par le contrôle de publication (écartés de tous les "
        "chiffres ; le reste est publié) :"
    ]
    for row in quarantined.itertuples():
        in_force = _in_force(row.version_in_force)
        lines.append(f"- {row.period} · {row.association_code}, version {row.version} : {in_force}")
        lines.append(f"    {row.reason_fr}")
    return lines


def _misnamed_lines(conn, file_name: str) -> list[str]:
    error = queries.file_error(conn, file_name)
    return [f"- {file_name} : refusé", f"    {error[1] if error else 'fichier non intégrable'}"]


def summary_lines(conn, outcome: RunOutcome, settings: Settings) -> list[str]:
    lines = [
        f"Fichiers intégrés : {len(outcome.ingested)} · inchangés (déjà intégrés) : "
        f"{len(outcome.unchanged)} · refusés avant lecture (emplacement, nom, mois, "
        f"association) : {len(outcome.misnamed)} · entrées ignorées : {len(outcome.ignored)}"
    ]
    for period, code in sorted(outcome.ingested):
        lines += _submission_lines(conn, period, code, settings)
    for path in outcome.misnamed:
        lines += _misnamed_lines(conn, display_name(settings.raw_dir, path))
    for name, reason in outcome.ignored:
        lines.append(f"- {name} : ignoré, {reason}")
    if outcome.build_succeeded:
        periods = {period for period, _ in outcome.ingested}
        lines += missing_lines(conn, periods) + volume_lines(conn, periods, settings)
        lines += revision_lines(conn)
    return lines + build_lines(outcome, settings, _quarantine_lines(conn))


def revision_lines(conn) -> list[str]:
    """The approved months whose figures changed since their approval: the shared workbooks
    and the published copy keep the approved ones until the project lead approves again."""
    return [
        f"- {month} : mois approuvé, {count} chiffre(s) révisé(s) en attente d'approbation "
        f"(onglet « Révisions » de outputs/{month}/v{version}/) ; « ase-impact approve "
        f'{month} --motif "…" » pour les diffuser'
        for month, version, count in queries.pending_revisions_by_month(conn)
    ]


def volume_lines(conn, periods: set[str], settings: Settings) -> list[str]:
    """The months of the run whose youth accompanied moved implausibly from the month before,
    as the publication gate's volume suite warns (it holds back nothing): to check with the
    association before the figures are shared."""
    moves = implausible_moves(conn.execute(MART_QUERIES[VOLUME_INDICATOR]).df())
    registry = load_registry(settings.registry)
    lines = []
    for move in moves.itertuples():
        if f"{move.period:%Y-%m}" not in periods:
            continue
        registered = registry.get(move.association_code)
        name = registered.association_name if registered else "nom inconnu"
        lines.append(
            f"- {move.period:%Y-%m} · {move.association_code} ({name}) : à vérifier, jeunes "
            f"accompagnés passés de {move.previous:.0f} à {move.current:.0f} depuis le mois "
            f"précédent (plus de {VOLUME_GAP_PERCENT} % d'écart) ; confirmez le chiffre avec "
            "l'association avant diffusion"
        )
    return lines


def missing_lines(conn, periods: set[str]) -> list[str]:
    """Expected files not received for the months of the run, as the marts count them."""
    return [
        f"- {month.period} · {code} ({name or 'nom inconnu'}) : fichier attendu, non reçu"
        for month in queries.months_completeness(conn)
        if month.period in periods
        for code, name in month.missing
    ]


def build_lines(
    outcome: RunOutcome, settings: Settings, quarantine: Sequence[str] = ()
) -> list[str]:
    """How the build went (dbt, publication gate, outputs), the files in quarantine
    (quarantine: _quarantine_lines) and where everything is."""
    lines = []
    if outcome.build_succeeded:
        lines.append("Construction (marts dbt, contrôle de publication, sorties) : réussie")
    elif outcome.blocking_checks_failed:
        lines.append(
            "Publication bloquée par le contrôle qualité (les sorties n'ont pas été mises à "
            "jour) : " + ", ".join(outcome.blocking_checks_failed)
        )
    else:
        lines.append("Construction : ÉCHEC technique, voir l'historique des runs (make ui)")
        lines += [
            f"    · étape {step} : {message}" for step, message in outcome.build_step_errors.items()
        ]
        if any(
            any(sign in message for sign in CORRUPTION_SIGNS)
            for message in outcome.build_step_errors.values()
        ):
            lines.append(
                f"    L'entrepôt {warehouse_label(settings.warehouse)} semble endommagé : "
                "recréez-le depuis l'archive avec « ase-impact rebuild » (docs/reliability.md)."
            )
    lines += quarantine
    if outcome.technical_failures:
        lines.append("Échecs techniques : " + ", ".join(outcome.technical_failures))
    return lines + [
        f"Entrepôt : {warehouse_label(settings.warehouse)}",
        _published_line(settings),
        "Classeurs consolidés et retours aux associations : "
        + ", ".join(str(folder) for folder in _output_folders(outcome, settings)),
        f"Rapport du contrôle de publication : {settings.reports_dir / 'quality' / 'index.html'}",
    ]


def _published_line(settings: Settings) -> str:
    if settings.published_warehouse == settings.warehouse:  # PostgreSQL: read in place
        return (
            f"Lecture pour les analystes : schéma {PUBLISHED_SCHEMA} de l'entrepôt, par les "
            f"rôles {READER_ROLE} et {ASSOCIATION_ROLE} (docs/postgresql.md)"
        )
    return f"Copie publiée (lecture seule) : {settings.published_warehouse}"


def _output_folders(outcome: RunOutcome, settings: Settings) -> list[Path]:
    """The months' folders this run wrote to, else the outputs folder itself."""
    periods = sorted({period for period, _ in outcome.ingested})
    return [settings.outputs_dir / period for period in periods] or [settings.outputs_dir]


def exit_code(conn, outcome: RunOutcome, strict: bool) -> int:
    """1 on a technical failure; with strict, 2 when a file was refused; else 0."""
    if outcome.technical_failures or not (
        outcome.build_succeeded or outcome.blocking_checks_failed
    ):
        return 1
    latest = [queries.latest_submission(conn, period, code) for period, code in outcome.ingested]
    refused = outcome.misnamed or any(s is not None and s.is_refused for s in latest)
    return 2 if strict and refused else 0
