"""SIGTERM and SIGINT at every stage of `ase-impact run`: an orderly stop, then a run that ends.

Real `ase-impact run` subprocesses receive real signals: while a file's partition is being
replaced (inside its transaction), while dbt builds (its child process running), while the
publication gate runs, while the outputs are written. Each stopped run must exit within
seconds with its French message and 128 + the signal's number, leave no dbt process and no
lock behind, and the next run must go on from there. The runs follow each other on one
warehouse, so each one also shows that the stage the previous one stopped in completes.

The pauses are monkeypatched in the child process (production code has no test hook); the dbt
stage needs none: the signal is sent once dbt's process is seen running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import PROJECT_ROOT, load_settings
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse.connection import lock_file_of
from orchestration import dbt_child
from tests.conftest import isolated_environment
from tests.integration.conftest import TEST_KEY
from tests.integration.processes import is_running, lock_is_free
from tests.integration.sample_rows import write_submission

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e

STAGE_TIMEOUT_SECONDS = 600
# "Within a few seconds" of the signal, with room for a loaded CI machine.
STOP_SECONDS = 30
# An orphaned dbt stops itself: SIGINT at once, then SIGTERM and SIGKILL seconds apart if
# it lingers; with room for a loaded CI machine. Left alone, it would build on to the end.
KILLED_DBT_SECONDS = 2 * dbt_child.STOP_SECONDS + 10
CODES = ("cap-avenir", "envol-mentorat", "passerelles-jeunes")

# The child: `ase-impact run`, one function paused (marker written, then a long sleep).
RUN_WITH_A_PAUSE = """
import sys, time
from pathlib import Path

marker, target = Path(sys.argv[1]), sys.argv[2]

def pause(*args, **kwargs):
    marker.write_text("paused")
    time.sleep(600)

if target == "load":  # inside the transaction replacing a partition
    from ase_impact.warehouse import loader
    loader._upsert_submission = pause
elif target == "gate":
    import orchestration.assets.publication_gate as gate
    gate.run_publication_gate = pause
elif target == "outputs":
    from ase_impact.publish import snapshot
    snapshot.publish_snapshot = pause

from orchestration.cli import main
sys.exit(main(["run"]))
"""


@dataclass
class Stop:
    stage: str  # where the run is stopped: "load", "dbt", "gate", "outputs"
    signal_number: int
    said: str  # the stage as the French message names it


STOPS = [
    Stop("load", signal.SIGTERM, "l'intégration des fichiers"),
    Stop("dbt", signal.SIGTERM, "la construction des marts (dbt build)"),
    Stop("dbt", signal.SIGINT, "la construction des marts (dbt build)"),
    Stop("gate", signal.SIGINT, "le contrôle de publication"),
    Stop("outputs", signal.SIGTERM, "l'écriture des sorties"),
]


@dataclass
class StoppedRun:
    stop: Stop
    exit_code: int
    output: str
    seconds_to_stop: float
    dbt_pids: list[int]
    lock_free: bool
    pairs_after: int


def _children(pid: int) -> list[int]:
    """Every descendant of a process, from /proc."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                frontier.append(child)
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _dbt_processes(pid: int) -> list[int]:
    return [
        child
        for child in _children(pid)
        if " build" in _command_line(child) and "dbt" in _command_line(child)
    ]


def _stopped_run(stop: Stop, work: Path, settings) -> StoppedRun:
    marker, log_path = work / f"{stop.stage}-{stop.signal_number}.paused", work / "child.log"
    target = stop.stage if stop.stage != "dbt" else "none"
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", RUN_WITH_A_PAUSE, str(marker), target],
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STAGE_TIMEOUT_SECONDS
    dbt_pids: list[int] = []
    while not (marker.exists() if stop.stage != "dbt" else dbt_pids):
        if child.poll() is not None:
            pytest.fail(f"the run ended before {stop.stage}: {log_path.read_text()}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail(f"the run never reached {stop.stage}: {log_path.read_text()}")
        time.sleep(0.2)
        if stop.stage == "dbt":
            dbt_pids = _dbt_processes(child.pid)
    if stop.stage == "dbt":
        time.sleep(2)  # dbt well under way
    signalled = time.monotonic()
    child.send_signal(stop.signal_number)
    try:
        child.wait(timeout=STOP_SECONDS * 4)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail(f"the run did not stop: {log_path.read_text()}")
    seconds = time.monotonic() - signalled
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        pairs = conn.execute("select count(*) from raw.pairs").fetchone()[0]
    return StoppedRun(
        stop=stop,
        exit_code=child.returncode,
        output=log_path.read_text(),
        seconds_to_stop=seconds,
        dbt_pids=dbt_pids,
        lock_free=lock_is_free(lock_file_of(settings.warehouse)),
        pairs_after=pairs,
    )


def _marts(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    return {name for (name,) in rows}


def _complete_run() -> subprocess.CompletedProcess:
    """`ase-impact run`, left to end."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=STAGE_TIMEOUT_SECONDS,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The stopped runs, one after another on one warehouse, then a run left to complete."""
    root = tmp_path_factory.mktemp("signals")
    with isolated_environment(root, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        for code in CODES:
            write_submission(settings.raw_dir, "2026-10", code, pairs=2)
        stopped = [_stopped_run(stop, root, settings) for stop in STOPS]
        completed = _complete_run()
        with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
            versions = conn.execute(
                "select association_code, version, status from quality.submissions order by 1"
            ).fetchall()
            indicators = conn.execute("select count(*) from marts.fct_indicators").fetchone()[0]
        yield {
            "stopped": stopped,
            "completed": completed,
            "versions": versions,
            "indicators": indicators,
            "published": settings.published_warehouse.exists(),
        }


@pytest.mark.parametrize(
    "number", range(len(STOPS)), ids=[f"{s.stage}-{s.signal_number}" for s in STOPS]
)
def test_a_signal_stops_the_run_in_order_and_says_so_in_french(runs, number):
    run = runs["stopped"][number]
    name = "SIGTERM" if run.stop.signal_number == signal.SIGTERM else "SIGINT (Ctrl+C)"
    assert run.exit_code == 128 + run.stop.signal_number, run.output
    assert f"Arrêt demandé ({name}) pendant {run.stop.said} : le pipeline s'est arrêté " in (
        run.output
    ), run.output
    assert "Traceback" not in run.output
    assert run.seconds_to_stop < STOP_SECONDS
    assert run.lock_free
    for pid in run.dbt_pids:  # dbt's process did not outlive the run
        assert not is_running(pid)


def test_the_file_being_loaded_when_stopped_left_nothing_half_written(runs):
    first = runs["stopped"][0]
    assert first.stop.stage == "load"
    assert first.pairs_after == 0  # its transaction rolled back; nothing else had been loaded


def test_the_next_run_completes_and_nothing_is_counted_twice(runs):
    completed = runs["completed"]
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in (
        completed.stdout
    )
    assert runs["versions"] == [(code, 1, "accepted") for code in CODES]
    assert runs["indicators"] > 0
    assert runs["published"]


def test_a_run_killed_outright_takes_its_dbt_with_it(tmp_path):
    # SIGKILL (the out-of-memory killer) leaves no time for an orderly stop: dbt's process
    # ends with its parent all the same, instead of building on with the warehouse open.
    with isolated_environment(tmp_path, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        write_submission(settings.raw_dir, "2026-10", CODES[0], pairs=2)
        log_path = tmp_path / "killed.log"
        with open(log_path, "w") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli", "run"],
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STAGE_TIMEOUT_SECONDS
        while not (dbt_pids := _dbt_processes(child.pid)):
            assert child.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        time.sleep(2)  # dbt well under way
        child.kill()
        child.wait()
        stopped_by = time.monotonic() + KILLED_DBT_SECONDS
        while any(is_running(pid) for pid in dbt_pids) and time.monotonic() < stopped_by:
            time.sleep(0.2)
        assert not any(is_running(pid) for pid in dbt_pids)
        marts_when_killed = _marts(settings.warehouse)
        next_run = _complete_run()
        marts_when_complete = _marts(settings.warehouse)
    assert next_run.returncode == 0, next_run.stdout + next_run.stderr
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in (
        next_run.stdout
    )
    # dbt stopped part-way rather than building on to the end with nobody to report to
    assert marts_when_complete - marts_when_killed
