"""Dagster's SQLite event log on the project's instance (orchestration/event_storage.py): the files
of Dagster's default storage, each kept open between events rather than opened per statement,
and never more than a few at once."""

import contextlib
import os
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from ase_impact.core.settings import load_settings
from orchestration.event_storage import OPEN_RUN_FILES
from orchestration.instance import project_instance
from tests.integration.probe_assets import CHECKS, probe, probes


@contextlib.contextmanager
def _event_log_files_opened(events_dir: Path):
    """The event log's database files opened (one entry per opening) while the block runs."""
    opened: list[str] = []

    def on_connect(dbapi_connection, _record):
        [(_, _, path)] = dbapi_connection.execute("PRAGMA database_list").fetchall()
        if Path(path).parent == events_dir:
            opened.append(Path(path).name)

    sa.event.listen(sa.pool.Pool, "connect", on_connect)
    try:
        yield opened
    finally:
        sa.event.remove(sa.pool.Pool, "connect", on_connect)


def _files_open_now(events_dir: Path) -> set[str]:
    """The event log's database files this process holds open (their -wal and -shm with them)."""
    names = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = Path(os.readlink(fd))
            if target.parent == events_dir and ".db" in target.name:
                names.add(target.name.removesuffix("-wal").removesuffix("-shm"))
    return names


def test_a_run_writes_its_events_through_files_kept_open():
    dagster_home = load_settings().dagster_home
    events_dir = dagster_home / "history" / "runs"
    with project_instance(dagster_home) as instance:
        with _event_log_files_opened(events_dir) as opened:
            result = dg.materialize([probes], instance=instance)
        events = instance.all_logs(result.run_id)
    assert result.success and len(events) > 3 * CHECKS
    # Dagster's stock storage opens the run's file for every event (79 here) and the index up to
    # three times for each asset and check event (132). Creating the run's file opens it a few
    # times (Dagster's migrations); every event then goes through the connection kept open.
    assert set(opened) == {"index.db", f"{result.run_id}.db"}
    assert len(opened) <= 8, opened


def test_the_events_are_dagsters_default_files_read_by_its_own_storage():
    dagster_home = load_settings().dagster_home
    with project_instance(dagster_home) as instance:
        result = dg.materialize([probes], instance=instance)
        written = instance.all_logs(result.run_id)
    stock = SqliteEventLogStorage(str(dagster_home / "history" / "runs"))
    read = stock.get_records_for_run(result.run_id).records
    assert [record.event_log_entry for record in read] == written
    latest = stock.get_latest_materialization_events([dg.AssetKey("probes")])
    assert latest[dg.AssetKey("probes")].run_id == result.run_id
    checks = stock.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("probes"), "probe_check_0"), limit=5
    )
    assert [check.run_id for check in checks] == [result.run_id]


def test_only_the_latest_runs_files_stay_open_and_none_once_disposed():
    dagster_home = load_settings().dagster_home
    events_dir = dagster_home / "history" / "runs"
    instance = project_instance(dagster_home)
    run_ids = [dg.materialize([probe], instance=instance).run_id for _ in range(OPEN_RUN_FILES + 3)]
    open_files = _files_open_now(events_dir)
    assert "index.db" in open_files
    assert open_files - {"index.db"} <= {f"{run_id}.db" for run_id in run_ids[-OPEN_RUN_FILES:]}

    instance.wipe()  # deletes the run files: those still open are closed first
    assert len(instance.get_runs()) == 0
    again = dg.materialize([probe], instance=instance)
    assert [run.run_id for run in instance.get_runs()] == [again.run_id]
    assert len(instance.all_logs(again.run_id)) > 5
    instance.dispose()
    assert _files_open_now(events_dir) == set()
