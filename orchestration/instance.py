"""The project's Dagster instance: the same DAGSTER_HOME for `make ui` and headless runs."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from orchestration.settings import PROJECT_ROOT


def prepare_dagster_home(dagster_home: Path) -> Path:
    """Make DAGSTER_HOME hold the project's dagster.yaml (a link, so there is one copy)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.symlink_to(PROJECT_ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def project_instance(dagster_home: Path) -> dg.DagsterInstance:
    prepare_dagster_home(dagster_home)
    return dg.DagsterInstance.get()
