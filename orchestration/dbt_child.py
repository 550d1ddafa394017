"""dbt as the pipeline starts it (`ase-impact-dbt`, dagster-dbt's dbt executable): dbt's own
command line, in a process that ends with the one that started it.

A run killed outright (SIGKILL, the out-of-memory killer) cannot stop its dbt child as an
orderly stop does (orchestration/assets/transformations.py, stop_child); left alone, dbt would
build on for minutes, its warehouse open, and the next run would find the warehouse taken. The
kernel sends this process SIGINT when its parent ends (Linux's PR_SET_PDEATHSIG): dbt then
stops as on Ctrl+C, its open transactions rolled back.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def end_with_parent(parent_pid: int) -> None:
    """Have the kernel interrupt this process when its parent ends (Linux only)."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT)
    if os.getppid() != parent_pid:  # the parent ended before the request was made
        os.kill(os.getpid(), signal.SIGINT)


def main() -> None:
    end_with_parent(os.getppid())
    from dbt.cli.main import cli

    sys.exit(cli())
