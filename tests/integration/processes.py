"""Child processes and locks as the integration tests watch them."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
from pathlib import Path


def lock_is_free(lock_file: Path) -> bool:
    """Whether no process holds the flock of lock_file (taken and released at once if free)."""
    with open(lock_file, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGINT to the process group (as Ctrl+C would), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def is_running(pid: int) -> bool:
    """Whether a process runs: a zombie (ended, not yet reaped by its new parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()
