"""The headless main job behind `ase-impact run`: ingest what is new, then build the marts once.

Runs go through the project's Dagster instance, so they show in the UI's run history exactly
as runs launched from the UI do.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from ase_impact.cli.run_summary import RunOutcome
from ase_impact.core.settings import PROJECT_ROOT, Settings
from ase_impact.intake.archive import sha256_of
from ase_impact.intake.discovery import discover_files, submission_files
from ase_impact.intake.ingestion import ingest_file
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import locked_connection
from ase_impact.warehouse.schema import ensure_schema
from orchestration.instance import prepare_dagster_home, project_instance
from orchestration.jobs import BUILD_JOB, INGESTION_JOB, pipeline_run_config
from orchestration.partitions import (
    ASSOCIATION,
    range_tags,
    register_associations,
    submission_ranges,
)

CLI_TAGS = {"ase_impact/source": "cli"}
# The headless run prints its own French summary; Dagster's event stream stays in the run
# history (make ui) instead of flooding the terminal.
BUILD_LOG_SHOWN_ON_FAILURE = 6000
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunPlan:
    """What a run will do with the files found in raw/."""

    to_ingest: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    misnamed: list[Path] = field(default_factory=list)


def plan_run(settings: Settings, conn, period: str | None = None) -> RunPlan:
    """Sort every file of raw/ into new-or-changed, unchanged, and unusable names."""
    latest = queries.latest_sha256_by_partition(conn)
    submissions = submission_files(settings.raw_dir)
    named = {path for _, _, path in submissions}
    plan = RunPlan(
        misnamed=[path for path in discover_files(settings.raw_dir) if path not in named]
    )
    for file_period, code, path in submissions:
        partition = (file_period, code)
        if (period and file_period != period) or partition in plan.to_ingest:
            continue
        if latest.get(partition) == sha256_of(path):
            plan.unchanged.append(partition)
        else:
            # Two files for one partition: its single run refuses both (FIC-015).
            plan.to_ingest.append(partition)
    return plan


def run_pipeline(
    settings: Settings, period: str | None = None, progress: Callable[[str], None] = print
) -> RunOutcome:
    """Ingest every new or changed file (one run per range of partitions), then build once."""
    from orchestration.assets.transformations import ase_impact_dbt_models
    from orchestration.definitions import defs

    instance = project_instance(settings.dagster_home)
    with locked_connection(settings.warehouse) as conn:
        ensure_schema(conn)
        plan = plan_run(settings, conn, period)
        # A file whose name gives no partition is still recorded, with its French message.
        for path in plan.misnamed:
            ingest_file(path, settings, conn)
    register_associations(instance, {code for _, code in plan.to_ingest})
    run_config = pipeline_run_config(settings.raw_dir, settings.warehouse) | QUIET_LOGGERS
    ingestion = defs.resolve_job_def(INGESTION_JOB)
    failures = []
    association_order = list(instance.get_dynamic_partitions(ASSOCIATION))
    for partition_range, batch in submission_ranges(association_order, set(plan.to_ingest)).items():
        progress(f"Intégration de {_batch_label(batch)}…")
        result = ingestion.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            tags=CLI_TAGS | range_tags(partition_range),
        )
        if not result.success and not _failed_on_file_error(result):
            causes = " ; ".join(_step_errors(result).values())
            failures.append(causes or _batch_label(batch))
    progress("Construction des marts (dbt build) et des sorties…")
    # dbt's own console output goes to the run's logs; it is shown here only on failure.
    dbt_console = io.StringIO()
    with contextlib.redirect_stdout(dbt_console):
        build = defs.resolve_job_def(BUILD_JOB).execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=CLI_TAGS
        )
    blocking_failed = _failed_blocking_checks(build)
    step_errors = _step_errors(build)
    if not blocking_failed and ase_impact_dbt_models.op.name in step_errors:
        progress(dbt_console.getvalue()[-BUILD_LOG_SHOWN_ON_FAILURE:])
    return RunOutcome(
        ingested=plan.to_ingest,
        unchanged=plan.unchanged,
        misnamed=plan.misnamed,
        technical_failures=failures,
        build_succeeded=build.success,
        blocking_checks_failed=blocking_failed,
        build_step_errors=step_errors,
    )


def _batch_label(batch: list[tuple[str, str]]) -> str:
    """ "2026-10/cap-avenir", or "12 fichiers (2026-10/cap-avenir … 2026-10/envol)"."""
    first, last = (f"{period}/{code}" for period, code in (min(batch), max(batch)))
    return first if len(batch) == 1 else f"{len(batch)} fichiers ({first} … {last})"


def _failed_on_file_error(result: dg.ExecuteInProcessResult) -> bool:
    """A refused file fails its partition on purpose (dagster.Failure): that is a data error."""
    return any(
        event.step_failure_data.error and event.step_failure_data.error.cls_name == "Failure"
        for event in result.get_step_failure_events()
    )


def _step_errors(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Each failed step's own error message, without Dagster's wrapper or the class name."""
    errors = {}
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        if error and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause:
            error = error.cause
        if error:
            # "module.ClassName: text", as traceback.format_exception_only writes it.
            message = error.message.strip()
            name, separator, text = message.partition(": ")
            named = separator and name.endswith(error.cls_name)
            errors[event.step_key] = text if named else message
    return errors


def _failed_blocking_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    """Checks of severity ERROR that failed: data that must not be published, not a crash."""
    return [
        f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}"
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        for evaluation in [event.asset_check_evaluation_data]
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]


def open_ui(settings: Settings, port: int) -> int:
    """`dagster dev` on the project's instance, from this interpreter's own environment."""
    prepare_dagster_home(settings.dagster_home)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-p", str(port)]
    return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ.copy())
