"""Every received file is kept as received, named by its SHA-256, before anything reads it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ase_impact.core.secret_files import private_folder

CHUNK_SIZE = 1 << 20
# A copy being written; its name becomes the SHA-256 once whole.
PARTIAL_PREFIX = ".incoming-"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so a large workbook never sits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def remove_partial_copies(archive_dir: Path) -> list[Path]:
    """Remove the copies a stopped process left half-written (a worker killed while it
    archived a file): they hold names of minors, and are never read. Called with the
    warehouse's lock held, when no process is archiving."""
    partial = sorted(archive_dir.glob(f"{PARTIAL_PREFIX}*")) if archive_dir.is_dir() else []
    for path in partial:
        path.unlink(missing_ok=True)
    return partial


def archive_file(path: Path, archive_dir: Path) -> Path:
    """Copy a received file to archive_dir/<sha256><suffix> and return the copy's path.

    The copy is hashed while it is written, so the name always matches the bytes kept even if
    the file is replaced in raw/ meanwhile; the returned path's stem is that SHA-256, and
    reading from the copy reads exactly what was archived. The suffix is kept, lower-cased
    (".xlsx" for a workbook), so a misnamed .xls or .csv is archived as what it is.
    Idempotent (an existing copy is reused) and atomic (temp file, then rename): a crash never
    leaves a truncated file under a valid name. Workbooks hold names of minors: the archive is
    readable by its owner only.
    """
    private_folder(archive_dir)
    digest = hashlib.sha256()
    descriptor, temp_name = tempfile.mkstemp(dir=archive_dir, prefix=PARTIAL_PREFIX)
    temp_path = Path(temp_name)
    try:
        with open(path, "rb") as source, os.fdopen(descriptor, "wb") as target:
            while chunk := source.read(CHUNK_SIZE):
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        archived = archive_dir / f"{digest.hexdigest()}{path.suffix.lower()}"
        if archived.exists():
            temp_path.unlink()
        else:
            os.replace(temp_path, archived)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return archived
