"""A digest of the files a result is made with (code, the référentiel's seeds): a result kept
under one digest is made again when the digest changes. And the record of such digests,
written at once."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


def files_fingerprint(paths: Iterable[Path], *texts: str) -> str:
    """The files' names and contents, in path order, then the texts."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for text in texts:
        digest.update(b"\0" + text.encode())
    return digest.hexdigest()


def write_record(path: Path, text: str) -> None:
    """Write a digest record beside its place, then rename it over: a reader never sees half
    a record."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
