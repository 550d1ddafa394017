"""Opening the DuckDB warehouse, one process at a time, and saying in French why storage failed."""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

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
# What a damaged database file makes DuckDB say: its checksums, its header, its length.
CORRUPTION_SIGNS = (
    "Corrupt database file",
    "not a valid DuckDB database file",
    "Could not read enough bytes",
)
# Every failure of the warehouse the command line explains in French: storage failures, and a
# damaged file (DuckDB reports a bad checksum as its base error).
WAREHOUSE_ERRORS = (OSError, duckdb.Error)


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
    cause = STORAGE_FAILURES_FR.get(code, "erreur d'écriture ou de lecture")
    return f"{cause} (détail technique : {error})"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


class WarehouseBusy(Exception):
    """Another process holds the warehouse (asked not to wait)."""


@dataclass
class _Holding:
    """This process's hold on one lock file: the open file holding the flock, and how many
    nested exclusive_access blocks of this process are inside it."""

    guard: threading.RLock
    handle: object = None
    depth: int = 0


_holdings: dict[Path, _Holding] = {}
_holdings_guard = threading.Lock()


def lock_file_of(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _holding(lock_file: Path) -> _Holding:
    with _holdings_guard:
        return _holdings.setdefault(lock_file, _Holding(threading.RLock()))


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
    path: Path, wait: bool = True, notify: Callable[[str], None] = _print_to_stderr
) -> Iterator[None]:
    """Wait for (or, with wait=False, try once), then hold, the warehouse's lock file.

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
    lock_file = lock_file_of(path)
    holding = _holding(lock_file.absolute())
    if not holding.guard.acquire(blocking=wait):
        raise WarehouseBusy(str(path))
    try:
        if holding.depth == 0:
            holding.handle = _take_flock(path, lock_file, wait, notify)
        holding.depth += 1
        try:
            yield
        finally:
            holding.depth -= 1
            if holding.depth == 0:
                handle, holding.handle = holding.handle, None
                _release_flock(handle)
    finally:
        holding.guard.release()


def _take_flock(path: Path, lock_file: Path, wait: bool, notify: Callable[[str], None]):
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+", encoding="utf-8")  # noqa: SIM115 — held beyond this call
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as busy:
            if not wait:
                raise WarehouseBusy(str(path)) from busy
            notify(
                f"Entrepôt {path} occupé — attendu : {lock_holder(lock_file)}. L'exécution "
                "reprend dès qu'il le libère (s'il est bloqué, arrêtez-le par son numéro : "
                "kill <numéro>)."
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
    path: Path, read_only: bool = False, wait: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held under the warehouse lock, closed before the lock is released."""
    with exclusive_access(path, wait), connect(path, read_only=read_only) as conn:
        yield conn
