"""The warehouse's ingestion side as the seeds describe it: schemas raw and quality.

Each raw table holds a read sheet's accepted rows: its columns are the sheet's référentiel
columns (reporting_columns) without the personal ones, plus what ingestion derives from them
(derived_columns), typed by the data_types seed. quality.latest_submissions says, for each
(period, association), which version came last and which version is in force: ingestion,
the feedback, the CLI and dbt all read it there.
"""

from __future__ import annotations

from functools import cache

from ase_impact.contracts.findings import FINDING_COLUMNS, RULE_COUNT_COLUMNS
from ase_impact.core import referentiel, vocabulary
from ase_impact.warehouse.connection import Connection

# Columns every raw and findings table starts with; the loader fills them from the file.
PARTITION_COLUMNS = (
    ("period", "DATE"),
    ("association_code", "VARCHAR"),
    ("file_sha256", "VARCHAR"),
)
FINDING_TYPES = {"excel_row": "INTEGER"}
RULE_COUNT_TYPES = {"findings": "INTEGER", "findings_listed": "INTEGER"}
# Per file, how many findings each rule gave (the findings tables keep the first ones).
RULE_COUNTS_TABLE = "quality.rule_counts"
# The fingerprint of the pseudonymisation key the warehouse's youth keys were made with
# (intake.pseudonymise.key_check): one row, recorded by the first load.
KEY_CHECK_TABLE = "raw.pseudonymisation_key"
KEY_CHECK_COLUMNS = (("key_check", "VARCHAR NOT NULL"), ("recorded_at", "TIMESTAMP NOT NULL"))
# The département's registry of associations (core.registry), replaced whole before each
# build: the dbt source the marts read it from.
REGISTRY_TABLE = "raw.associations"
REGISTRY_TYPES = {
    "association_code": "VARCHAR NOT NULL",
    "association_name": "VARCHAR NOT NULL",
    "territory_code": "VARCHAR",
    "expected_from": "DATE NOT NULL",
    "expected_until": "DATE",
    "does_mentoring": "BOOLEAN NOT NULL",
    "does_residential_care": "BOOLEAN NOT NULL",
}
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
    ("status", "VARCHAR NOT NULL"),
    ("message_fr", "VARCHAR"),
)
# Files in force whose figures the publication gate refused: left out of every figure, the
# partition's previous accepted version (if any) staying in force (ase_impact/gate/quarantine.py).
QUARANTINE_COLUMNS = (
    ("period", "DATE NOT NULL"),
    ("association_code", "VARCHAR NOT NULL"),
    ("sha256", "VARCHAR NOT NULL"),
    ("version", "INTEGER NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("reason_fr", "VARCHAR NOT NULL"),
    ("quarantined_at", "TIMESTAMP NOT NULL"),
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


def _sql_type(data_type: str) -> str:
    return vocabulary.data_types()[data_type].sql_type


@cache
def raw_table_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Per raw table, the columns its accepted frame provides, in table order."""
    derived = referentiel.read_seed("derived_columns")
    tables = {}
    for sheet in referentiel.sheets():
        if not sheet.raw_table:
            continue
        kept = [
            (column.field, _sql_type(column.data_type))
            for column in referentiel.columns(sheet.sheet_code)
            if not column.is_pii
        ]
        added = [
            (row["field"], _sql_type(row["data_type"]))
            for row in sorted(derived, key=lambda row: int(row["column_order"]))
            if row["sheet_code"] == sheet.sheet_code
        ]
        tables[sheet.raw_table] = (
            ("excel_row", "INTEGER"),
            *kept,
            *added,
            ("has_alerts", "BOOLEAN"),
        )
    return tables


def finding_table_columns() -> tuple[tuple[str, str], ...]:
    return tuple((name, FINDING_TYPES.get(name, "VARCHAR")) for name in FINDING_COLUMNS)


def rule_count_columns() -> tuple[tuple[str, str], ...]:
    return tuple((name, RULE_COUNT_TYPES.get(name, "VARCHAR")) for name in RULE_COUNT_COLUMNS)


def _quoted(values) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def latest_submissions_view() -> str:
    """One row per (period, association): its latest version received, whatever its status,
    and the latest accepted version not in quarantine, whose rows are the ones in force (a
    refused or quarantined file leaves the previous accepted version in force). When the
    latest version is in quarantine, why and since when."""
    columns = ", ".join(f"latest.{name}" for name, _ in SUBMISSION_COLUMNS)
    return f"""
        CREATE OR REPLACE VIEW quality.latest_submissions AS
        WITH quarantined AS (
            SELECT period, association_code, sha256, reason_fr, quarantined_at
            FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY period, association_code, sha256 ORDER BY quarantined_at DESC
                ) AS recency
                FROM quality.quarantined_files
            ) AS quarantines
            WHERE recency = 1
        ),
        ranked AS (
            SELECT submissions.*,
                quarantined.sha256 IS NOT NULL AS is_quarantined,
                row_number() OVER (
                    PARTITION BY submissions.period, submissions.association_code
                    ORDER BY submissions.version DESC
                ) AS recency,
                row_number() OVER (
                    PARTITION BY submissions.period, submissions.association_code,
                        submissions.status IN ({_quoted(vocabulary.ACCEPTED_STATUSES)})
                        AND quarantined.sha256 IS NULL
                    ORDER BY submissions.version DESC
                ) AS recency_by_acceptance
            FROM quality.submissions AS submissions
            LEFT JOIN quarantined
                ON quarantined.period = submissions.period
                AND quarantined.association_code = submissions.association_code
                AND quarantined.sha256 = submissions.sha256
        ),
        in_force AS (
            SELECT period, association_code, version AS version_in_force,
                sha256 AS sha256_in_force, received_at AS received_at_in_force
            FROM ranked
            WHERE recency_by_acceptance = 1
                AND status IN ({_quoted(vocabulary.ACCEPTED_STATUSES)})
                AND NOT is_quarantined
        )
        SELECT {columns},
            in_force.version_in_force, in_force.sha256_in_force, in_force.received_at_in_force,
            quarantined.reason_fr AS quarantine_reason_fr,
            quarantined.quarantined_at
        FROM ranked AS latest
        LEFT JOIN in_force
            ON in_force.period = latest.period
            AND in_force.association_code = latest.association_code
        LEFT JOIN quarantined
            ON quarantined.period = latest.period
            AND quarantined.association_code = latest.association_code
            AND quarantined.sha256 = latest.sha256
        WHERE latest.recency = 1
    """


def _create_table(conn: Connection, name: str, columns) -> None:
    body = ",\n    ".join(f'"{column}" {sql_type}' for column, sql_type in columns)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n)")


def ensure_schema(conn: Connection) -> None:
    """Create schemas raw and quality, their tables and views; safe on every connection."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
    conn.execute("CREATE SCHEMA IF NOT EXISTS quality")
    partition_not_null = tuple(
        (name, f"{sql_type} NOT NULL") for name, sql_type in PARTITION_COLUMNS
    )
    for table, columns in raw_table_columns().items():
        _create_table(conn, f"raw.{table}", partition_not_null + columns)
    for severity in vocabulary.severities().values():
        severity_checked = tuple(
            (name, f"{sql_type} NOT NULL CHECK (severity = '{severity.code}')")
            if name == "severity"
            else (name, sql_type)
            for name, sql_type in finding_table_columns()
        )
        _create_table(
            conn, f"quality.{severity.quality_table}", partition_not_null + severity_checked
        )
    _create_table(conn, RULE_COUNTS_TABLE, partition_not_null + rule_count_columns())
    _create_table(conn, REGISTRY_TABLE, tuple(REGISTRY_TYPES.items()))
    _create_table(conn, KEY_CHECK_TABLE, KEY_CHECK_COLUMNS)
    statuses = _quoted(vocabulary.RECEIVED_STATUSES)
    submission_columns = tuple(
        (name, f"{sql_type} CHECK (status IN ({statuses}))" if name == "status" else sql_type)
        for name, sql_type in SUBMISSION_COLUMNS
    )
    _create_table(conn, "quality.submissions", submission_columns)
    _create_table(conn, "quality.file_errors", FILE_ERROR_COLUMNS)
    _create_table(conn, "quality.quarantined_files", QUARANTINE_COLUMNS)
    conn.execute(latest_submissions_view())
