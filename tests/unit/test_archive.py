"""Archive: every received file kept as received, named by its SHA-256."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from ase_impact.intake import archive
from ase_impact.intake.archive import CHUNK_SIZE, archive_file, sha256_of


@pytest.fixture
def received(tmp_path):
    path = tmp_path / "raw" / "2026-10" / "cap-avenir.xlsx"
    path.parent.mkdir(parents=True)
    # Larger than one chunk, so streaming over several reads is exercised.
    path.write_bytes(os.urandom(2 * CHUNK_SIZE + 123))
    return path


def test_sha256_of_streams_the_whole_file(received):
    assert sha256_of(received) == hashlib.sha256(received.read_bytes()).hexdigest()


def test_archived_copy_is_named_by_its_sha_and_identical(received, tmp_path):
    archived = archive_file(received, tmp_path / "archive")
    assert archived == tmp_path / "archive" / f"{sha256_of(received)}.xlsx"
    assert archived.read_bytes() == received.read_bytes()
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600


def test_an_archive_folder_others_could_read_is_made_private(received, tmp_path):
    # Made by hand, or by a tool with a default umask: it will hold names of minors.
    folder = tmp_path / "archive"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    archive_file(received, folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_archiving_twice_keeps_one_copy(received, tmp_path):
    first = archive_file(received, tmp_path / "archive")
    assert archive_file(received, tmp_path / "archive") == first
    assert os.listdir(tmp_path / "archive") == [first.name]


def test_a_changed_file_gets_a_second_copy(received, tmp_path):
    first = archive_file(received, tmp_path / "archive")
    received.write_bytes(b"corrected")
    second = archive_file(received, tmp_path / "archive")
    assert second != first and first.exists()
    assert second.stem == hashlib.sha256(b"corrected").hexdigest()


def test_suffix_is_kept_lower_cased(tmp_path):
    path = tmp_path / "EXPORT.CSV"
    path.write_bytes(b"a;b")
    assert archive_file(path, tmp_path / "archive").suffix == ".csv"


def test_failed_rename_leaves_no_partial_file(received, tmp_path, monkeypatch):
    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(archive.os, "replace", fail)
    with pytest.raises(OSError):
        archive_file(received, tmp_path / "archive")
    assert os.listdir(tmp_path / "archive") == []


def test_copies_a_stopped_process_left_half_written_are_removed(received, tmp_path):
    folder = tmp_path / "archive"
    kept = archive_file(received, folder)
    left = folder / ".incoming-abc123"
    left.write_bytes(b"la moitie d'un classeur")
    assert archive.remove_partial_copies(folder) == [left]
    assert not left.exists() and kept.exists()
    assert archive.remove_partial_copies(tmp_path / "absent") == []
