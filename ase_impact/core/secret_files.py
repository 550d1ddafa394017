"""Secrets the pipeline keeps in files of their own: the pseudonymisation key, the portal's
cookie-signing secret.

Each is read from an environment variable first, else from a file only its owner may read,
created with a random value on first use — never in production (ASE_IMPACT_ENV=production),
where a new secret would silently break what the old one made (youth keys, sessions): there it
must be provided.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

DEPLOYMENT_ENV_VAR = "ASE_IMPACT_ENV"
SECRET_FILE_BYTES = 32


def is_production() -> bool:
    return os.environ.get(DEPLOYMENT_ENV_VAR, "").strip().casefold() == "production"


def shared_mode(path: Path) -> int | None:
    """The file's permission bits when its group or others have any access to it, else None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & (stat.S_IRWXG | stat.S_IRWXO) else None


def private_folder(folder: Path) -> Path:
    """The folder, created if need be, readable by its owner only: one that exists already
    (made by hand, or by a tool's default umask) is narrowed to 0700 when this user owns it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = folder.stat()
    if status.st_mode & (stat.S_IRWXG | stat.S_IRWXO) and status.st_uid == os.geteuid():
        folder.chmod(0o700)
    return folder


def create_secret_file(path: Path, read: Callable[[Path], bytes]) -> bytes:
    """Write a new random secret to path (mode 0600, its folder 0700), then return read(path).
    When another process created the file first, theirs is read instead.

    The secret is written in full to a private temporary file, then published under its name
    by a hard link, which fails if the name exists: a run started at the same moment never
    reads a file that exists but is still empty."""
    private_folder(path.parent)
    if path.exists():
        return read(path)
    descriptor, draft_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    draft = Path(draft_name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(SECRET_FILE_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another run published first: read theirs
            os.link(draft, path)
    finally:
        draft.unlink()
    return read(path)
