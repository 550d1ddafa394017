"""Dagster resources: where the pipeline reads and writes (resolved like the CLI does), dbt."""

from __future__ import annotations

import importlib.metadata
import multiprocessing
import sys
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from ase_impact.core.settings import Settings, load_settings

# The pool of every asset that writes or reads the warehouse: DuckDB accepts one writer at a
# time, and dagster.yaml gives the pool one slot.
WAREHOUSE_POOL = "duckdb"


class PipelineSettings(dg.ConfigurableResource):
    """Paths of this run; empty values fall back to the ASE_IMPACT_* env vars and defaults."""

    raw_dir: str = ""
    warehouse: str = ""

    def resolve(self) -> Settings:
        return load_settings(raw_dir=self.raw_dir or None, warehouse=self.warehouse or None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Name the run's owner on a run the daemon or the UI launched: its run worker (the
        parent of this step's process, or this process with the in-process executor). Once
        that process is gone (killed with the UI, out of memory), the next command gives the
        warehouse's slot back (orchestration/abandoned_runs.py). A command's own runs carry
        their owner from their creation."""
        from orchestration.abandoned_runs import PID_TAG, owner_tags

        run = context.dagster_run
        if run is None or context.instance is None or PID_TAG in run.tags:
            return
        worker = multiprocessing.parent_process()
        context.instance.add_run_tags(run.run_id, owner_tags(worker.pid if worker else None))


# dbt as installed beside this interpreter (cron or systemd call the console script with a
# minimal PATH and no virtual environment activated), in a process that ends with the run's.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("ase-impact-dbt"))


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told dbt's version instead of asking a new dbt process, and
    starting dbt without a dbt adapter of its own.

    dagster-dbt runs `dbt --version` once per invocation to tell dbt-core from dbt Fusion;
    importing dbt costs seconds here, and dbt-core is what the project installs (uv.lock).
    Before starting dbt, it also sets up a dbt adapter in the step's process (profile, project,
    dbt's macros: about a second, before dbt's own process starts), which only its
    `fetch_row_counts` and `fetch_column_metadata` use; the pipeline uses neither.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args) -> None:
        return None


def installed_dbt(project_dir) -> InstalledDbtCliResource:
    """The dbt resource of a dbt project, running the dbt installed beside this interpreter."""
    return InstalledDbtCliResource(project_dir=project_dir, dbt_executable=DBT_EXECUTABLE)
