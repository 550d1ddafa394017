"""Recreate a lost or corrupted warehouse from archive/ and the submissions journal.

Every outcome the warehouse recorded is in `archive/journal.jsonl` (intake.journal), and every
file received is in `archive/<sha256>.xlsx`. Replaying the journal in order into an empty
warehouse gives back the same versions, with their original reception times: a loaded version
is read, validated and pseudonymised again from its archived bytes (the same key gives the same
youth keys), a refusal is recorded again as it was. The damaged warehouse, if any, is set aside
beside it (never deleted). The marts are then rebuilt by the orchestrator, as after a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ase_impact.contracts.errors import FileLevelError
from ase_impact.core import vocabulary
from ase_impact.core.errors import ConfigurationError
from ase_impact.core.settings import Settings
from ase_impact.intake.ingestion import (
    _record_refusal,
    _RefusedFile,
    load_prepared,
    prepare_archived,
)
from ase_impact.intake.journal import JournalEntry, journal_path, read_entries
from ase_impact.warehouse import schema
from ase_impact.warehouse.approvals import restore_approvals
from ase_impact.warehouse.connection import connect, exclusive_access


@dataclass
class RebuildReport:
    journal: Path
    replayed: int = 0
    approvals_restored: int = 0
    set_aside: list[Path] = field(default_factory=list)
    # "2026-10/cap-avenir.xlsx (version du 03/11/2026 à 09:30) : …" for each entry that could not
    # be replayed as recorded.
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"Reconstruction de l'entrepôt : {self.replayed} résultats rejoués depuis "
            f"{self.journal}"
        ]
        if self.approvals_restored:
            lines.append(
                f"Versions approuvées restaurées depuis l'archive : {self.approvals_restored}"
            )
        lines += [
            f"Entrepôt endommagé mis de côté (à supprimer une fois vérifié) : {path}"
            for path in self.set_aside
        ]
        lines += [f"    · {problem}" for problem in self.problems]
        return lines


def rebuild_warehouse(settings: Settings, progress: Callable[[str], None] = print) -> RebuildReport:
    """Set the warehouse aside (if any) and replay the journal into a new one."""
    entries = list(read_entries(settings.archive_dir))
    report = RebuildReport(journal_path(settings.archive_dir))
    if not entries:
        raise ConfigurationError(
            f"Le journal des soumissions {report.journal} est absent ou vide : il n'y a rien à "
            "reconstruire depuis l'archive. Vérifiez ASE_IMPACT_ARCHIVE_DIR, ou relancez "
            "« ase-impact run » pour intégrer à nouveau les fichiers de raw/."
        )
    with exclusive_access(settings.warehouse):
        report.set_aside = _set_aside(settings.warehouse)
        with connect(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            for number, entry in enumerate(entries, 1):
                if number % 50 == 0:
                    progress(f"Reconstruction : {number} / {len(entries)}…")
                problem = _replay(conn, settings, entry)
                report.replayed += 1
                if problem:
                    report.problems.append(f"{_entry_name(entry)} : {problem}")
            # Approved months (ase-impact approve) are not in any file: from their copy.
            report.approvals_restored = restore_approvals(conn, settings.archive_dir)
            conn.execute("CHECKPOINT")
    return report


def _set_aside(warehouse: Path) -> list[Path]:
    """Rename the warehouse and its write-ahead log, if there, out of the way."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    moved = []
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists():
            target = path.with_name(f"{path.name}.endommage-{stamp}")
            os.replace(path, target)
            moved.append(target)
    return moved


def _entry_name(entry: JournalEntry) -> str:
    return f"{entry.file_name} (reçu le {entry.received_at:%d/%m/%Y à %H:%M})"


def _replay(conn, settings: Settings, entry: JournalEntry) -> str | None:
    """Record one journaled outcome again; a French problem when it cannot be as it was."""
    archived = settings.archive_dir / entry.archived_as
    if entry.status == vocabulary.REJECTED:
        received = _RefusedFile(
            entry.period,
            entry.association_code,
            entry.file_name,
            entry.sha256,
            entry.received_at,
            {
                "association_name": entry.association_name,
                "template_version": entry.template_version,
            },
            entry.archived_as,
        )
        error = FileLevelError(entry.error_code or "", entry.message_fr or "")
        _record_refusal(conn, received, error, archive_dir=None)
        return None
    if not archived.exists():
        return f"le fichier archivé {archived} est introuvable : cette version n'est pas rejouée"
    prepared = prepare_archived(
        archived,
        entry.file_name,
        entry.period,
        entry.association_code,
        settings,
        entry.received_at,
    )
    report = load_prepared(conn, prepared)
    if report.status != entry.status:
        return (
            f"rejoué avec le statut « {vocabulary.status_label(report.status)} » au lieu de "
            f"« {vocabulary.status_label(entry.status)} » (les règles ont changé depuis sa "
            "réception)"
        )
    return None
