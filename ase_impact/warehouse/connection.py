"""Opening the warehouse, one writer at a time, and saying in French why storage failed.

The one module that knows the engine: a warehouse is a DuckDB file (a path, the default) or a
PostgreSQL database (a postgresql:// URL in ASE_IMPACT_WAREHOUSE). The rest of the code writes
its SQL once, for DuckDB's connection API, which ase_impact/warehouse/postgres.py provides over
psycopg2; what the two dialects say differently is asked here (month_text, insert_frame).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import duckdb
import pandas as pd
import psycopg2

from ase_impact.warehouse.postgres import PostgresConnection

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
STORAGE_ERRORS = (OSError, duckdb.IOException, psycopg2.OperationalError)
# What DuckDB says when another process has the file open for writing, naming it.
DUCKDB_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .* \(PID (\d+)\)")
# What a damaged database file makes DuckDB say: its checksums, its header, its length.
CORRUPTION_SIGNS = (
    "Corrupt database file",
    "not a valid DuckDB database file",
    "Could not read enough bytes",
)
# Every failure of the warehouse the command line explains in French: storage failures, and a
# damaged file (DuckDB reports a bad checksum as its base error).
WAREHOUSE_ERRORS = (OSError, duckdb.Error, psycopg2.Error)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Any connection to the warehouse, whichever its engine.
Connection = duckdb.DuckDBPyConnection | PostgresConnection
# The key of the advisory lock that stands for the file lock on a PostgreSQL warehouse.
POSTGRES_WRITER_LOCK = 0x41534549  # "ASEI"


@dataclass(frozen=True)
class LockKind:
    """What a lock of the warehouse serialises: its lock file beside a DuckDB warehouse, its
    advisory lock on PostgreSQL, and what a process that has to wait for it says (French)."""

    file_suffix: str
    postgres_key: int
    waiting_fr: str


# The warehouse's writers: one process writes at a time.
WRITER = LockKind(
    ".lock",
    POSTGRES_WRITER_LOCK,
    "Entrepôt {warehouse} occupé — attendu : {holder}. L'exécution reprend dès qu'il le libère",
)
# The commands that find the new files of raw/ and ingest them (`ase-impact run`), from their
# planning to their last ingestion: two such commands at once would find the same new files,
# and both read, validate and load them.
INTAKE = LockKind(
    ".intake.lock",
    0x41534946,  # "ASIF"
    "Une autre exécution intègre les fichiers déposés pour l'entrepôt {warehouse} — attendu : "
    "{holder}. Celle-ci reprend quand elle a fini, sans intégrer une seconde fois les mêmes "
    "fichiers",
)


def is_postgres(warehouse: Path | str) -> bool:
    """Whether the warehouse setting names a PostgreSQL database rather than a DuckDB file."""
    return str(warehouse).startswith(POSTGRES_SCHEMES)


def is_corrupted(error: BaseException) -> bool:
    """Whether an error says the warehouse file is damaged (`ase-impact rebuild` recreates it)."""
    return isinstance(error, duckdb.Error) and any(sign in str(error) for sign in CORRUPTION_SIGNS)


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
    if held := DUCKDB_LOCK_HOLDER.search(str(error)):
        cause = (
            f"l'entrepôt est ouvert par un autre processus (PID {held.group(1)}), hors du "
            "verrou du pipeline : sans doute un dbt resté actif après l'arrêt forcé d'un run ; "
            f"attendez qu'il se termine, ou arrêtez-le (kill {held.group(1)})"
        )
    elif isinstance(error, psycopg2.OperationalError):
        cause = (
            "le serveur PostgreSQL est injoignable ou refuse la connexion (adresse, port, "
            "utilisateur ou mot de passe : ~/.pgpass ou PGPASSWORD)"
        )
    else:
        cause = STORAGE_FAILURES_FR.get(code, "erreur d'écriture ou de lecture")
    return f"{cause} (détail technique : {error})"


def label(warehouse: Path | str) -> str:
    """The warehouse as messages name it: its path, or its URL without a password."""
    if not is_postgres(warehouse):
        return str(warehouse)
    url = urlsplit(str(warehouse))
    host = f"{url.hostname}:{url.port}" if url.port else str(url.hostname)
    user = f"{url.username}@" if url.username else ""
    return urlunsplit(url._replace(netloc=user + host))


def exists(warehouse: Path | str) -> bool:
    """Whether the warehouse was ever written: its DuckDB file exists (a PostgreSQL database
    is the DBA's to create, so it exists once configured)."""
    return is_postgres(warehouse) or Path(warehouse).exists()


def connect(path: Path | str, read_only: bool = False) -> Connection:
    if is_postgres(path):
        return PostgresConnection(str(path), read_only=read_only)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


# dbt's sessions on PostgreSQL sort and hash in memory up to this much per operation (the
# server's default, 4 MB, spills a build's window functions to disk; the counterpart of
# DuckDB's memory_limit in profiles.yml). libpq reads PGOPTIONS: set it to choose otherwise.
DBT_POSTGRES_OPTIONS = "-c work_mem=256MB"


def dbt_target_environment(warehouse: Path | str) -> dict[str, str]:
    """What dbt_project/profiles.yml reads to pick and reach the warehouse's engine: the
    PostgreSQL target's connection fields, split from the URL (a password is best left to
    libpq's ~/.pgpass or PGPASSWORD, never in the URL), and its sessions' options."""
    if not is_postgres(warehouse):
        return {"ASE_IMPACT_DBT_TARGET": "duckdb"}
    url = urlsplit(str(warehouse))
    return {
        "ASE_IMPACT_DBT_TARGET": "postgres",
        "PGOPTIONS": os.environ.get("PGOPTIONS", DBT_POSTGRES_OPTIONS),
        "ASE_IMPACT_PG_HOST": url.hostname or "localhost",
        "ASE_IMPACT_PG_PORT": str(url.port or 5432),
        "ASE_IMPACT_PG_USER": unquote(url.username or ""),
        # dbt-postgres always passes a password, and libpq ignores PGPASSWORD beside one, even
        # empty: the profile gets PGPASSWORD's (an empty one still lets libpq read ~/.pgpass).
        "ASE_IMPACT_PG_PASSWORD": unquote(url.password or "") or os.environ.get("PGPASSWORD", ""),
        "ASE_IMPACT_PG_DATABASE": url.path.lstrip("/") or "postgres",
    }


def month_text(conn: Connection, column: str) -> str:
    """SQL turning a DATE column into its month, "AAAA-MM"."""
    if isinstance(conn, PostgresConnection):
        return f"to_char({column}, 'YYYY-MM')"
    return f"strftime({column}, '%Y-%m')"


def rounded(conn: Connection, number_sql: str, digits: int) -> str:
    """SQL rounding a number to some decimals (PostgreSQL rounds numerics only)."""
    if isinstance(conn, PostgresConnection):
        return f"round(CAST({number_sql} AS numeric), {digits})"
    return f"round({number_sql}, {digits})"


def hash_sum(conn: Connection, values: list[str]) -> str:
    """SQL aggregating a hash of each row's values into one text, whatever the rows' order
    (dbt_project/macros/portability.sql `hash_sum` is the same, for the models)."""
    if isinstance(conn, PostgresConnection):
        return f"sum(hashtextextended(CAST(ROW({', '.join(values)}) AS text), 0))::varchar"
    return f"sum(hash({', '.join(values)})::HUGEINT)::VARCHAR"


# Floating and decimal column types, as information_schema names them on either engine.
INEXACT_TYPES = ("DOUBLE", "FLOAT", "DOUBLE PRECISION", "REAL")
DECIMAL_TYPES = ("DECIMAL", "NUMERIC")


def is_inexact(data_type: str) -> bool:
    return data_type.upper() in INEXACT_TYPES or data_type.upper().startswith(DECIMAL_TYPES)


def rows_hash_sum(conn: Connection, table: str, inexact: Callable[[str], str] | None = None) -> str:
    """SQL aggregating a hash of each of `table`'s rows, all its columns, into one text
    (hash_sum); each floating or decimal column's SQL passed through `inexact` when given
    (rounded, single_precision), exact otherwise."""
    schema, name = table.split(".")
    columns = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    values = [
        inexact(f'"{column}"') if inexact is not None and is_inexact(data_type) else f'"{column}"'
        for column, data_type in columns
    ]
    return hash_sum(conn, values)


def single_precision(number_sql: str) -> str:
    """SQL of a number as a 4-byte float (about 7 significant digits), on both engines."""
    return f"CAST({number_sql} AS REAL)"


def read_frame(conn: Connection, sql: str, parameters: list[object] | None = None) -> pd.DataFrame:
    """A query's rows as a DataFrame, for a query that may return a whole mart: on PostgreSQL
    fetched page by page (PostgresConnection.read_frame), not as one list of Python rows."""
    if isinstance(conn, PostgresConnection):
        return conn.read_frame(sql, parameters)
    return conn.execute(sql, parameters).df()


def insert_frame(
    conn: Connection,
    table: str,
    columns: tuple[tuple[str, str], ...],
    frame: pd.DataFrame,
    leading: list[object],
    leading_names: tuple[str, ...],
) -> None:
    """Bulk INSERT of a frame's columns, each cast to its type, after leading values given as
    parameters (a partition's period, association and file)."""
    if isinstance(conn, PostgresConnection):
        conn.insert_frame(table, columns, frame, leading, leading_names)
        return
    view = "incoming_" + table.replace(".", "_")
    target = ", ".join(f'"{name}"' for name in (*leading_names, *(name for name, _ in columns)))
    selected = ", ".join(f'CAST("{name}" AS {sql_type})' for name, sql_type in columns)
    given = ", ".join("?" for _ in leading_names)
    conn.register(view, frame)
    try:
        conn.execute(
            f"INSERT INTO {table} ({target}) SELECT {given}, {selected} FROM {view}", leading
        )
    except BaseException:
        # A failed INSERT aborts the transaction, and unregistering then fails too: that error
        # must not hide the real one, which the caller's ROLLBACK reports.
        with suppress(duckdb.Error):
            conn.unregister(view)
        raise
    conn.unregister(view)


class WarehouseBusy(Exception):
    """Another process holds the warehouse (asked not to wait)."""


@dataclass
class _Holding:
    """This process's hold on one lock file: the open file holding the flock, and how many
    nested exclusive_access blocks of this process are inside it."""

    guard: threading.RLock
    handle: object = None
    depth: int = 0


# By lock file, or by PostgreSQL URL and advisory lock key.
_holdings: dict[Path | str, _Holding] = {}
_holdings_guard = threading.Lock()


def lock_file_of(path: Path, kind: LockKind = WRITER) -> Path:
    return path.with_name(path.name + kind.file_suffix)


def _holding(key: Path | str) -> _Holding:
    with _holdings_guard:
        return _holdings.setdefault(key, _Holding(threading.RLock()))


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def lock_holder(lock_file: Path) -> str:
    """Who holds a lock file, as its holder wrote it: "le processus 123 (ase-impact run) …"."""
    try:
        text = lock_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    return text or "un autre processus"


def _holder_text() -> str:
    command = " ".join(Path(arg).name if i == 0 else arg for i, arg in enumerate(sys.argv[:3]))
    since = datetime.now().strftime("%d/%m/%Y à %H:%M:%S")
    return f"le processus {os.getpid()} ({command or 'python'}) tient l'entrepôt depuis le {since}"


@contextmanager
def exclusive_access(
    path: Path | str,
    wait: bool = True,
    notify: Callable[[str], None] = _print_to_stderr,
    kind: LockKind = WRITER,
) -> Iterator[None]:
    """Wait for (or, with wait=False, try once), then hold, the warehouse's lock file (kind:
    the writers' lock, or another lock of the warehouse, INTAKE).

    DuckDB allows one process at a time on a file (a second one fails at once with a lock
    error). Dagster's "duckdb" pool serialises the steps of runs it launches; this lock also
    serialises what runs outside a step (the CLI's planning and summary, a second
    `ase-impact run` started meanwhile), so concurrent runs queue instead of failing.

    Re-entrant within a process: a block nested in another of the same process (or met while
    an interrupted step still holds the lock) holds it too instead of waiting for itself, and
    the flock is released when the outermost block ends. Other threads of the process wait as
    other processes do. The holder writes who it is in the lock file; a process that has to
    wait says so (notify), naming the holder: the kernel releases an flock with its process,
    so a process that holds it is alive, and can be stopped by its number.
    """
    if is_postgres(path):
        holding = _holding(f"{path}#{kind.postgres_key}")
    else:
        holding = _holding(lock_file_of(path, kind).absolute())
    if not holding.guard.acquire(blocking=wait):
        raise WarehouseBusy(str(path))
    try:
        if holding.depth == 0:
            holding.handle = _take_lock(path, kind, wait, notify)
        holding.depth += 1
        try:
            yield
        finally:
            holding.depth -= 1
            if holding.depth == 0:
                handle, holding.handle = holding.handle, None
                _release_lock(handle)
    finally:
        holding.guard.release()


def _take_lock(path: Path | str, kind: LockKind, wait: bool, notify: Callable[[str], None]):
    if is_postgres(path):
        return _take_advisory_lock(str(path), kind, wait, notify)
    return _take_flock(path, lock_file_of(path, kind), kind, wait, notify)


def _release_lock(handle) -> None:
    if isinstance(handle, PostgresConnection):
        handle.close()  # the session's advisory lock ends with it
    else:
        _release_flock(handle)


def _take_advisory_lock(
    url: str, kind: LockKind, wait: bool, notify: Callable[[str], None]
) -> PostgresConnection:
    """A lock of a PostgreSQL warehouse: a session advisory lock, held (by every process on
    every machine that takes it) until its session closes."""
    session = PostgresConnection(url)
    try:
        lock = [kind.postgres_key]
        (taken,) = session.execute("SELECT pg_try_advisory_lock(?)", lock).fetchone()
        if not taken:
            if not wait:
                raise WarehouseBusy(label(url))
            warehouse = f"PostgreSQL {label(url)}"
            notify(kind.waiting_fr.format(warehouse=warehouse, holder="une autre exécution") + ".")
            session.execute("SELECT pg_advisory_lock(?)", lock)
    except BaseException:
        session.close()
        raise
    return session


def _take_flock(
    path: Path, lock_file: Path, kind: LockKind, wait: bool, notify: Callable[[str], None]
):
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+", encoding="utf-8")  # noqa: SIM115 — held beyond this call
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as busy:
            if not wait:
                raise WarehouseBusy(str(path)) from busy
            notify(
                kind.waiting_fr.format(warehouse=path, holder=lock_holder(lock_file))
                + " (s'il est bloqué, arrêtez-le par son numéro : kill <numéro>)."
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(_holder_text() + "\n")
            handle.flush()
        except OSError:
            pass  # who holds it is only a hint (a full disk must not stop the lock)
    except BaseException:
        handle.close()
        raise
    return handle


def _release_flock(handle) -> None:
    try:
        handle.seek(0)
        handle.truncate()
        handle.flush()
    except OSError:
        pass  # who held it is only a hint; the flock is what protects
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextmanager
def locked_connection(
    path: Path | str, read_only: bool = False, wait: bool = True
) -> Iterator[Connection]:
    """A connection held under the warehouse lock, closed before the lock is released."""
    with exclusive_access(path, wait), connect(path, read_only=read_only) as conn:
        yield conn
