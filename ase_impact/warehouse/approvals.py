"""Approved months: the published figures of a month frozen as they were approved, version by
version (DHIS2's data approval). Schema `approvals`, written by `ase-impact approve AAAA-MM`
only, never by a build: the marts always hold the current figures, and each approval keeps a
copy of the month's rows of the published marts.

What a month's approval freezes (its windows): the month, the year to date to that month, its
quarter when the month ends one, its year when the month is December; and the month's rows of
mart_submissions, and which file was in force for every partition (to say which file caused
a later revision). The published copy shows the latest approved version of these rows
(apply_to_published), until the month is approved again.

The schema cannot be recomputed from the archived files: after each approval it is copied to
archive/approvals/ (export_approvals, one Parquet file per table), from which `ase-impact
rebuild` restores it (restore_approvals).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from ase_impact.core.keys import period_start
from ase_impact.warehouse.connection import Connection, is_inexact, month_text, rounded

SCHEMA = "approvals"
# Published marts whose rows an approval freezes, and what says which rows: the windows
# (period_grain, period) of the approval, or the month (period) alone.
FROZEN_BY_WINDOW = ("fct_indicators", "mart_value_chain", "mart_impact_dimensions")
FROZEN_BY_MONTH = ("mart_submissions",)
APPROVAL_COLUMNS = (
    ("approved_month", "DATE"),
    ("approval_version", "INTEGER"),
    ("approved_at", "TIMESTAMP"),
)


class ApprovalError(Exception):
    """The month cannot be approved; message_fr says why."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr


@dataclass(frozen=True)
class Approval:
    month: str  # "AAAA-MM"
    version: int
    approved_at: datetime
    approved_by: str
    reason: str | None  # why the figures were approved again (required from version 2 on)
    # Made by this call; False for a version recorded before (approving again a month whose
    # figures had not changed, or reading the approvals).
    is_new: bool


def approval_windows(month: date) -> list[tuple[str, date]]:
    """The (period_grain, period) an approval of month freezes."""
    windows = [("month", month), ("year_to_date", month)]
    if month.month % 3 == 0:
        windows.append(("quarter", month.replace(month=month.month - 2)))
    if month.month == 12:
        windows.append(("year", month.replace(month=1)))
    return windows


def ensure_approvals_schema(conn: Connection) -> None:
    """The bookkeeping tables; the frozen copies are created at the first approval, like the
    marts they copy (_align_copy)."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.approvals (approved_month DATE NOT NULL, "
        "approval_version INTEGER NOT NULL, approved_at TIMESTAMP NOT NULL, "
        "approved_by VARCHAR NOT NULL)"
    )
    # Added after the first release: a warehouse approved by it gains the column, NULL.
    conn.execute(f"ALTER TABLE {SCHEMA}.approvals ADD COLUMN IF NOT EXISTS reason VARCHAR")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.approved_windows (approved_month DATE NOT NULL, "
        "approval_version INTEGER NOT NULL, period_grain VARCHAR NOT NULL, "
        "period DATE NOT NULL)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.files_in_force (approved_month DATE NOT NULL, "
        "approval_version INTEGER NOT NULL, period DATE NOT NULL, "
        "association_code VARCHAR NOT NULL, version_in_force INTEGER, sha256 VARCHAR, "
        "file_name VARCHAR)"
    )


def _in_catalog(catalog: str | None) -> tuple[str, list[str]]:
    """The information_schema condition on conn's own database, or on a catalog attached."""
    if catalog:
        return "table_catalog = ?", [catalog]
    return "table_catalog = current_database()", []


def _columns(
    conn: Connection, schema: str, table: str, catalog: str | None = None
) -> list[tuple[str, str]]:
    """(name, type) of a table's columns, in conn's database or in the catalog attached."""
    condition, parameters = _in_catalog(catalog)
    return conn.execute(
        f"SELECT column_name, data_type FROM information_schema.columns WHERE {condition} "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [*parameters, schema, table],
    ).fetchall()


def _align_copy(conn: Connection, table: str) -> None:
    """approvals.<table> with every column of marts.<table> (a mart that gained a column in a
    release gains it here too, NULL in older versions)."""
    marts = _columns(conn, "marts", table)
    if not marts:
        raise ApprovalError(
            f"La table marts.{table} est introuvable : construisez les marts (ase-impact run) "
            "avant d'approuver un mois."
        )
    copy = dict(_columns(conn, SCHEMA, table))
    if not copy:
        metadata = ", ".join(f"NULL::{kind} AS {name}" for name, kind in APPROVAL_COLUMNS)
        conn.execute(
            f"CREATE TABLE {SCHEMA}.{table} AS SELECT {metadata}, * FROM marts.{table} WHERE false"
        )
        return
    for name, kind in marts:
        if name not in copy:
            conn.execute(f'ALTER TABLE {SCHEMA}.{table} ADD COLUMN "{name}" {kind}')


def latest_version(conn: Connection, month: str) -> tuple[int, datetime] | None:
    """(version, approved_at) of the month's latest approval, or None."""
    if not _columns(conn, SCHEMA, "approvals"):
        return None
    return conn.execute(
        f"SELECT approval_version, approved_at FROM {SCHEMA}.approvals "
        "WHERE approved_month = ? ORDER BY approval_version DESC LIMIT 1",
        [period_start(month)],
    ).fetchone()


def approved_months(conn: Connection) -> dict[str, Approval]:
    """Each approved month ("AAAA-MM") and its latest approved version, as `ase-impact
    approve` recorded it: not marts.mart_approvals, which a build made before an approval
    done while it ran does not list yet (its outputs would share the previous version)."""
    columns = dict(_columns(conn, SCHEMA, "approvals"))
    if not columns:
        return {}
    # Approvals of the first release had no reason (their next approval adds the column).
    reason = "reason" if "reason" in columns else "NULL"
    rows = conn.execute(
        f"SELECT {month_text(conn, 'approved_month')}, approval_version, approved_at, "
        f"approved_by, {reason} FROM {SCHEMA}.approvals AS approved WHERE approval_version = "
        f"(SELECT max(approval_version) FROM {SCHEMA}.approvals AS later "
        "WHERE later.approved_month = approved.approved_month) ORDER BY 1"
    ).fetchall()
    return {row[0]: Approval(*row, is_new=False) for row in rows}


def _date(day: date) -> str:
    """A date as an SQL literal, the same on both engines."""
    return f"DATE '{day.isoformat()}'"


def _frozen_rows(table: str, month: date, version: int) -> str:
    """SQL condition on the rows of `table` (aliased `frozen`) that an approval of month, as
    version `version`, freezes: those of its windows, or of the month. month and version are
    a date and a number, written as SQL literals: the same statement runs on both engines."""
    if table in FROZEN_BY_MONTH:
        return f"frozen.period = {_date(month)}"
    return (
        f"EXISTS (SELECT 1 FROM {SCHEMA}.approved_windows AS windows "
        f"WHERE windows.approved_month = {_date(month)} "
        f"AND windows.approval_version = {int(version)} "
        "AND windows.period_grain = frozen.period_grain AND windows.period = frozen.period)"
    )


def _changed_since(conn: Connection, month: date, version: int) -> bool:
    """Whether the month's frozen rows of the marts differ from its approved version."""
    for table in FROZEN_BY_WINDOW + FROZEN_BY_MONTH:
        selected = ", ".join(
            rounded(conn, f'frozen."{name}"', 9) if is_inexact(kind) else f'frozen."{name}"'
            for name, kind in _columns(conn, "marts", table)
            if name not in ("received_at", "first_received_at", "quarantined_at")
        )
        where = _frozen_rows(table, month, version)
        current = f"SELECT {selected} FROM marts.{table} AS frozen WHERE {where}"
        approved = (
            f"SELECT {selected} FROM {SCHEMA}.{table} AS frozen "
            f"WHERE frozen.approved_month = {_date(month)} "
            f"AND frozen.approval_version = {int(version)} AND {where}"
        )
        differing = conn.execute(
            f"SELECT count(*) FROM (({current} EXCEPT ALL {approved}) UNION ALL "
            f"({approved} EXCEPT ALL {current})) AS differing"
        ).fetchone()[0]
        if differing:
            return True
    return False


def approve_month(
    conn: Connection,
    month: str,
    approved_by: str | None = None,
    reason: str | None = None,
) -> Approval:
    """Freeze the month's published figures as its next approved version (one transaction),
    approved by `approved_by` (default: the system user) for `reason`.

    Approving again a month whose figures have not changed since its latest approval keeps
    that version (nothing new to freeze). A new version of a month approved before replaces
    figures already shared: it needs a reason, which its workbooks and mart_approvals state.
    """
    start = period_start(month)
    found = conn.execute(
        "SELECT has_submissions FROM marts.dim_period WHERE period_grain = 'month' AND period = ?",
        [start],
    ).fetchone()
    if not found or not found[0]:
        raise ApprovalError(
            f"Aucun fichier reçu pour {month} dans les marts : rien à approuver. Intégrez les "
            "fichiers du mois et construisez les marts (ase-impact run) avant d'approuver."
        )
    ensure_approvals_schema(conn)
    latest = latest_version(conn, month)
    if latest is not None:
        for table in FROZEN_BY_WINDOW + FROZEN_BY_MONTH:
            _align_copy(conn, table)
    if latest is not None and not _changed_since(conn, start, latest[0]):
        by, recorded_reason = conn.execute(
            f"SELECT approved_by, reason FROM {SCHEMA}.approvals WHERE approved_month = ? "
            "AND approval_version = ?",
            [start, latest[0]],
        ).fetchone()
        return Approval(month, latest[0], latest[1], by, recorded_reason, is_new=False)
    version = 1 if latest is None else latest[0] + 1
    reason = (reason or "").strip() or None
    if version > 1 and reason is None:
        raise ApprovalError(
            f"{month} a été approuvé le {latest[1]:%d/%m/%Y à %H:%M} (version {latest[0]}) et "
            "des chiffres ont changé depuis : ils remplaceraient des chiffres déjà diffusés. "
            "Vérifiez l'onglet « Révisions » des classeurs proposés "
            f"(outputs/{month}/v{version}/), puis indiquez le motif de la révision : "
            f'ase-impact approve {month} --motif "…".'
        )
    approved_at = datetime.now().replace(microsecond=0)
    approved_by = (approved_by or "").strip() or getpass.getuser()
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(
            f"INSERT INTO {SCHEMA}.approvals (approved_month, approval_version, approved_at, "
            "approved_by, reason) VALUES (?, ?, ?, ?, ?)",
            [start, version, approved_at, approved_by, reason],
        )
        conn.executemany(
            f"INSERT INTO {SCHEMA}.approved_windows VALUES (?, ?, ?, ?)",
            [[start, version, grain, period] for grain, period in approval_windows(start)],
        )
        conn.execute(
            f"INSERT INTO {SCHEMA}.files_in_force SELECT ?, ?, latest.period, "
            "latest.association_code, latest.version_in_force, latest.sha256_in_force, "
            "versions.file_name FROM quality.latest_submissions AS latest "
            "LEFT JOIN quality.submissions AS versions ON versions.period = latest.period "
            "AND versions.association_code = latest.association_code "
            "AND versions.version = latest.version_in_force",
            [start, version],
        )
        for table in FROZEN_BY_WINDOW + FROZEN_BY_MONTH:
            _align_copy(conn, table)
            marts = [name for name, _ in _columns(conn, "marts", table)]
            target = ", ".join(f'"{name}"' for name in [*dict(APPROVAL_COLUMNS), *marts])
            stamp = ", ".join(f"CAST(? AS {kind})" for _, kind in APPROVAL_COLUMNS)
            copied = ", ".join(f'frozen."{name}"' for name in marts)
            conn.execute(
                f"INSERT INTO {SCHEMA}.{table} ({target}) SELECT {stamp}, {copied} "
                f"FROM marts.{table} AS frozen WHERE {_frozen_rows(table, start, version)}",
                [start, version, approved_at],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return Approval(month, version, approved_at, approved_by, reason, is_new=True)


def apply_to_published(conn: Connection, published: str, source: str | None = None) -> int:
    """In the published marts (schema `published` of conn's database), replace every frozen
    row of an approved month by its latest approved version; returns the months. The
    approvals are read from conn's own database, or from the catalog `source` attached to it
    (DuckDB's published copy, a file of its own)."""
    approvals = f"{source}.{SCHEMA}" if source else SCHEMA
    tables = set(_schema_tables(conn, catalog=source))
    if "approvals" not in tables:
        return 0
    latest = (
        "SELECT approved_month, max(approval_version) AS approval_version "
        f"FROM {approvals}.approvals GROUP BY approved_month"
    )
    windows = (
        f"SELECT windows.* FROM {approvals}.approved_windows AS windows "
        f"JOIN ({latest}) AS latest USING (approved_month, approval_version)"
    )
    for table in FROZEN_BY_WINDOW + FROZEN_BY_MONTH:
        if table not in tables:
            continue
        target = f"{published}.{table}"
        names = [name for name, _ in _columns(conn, published, table)]
        # A column the marts gained in a release since the month's approval: none approved.
        frozen = {name for name, _ in _columns(conn, SCHEMA, table, catalog=source)}
        selected = ", ".join(f'approved."{name}"' if name in frozen else "NULL" for name in names)
        if table in FROZEN_BY_MONTH:
            match = f"period IN (SELECT approved_month FROM ({latest}) AS latest)"
            approved_rows = (
                f"SELECT {selected} FROM {approvals}.{table} AS approved "
                f"JOIN ({latest}) AS latest USING (approved_month, approval_version) "
                "WHERE approved.period = approved.approved_month"
            )
        else:
            match = (
                f"EXISTS (SELECT 1 FROM ({windows}) AS windows WHERE windows.period_grain = "
                f"{target}.period_grain AND windows.period = {target}.period)"
            )
            approved_rows = (
                f"SELECT {selected} FROM {approvals}.{table} AS approved "
                f"JOIN ({windows}) AS windows ON windows.approved_month = approved.approved_month "
                "AND windows.approval_version = approved.approval_version "
                "AND windows.period_grain = approved.period_grain "
                "AND windows.period = approved.period"
            )
        conn.execute(f"DELETE FROM {target} WHERE {match}")
        quoted = ", ".join(f'"{name}"' for name in names)
        conn.execute(f"INSERT INTO {target} ({quoted}) {approved_rows}")
    return conn.execute(f"SELECT count(*) FROM ({latest}) AS latest").fetchone()[0]


# Beside the archived files: the approvals, which no file can give back.
ARCHIVE_FOLDER = "approvals"


def withdraw_version(conn: Connection, month: str, version: int) -> None:
    """Remove a version just approved (one transaction): its workbooks could not be written,
    and an approval without them would show figures no shared workbook does."""
    conn.execute("BEGIN TRANSACTION")
    try:
        for table in _schema_tables(conn):
            conn.execute(
                f"DELETE FROM {SCHEMA}.{table} WHERE approved_month = ? AND approval_version = ?",
                [period_start(month), version],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _schema_tables(conn: Connection, catalog: str | None = None) -> list[str]:
    """The tables of the schema, in conn's database or in the catalog attached."""
    condition, parameters = _in_catalog(catalog)
    return [
        name
        for (name,) in conn.execute(
            f"SELECT table_name FROM information_schema.tables WHERE {condition} "
            "AND table_schema = ? ORDER BY 1",
            [*parameters, SCHEMA],
        ).fetchall()
    ]


def export_approvals(conn: duckdb.DuckDBPyConnection, archive_dir: Path) -> Path:
    """Copy every table of the schema into archive_dir/approvals/<table>.parquet (each file
    written beside and renamed over the previous one); returns the folder."""
    folder = archive_dir / ARCHIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for table in _schema_tables(conn):
        target = folder / f"{table}.parquet"
        partial = folder / f".{table}.{os.getpid()}.tmp.parquet"
        quoted = str(partial).replace("'", "''")
        conn.execute(f"COPY {SCHEMA}.{table} TO '{quoted}' (FORMAT PARQUET)")
        os.replace(partial, target)
    return folder


def restore_approvals(conn: duckdb.DuckDBPyConnection, archive_dir: Path) -> int:
    """Recreate the schema from archive_dir/approvals/ (a rebuilt warehouse); returns how many
    approved versions it holds (0 when nothing was ever approved)."""
    folder = archive_dir / ARCHIVE_FOLDER
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    files = [path for path in files if not path.name.startswith(".")]
    if not files:
        return 0
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for path in files:
        quoted = str(path).replace("'", "''")
        conn.execute(
            f"CREATE OR REPLACE TABLE {SCHEMA}.{path.stem} AS "
            f"SELECT * FROM read_parquet('{quoted}')"
        )
    ensure_approvals_schema(conn)
    return conn.execute(f"SELECT count(*) FROM {SCHEMA}.approvals").fetchone()[0]
