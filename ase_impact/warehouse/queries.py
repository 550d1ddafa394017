"""Every read of the quality schema: what ingestion, the feedback, the CLI and the orchestrator
ask about the files received. Each question is answered here once, from
quality.latest_submissions where it is about a partition's latest or in-force version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from ase_impact.core import vocabulary
from ase_impact.core.keys import period_start
from ase_impact.warehouse.connection import Connection, month_text

Partition = tuple[str, str]  # ("AAAA-MM", association_code)


@dataclass(frozen=True)
class Submission:
    """The latest version received of a (period, association), with the version in force."""

    period: str
    association_code: str
    association_name: str | None
    file_name: str
    sha256: str
    received_at: datetime
    version: int
    rows_received: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_with_alerts: int | None
    status: str
    message_fr: str | None
    version_in_force: int | None
    received_at_in_force: datetime | None
    # Set when the latest version is in quarantine (the publication gate refused its figures).
    quarantine_reason_fr: str | None = None
    quarantined_at: datetime | None = None

    @property
    def is_refused(self) -> bool:
        return self.status == vocabulary.REJECTED

    @property
    def is_quarantined(self) -> bool:
        return self.quarantine_reason_fr is not None


def latest_submission(conn: Connection, period: str, association_code: str) -> Submission | None:
    """The latest version received of a partition, or None when nothing was received."""
    row = conn.execute(
        "SELECT association_name, file_name, sha256, received_at, version, rows_received, "
        "rows_accepted, rows_rejected, rows_with_alerts, status, message_fr, "
        "version_in_force, received_at_in_force, quarantine_reason_fr, quarantined_at "
        "FROM quality.latest_submissions WHERE period = ? AND association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    return None if row is None else Submission(period, association_code, *row)


@dataclass(frozen=True)
class RowsInForce:
    """The version in force of a partition, and how many rows of one raw table it holds."""

    version: int
    received_at: datetime
    rows: int


def published_pairs_in_force(
    conn: Connection, period: str, association_code: str
) -> RowsInForce | None:
    """As rows_in_force(…, "pairs"), from what a published copy holds (marts and quality):
    the version in force and the pairs its « Données » declared; None when none is in force."""
    row = conn.execute(
        "SELECT s.version_in_force, q.received_at, coalesce(i.value, 0) "
        "FROM marts.mart_submissions s "
        "JOIN quality.submissions q ON q.period = s.period "
        "AND q.association_code = s.association_code AND q.version = s.version_in_force "
        "LEFT JOIN marts.fct_indicators i ON i.period = s.period "
        "AND i.association_code = s.association_code AND i.period_grain = 'month' "
        "AND i.scope = 'association' AND i.indicator_code = 'pairs_declared' "
        "AND i.breakdown = 'total' "
        "WHERE s.period = ? AND s.association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    if row is None:
        return None
    return RowsInForce(version=row[0], received_at=row[1], rows=int(row[2]))


def rows_in_force(
    conn: Connection, period: str, association_code: str, raw_table: str
) -> RowsInForce | None:
    """The partition's version in force and its rows in raw.<raw_table>; None when no version
    of the partition is in force."""
    row = conn.execute(
        "SELECT version_in_force, received_at_in_force FROM quality.latest_submissions "
        "WHERE period = ? AND association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    if row is None or row[0] is None:
        return None
    (rows,) = conn.execute(
        f"SELECT count(*) FROM raw.{raw_table} WHERE period = ? AND association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    return RowsInForce(version=row[0], received_at=row[1], rows=rows)


def file_rule_counts(conn: Connection, submission: Submission) -> pd.DataFrame:
    """How many findings each rule gave on the submission's file, and how many are listed."""
    return conn.execute(
        "SELECT sheet, rule_code, severity, findings, findings_listed FROM quality.rule_counts "
        "WHERE period = ? AND association_code = ? AND file_sha256 = ? "
        "ORDER BY sheet, rule_code",
        [period_start(submission.period), submission.association_code, submission.sha256],
    ).df()


def latest_version(
    conn: Connection, start: date, association_code: str
) -> tuple[int, str, datetime] | None:
    """(version, sha256, received_at) of a partition's latest version, by its first day."""
    return conn.execute(
        "SELECT version, sha256, received_at FROM quality.latest_submissions "
        "WHERE period = ? AND association_code = ?",
        [start, association_code],
    ).fetchone()


def latest_sha256_by_partition(conn: Connection) -> dict[Partition, str]:
    """SHA-256 of each partition's latest version received: a file of raw/ with these bytes
    is already ingested. Empty for a warehouse that has received nothing yet."""
    if not table_exists(conn, "quality", "latest_submissions"):
        return {}
    rows = conn.execute(
        f"SELECT {month_text(conn, 'period')}, association_code, sha256 "
        "FROM quality.latest_submissions"
    ).fetchall()
    return {(period, code): sha256 for period, code, sha256 in rows}


def sha256_in_force(conn: Connection, period: str, association_code: str) -> str | None:
    """SHA-256 of the partition's version in force, whose rows raw holds."""
    row = conn.execute(
        "SELECT sha256_in_force FROM quality.latest_submissions "
        "WHERE period = ? AND association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    return row[0] if row else None


def file_error(
    conn: Connection, file_name: str, sha256: str | None = None
) -> tuple[str, str] | None:
    """(error_code, message_fr) of the latest refusal of a file (of these bytes, if given)."""
    return conn.execute(
        "SELECT error_code, message_fr FROM quality.file_errors "
        "WHERE file_name = ? AND (? IS NULL OR file_sha256 = ?) "
        "ORDER BY received_at DESC LIMIT 1",
        [file_name, sha256, sha256],
    ).fetchone()


def is_already_refused(conn: Connection, file_name: str, sha256: str, error_code: str) -> bool:
    return bool(
        conn.execute(
            "SELECT count(*) FROM quality.file_errors WHERE file_name = ? AND file_sha256 = ? "
            "AND error_code = ?",
            [file_name, sha256, error_code],
        ).fetchone()[0]
    )


def file_findings(conn: Connection, submission: Submission) -> pd.DataFrame:
    """Rejected cells and alerts of the submission's file, every severity's table together."""
    selects = [
        "SELECT sheet, excel_row, pair_id, column_header, value_received, rule_code, severity, "
        f"message_fr FROM quality.{severity.quality_table} "
        "WHERE period = ? AND association_code = ? AND file_sha256 = ?"
        for severity in vocabulary.severities().values()
    ]
    key = [period_start(submission.period), submission.association_code, submission.sha256]
    return conn.execute(" UNION ALL ".join(selects), key * len(selects)).df()


def first_rejection_messages(conn: Connection, sha256: str, limit: int) -> list[str]:
    table = vocabulary.severities()[vocabulary.ERREUR].quality_table
    rows = conn.execute(
        f"SELECT message_fr FROM quality.{table} WHERE file_sha256 = ? "
        "ORDER BY sheet, excel_row, rule_code LIMIT ?",
        [sha256, limit],
    ).fetchall()
    return [message for (message,) in rows]


def previous_file_rows(
    conn: Connection,
    table: str,
    period: str,
    association_code: str,
    columns: tuple[str, ...],
    same_year: bool = False,
) -> tuple[str, pd.DataFrame] | None:
    """("AAAA-MM", rows) of the association's latest file in force for a month before period
    (of the same year when same_year), as raw.<table> holds it; None when there is none."""
    start = period_start(period)
    found = conn.execute(
        f"SELECT max(period) FROM raw.{table} WHERE association_code = ? AND period < ? "
        "AND (NOT ? OR extract(year FROM period) = extract(year FROM CAST(? AS DATE)))",
        [association_code, start, same_year, start],
    ).fetchone()[0]
    if found is None:
        return None
    selected = ", ".join(f'"{column}"' for column in columns)
    rows = conn.execute(
        f"SELECT {selected} FROM raw.{table} WHERE association_code = ? AND period = ?",
        [association_code, found],
    ).df()
    return found.strftime("%Y-%m"), rows


@dataclass(frozen=True)
class InForce:
    """The version in force of a partition, and its file's sha256 (archive/<sha256>.xlsx)."""

    version: int | None
    sha256: str | None
    file_name: str | None


def in_force(conn: Connection, period: str, association_code: str) -> InForce:
    """The partition's version in force as quality.latest_submissions states it (NULLs: none)."""
    row = conn.execute(
        "SELECT latest.version_in_force, latest.sha256_in_force, versions.file_name "
        "FROM quality.latest_submissions AS latest LEFT JOIN quality.submissions AS versions "
        "ON versions.period = latest.period AND versions.association_code = "
        "latest.association_code AND versions.version = latest.version_in_force "
        "WHERE latest.period = ? AND latest.association_code = ?",
        [period_start(period), association_code],
    ).fetchone()
    return InForce(*row) if row else InForce(None, None, None)


def quarantined_files(conn: Connection) -> pd.DataFrame:
    """Every partition whose latest version is in quarantine: period ("AAAA-MM"),
    association_code, version, reason_fr, quarantined_at, version_in_force."""
    return conn.execute(
        f"SELECT {month_text(conn, 'period')} AS period, association_code, version, "
        "quarantine_reason_fr AS reason_fr, quarantined_at, version_in_force "
        "FROM quality.latest_submissions WHERE quarantine_reason_fr IS NOT NULL "
        "ORDER BY period, association_code"
    ).df()


def latest_receptions(conn: Connection) -> list[tuple[str, str, datetime]]:
    """Each partition's latest file: (period "AAAA-MM", association, received at)."""
    return conn.execute(
        f"SELECT {month_text(conn, 'period')}, association_code, received_at "
        "FROM quality.latest_submissions ORDER BY period, association_code"
    ).fetchall()


def received_partitions(conn: Connection) -> pd.DataFrame:
    """period and association_code of every partition a file was received for."""
    return conn.execute("SELECT period, association_code FROM quality.latest_submissions").df()


def _records(conn: Connection, table: str, sql: str, parameters, record) -> list:
    """The rows of a query as records; none while its table does not exist yet (a copy
    published before the table was)."""
    schema, name = table.split(".")
    if not table_exists(conn, schema, name):
        return []
    return [record(*row) for row in conn.execute(sql, parameters).fetchall()]


def table_exists(conn: Connection, schema: str, name: str) -> bool:
    return bool(
        conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


# --- what the portal shows, read from the published copy (marts and quality tables) ----------


@dataclass(frozen=True)
class Version:
    """One version received of an association's file for a month, as quality.submissions has it."""

    period: str
    version: int
    sha256: str
    received_at: datetime
    status: str
    rows_received: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_with_alerts: int | None
    message_fr: str | None


def submission_versions(conn: Connection, association_code: str) -> list[Version]:
    """Every version an association sent, newest month first, newest version first."""
    return _records(
        conn,
        "quality.submissions",
        f"SELECT {month_text(conn, 'period')}, version, sha256, received_at, status, "
        "rows_received, rows_accepted, rows_rejected, rows_with_alerts, message_fr "
        "FROM quality.submissions WHERE association_code = ? ORDER BY period DESC, version DESC",
        [association_code],
        Version,
    )


@dataclass(frozen=True)
class MonthSubmission:
    """An association's line of marts.mart_submissions for one month."""

    association_code: str
    association_name: str | None
    expected: bool
    received: bool
    sha256: str | None
    received_at: datetime | None
    version: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    status: str
    message: str | None


def month_submissions(conn: Connection, period: str) -> list[MonthSubmission]:
    """Every association expected or seen for the month, with its latest version's status."""
    return _records(
        conn,
        "marts.mart_submissions",
        "SELECT association_code, association_name, expected, received, sha256, received_at, "
        "version, rows_accepted, rows_rejected, status, message FROM marts.mart_submissions "
        "WHERE period = ? ORDER BY association_code",
        [period_start(period)],
        MonthSubmission,
    )


def last_accepted_sha256(conn: Connection, association_code: str, up_to_period: str) -> str | None:
    """SHA-256 of the association's latest accepted file for a month up to up_to_period."""
    if not table_exists(conn, "quality", "submissions"):
        return None
    row = conn.execute(
        "SELECT sha256 FROM quality.submissions WHERE association_code = ? AND period <= ? "
        f"AND status IN ({', '.join('?' for _ in vocabulary.ACCEPTED_STATUSES)}) "
        "ORDER BY period DESC, version DESC LIMIT 1",
        [association_code, period_start(up_to_period), *vocabulary.ACCEPTED_STATUSES],
    ).fetchone()
    return row[0] if row else None


def expected_association_codes(conn: Connection, period: str) -> set[str]:
    """Associations the registry expects a file from for a period, by the months
    marts.dim_association states for each (dbt's int_associations_registered)."""
    start = period_start(period)
    rows = conn.execute(
        "SELECT association_code FROM marts.dim_association WHERE is_registered "
        "AND first_expected_period <= ? "
        "AND (last_expected_period IS NULL OR last_expected_period >= ?)",
        [start, start],
    ).fetchall()
    return {code for (code,) in rows}


def association_codes_in_force(conn: Connection, period: str) -> set[str]:
    """Associations with a version in force for a period (marts.mart_submissions): a file
    accepted, whatever came after it (refused, or removed from raw/)."""
    rows = conn.execute(
        "SELECT association_code FROM marts.mart_submissions "
        "WHERE period = ? AND version_in_force IS NOT NULL",
        [period_start(period)],
    ).fetchall()
    return {code for (code,) in rows}


def pending_revisions_by_month(conn: Connection) -> list[tuple[str, int, int]]:
    """Each approved month with figures changed since its latest approval: (month "AAAA-MM",
    the version that would approve them, how many changed), from reporting.rpt_revisions."""
    return conn.execute(
        f"SELECT {month_text(conn, 'approved_month')}, max(from_version) + 1, count(*) "
        "FROM reporting.rpt_revisions WHERE is_pending GROUP BY approved_month "
        "ORDER BY approved_month"
    ).fetchall()


@dataclass(frozen=True)
class MonthCompleteness:
    """Who the registry expected a file from for a month, and who has not sent one
    (marts.mart_submissions, status « missing »)."""

    period: str
    expected: int
    received: int
    # (association_code, association_name) of each expected association without a file.
    missing: tuple[tuple[str, str | None], ...]


def months_completeness(conn: Connection) -> list[MonthCompleteness]:
    """Every month of marts.mart_submissions, oldest first: expected, received, missing."""
    rows = conn.execute(
        f"SELECT {month_text(conn, 'period')}, expected, status = ?, association_code, "
        "association_name FROM marts.mart_submissions ORDER BY period, association_code",
        [vocabulary.MISSING],
    ).fetchall()
    months: dict[str, MonthCompleteness] = {}
    for period, expected, is_missing, code, name in rows:
        month = months.setdefault(period, MonthCompleteness(period, 0, 0, ()))
        if expected:
            months[period] = MonthCompleteness(
                period,
                month.expected + 1,
                month.received + (not is_missing),
                month.missing + (((code, name),) if is_missing else ()),
            )
    return list(months.values())


def table_columns(conn: Connection) -> list[tuple[str, str, str, str]]:
    """(schema, table, column, type) of every column of the warehouse, in a stable order:
    what dbt's documentation catalog describes."""
    return conn.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
