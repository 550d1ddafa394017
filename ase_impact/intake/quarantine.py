"""Quarantine: files in force whose figures the publication gate refused are left out of
every figure, the partition's previous accepted version (if any) staying in force.

quality.quarantined_files records each one by its sha256 (a new file for the partition is in
force again, and checked again); quality.latest_submissions then names the previous accepted
version as the one in force, and raw gets its rows back, read again from the archive as
received (archive/<sha256>.xlsx) and pseudonymised as at reception. A partition without a
previous accepted version has no rows in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import duckdb
import pandas as pd

from ase_impact.core.keys import period_start
from ase_impact.core.settings import Settings
from ase_impact.intake.check import check_file
from ase_impact.intake.ingestion import raw_tables
from ase_impact.intake.pseudonymise import load_key
from ase_impact.intake.validate import FileContext
from ase_impact.warehouse import loader, queries
from ase_impact.warehouse.queries import InForce

WORKBOOK_SUFFIX = ".xlsx"


class Entry(Protocol):
    """What to quarantine (ase_impact/gate/quarantine.py's QuarantineEntry)."""

    period: str
    association_code: str
    check_name: str
    reason_fr: str


@dataclass(frozen=True)
class Quarantined:
    """A partition put in quarantine: which version, why, and which version is now in force."""

    period: str
    association_code: str
    version: int
    reason_fr: str
    version_in_force: int | None


def quarantine_partitions(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    entries: Iterable[Entry],
    now: datetime | None = None,
) -> list[Quarantined]:
    """Quarantine the version in force of each entry's (period, association)."""
    now = now or datetime.now()
    done = []
    for entry in entries:
        before = queries.in_force(conn, entry.period, entry.association_code)
        if before.sha256 is None:
            continue  # nothing in force: nothing to leave out
        loader.record_quarantine(
            conn,
            [
                {
                    "period": period_start(entry.period),
                    "association_code": entry.association_code,
                    "sha256": before.sha256,
                    "version": before.version,
                    "check_name": entry.check_name,
                    "reason_fr": entry.reason_fr,
                    "quarantined_at": now,
                }
            ],
        )
        after = queries.in_force(conn, entry.period, entry.association_code)
        tables = _rows_in_force(settings, entry.period, entry.association_code, after)
        loader.replace_raw_rows(conn, entry.period, entry.association_code, after.sha256, tables)
        done.append(
            Quarantined(
                entry.period,
                entry.association_code,
                before.version,
                entry.reason_fr,
                after.version,
            )
        )
    return done


def _rows_in_force(
    settings: Settings, period: str, association_code: str, in_force: InForce
) -> dict[str, pd.DataFrame]:
    """The raw rows of the version now in force, read again from its archived file."""
    if in_force.sha256 is None:
        return {}
    archived = settings.archive_dir / f"{in_force.sha256}{WORKBOOK_SUFFIX}"
    checked = check_file(archived, in_force.file_name, period, association_code)
    if checked.is_refused:
        raise RuntimeError(
            f"the version in force of {period}/{association_code} is refused when read again"
        )
    context = FileContext(in_force.file_name, period, association_code)
    return raw_tables(checked, load_key(settings), context)
