"""`ase-impact-dbt` ends with the process that started it, even when SIGINT is not enough.

Real processes: a parent starts a child that calls `end_with_parent`, as `ase-impact-dbt` does
before handing over to dbt; the test kills the parent outright (SIGKILL) and watches the
orphaned child. A child that stops on SIGINT stops there (dbt's orderly cancel); one that
swallows SIGINT and SIGTERM, as a dbt stuck in a statement would, is killed all the same.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ase_impact.core.settings import PROJECT_ROOT
from orchestration.dbt_child import PARENT_POLL_SECONDS, STOP_SECONDS
from tests.integration.processes import is_running

# The child writes down each stop signal it receives; "stubborn" survives SIGINT and SIGTERM.
CHILD = """
import os, signal, sys, time
from pathlib import Path
from orchestration.dbt_child import end_with_parent

record, stubborn = Path(sys.argv[1]), sys.argv[2] == "stubborn"

def note(line):
    with record.open("a") as handle:
        handle.write(line + "\\n")

if stubborn:
    signal.signal(signal.SIGTERM, lambda *_: note("SIGTERM"))
end_with_parent(os.getppid())
note("started")
while True:
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        note("SIGINT")
        if not stubborn:
            sys.exit(130)
"""

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]])
print(child.pid, flush=True)
time.sleep(600)
"""

# Room for a loaded CI machine on top of the polling and the escalation's own delays.
SLACK_SECONDS = 10


def _orphan(tmp_path: Path, mode: str) -> tuple[int, Path]:
    """Start parent and child, wait for the child to watch its parent, kill the parent."""
    record = tmp_path / "signals.txt"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, str(record), mode],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 60
    while not (record.exists() and "started" in record.read_text()):
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    return child_pid, record


def _wait_for_end(pid: int, seconds: float) -> float:
    """Seconds until the process ended, failing past `seconds`."""
    started = time.monotonic()
    while is_running(pid):
        elapsed = time.monotonic() - started
        if elapsed > seconds:
            os.kill(pid, signal.SIGKILL)  # not left behind by a failing test
            pytest.fail(f"the orphaned child still runs after {elapsed:.1f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def test_an_orphaned_child_is_interrupted_first_and_stops_there(tmp_path):
    child_pid, record = _orphan(tmp_path, "orderly")
    _wait_for_end(child_pid, STOP_SECONDS + SLACK_SECONDS)
    assert record.read_text().split() == ["started", "SIGINT"]


def test_an_orphaned_child_that_ignores_sigint_and_sigterm_is_killed(tmp_path):
    child_pid, record = _orphan(tmp_path, "stubborn")
    seconds = _wait_for_end(child_pid, 2 * STOP_SECONDS + SLACK_SECONDS)
    # each orderly stop was tried, in order, before SIGKILL
    assert record.read_text().split() == ["started", "SIGINT", "SIGTERM"]
    assert seconds >= 2 * STOP_SECONDS - PARENT_POLL_SECONDS
