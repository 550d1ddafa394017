"""Which files of raw/ are submissions, and of which (period, association) partition.

Whatever sits in a month folder is found, so that it is reported rather than silently
ignored; nothing outside raw/ is ever listed, even through a symbolic link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ase_impact.contracts.errors import FileLevelError
from ase_impact.core.settings import Settings
from ase_impact.intake.archive import sha256_of
from ase_impact.intake.workbook import parse_submission_path
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import locked_connection

# Workbook-like files left at the top of raw/ are reported (misplaced), other files ignored.
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})


def _is_ignored(path: Path) -> bool:
    """Hidden files and the lock files Excel (~$) and LibreOffice (.~lock) leave behind."""
    return path.name.startswith((".", "~$"))


def _month_folder_files(root: Path, folder: Path) -> list[Path]:
    """The files of one folder of raw/, minus hidden ones and links leading out of raw/."""
    return [
        path
        for path in folder.iterdir()
        if path.is_file() and not _is_ignored(path) and path.resolve().is_relative_to(root)
    ]


def discover_files(raw_dir: Path) -> list[Path]:
    """Every file dropped as raw/<folder>/<file>, plus workbooks misplaced at raw/'s top.

    Whatever sits in a month folder is returned, even a .xls or .csv, so that it is reported
    rather than silently ignored; deeper folders are not read. A symbolic link leading out of
    raw/ is never returned: nothing outside raw/ is read or archived.
    """
    if not raw_dir.is_dir():
        return []
    root = raw_dir.resolve()
    found = []
    for entry in raw_dir.iterdir():
        if _is_ignored(entry) or not entry.resolve().is_relative_to(root):
            continue
        if entry.is_dir():
            found += _month_folder_files(root, entry)
        elif entry.is_file() and entry.suffix.lower() in SPREADSHEET_SUFFIXES:
            found.append(entry)
    return sorted(found)


def _named_submissions(raw_dir: Path, paths: list[Path]) -> list[tuple[str, str, Path]]:
    found = []
    for path in paths:
        try:
            found.append((*parse_submission_path(raw_dir, path), path))
        except FileLevelError:
            continue
    return found


def submission_files(raw_dir: Path) -> list[tuple[str, str, Path]]:
    """(period, association_code, path) of every file whose name gives a partition."""
    return _named_submissions(raw_dir, discover_files(raw_dir))


def month_files(raw_dir: Path, period: str) -> dict[tuple[str, str], list[Path]]:
    """The files of raw/<period>/ by the partition their name gives (several only if
    extensions differ in case).

    Only raw/<period>/ is listed: a partition's file can live nowhere else, and scanning the
    whole of raw/ for each partition would grow with the square of the files.
    """
    folder = raw_dir / period
    root = raw_dir.resolve()
    if _is_ignored(folder) or not folder.is_dir() or not folder.resolve().is_relative_to(root):
        return {}
    found: dict[tuple[str, str], list[Path]] = {}
    for file_period, code, path in _named_submissions(raw_dir, _month_folder_files(root, folder)):
        if file_period == period:
            found.setdefault((file_period, code), []).append(path)
    return {partition: sorted(paths) for partition, paths in found.items()}


def partition_files(raw_dir: Path, period: str, association_code: str) -> list[Path]:
    """The files of raw/ that name the partition (see month_files)."""
    return month_files(raw_dir, period).get((period, association_code), [])


def conflicting_files(raw_dir: Path, period: str, association_code: str) -> list[Path]:
    """The partition's files when several of different contents name it; else []."""
    paths = partition_files(raw_dir, period, association_code)
    return paths if contents_differ(paths) else []


def contents_differ(paths: list[Path]) -> bool:
    return len(paths) > 1 and len({sha256_of(path) for path in paths}) > 1


def display_name(raw_dir: Path, path: Path) -> str:
    """How a file is named to people and in quality tables: "2026-10/cap-avenir.xlsx"."""
    try:
        return path.resolve().relative_to(raw_dir.resolve()).as_posix()
    except ValueError:
        return path.name


@dataclass
class PendingFiles:
    """What raw/ holds against what the warehouse has already ingested."""

    # (period, association) → SHA-256 of its file, for files not ingested as they are now.
    new_or_changed: dict[tuple[str, str], str] = field(default_factory=dict)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # Files whose name gives no partition: refused for their name (FIC-003…).
    misnamed: list[Path] = field(default_factory=list)


def pending_files(
    raw_dir: Path, ingested: Mapping[tuple[str, str], str], period: str | None = None
) -> PendingFiles:
    """Sort the files of raw/ (of one period, if given) by whether they are ingested already.

    ingested: each partition's SHA-256 of its latest version received. A partition with two
    files of different contents is pending once: its run refuses both (FIC-015).
    """
    submissions = submission_files(raw_dir)
    named = {path for _, _, path in submissions}
    pending = PendingFiles(misnamed=[path for path in discover_files(raw_dir) if path not in named])
    for file_period, code, path in submissions:
        partition = (file_period, code)
        if (period and file_period != period) or partition in pending.new_or_changed:
            continue
        sha256 = sha256_of(path)
        if ingested.get(partition) == sha256:
            pending.unchanged.append(partition)
        else:
            pending.new_or_changed[partition] = sha256
    return pending


def pending_against_warehouse(
    settings: Settings, period: str | None = None, wait: bool = True
) -> PendingFiles:
    """pending_files against the warehouse's record of what it received, read under its lock.

    With wait=False, raises WarehouseBusy instead of waiting while a run holds the warehouse.
    """
    ingested = {}
    if settings.warehouse.exists():
        with locked_connection(settings.warehouse, read_only=True, wait=wait) as conn:
            ingested = queries.latest_sha256_by_partition(conn)
    return pending_files(settings.raw_dir, ingested, period)
