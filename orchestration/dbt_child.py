"""dbt as the pipeline starts it (`ase-impact-dbt`, dagster-dbt's dbt executable): dbt's own
command line, in a process that ends with the one that started it.

A run killed outright (SIGKILL, the out-of-memory killer) cannot stop its dbt child as an
orderly stop does (orchestration/assets/transformations.py, stop_child); left alone, dbt would
build on for minutes, its warehouse open, and the next run would find the warehouse taken. So
this process watches its parent and, once orphaned, stops itself as an orderly stop would stop
it: SIGINT (dbt cancels its queries and rolls back), then SIGTERM, then SIGKILL, STOP_SECONDS
apart. The escalation matters: dbt waits for its running statements to end before it exits on
SIGINT, and nothing else would ever stop it if it did not.

A watching thread rather than Linux's PR_SET_PDEATHSIG: the kernel sends that one signal
once, no escalation; it fires when the parent's *thread* that started the child ends, not the
parent; and it is Linux's alone.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

# How long dbt is given after each stop signal but the last: a stopped run must end within
# seconds, not after dagster-dbt's default 25.
STOP_SECONDS = 3
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
# How often the parent is looked for: the delay between a parent's end and dbt's SIGINT.
PARENT_POLL_SECONDS = 0.2


def end_with_parent(parent_pid: int) -> None:
    """Stop this process, in order, once the process `parent_pid` has ended."""
    threading.Thread(
        target=_stop_when_orphaned, args=(parent_pid,), name="end-with-parent", daemon=True
    ).start()


def _stop_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    for stop in STOP_SIGNALS:
        os.kill(os.getpid(), stop)
        time.sleep(STOP_SECONDS)


def main() -> None:
    end_with_parent(os.getppid())
    from dbt.cli.main import cli

    sys.exit(cli())
