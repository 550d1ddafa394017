"""One received file, end to end: archive, read, check, validate, pseudonymise, load.

A file-level problem refuses the whole file (recorded in quality, the partition's previous
accepted version stays in force); row-level problems reject rows and the rest loads. Any other
exception is a bug and propagates. A file whose « Données » is empty while the version in force
has pairs is refused too (FIC-019): it is most likely a blank template dropped by mistake, and
loading it would erase the pairs in force without a word.

Every outcome recorded in the warehouse is then appended to the submissions journal
(intake.journal), from which `ase-impact rebuild` recreates a lost warehouse.

Each file's report says how long each phase took (seconds_by_phase), measured where the phase
ran: a worker process for the phases that prepare the file, the writer for the load.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from ase_impact.contracts.errors import FileLevelError, file_level_error
from ase_impact.contracts.findings import FINDING_COLUMNS, empty_rule_counts
from ase_impact.contracts.rules import MISPE_SCOPE_AGES, quoted_list
from ase_impact.core import referentiel, vocabulary
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import Settings
from ase_impact.intake.archive import archive_file, remove_partial_copies
from ase_impact.intake.check import CheckedFile, SheetCounts, check_file
from ase_impact.intake.check import timed as _timed
from ase_impact.intake.discovery import contents_differ, display_name, month_files
from ase_impact.intake.history import with_history_queries
from ase_impact.intake.journal import JournalEntry, append_entry
from ase_impact.intake.pseudonymise import (
    PseudonymisationKeyError,
    check_warehouse_key,
    key_check,
    load_key,
    pseudonymise_frame,
)
from ase_impact.intake.validate import FileContext
from ase_impact.intake.workbook import parse_submission_path, submission_partition
from ase_impact.warehouse import loader, queries, schema
from ase_impact.warehouse.connection import STORAGE_ERRORS, Connection, locked_connection

# Files prepared ahead of loading, per worker: enough to keep workers busy, few in memory.
PREPARED_AHEAD_PER_WORKER = 2
# Starting a worker process costs about what preparing a few files does.
FILES_PER_WORKER = 4
# The timed phases of one file, in order (keys of seconds_by_phase). "read" includes the file
# checks and the identity check; "validate" the findings, their masking and the counts;
# "load" the partition's replacement, or the refusal's record.
PHASES = ("archive", "read", "validate", "pseudonymise", "load")


@dataclass(frozen=True, eq=False)
class IngestionReport:
    """What happened to one file. findings hold no PII (values of PII columns are masked)."""

    period: str | None
    association_code: str | None
    file_name: str
    sha256: str
    version: int | None
    status: str
    association_name: str | None
    rows_received: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    rows_with_alerts: int | None
    sheet_counts: dict[str, SheetCounts]
    findings: pd.DataFrame
    message_fr: str
    # Seconds spent in each phase of PHASES that ran for this file.
    seconds_by_phase: dict[str, float] = field(default_factory=dict)
    # How many findings each rule gave (RULE_COUNT_COLUMNS); findings lists the first ones.
    rule_counts: pd.DataFrame = field(default_factory=empty_rule_counts)


def _raw_frame(sheet_code: str, accepted: pd.DataFrame, key: bytes, context: FileContext):
    if sheet_code == "pairs":
        return pseudonymise_frame(accepted, key, context.period_end, "age_at_period_end")
    if sheet_code == "mispe_questionnaires":
        frame = pseudonymise_frame(accepted, key, accepted["answered_on"], "age_at_answer")
        youngest, oldest = MISPE_SCOPE_AGES
        frame["is_out_of_mispe_scope"] = ~frame["age_at_answer"].between(youngest, oldest)
        return frame
    return accepted


def raw_tables(checked: CheckedFile, key: bytes, context: FileContext) -> dict[str, pd.DataFrame]:
    """Raw table name → the accepted rows of a checked file, pseudonymised, as raw holds them."""
    return {
        referentiel.sheet(code).raw_table: _raw_frame(code, sheet.accepted, key, context)
        for code, sheet in checked.sheets.items()
    }


@dataclass(frozen=True)
class _RefusedFile:
    """A received file as the warehouse records it (refused or not)."""

    period: str | None
    association_code: str | None
    file_name: str
    sha256: str
    received_at: datetime
    identity: dict[str, str | None]
    archived_as: str = ""  # its name in archive/, for the journal


def _record_refusal(
    conn: Connection,
    refused: _RefusedFile,
    error: FileLevelError,
    archive_dir: Path | None,
) -> IngestionReport:
    """Record a file-level error (raw is not touched) and report the file as rejected; then
    journal it (archive_dir None: a replay, already journaled)."""
    version = loader.record_file_error(
        conn,
        period=refused.period,
        association_code=refused.association_code,
        file_name=refused.file_name,
        sha256=refused.sha256,
        received_at=refused.received_at,
        error_code=error.code,
        message_fr=error.message_fr,
        association_name=refused.identity.get("association_name"),
        template_version=refused.identity.get("template_version"),
    )
    if archive_dir is not None:
        append_entry(
            archive_dir,
            _journal_entry(refused, vocabulary.REJECTED, error.code, error.message_fr),
        )
    return _refusal_report(refused, error, version)


def _journal_entry(
    received: _RefusedFile,
    status: str,
    error_code: str | None = None,
    message_fr: str | None = None,
) -> JournalEntry:
    return JournalEntry(
        period=received.period,
        association_code=received.association_code,
        file_name=received.file_name,
        archived_as=received.archived_as or f"{received.sha256}.xlsx",
        sha256=received.sha256,
        received_at=received.received_at,
        status=status,
        error_code=error_code,
        message_fr=message_fr,
        association_name=received.identity.get("association_name") if error_code else None,
        template_version=received.identity.get("template_version") if error_code else None,
    )


def _refusal_report(
    refused: _RefusedFile, error: FileLevelError, version: int | None = None
) -> IngestionReport:
    return IngestionReport(
        period=refused.period,
        association_code=refused.association_code,
        file_name=refused.file_name,
        sha256=refused.sha256,
        version=version,
        status=vocabulary.REJECTED,
        association_name=refused.identity.get("association_name"),
        rows_received=None,
        rows_accepted=None,
        rows_rejected=None,
        rows_with_alerts=None,
        sheet_counts={},
        findings=pd.DataFrame(columns=FINDING_COLUMNS),
        message_fr=error.message_fr,
    )


@dataclass(frozen=True, eq=False)
class PreparedFile:
    """A received file archived, read, validated and pseudonymised: what loading needs.

    Made without the warehouse, so that worker processes can prepare files while the one
    writer loads. A refused file carries its error instead of tables. received says what the
    warehouse and the journal record of the file either way; archive_dir is where the journal
    is (None when the file is replayed from it).
    """

    received: _RefusedFile
    archive_dir: Path | None
    error: FileLevelError | None = None
    tables: dict[str, pd.DataFrame] | None = None
    findings: pd.DataFrame | None = None
    rule_counts: pd.DataFrame | None = None
    submission: dict | None = None
    sheet_counts: dict[str, SheetCounts] | None = None
    seconds_by_phase: dict[str, float] = field(default_factory=dict)
    key_check: str | None = None  # of the key its youth keys were made with

    @property
    def refused(self) -> _RefusedFile | None:
        return self.received if self.error is not None else None

    @property
    def period(self) -> str | None:
        return self.received.period

    @property
    def association_code(self) -> str | None:
        return self.received.association_code


def prepare_file(
    path: Path, settings: Settings, received_at: datetime | None = None
) -> PreparedFile:
    """Archive, read, check, validate and pseudonymise one file dropped in raw/."""
    received_at = received_at or datetime.now()
    seconds: dict[str, float] = {}
    name = display_name(settings.raw_dir, path)
    with _timed(seconds, "archive"):
        archived = archive_file(path, settings.archive_dir)
    try:
        with _timed(seconds, "read"):
            period, association_code = submission_partition(settings, path)
    except FileLevelError as error:
        received = _RefusedFile(None, None, name, archived.stem, received_at, {}, archived.name)
        return PreparedFile(received, settings.archive_dir, error, seconds_by_phase=seconds)
    return _prepare(
        archived, name, period, association_code, settings, received_at, seconds, journal=True
    )


def prepare_archived(
    archived: Path,
    file_name: str,
    period: str,
    association_code: str,
    settings: Settings,
    received_at: datetime,
) -> PreparedFile:
    """Read, check, validate and pseudonymise a file of archive/ received as file_name for
    (period, association) at received_at: a version replayed from the journal. Its partition
    was accepted when it came in, so the path's rules (month, registry) are not applied again."""
    return _prepare(
        archived, file_name, period, association_code, settings, received_at, {}, journal=False
    )


def _prepare(
    archived: Path,
    name: str,
    period: str,
    association_code: str,
    settings: Settings,
    received_at: datetime,
    seconds: dict[str, float],
    journal: bool,
) -> PreparedFile:
    identity: dict[str, str | None] = {}
    archive_dir = settings.archive_dir if journal else None
    sha256 = archived.stem

    def received() -> _RefusedFile:
        return _RefusedFile(
            period, association_code, name, sha256, received_at, identity, archived.name
        )

    populations = load_registry(settings.registry).populations_of(association_code)
    checked = check_file(archived, name, period, association_code, seconds, populations=populations)
    identity = checked.identity
    if checked.is_refused:
        return PreparedFile(received(), archive_dir, checked.error, seconds_by_phase=seconds)

    context = FileContext(name, period, association_code)
    with _timed(seconds, "pseudonymise"):
        key = load_key(settings)
        tables = raw_tables(checked, key, context)
    rows_received, accepted, rejected, alerts = checked.totals
    # What quality.submissions records and the report says alike.
    submission = {
        "association_name": identity.get("association_name"),
        "file_name": name,
        "sha256": sha256,
        "rows_received": rows_received,
        "rows_accepted": accepted,
        "rows_rejected": rejected,
        "rows_with_alerts": alerts,
        "status": checked.status,
        "message_fr": checked.message_fr,
        "received_at": received_at,
        "template_version": identity.get("template_version"),
    }
    return PreparedFile(
        received(),
        archive_dir,
        tables=tables,
        findings=checked.findings,
        rule_counts=checked.rule_counts,
        submission=submission,
        sheet_counts=checked.sheet_counts,
        seconds_by_phase=seconds,
        key_check=key_check(key),
    )


# The sheet whose emptiness, beside pairs in force, makes a file a blank template (FIC-019).
SNAPSHOT_SHEET = "pairs"


def blank_template_error(
    file_name: str, snapshot_rows: int, in_force: queries.RowsInForce | None
) -> FileLevelError | None:
    """FIC-019 when the file's « Données » is empty (snapshot_rows, rows received there) while
    the version in force has pairs.

    « Données » is a monthly snapshot of every pair the association knows, ended ones
    included: it never empties from one version to the next, a blank template does.
    """
    if in_force is None or in_force.rows == 0 or snapshot_rows > 0:
        return None
    return file_level_error(
        "FIC-019",
        file=file_name,
        sheet=referentiel.sheet(SNAPSHOT_SHEET).name_fr,
        version=str(in_force.version),
        received_at=f"{in_force.received_at:%d/%m/%Y à %H:%M}",
        rows_in_force=str(in_force.rows),
    )


def load_prepared(conn: Connection, prepared: PreparedFile) -> IngestionReport:
    """Load a prepared file (replacing its partition) or record its refusal, then journal it."""
    seconds = dict(prepared.seconds_by_phase)
    error = prepared.error
    if error is None:
        in_force = queries.rows_in_force(
            conn,
            prepared.period,
            prepared.association_code,
            referentiel.sheet(SNAPSHOT_SHEET).raw_table,
        )
        snapshot_rows = prepared.sheet_counts[SNAPSHOT_SHEET].received
        error = blank_template_error(prepared.received.file_name, snapshot_rows, in_force)
    if error is not None:
        with _timed(seconds, "load"):
            refusal = _record_refusal(conn, prepared.received, error, prepared.archive_dir)
        return replace(refusal, seconds_by_phase=seconds)
    with _timed(seconds, "load"):
        check_warehouse_key(conn, prepared.key_check, record=True)
        # Plausibility queries against the previous file in force, which the warehouse holds.
        prepared = with_history_queries(conn, prepared, prepared.submission["file_name"])
        version = loader.replace_partition(
            conn,
            prepared.period,
            prepared.association_code,
            prepared.tables,
            prepared.findings,
            prepared.submission,
            prepared.rule_counts,
        )
        if prepared.archive_dir is not None:
            append_entry(
                prepared.archive_dir,
                _journal_entry(prepared.received, prepared.submission["status"]),
            )
    reported = {
        name: value
        for name, value in prepared.submission.items()
        if name not in ("received_at", "template_version")
    }
    return IngestionReport(
        period=prepared.period,
        association_code=prepared.association_code,
        version=version,
        sheet_counts=prepared.sheet_counts,
        findings=prepared.findings,
        rule_counts=prepared.rule_counts,
        seconds_by_phase=seconds,
        **reported,
    )


def ingest_file(
    path: Path,
    settings: Settings,
    conn: Connection,
    received_at: datetime | None = None,
) -> IngestionReport:
    """Ingest one received file into the warehouse and say what happened, in French."""
    return load_prepared(conn, prepare_file(path, settings, received_at))


def ingest_partition(settings: Settings, period: str, association_code: str) -> IngestionReport:
    """Ingest the file of raw/ that holds a (period, association) partition.

    Several files of different contents for one partition (cap-avenir.xlsx and
    cap-avenir.XLSX) are all refused: which one is meant cannot be known.
    """
    with locked_connection(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        [(_, outcome)] = ingest_partitions(conn, settings, [(period, association_code)])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def ingest_partitions(
    conn: Connection,
    settings: Settings,
    partitions: list[tuple[str, str]],
    workers: int = 1,
) -> Iterator[tuple[tuple[str, str], IngestionReport | Exception]]:
    """Ingest partitions in order on one connection: each one's report, or the error it met
    (a missing file, a bug). Storage failures (STORAGE_ERRORS) are raised: every
    next file would meet them too.

    With workers > 1, that many processes prepare the next files (read, validate,
    pseudonymise) while this process loads them: the warehouse keeps a single writer, and
    a few files at most wait prepared in memory.
    """
    remove_partial_copies(settings.archive_dir)
    if workers > 1:
        # A first run makes the key here, once, rather than in racing workers.
        with suppress(PseudonymisationKeyError):
            load_key(settings)
    # Each month's folder is listed once for the batch, not once per partition.
    listed = functools.cache(functools.partial(month_files, settings))
    with _file_preparer(workers) as prepare:
        ahead: deque = deque()
        for partition in partitions:
            paths = listed(partition[0]).get(partition, [])
            ahead.append((partition, _start(prepare, settings, paths)))
            if len(ahead) > PREPARED_AHEAD_PER_WORKER * workers:
                yield _finish(conn, settings, *ahead.popleft())
        while ahead:
            yield _finish(conn, settings, *ahead.popleft())


def preparing_workers(file_count: int) -> int:
    """Worker processes worth starting for a batch: one per core, if it has files enough."""
    return max(1, min(os.cpu_count() or 1, file_count // FILES_PER_WORKER))


@contextmanager
def _file_preparer(workers: int) -> Iterator[Callable[..., Future]]:
    """prepare_file run by worker processes, or in this process when workers is 1."""
    if workers <= 1:

        def prepare_here(*args) -> Future:
            future: Future = Future()
            try:
                future.set_result(prepare_file(*args))
            except Exception as error:  # noqa: BLE001 — handed over as the partition's outcome
                future.set_exception(error)
            return future

        yield prepare_here
        return
    # Spawned, not forked: this process holds DuckDB's and Dagster's threads, and workers
    # must see the environment (key, deployment) as it is now.
    context = multiprocessing.get_context("spawn")
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield functools.partial(pool.submit, prepare_file)
    except BaseException:
        # Stopped early (a stop signal, a storage failure): the files being prepared are not
        # waited for, the workers are stopped; nothing they made was loaded.
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in set(multiprocessing.active_children()) - before:
            worker.terminate()
        raise
    pool.shutdown(wait=True)


def _start(prepare, settings: Settings, paths: list[Path]):
    """The partition's files, and the preparation of its file when there is exactly one."""
    if paths and not contents_differ(paths):
        return paths, prepare(paths[0], settings, datetime.now())
    return paths, None


class NoFileReceived(FileNotFoundError):
    """A partition asked for (a backfill of the UI, a rerun) whose file raw/ does not hold:
    nothing to load, a data outcome (the marts count the file as not received)."""


def _finish(
    conn, settings: Settings, partition: tuple[str, str], started
) -> tuple[tuple[str, str], IngestionReport | Exception]:
    paths, preparation = started
    period, association_code = partition
    if not paths:
        return partition, NoFileReceived(
            f"Aucun fichier pour l'association « {association_code} » et la période "
            f"{period} dans {settings.raw_dir} (attendu : {period}/{association_code}.xlsx)."
        )
    try:
        if preparation is None:
            return partition, refuse_conflicting_files(paths, settings, conn)
        return partition, load_prepared(conn, preparation.result())
    except STORAGE_ERRORS:
        raise
    except Exception as error:  # noqa: BLE001 — a bug met by one file must not stop the others
        return partition, error


def refuse_conflicting_files(
    paths: list[Path],
    settings: Settings,
    conn: Connection,
    received_at: datetime | None = None,
) -> IngestionReport:
    """Refuse each of a partition's files (FIC-015), naming them all; returns the first report.

    The partition's rows stay as they are. A file whose bytes are the version in force is not
    recorded as refused (that would mark the rows in force as rejected), nor is a file already
    refused for this reason (a rerun adds no version).
    """
    received_at = received_at or datetime.now()
    period, association_code = parse_submission_path(settings.raw_dir, paths[0])
    names = [display_name(settings.raw_dir, path) for path in paths]
    in_force = queries.sha256_in_force(conn, period, association_code)
    reports = []
    for path, name in zip(paths, names, strict=True):
        error = file_level_error(
            "FIC-015",
            file=name,
            count="deux" if len(paths) == 2 else str(len(paths)),
            files=quoted_list(names),
            expected=f"{period}/{association_code}.xlsx",
        )
        archived = archive_file(path, settings.archive_dir)
        sha256 = archived.stem
        refused = _RefusedFile(
            period, association_code, name, sha256, received_at, {}, archived.name
        )
        if sha256 == in_force or queries.is_already_refused(conn, name, sha256, error.code):
            reports.append(_refusal_report(refused, error))
        else:
            reports.append(_record_refusal(conn, refused, error, settings.archive_dir))
    return next((report for report in reports if report.sha256 != in_force), reports[0])
