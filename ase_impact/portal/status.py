"""What the portal shows of files received: an association's history and the month's overview.

Read from the published read-only copy of the warehouse (which never blocks the pipeline's
writer), through ase_impact.warehouse.queries, and from the portal's own receipts for files
sent but not ingested yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ase_impact.core import referentiel, vocabulary
from ase_impact.core.dates import is_blank
from ase_impact.core.deadlines import due_date, is_on_time
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings
from ase_impact.intake.workbook import read_workbook
from ase_impact.portal.store import Receipt, Store
from ase_impact.publish.feedback import feedback_path
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import Connection, connect, is_postgres

SHA256 = re.compile(r"[0-9a-f]{64}")
SENT_PENDING = "envoye"
SENT_PENDING_LABEL = "Envoyé, en attente d'intégration"


@contextmanager
def published(settings: Settings) -> Iterator[Connection | None]:
    """A read-only connection to the published copy, or None before the first publication.

    On PostgreSQL, the warehouse itself: the submissions' statuses as the last build left them
    (docs/postgresql.md).
    """
    path = settings.published_warehouse
    if is_postgres(path):
        with connect(path, read_only=True) as conn:
            yield conn
        return
    if not path.is_file():
        yield None
        return
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:  # being replaced this very instant: shown as not yet published
        yield None
        return
    try:
        yield conn
    finally:
        conn.close()


def status_label(status: str) -> str:
    if status == SENT_PENDING:
        return SENT_PENDING_LABEL
    return vocabulary.status_label(status)


@dataclass(frozen=True)
class HistoryLine:
    period: str
    version: int | None
    received_at: str
    status: str
    status_label: str
    rows_accepted: int | None
    rows_rejected: int | None
    message: str | None
    sha256: str
    on_time: bool | None
    has_feedback: bool


def _received_text(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%d/%m/%Y à %H:%M")


def _sent_not_ingested(
    receipts: list[Receipt], published: list[tuple[str, str, str, datetime]]
) -> list[Receipt]:
    """Receipts (newest first) whose file a run will ingest: the newest of its (month,
    association), not in the published copy (its versions: month, association, SHA-256,
    received at), and sent after every version the copy holds for them. A file sent, then
    replaced in raw/ before any run, will never be ingested: it is not pending either."""
    seen = {(period, sha256) for period, _, sha256, _ in published}
    latest: dict[tuple[str, str], datetime] = {}
    for period, code, _, received_at in published:
        latest[period, code] = max(received_at, latest.get((period, code), received_at))
    pending, newest_seen = [], set()
    for receipt in receipts:
        partition = (receipt.period, receipt.association_code)
        if partition in newest_seen:
            continue
        newest_seen.add(partition)
        superseded = partition in latest and latest[partition] >= datetime.fromisoformat(
            receipt.sent_at
        )
        if (receipt.period, receipt.sha256) not in seen and not superseded:
            pending.append(receipt)
    return pending


def association_history(settings: Settings, store: Store, association_code: str):
    """Every version the association sent, newest first: the warehouse's record, then the
    files sent through the portal that no run has ingested yet."""
    with published(settings) as conn:
        versions = queries.submission_versions(conn, association_code) if conn else []
    receipts = store.receipts(association_code=association_code)
    sent_at = {(r.period, r.sha256): datetime.fromisoformat(r.sent_at) for r in receipts}
    lines = [
        HistoryLine(
            period=receipt.period,
            version=None,
            received_at=_received_text(receipt.sent_at),
            status=SENT_PENDING,
            status_label=SENT_PENDING_LABEL,
            rows_accepted=None,
            rows_rejected=None,
            message="Le fichier sera intégré au prochain passage du pipeline.",
            sha256=receipt.sha256,
            on_time=is_on_time(receipt.period, datetime.fromisoformat(receipt.sent_at)),
            has_feedback=False,
        )
        for receipt in _sent_not_ingested(
            receipts, [(v.period, association_code, v.sha256, v.received_at) for v in versions]
        )
    ]
    latest_by_period: dict[str, int] = {}
    for version in versions:
        latest_by_period.setdefault(version.period, version.version)
    for version in versions:
        # Sent through the portal: on time from the moment it was sent, not ingested.
        received = min(
            version.received_at, sent_at.get((version.period, version.sha256), version.received_at)
        )
        lines.append(
            HistoryLine(
                period=version.period,
                version=version.version,
                received_at=_received_text(received),
                status=version.status,
                status_label=vocabulary.status_label(version.status),
                rows_accepted=version.rows_accepted,
                rows_rejected=version.rows_rejected,
                message=version.message_fr,
                sha256=version.sha256,
                on_time=is_on_time(version.period, received),
                has_feedback=latest_by_period[version.period] == version.version
                and feedback_path(settings.outputs_dir, version.period, association_code).is_file(),
            )
        )
    return sorted(lines, key=lambda line: line.period, reverse=True)


@dataclass(frozen=True)
class MonthLine:
    association_code: str
    association_name: str
    status: str
    status_label: str
    received_at: str | None
    on_time: bool | None
    rows_accepted: int | None
    rows_rejected: int | None
    message: str | None
    has_feedback: bool


def known_associations(settings: Settings, store: Store) -> dict[str, str]:
    """Association code → name: the département's registry, and every association with an
    account."""
    registry = load_registry(settings.registry)
    names = {row.association_code: row.association_name for row in registry.associations}
    for account in store.accounts():
        if account.association_code and account.association_code not in names:
            names[account.association_code] = account.association_code
    return names


def month_overview(settings: Settings, store: Store, period: str) -> list[MonthLine]:
    """Every association's status for the month: the warehouse's latest version, or a file sent
    and not ingested yet, or nothing (missing)."""
    with published(settings) as conn:
        marts = (
            {line.association_code: line for line in queries.month_submissions(conn, period)}
            if conn
            else {}
        )
    names = known_associations(settings, store)
    receipts = store.receipts(period=period)
    published_versions = [
        (period, code, line.sha256, line.received_at) for code, line in marts.items() if line.sha256
    ]
    pending = {
        receipt.association_code: receipt
        for receipt in _sent_not_ingested(receipts, published_versions)
    }
    sent_at = {(r.association_code, r.sha256): datetime.fromisoformat(r.sent_at) for r in receipts}
    lines = []
    for code in sorted(set(names) | set(marts) | set(pending)):
        mart = marts.get(code)
        receipt = pending.get(code)
        name = (mart.association_name if mart else None) or names.get(code) or code
        if receipt is not None:
            moment = datetime.fromisoformat(receipt.sent_at)
            lines.append(
                MonthLine(
                    code,
                    name,
                    SENT_PENDING,
                    SENT_PENDING_LABEL,
                    _received_text(moment),
                    is_on_time(period, moment),
                    None,
                    None,
                    "Fichier envoyé par le portail, pas encore intégré.",
                    False,
                )
            )
            continue
        if mart is None or not mart.received:
            lines.append(
                MonthLine(
                    code,
                    name,
                    vocabulary.MISSING,
                    vocabulary.status_label(vocabulary.MISSING),
                    None,
                    False if datetime.now().date() > due_date(period) else None,
                    None,
                    None,
                    mart.message if mart else None,
                    False,
                )
            )
            continue
        received = min(mart.received_at, sent_at.get((code, mart.sha256), mart.received_at))
        lines.append(
            MonthLine(
                code,
                name,
                mart.status,
                vocabulary.status_label(mart.status),
                _received_text(received),
                is_on_time(period, received),
                mart.rows_accepted,
                mart.rows_rejected,
                mart.message,
                feedback_path(settings.outputs_dir, period, code).is_file(),
            )
        )
    return lines


def last_accepted_pairs(
    settings: Settings, association_code: str, period: str
) -> list[dict] | None:
    """The rows of « Données » of the association's latest accepted file up to the month, as
    typed (names included): what its pre-filled template copies. None when there is none."""
    archived = _last_accepted_file(settings, association_code, period)
    if archived is None:
        return None
    workbook = read_workbook(archived, archived.name)
    fields = [column.field for column in referentiel.columns("pairs")]
    frame = workbook.sheets["pairs"].frame
    return [
        {field: (None if is_blank(row[field]) else row[field]) for field in fields}
        for _, row in frame.iterrows()
    ]


def _last_accepted_file(settings: Settings, association_code: str, period: str) -> Path | None:
    """The archived copy of the association's latest accepted file up to the month."""
    with published(settings) as conn:
        sha256 = queries.last_accepted_sha256(conn, association_code, period) if conn else None
    if sha256 is None or not SHA256.fullmatch(sha256):
        return None
    archived = settings.archive_dir / f"{sha256}.xlsx"
    return archived if archived.is_file() else None


def has_last_accepted_file(settings: Settings, association_code: str, period: str) -> bool:
    return _last_accepted_file(settings, association_code, period) is not None
