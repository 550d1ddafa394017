"""The gate scoped to what changed: only the windows whose rows differ from rows it passed.

The range suites check each row on its own, against the indicator catalogue: a window
(period_grain, period) of a mart whose rows are the very rows a passed suite validated passes
again. So, for the marts they read, the gate keeps a digest of each window's rows (every
column, floats in single precision: about 7 significant digits) once every suite reading
that mart passed, under a fingerprint of what the suites are (the gate's code, the
référentiel's seeds, great-expectations' version, the catalogue's units). A later gate reads
and validates only the windows whose digest differs or is not kept: after a corrected file,
its month, quarter, year to date onwards and year.

Why single precision: the models sum floats exactly (dbt_project/macros/exact_sums.sql), so
a rebuild from the same files gives the same marts; before, DuckDB's threads added floats in
no fixed order and moved a total's last binary digits, which at 9 decimals still changed
every window of fct_indicators on L. Single precision keeps a float computed any other way
from reading as a change: a range check cannot turn on a change below 1e-7 of a value, and
the published figures show 2 decimals.

A failed suite keeps nothing new: its windows are validated again at the next gate, and fail
again until their rows change. A new fingerprint, or `ase-impact run --full-refresh`
(`forget_validated_windows`), validates every window. The record is a file beside the
report (reports/), not in the warehouse: it says which rows passed, whatever warehouse holds
them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from ase_impact.core import vocabulary
from ase_impact.core.fingerprint import files_fingerprint, write_record
from ase_impact.core.settings import SEEDS_DIR
from ase_impact.warehouse.connection import (
    Connection,
    read_frame,
    rows_hash_sum,
    single_precision,
)

RECORD_NAME = ".porte_fenetres_validees.json"
# How the SQL below names a window: "period_grain/AAAA-MM-DD".
WINDOW_SQL = "period_grain || '/' || CAST(period AS VARCHAR)"


def suites_fingerprint(indicator_catalog: pd.DataFrame) -> str:
    """What the suites are: their code and the référentiel they read, GX's version, and the
    catalogue's units (the range each indicator is checked against)."""
    units = indicator_catalog.sort_values("indicator_code").to_csv(index=False)
    return files_fingerprint(
        [
            *Path(__file__).parent.glob("*.py"),
            Path(vocabulary.__file__),
            *SEEDS_DIR.glob("*.csv"),
        ],
        metadata.version("great-expectations"),
        units,
    )


def window_digests(conn: Connection, table: str) -> dict[str, str]:
    """Each window of `table` ("period_grain/AAAA-MM-DD") and a digest of its rows, floats in
    single precision: a rebuild from unchanged inputs gives each window the same digest."""
    rows = conn.execute(
        f"SELECT {WINDOW_SQL}, count(*), {rows_hash_sum(conn, table, single_precision)} "
        f"FROM {table} GROUP BY 1"
    ).fetchall()
    return {window: f"{count}:{digest}" for window, count, digest in rows}


def rows_of_windows(conn: Connection, table: str, windows: list[str] | None) -> pd.DataFrame:
    """The rows of `table` in those windows; all its rows for None."""
    if windows is None:
        return read_frame(conn, f"SELECT * FROM {table}")
    if not windows:
        return read_frame(conn, f"SELECT * FROM {table} WHERE false")
    marks = ", ".join("?" for _ in windows)
    return read_frame(conn, f"SELECT * FROM {table} WHERE {WINDOW_SQL} IN ({marks})", windows)


@dataclass(frozen=True)
class WindowScope:
    """A mart's windows at this gate: their digests, and those a passed gate validated."""

    digests: dict[str, str]
    kept: frozenset[str]

    @property
    def revalidated(self) -> int:
        return len(self.digests) - len(self.kept)

    @property
    def to_validate(self) -> list[str] | None:
        """The windows to read and validate; None for all of them (none is kept)."""
        if not self.kept:
            return None
        return sorted(window for window in self.digests if window not in self.kept)


@dataclass(frozen=True)
class ValidatedWindows:
    """The record: windows whose rows passed, by frame, under the suites' fingerprint."""

    fingerprint: str | None
    by_frame: dict[str, dict[str, str]]

    @classmethod
    def read(cls, reports_dir: Path) -> ValidatedWindows:
        path = Path(reports_dir) / RECORD_NAME
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return cls(record["fingerprint"], record["by_frame"])
        except (OSError, ValueError, KeyError, TypeError):
            # None yet, or unreadable: every window is validated, and the record rewritten.
            return cls(None, {})

    def _previous(self, frame: str, fingerprint: str) -> dict[str, str]:
        """The frame's digests a passed gate validated, under these same suites."""
        return self.by_frame.get(frame, {}) if fingerprint == self.fingerprint else {}

    def scope(self, frame: str, fingerprint: str, digests: dict[str, str]) -> WindowScope:
        kept = self._previous(frame, fingerprint)
        return WindowScope(digests, frozenset(w for w, d in digests.items() if kept.get(w) == d))

    def write(
        self, reports_dir: Path, fingerprint: str, scopes: dict[str, WindowScope], passed: set[str]
    ) -> None:
        """Keep, per frame whose suites passed, every window's digest as validated now; per
        frame that failed, the digests a passed gate validated before (its failing windows
        are validated again, and pass unread once their rows are back as they were). At once:
        a reader never sees half a record."""
        by_frame = {
            frame: (
                scope.digests
                if frame in passed
                else {
                    window: digest
                    for window, digest in self._previous(frame, fingerprint).items()
                    if window in scope.digests
                }
            )
            for frame, scope in scopes.items()
        }
        path = Path(reports_dir) / RECORD_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        write_record(
            path, json.dumps({"fingerprint": fingerprint, "by_frame": by_frame}, sort_keys=True)
        )


def forget_validated_windows(reports_dir: Path) -> None:
    """The next gate validates every window (a full rebuild asks for it)."""
    (Path(reports_dir) / RECORD_NAME).unlink(missing_ok=True)
