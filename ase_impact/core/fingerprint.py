"""A digest of the files a result is made with (code, the référentiel's seeds): a result kept
under one digest is made again when the digest changes."""

from __future__ import annotations

import hashlib
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
