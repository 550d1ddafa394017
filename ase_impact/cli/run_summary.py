"""The French summary `ase-impact run` prints, read from the quality tables, and its exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ase_impact.core.settings import Settings
from ase_impact.intake.pipeline import display_name
from ase_impact.publish.feedback import SUBMISSION_STATUS_FR

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


def _submission_lines(conn, period: str, association_code: str) -> list[str]:
    row = conn.execute(
        """
        select association_name, file_name, version, rows_received, rows_accepted,
               rows_rejected, rows_with_alerts, status, message_fr, sha256
        from quality.submissions
        where strftime(period, '%Y-%m') = ? and association_code = ?
        order by version desc limit 1
        """,
        [period, association_code],
    ).fetchone()
    if row is None:
        return [f"- {period} · {association_code} : aucune soumission enregistrée"]
    name, file_name, version, received, accepted, rejected, alerts, status, message, sha = row
    lines = [
        f"- {period} · {association_code} ({name or 'nom inconnu'})"
        f" — {file_name}, version {version}",
        f"    statut : {SUBMISSION_STATUS_FR[status].lower()}",
    ]
    if status == "rejected":
        lines.append(f"    {message}")
        return lines
    lines[-1] += (
        f" ; lignes reçues {received}, acceptées {accepted}, rejetées {rejected}, "
        f"en alerte {alerts}"
    )
    first = conn.execute(
        """
        select message_fr from quality.rejected_rows
        where file_sha256 = ? order by sheet, excel_row, rule_code limit ?
        """,
        [sha, FIRST_REJECTIONS],
    ).fetchall()
    lines += [f"    · {message}" for (message,) in first]
    if rejected > len(first):
        lines.append(f"    · … voir quality.rejected_rows ({rejected} lignes rejetées au total)")
    return lines


def _misnamed_lines(conn, file_name: str) -> list[str]:
    row = conn.execute(
        "select message_fr from quality.file_errors where file_name = ? "
        "order by received_at desc limit 1",
        [file_name],
    ).fetchone()
    return [f"- {file_name} : refusé", f"    {row[0] if row else 'nom de fichier invalide'}"]


def summary_lines(conn, outcome: RunOutcome, settings: Settings) -> list[str]:
    lines = [
        f"Fichiers intégrés : {len(outcome.ingested)} · inchangés (déjà intégrés) : "
        f"{len(outcome.unchanged)} · refusés pour leur nom : {len(outcome.misnamed)}"
    ]
    for period, code in sorted(outcome.ingested):
        lines += _submission_lines(conn, period, code)
    for path in outcome.misnamed:
        lines += _misnamed_lines(conn, display_name(settings.raw_dir, path))
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
    if outcome.technical_failures:
        lines.append("Échecs techniques : " + ", ".join(outcome.technical_failures))
    return lines + [
        f"Entrepôt : {settings.warehouse}",
        f"Copie publiée (lecture seule) : {settings.published_warehouse}",
        f"Classeurs consolidés et retours aux associations : {settings.outputs_dir}/<AAAA-MM>/",
        f"Rapport du contrôle de publication : {settings.reports_dir / 'quality' / 'index.html'}",
    ]


def exit_code(conn, outcome: RunOutcome, strict: bool) -> int:
    """1 on a technical failure; with strict, 2 when a file was refused; else 0."""
    if outcome.technical_failures or not (
        outcome.build_succeeded or outcome.blocking_checks_failed
    ):
        return 1
    refused = outcome.misnamed or any(
        conn.execute(
            "select status from quality.submissions where strftime(period, '%Y-%m') = ? "
            "and association_code = ? order by version desc limit 1",
            [period, code],
        ).fetchone()
        == ("rejected",)
        for period, code in outcome.ingested
    )
    return 2 if strict and refused else 0
