"""Which files of raw/ are submissions, and of which (period, association) partition.

Whatever sits in a month folder is found, so that it is reported rather than silently
ignored; nothing outside raw/ is ever listed, even through a symbolic link. Entries that are
not files to read (a folder inside a month folder, a link leading out of raw/) are listed as
ignored, each with its reason, for the run's summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ase_impact.contracts.errors import FileLevelError
from ase_impact.core.settings import Settings
from ase_impact.intake.archive import sha256_of
from ase_impact.intake.workbook import shown_name, submission_partition
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import exists as warehouse_exists
from ase_impact.warehouse.connection import locked_connection

# Workbook-like files left at the top of raw/ are reported (misplaced), other files ignored.
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
# Why an entry of raw/ is not read, as the run's summary says it.
LINK_OUTSIDE = (
    "lien symbolique vers un emplacement hors de raw/ : il n'est jamais suivi ; copiez le "
    "classeur lui-même dans raw/AAAA-MM/"
)
BROKEN_LINK = "lien symbolique dont la cible n'existe pas"
FOLDER_IN_MONTH = (
    "dossier dans un dossier de mois : son contenu n'est pas lu ; déposez les classeurs "
    "directement dans raw/AAAA-MM/"
)
NOT_A_FILE = "ni un fichier ni un dossier (tube, socket ou périphérique)"


def _is_ignored(path: Path) -> bool:
    """Hidden files and the lock files Excel (~$) and LibreOffice (.~lock) leave behind."""
    return path.name.startswith((".", "~$"))


@dataclass
class RawListing:
    """The files of raw/ to consider, and the entries left aside with their reason."""

    files: list[Path] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (raw/-relative name, reason)


def _set_aside(root: Path, entry: Path) -> str | None:
    """Why an entry is not followed at all (a link out of raw/, a broken link); else None."""
    if not entry.exists():
        return BROKEN_LINK if entry.is_symlink() else None
    if not entry.resolve().is_relative_to(root):
        return LINK_OUTSIDE
    return None


def _list_month_folder(raw_dir: Path, root: Path, folder: Path, listing: RawListing) -> None:
    for path in sorted(folder.iterdir()):
        if _is_ignored(path):
            continue
        reason = _set_aside(root, path)
        if reason is None and path.is_dir():
            reason = FOLDER_IN_MONTH
        elif reason is None and not path.is_file():
            reason = NOT_A_FILE
        if reason is None:
            listing.files.append(path)
        else:
            listing.ignored.append((shown_name(path.relative_to(raw_dir)), reason))


def list_raw(raw_dir: Path, period: str | None = None) -> RawListing:
    """Every file dropped as raw/<folder>/<file>, plus workbooks misplaced at raw/'s top, and the
    entries set aside. With a period, only raw/<period>/ is listed.

    Whatever sits in a month folder is returned, even a .xls or .csv, so that it is reported
    rather than silently ignored; deeper folders are not read. A symbolic link leading out of
    raw/ is never followed: nothing outside raw/ is read or archived.
    """
    listing = RawListing()
    if not raw_dir.is_dir():
        return listing
    root = raw_dir.resolve()
    for entry in sorted(raw_dir.iterdir()):
        if _is_ignored(entry) or (period is not None and entry.name != period):
            continue
        reason = _set_aside(root, entry)
        if reason is not None:
            listing.ignored.append((shown_name(entry.name), reason))
        elif entry.is_dir():
            _list_month_folder(raw_dir, root, entry, listing)
        elif entry.is_file() and entry.suffix.lower() in SPREADSHEET_SUFFIXES:
            listing.files.append(entry)
    listing.files.sort()
    return listing


def discover_files(raw_dir: Path) -> list[Path]:
    """The files of raw/ to consider (see list_raw)."""
    return list_raw(raw_dir).files


def _named_submissions(
    settings: Settings, paths: list[Path], today: date | None = None
) -> list[tuple[str, str, Path]]:
    found = []
    for path in paths:
        try:
            found.append((*submission_partition(settings, path, today), path))
        except FileLevelError:
            continue
    return found


def submission_files(settings: Settings) -> list[tuple[str, str, Path]]:
    """(period, association_code, path) of every file of raw/ that names a partition: its place,
    name, month and association allow it (workbook.submission_partition)."""
    return _named_submissions(settings, discover_files(settings.raw_dir))


def month_files(settings: Settings, period: str) -> dict[tuple[str, str], list[Path]]:
    """The files of raw/<period>/ by the partition they name (several only if extensions differ
    in case).

    Only raw/<period>/ is listed: a partition's file can live nowhere else, and scanning the
    whole of raw/ for each partition would grow with the square of the files.
    """
    found: dict[tuple[str, str], list[Path]] = {}
    for file_period, code, path in _named_submissions(
        settings, list_raw(settings.raw_dir, period).files
    ):
        if file_period == period:
            found.setdefault((file_period, code), []).append(path)
    return {partition: sorted(paths) for partition, paths in found.items()}


def contents_differ(paths: list[Path]) -> bool:
    """Whether a partition's files are several of different contents: all refused (FIC-015)."""
    return len(paths) > 1 and len({sha256_of(path) for path in paths}) > 1


def display_name(raw_dir: Path, path: Path) -> str:
    """How a file is named to people and in quality tables: "2026-10/cap-avenir.xlsx"."""
    try:
        return shown_name(path.resolve().relative_to(raw_dir.resolve()))
    except ValueError:
        return shown_name(path.name)


@dataclass
class PendingFiles:
    """What raw/ holds against what the warehouse has already ingested."""

    # (period, association) → SHA-256 of its file, for files not ingested as they are now.
    new_or_changed: dict[tuple[str, str], str] = field(default_factory=dict)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # Files that name no partition: refused before reading for their place, name, month or
    # association (FIC-001 to FIC-003, FIC-016, FIC-017).
    misnamed: list[Path] = field(default_factory=list)
    # Entries of raw/ that are not files to read, with the reason (see list_raw).
    ignored: list[tuple[str, str]] = field(default_factory=list)


def pending_files(
    settings: Settings, ingested: Mapping[tuple[str, str], str], period: str | None = None
) -> PendingFiles:
    """Sort the files of raw/ (of one period, if given) by whether they are ingested already.

    ingested: each partition's SHA-256 of its latest version received. A partition with two
    files of different contents is pending once: its run refuses both (FIC-015).
    """
    listing = list_raw(settings.raw_dir)
    submissions = _named_submissions(settings, listing.files)
    named = {path for _, _, path in submissions}
    pending = PendingFiles(
        misnamed=[path for path in listing.files if path not in named], ignored=listing.ignored
    )
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
    if warehouse_exists(settings.warehouse):
        with locked_connection(settings.warehouse, read_only=True, wait=wait) as conn:
            ingested = queries.latest_sha256_by_partition(conn)
    return pending_files(settings, ingested, period)
