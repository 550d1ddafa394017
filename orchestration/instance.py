"""The project's Dagster instance: the same DAGSTER_HOME for `make ui` and headless runs."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import dagster as dg

from ase_impact.core.settings import PROJECT_ROOT
from orchestration.partitions import ASSOCIATION


def prepare_dagster_home(dagster_home: Path) -> Path:
    """Make DAGSTER_HOME hold the project's dagster.yaml (a link, so there is one copy)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.symlink_to(PROJECT_ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def project_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The instance of DAGSTER_HOME, its storage created by one process at a time.

    Two runs started together on a new DAGSTER_HOME would otherwise both create the same
    SQLite tables and one would fail.
    """
    prepare_dagster_home(dagster_home)
    with open(dagster_home / ".storage_init.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)  # opens (and on first use creates) every storage table
        instance.get_dynamic_partitions(ASSOCIATION)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return instance
