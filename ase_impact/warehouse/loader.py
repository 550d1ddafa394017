"""Writing the warehouse: a (period, association) partition replaced by one file's rows, or a
refused file recorded; each in one transaction, so a crash leaves the previous state.

quality.submissions keeps one row per version of a partition's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

from ase_impact.contracts.findings import count_by_rule
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.keys import period_start
from ase_impact.core.registry import REGISTRY_COLUMNS, Registry
from ase_impact.warehouse import queries, schema
from ase_impact.warehouse.connection import Connection, insert_frame
from ase_impact.warehouse.schema import (
    PARTITION_COLUMNS,
    QUARANTINE_COLUMNS,
    RULE_COUNTS_TABLE,
    SUBMISSION_COLUMNS,
    finding_table_columns,
    raw_table_columns,
    rule_count_columns,
)


def _insert_frame(
    conn: Connection,
    table: str,
    columns: tuple[tuple[str, str], ...],
    frame: pd.DataFrame,
    partition_values: list[object],
) -> None:
    """Bulk INSERT of a frame, partition columns given as parameters."""
    partition_names = tuple(name for name, _ in PARTITION_COLUMNS)
    insert_frame(conn, table, columns, frame, partition_values, partition_names)


def _upsert_submission(conn, period: date, association_code: str, submission: Mapping) -> int:
    """Write the file's submission row; returns its version.

    The same bytes as the latest version keep that version and its received_at (a rerun is
    not a new reception); different bytes make a new version.
    """
    row = {**submission, "period": period, "association_code": association_code}
    latest = queries.latest_version(conn, period, association_code)
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
    tables = [f"quality.{s.quality_table}" for s in vocabulary.severities().values()]
    for table in [*tables, RULE_COUNTS_TABLE]:
        conn.execute(
            f"DELETE FROM {table} WHERE period = ? AND association_code = ? AND file_sha256 = ?",
            [period, association_code, sha256],
        )


def _delete_file_errors(conn, file_name: str, sha256: str) -> None:
    conn.execute(
        "DELETE FROM quality.file_errors WHERE file_name = ? AND file_sha256 = ?",
        [file_name, sha256],
    )


def _refuse_pii_columns(tables: Mapping[str, pd.DataFrame]) -> None:
    for table, frame in tables.items():
        if table not in raw_table_columns():
            raise ValueError(f"unknown raw table {table!r}")
        leaked = [field for field in referentiel.pii_fields() if field in frame.columns]
        if leaked:
            raise ValueError(f"raw.{table} frame still holds PII columns {leaked}")


def replace_partition(
    conn: Connection,
    period: str,
    association_code: str,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame,
    submission: Mapping[str, object],
    rule_counts: pd.DataFrame | None = None,
) -> int:
    """Replace a (period, association) partition by one file's accepted rows; returns its version.

    tables: raw table name → accepted, pseudonymised frame (the table's columns from excel_row
    to has_alerts; extra columns are ignored). A raw table absent from tables is emptied for
    the partition. findings: FINDING_COLUMNS rows of the file, split by severity into
    quality.rejected_rows and quality.row_alerts, replacing that file's previous ones.
    rule_counts: RULE_COUNT_COLUMNS rows, how many findings each rule gave (findings may list
    only the first ones), into quality.rule_counts; None: counted from findings.
    submission: the quality.submissions fields except period, association_code and version.
    All of it commits together or not at all.
    """
    _refuse_pii_columns(tables)
    unknown_severities = set(findings["severity"]) - set(vocabulary.severities())
    if unknown_severities:
        raise ValueError(f"unknown finding severities {sorted(unknown_severities)}")
    start = period_start(period)
    sha256 = str(submission["sha256"])
    partition_values = [start, association_code, sha256]
    conn.execute("BEGIN TRANSACTION")
    try:
        _write_raw_rows(conn, start, association_code, sha256, tables)
        _delete_findings(conn, start, association_code, sha256)
        for severity in vocabulary.severities().values():
            selected = findings[findings["severity"] == severity.code]
            _insert_frame(
                conn,
                f"quality.{severity.quality_table}",
                finding_table_columns(),
                selected,
                partition_values,
            )
        counts = count_by_rule(findings) if rule_counts is None else rule_counts
        _insert_frame(conn, RULE_COUNTS_TABLE, rule_count_columns(), counts, partition_values)
        _delete_file_errors(conn, str(submission["file_name"]), sha256)
        version = _upsert_submission(conn, start, association_code, submission)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def replace_registry(conn: Connection, registry: Registry) -> None:
    """Replace raw.associations by the registry's rows, in one transaction."""
    schema.ensure_schema(conn)
    columns = ", ".join(f'"{name}"' for name in REGISTRY_COLUMNS)
    placeholders = ", ".join("?" for _ in REGISTRY_COLUMNS)
    rows = [
        [association.as_row()[name] for name in REGISTRY_COLUMNS]
        for association in registry.associations
    ]
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {schema.REGISTRY_TABLE}")
        if rows:
            conn.executemany(
                f"INSERT INTO {schema.REGISTRY_TABLE} ({columns}) VALUES ({placeholders})", rows
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def record_file_error(
    conn: Connection,
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
                    "status": vocabulary.REJECTED,
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


def _write_raw_rows(
    conn: Connection,
    start: date,
    association_code: str,
    sha256: str | None,
    tables: Mapping[str, pd.DataFrame],
) -> None:
    """Empty the partition in every raw table, then insert the file's rows (inside the
    caller's transaction)."""
    for table in raw_table_columns():
        conn.execute(
            f"DELETE FROM raw.{table} WHERE period = ? AND association_code = ?",
            [start, association_code],
        )
    for table, frame in tables.items():
        _insert_frame(
            conn,
            f"raw.{table}",
            raw_table_columns()[table],
            frame,
            [start, association_code, sha256],
        )


def replace_raw_rows(
    conn: Connection,
    period: str,
    association_code: str,
    sha256: str | None,
    tables: Mapping[str, pd.DataFrame],
) -> None:
    """Replace a partition's raw rows only (quality untouched), in one transaction: by the rows
    of the version in force again (sha256, tables), or by nothing (sha256 None) when no
    version is left in force. What a quarantine does (ase_impact/intake/quarantine.py)."""
    _refuse_pii_columns(tables)
    start = period_start(period)
    conn.execute("BEGIN TRANSACTION")
    try:
        _write_raw_rows(conn, start, association_code, sha256, tables)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def record_quarantine(conn: Connection, rows: list[Mapping[str, object]]) -> None:
    """Add files to quality.quarantined_files (QUARANTINE_COLUMNS' fields)."""
    names = [name for name, _ in QUARANTINE_COLUMNS]
    conn.executemany(
        f"INSERT INTO quality.quarantined_files ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [[row[name] for name in names] for row in rows],
    )
