"""The DuckDB warehouse's ingestion side: schemas raw and quality, and partition replacement.

Ingesting a (period, association) replaces that partition's rows in every raw table in one
transaction, so reruns and resubmissions never double-count and a crash leaves the previous
state. quality.submissions keeps one row per version of a partition's file.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ase_impact.core.keys import period_start
from ase_impact.intake.pseudonymise import PII_FIELDS

# Columns every raw table starts with; the loader fills the first three from the file.
PARTITION_COLUMNS = (
    ("period", "DATE"),
    ("association_code", "VARCHAR"),
    ("file_sha256", "VARCHAR"),
)

# Per raw table, the columns its accepted frame provides, in table order.
RAW_TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "pairs": (
        ("excel_row", "INTEGER"),
        ("pair_id", "VARCHAR"),
        ("youth_key", "VARCHAR"),
        ("sex", "VARCHAR"),
        ("birth_month", "VARCHAR"),
        ("age_at_period_end", "INTEGER"),
        ("school_level", "VARCHAR"),
        ("placement_type", "VARCHAR"),
        ("territory", "VARCHAR"),
        ("referring_structure", "VARCHAR"),
        ("application_date", "DATE"),
        ("match_date", "DATE"),
        ("status", "VARCHAR"),
        ("end_date", "DATE"),
        ("end_reason", "VARCHAR"),
        ("objective", "VARCHAR"),
        ("mode", "VARCHAR"),
        ("renewal", "VARCHAR"),
        ("mentor_id", "VARCHAR"),
        ("mentor_trained", "VARCHAR"),
        ("meeting_frequency", "VARCHAR"),
        ("sessions_planned", "INTEGER"),
        ("sessions_held", "INTEGER"),
        ("objective_met", "VARCHAR"),
        ("has_alerts", "BOOLEAN"),
    ),
    "end_questionnaires": (
        ("excel_row", "INTEGER"),
        ("pair_id", "VARCHAR"),
        ("answered_on", "DATE"),
        ("q_confidence", "VARCHAR"),
        ("q_better_grades", "VARCHAR"),
        ("q_internship", "VARCHAR"),
        ("q_oral", "VARCHAR"),
        ("q_bonds", "VARCHAR"),
        ("q_someone", "VARCHAR"),
        ("q_discoveries", "VARCHAR"),
        ("has_alerts", "BOOLEAN"),
    ),
    "mispe_questionnaires": (
        ("excel_row", "INTEGER"),
        ("youth_key", "VARCHAR"),
        ("birth_month", "VARCHAR"),
        ("age_at_answer", "INTEGER"),
        ("wave", "VARCHAR"),
        ("answered_on", "DATE"),
        *((f"q{item:02d}", "INTEGER") for item in range(1, 19)),
        ("is_out_of_mispe_scope", "BOOLEAN"),
        ("has_alerts", "BOOLEAN"),
    ),
    "resources": (
        ("excel_row", "INTEGER"),
        ("category", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("amount", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("has_alerts", "BOOLEAN"),
    ),
    "activities": (
        ("excel_row", "INTEGER"),
        ("activity_date", "DATE"),
        ("activity_type", "VARCHAR"),
        ("title", "VARCHAR"),
        ("participants", "INTEGER"),
        ("has_alerts", "BOOLEAN"),
    ),
}

FINDING_TABLE_COLUMNS = (
    ("sheet", "VARCHAR"),
    ("excel_row", "INTEGER"),
    ("column_header", "VARCHAR"),
    ("value_received", "VARCHAR"),
    ("rule_code", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("message_fr", "VARCHAR"),
    ("pair_id", "VARCHAR"),
)
# Findings are split by severity: rejected rows and alerts live in their own tables.
FINDING_TABLE_BY_SEVERITY = {"erreur": "rejected_rows", "alerte": "row_alerts"}

SUBMISSION_STATUSES = ("accepted", "accepted_with_rejections", "rejected")
SUBMISSION_COLUMNS = (
    ("period", "DATE NOT NULL"),
    ("association_code", "VARCHAR NOT NULL"),
    ("association_name", "VARCHAR"),
    ("file_name", "VARCHAR NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
    ("received_at", "TIMESTAMP NOT NULL"),
    ("version", "INTEGER NOT NULL"),
    ("template_version", "VARCHAR"),
    ("rows_received", "INTEGER"),
    ("rows_accepted", "INTEGER"),
    ("rows_rejected", "INTEGER"),
    ("rows_with_alerts", "INTEGER"),
    ("status", f"VARCHAR NOT NULL CHECK (status IN {SUBMISSION_STATUSES})"),
    ("message_fr", "VARCHAR"),
)
FILE_ERROR_COLUMNS = (
    ("period", "DATE"),
    ("association_code", "VARCHAR"),
    ("file_name", "VARCHAR NOT NULL"),
    ("file_sha256", "VARCHAR NOT NULL"),
    ("received_at", "TIMESTAMP NOT NULL"),
    ("error_code", "VARCHAR NOT NULL"),
    ("message_fr", "VARCHAR NOT NULL"),
)


# Why writing a file failed, for the operator: read-only storage or a full disk.
STORAGE_FAILURES_FR = {
    errno.ENOSPC: "le disque est plein",
    errno.EDQUOT: "le quota disque est atteint",
    errno.EROFS: "le système de fichiers est en lecture seule",
    errno.EACCES: "accès refusé (fichier ou dossier en lecture seule)",
    errno.EPERM: "opération interdite (fichier ou dossier en lecture seule)",
}


# Failures of the disk or the database file (full disk, read-only folder): the operator's to
# fix, and every next file would meet them too, so they stop a run instead of one file.
STORAGE_ERRORS = (OSError, duckdb.IOException)


def storage_failure_fr(error: BaseException) -> str:
    """The French cause of a failed read or write, with the system's own words as detail.

    DuckDB reports file errors as its own exceptions whose text holds the system message, so
    the cause is recognised from that text when there is no errno.
    """
    code = getattr(error, "errno", None)
    if code not in STORAGE_FAILURES_FR:
        code = next(
            (known for known in STORAGE_FAILURES_FR if os.strerror(known) in str(error)), None
        )
    cause = STORAGE_FAILURES_FR.get(code, "erreur d'écriture ou de lecture")
    return f"{cause} (détail technique : {error})"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


@contextmanager
def exclusive_access(path: Path) -> Iterator[None]:
    """Wait for, then hold, the warehouse's lock file.

    DuckDB allows one process at a time on a file (a second one fails at once with a lock
    error). Dagster's "duckdb" pool serialises the steps of runs it launches; this lock also
    serialises what runs outside a step (the CLI's planning and summary, a second
    `ase-impact run` started meanwhile), so concurrent runs queue instead of failing.
    Not re-entrant: never take it twice in one call chain.
    """
    lock_file = path.with_name(path.name + ".lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def locked_connection(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held under the warehouse lock, closed before the lock is released."""
    with exclusive_access(path), connect(path, read_only=read_only) as conn:
        yield conn


def _create_table(conn: duckdb.DuckDBPyConnection, name: str, columns) -> None:
    body = ",\n    ".join(f'"{column}" {sql_type}' for column, sql_type in columns)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n)")


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create schemas raw and quality and their tables; safe to run on every connection."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
    conn.execute("CREATE SCHEMA IF NOT EXISTS quality")
    partition_not_null = tuple(
        (name, f"{sql_type} NOT NULL") for name, sql_type in PARTITION_COLUMNS
    )
    for table, columns in RAW_TABLE_COLUMNS.items():
        _create_table(conn, f"raw.{table}", partition_not_null + columns)
    for severity, table in FINDING_TABLE_BY_SEVERITY.items():
        severity_checked = tuple(
            (name, f"{sql_type} NOT NULL CHECK (severity = '{severity}')")
            if name == "severity"
            else (name, sql_type)
            for name, sql_type in FINDING_TABLE_COLUMNS
        )
        _create_table(conn, f"quality.{table}", partition_not_null + severity_checked)
    _create_table(conn, "quality.submissions", SUBMISSION_COLUMNS)
    _create_table(conn, "quality.file_errors", FILE_ERROR_COLUMNS)


def _insert_frame(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[tuple[str, str], ...],
    frame: pd.DataFrame,
    partition_values: list[object],
) -> None:
    """Bulk INSERT … SELECT from the registered frame, partition columns given as parameters."""
    view = "incoming_" + table.replace(".", "_")
    target = ", ".join(f'"{name}"' for name, _ in PARTITION_COLUMNS + columns)
    selected = ", ".join(f'CAST("{name}" AS {sql_type})' for name, sql_type in columns)
    conn.register(view, frame)
    try:
        conn.execute(
            f"INSERT INTO {table} ({target}) SELECT ?, ?, ?, {selected} FROM {view}",
            partition_values,
        )
    finally:
        conn.unregister(view)


def _latest_submission(conn, period: date, association_code: str):
    return conn.execute(
        "SELECT version, sha256, received_at FROM quality.submissions "
        "WHERE period = ? AND association_code = ? ORDER BY version DESC LIMIT 1",
        [period, association_code],
    ).fetchone()


def _upsert_submission(conn, period: date, association_code: str, submission: Mapping) -> int:
    """Write the file's submission row; returns its version.

    The same bytes as the latest version keep that version and its received_at (a rerun is
    not a new reception); different bytes make a new version.
    """
    row = {**submission, "period": period, "association_code": association_code}
    latest = _latest_submission(conn, period, association_code)
    if latest is None:
        row["version"] = 1
    elif latest[1] == submission["sha256"]:
        row["version"], row["received_at"] = latest[0], latest[2]
        conn.execute(
            "DELETE FROM quality.submissions WHERE period = ? AND association_code = ? "
            "AND version = ?",
            [period, association_code, latest[0]],
        )
    else:
        row["version"] = latest[0] + 1
    names = [name for name, _ in SUBMISSION_COLUMNS]
    conn.execute(
        f"INSERT INTO quality.submissions ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [row[name] for name in names],
    )
    return row["version"]


def _delete_findings(conn, period: date, association_code: str, sha256: str) -> None:
    for table in FINDING_TABLE_BY_SEVERITY.values():
        conn.execute(
            f"DELETE FROM quality.{table} WHERE period = ? AND association_code = ? "
            "AND file_sha256 = ?",
            [period, association_code, sha256],
        )


def _delete_file_errors(conn, file_name: str, sha256: str) -> None:
    conn.execute(
        "DELETE FROM quality.file_errors WHERE file_name = ? AND file_sha256 = ?",
        [file_name, sha256],
    )


def _refuse_pii_columns(tables: Mapping[str, pd.DataFrame]) -> None:
    for table, frame in tables.items():
        if table not in RAW_TABLE_COLUMNS:
            raise ValueError(f"unknown raw table {table!r}")
        leaked = [field for field in PII_FIELDS if field in frame.columns]
        if leaked:
            raise ValueError(f"raw.{table} frame still holds PII columns {leaked}")


def replace_partition(
    conn: duckdb.DuckDBPyConnection,
    period: str,
    association_code: str,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame,
    submission: Mapping[str, object],
) -> int:
    """Replace a (period, association) partition by one file's accepted rows; returns its version.

    tables: raw table name → accepted, pseudonymised frame (the table's columns from excel_row
    to has_alerts; extra columns are ignored). A raw table absent from tables is emptied for
    the partition. findings: FINDING_COLUMNS rows of the file, split by severity into
    quality.rejected_rows and quality.row_alerts, replacing that file's previous ones.
    submission: the quality.submissions fields except period, association_code and version.
    All of it commits together or not at all.
    """
    _refuse_pii_columns(tables)
    unknown_severities = set(findings["severity"]) - set(FINDING_TABLE_BY_SEVERITY)
    if unknown_severities:
        raise ValueError(f"unknown finding severities {sorted(unknown_severities)}")
    start = period_start(period)
    sha256 = str(submission["sha256"])
    partition_values = [start, association_code, sha256]
    conn.execute("BEGIN TRANSACTION")
    try:
        for table in RAW_TABLE_COLUMNS:
            conn.execute(
                f"DELETE FROM raw.{table} WHERE period = ? AND association_code = ?",
                [start, association_code],
            )
        for table, frame in tables.items():
            _insert_frame(conn, f"raw.{table}", RAW_TABLE_COLUMNS[table], frame, partition_values)
        _delete_findings(conn, start, association_code, sha256)
        for severity, table in FINDING_TABLE_BY_SEVERITY.items():
            selected = findings[findings["severity"] == severity]
            _insert_frame(
                conn, f"quality.{table}", FINDING_TABLE_COLUMNS, selected, partition_values
            )
        _delete_file_errors(conn, str(submission["file_name"]), sha256)
        version = _upsert_submission(conn, start, association_code, submission)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def record_file_error(
    conn: duckdb.DuckDBPyConnection,
    *,
    period: str | None,
    association_code: str | None,
    file_name: str,
    sha256: str,
    received_at: datetime,
    error_code: str,
    message_fr: str,
    association_name: str | None = None,
    template_version: str | None = None,
) -> int | None:
    """Record a refused file without touching raw: the partition's accepted version stays.

    Adds the quality.file_errors row and, when the file's path names its partition, a
    'rejected' submission row (row counts NULL: nothing was counted); returns its version,
    or None when the partition is unknown.
    """
    start = period_start(period) if period else None
    conn.execute("BEGIN TRANSACTION")
    try:
        _delete_file_errors(conn, file_name, sha256)
        version = None
        if start and association_code:
            _delete_findings(conn, start, association_code, sha256)
            version = _upsert_submission(
                conn,
                start,
                association_code,
                {
                    "association_name": association_name,
                    "file_name": file_name,
                    "sha256": sha256,
                    "received_at": received_at,
                    "template_version": template_version,
                    "rows_received": None,
                    "rows_accepted": None,
                    "rows_rejected": None,
                    "rows_with_alerts": None,
                    "status": "rejected",
                    "message_fr": message_fr,
                },
            )
        conn.execute(
            "INSERT INTO quality.file_errors (period, association_code, file_name, file_sha256, "
            "received_at, error_code, message_fr) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [start, association_code, file_name, sha256, received_at, error_code, message_fr],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def latest_submission_shas(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(period "YYYY-MM", association_code) → SHA-256 of the latest version received."""
    rows = conn.execute(
        "SELECT strftime(period, '%Y-%m'), association_code, arg_max(sha256, version) "
        "FROM quality.submissions GROUP BY ALL"
    ).fetchall()
    return {(period, code): sha256 for period, code, sha256 in rows}
