"""Dagster's storage on PostgreSQL (ASE_IMPACT_DAGSTER_STORAGE): every process started on the
DAGSTER_HOME (the daemon, the UI, `ase-impact run`) reads and writes the same run history."""

import os
import subprocess
import sys

import dagster as dg

from ase_impact.core.settings import PROJECT_ROOT, load_settings
from ase_impact.warehouse.connection import connect
from orchestration.instance import DAGSTER_STORAGE_VARIABLE, project_instance
from tests.integration.probe_assets import probe, probes

# What another process sees on the same DAGSTER_HOME: the runs of its instance.
OTHER_PROCESS = (
    "from ase_impact.core.settings import load_settings\n"
    "from orchestration.instance import project_instance\n"
    "with project_instance(load_settings().dagster_home) as instance:\n"
    "    print(type(instance.run_storage).__name__, *[r.run_id for r in instance.get_runs()])\n"
)


def test_runs_are_stored_in_postgresql_and_shared_by_every_process(postgres_url, monkeypatch):
    monkeypatch.setenv(DAGSTER_STORAGE_VARIABLE, postgres_url)
    dagster_home = load_settings().dagster_home
    with project_instance(dagster_home) as instance:
        result = dg.materialize([probe], instance=instance)
    assert result.success

    seen = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS],
        env=os.environ,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert seen == ["PostgresRunStorage", result.run_id]
    with connect(postgres_url, read_only=True) as conn:
        assert conn.execute("SELECT run_id FROM runs").fetchall() == [(result.run_id,)]
    assert not (dagster_home / "history" / "runs.db").exists()
    assert (dagster_home / "dagster.yaml").stat().st_mode & 0o077 == 0


def test_without_the_setting_dagster_home_links_the_project_config_again(postgres_url, monkeypatch):
    monkeypatch.setenv(DAGSTER_STORAGE_VARIABLE, postgres_url)
    dagster_home = load_settings().dagster_home
    project_instance(dagster_home).dispose()
    assert not (dagster_home / "dagster.yaml").is_symlink()
    monkeypatch.delenv(DAGSTER_STORAGE_VARIABLE)
    with project_instance(dagster_home) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
    assert (dagster_home / "dagster.yaml").resolve() == PROJECT_ROOT / "dagster.yaml"


def _sessions_opened(url: str) -> int:
    """Sessions opened on this database so far, as PostgreSQL counts them when they end (read
    from another database, so that reading opens none here)."""
    server, database = url.rsplit("/", 1)
    with connect(f"{server}/postgres", read_only=True) as conn:
        return conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = ?", [database]
        ).fetchone()[0]


def test_a_run_writes_its_events_through_a_few_kept_connections(postgres_url, monkeypatch):
    monkeypatch.setenv(DAGSTER_STORAGE_VARIABLE, postgres_url)
    with project_instance(load_settings().dagster_home) as instance:
        before = _sessions_opened(postgres_url)
        result = dg.materialize([probes], instance=instance)
        events = len(instance.all_logs(result.run_id))
        opened = _sessions_opened(postgres_url) - before
    assert result.success and events > 50
    # One connection per statement opens one or more per event (and each has ended).
    assert opened <= 5, f"{opened} sessions for {events} events"
