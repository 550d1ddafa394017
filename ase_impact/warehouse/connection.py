"""Opening the DuckDB warehouse, one process at a time, and saying in French why storage failed."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def exclusive_access(path: Path, wait: bool = True) -> Iterator[None]:
    """Wait for (or, with wait=False, try once), then hold, the warehouse's lock file.

    DuckDB allows one process at a time on a file (a second one fails at once with a lock
    error). Dagster's "duckdb" pool serialises the steps of runs it launches; this lock also
    serialises what runs outside a step (the CLI's planning and summary, a second
    `ase-impact run` started meanwhile), so concurrent runs queue instead of failing.
    Not re-entrant: never take it twice in one call chain.
    """
    lock_file = path.with_name(path.name + ".lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as busy:
            raise WarehouseBusy(str(path)) from busy
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def locked_connection(
    path: Path, read_only: bool = False, wait: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held under the warehouse lock, closed before the lock is released."""
    with exclusive_access(path, wait), connect(path, read_only=read_only) as conn:
        yield conn
