"""The submissions journal: every outcome the warehouse records, kept outside the warehouse.

`archive/journal.jsonl`, one JSON line per recorded outcome (a version of a partition loaded or
refused, a file refused before it named a partition), appended once the warehouse has committed
it. With the archived files (`archive/<sha256>.xlsx`) it is all that is needed to recreate a
lost or corrupted warehouse (`ase-impact rebuild`): each version replayed in order, with its
original reception time. Like the archive, it never holds a name or a birth date: file names,
codes, hashes, statuses and the French reasons of refusals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

JOURNAL_FILE = "journal.jsonl"


@dataclass(frozen=True)
class JournalEntry:
    period: str | None  # "AAAA-MM"; None for a file refused before it named a partition
    association_code: str | None
    file_name: str  # as shown to people: "2026-10/cap-avenir.xlsx"
    archived_as: str  # the file's name in archive/: "<sha256>.xlsx"
    sha256: str
    received_at: datetime
    status: str  # a received status of submission_statuses
    error_code: str | None = None  # for a refused file: the rule, and its French message
    message_fr: str | None = None
    # What « Paramètres figés » said, recorded with a refusal (a loaded file is read again).
    association_name: str | None = None
    template_version: str | None = None

    def to_json(self) -> str:
        record = asdict(self) | {"received_at": self.received_at.isoformat()}
        return json.dumps(record, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> JournalEntry:
        record = json.loads(line)
        record["received_at"] = datetime.fromisoformat(record["received_at"])
        return cls(**record)


def journal_path(archive_dir: Path) -> Path:
    return archive_dir / JOURNAL_FILE


def append_entry(archive_dir: Path, entry: JournalEntry) -> None:
    """Append one entry and flush it to disk (an OSError is a storage failure of the run)."""
    archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(journal_path(archive_dir), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(entry.to_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_entries(archive_dir: Path) -> Iterator[JournalEntry]:
    """The entries in the order they were recorded. A last line cut short (a crash while
    appending) is skipped: its outcome was committed, and the file is still in raw/."""
    path = journal_path(archive_dir)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return
            if line.strip():
                yield JournalEntry.from_json(line)
