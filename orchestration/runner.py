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
from pathlib import Path

import dagster as dg

from ase_impact.cli.run_summary import RunOutcome
from ase_impact.core.settings import PROJECT_ROOT, Settings
from ase_impact.intake.discovery import pending_files
from ase_impact.intake.ingestion import ingest_file
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import locked_connection
from ase_impact.warehouse.schema import ensure_schema
from orchestration.assets.ingestion import SUBMISSIONS_KEY
from orchestration.instance import prepare_dagster_home, project_instance
from orchestration.jobs import BUILD_JOB, INGESTION_JOB, pipeline_run_config
from orchestration.partitions import (
    ASSOCIATION,
    MONTH,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    register_associations,
    submission_partitions,
)

CLI_TAGS = {"ase_impact/source": "cli"}
# Builds after the first one that a failed gate's quarantine may call for.
MAX_QUARANTINE_BUILDS = 3
# The headless run prints its own French summary; Dagster's event stream stays in the run
# history (make ui) instead of flooding the terminal.
BUILD_LOG_SHOWN_ON_FAILURE = 6000
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_pipeline(
    settings: Settings, period: str | None = None, progress: Callable[[str], None] = print
) -> RunOutcome:
    """Ingest every new or changed file, as the files sensor would request it (one run per
    range of partitions), then build once; the runs go through the project's instance."""
    from orchestration.assets.transformations import ase_impact_dbt_models
    from orchestration.definitions import defs
    from orchestration.sensors import new_file_requests

    instance = project_instance(settings.dagster_home)
    with locked_connection(settings.warehouse) as conn:
        ensure_schema(conn)
        ingested = queries.latest_sha256_by_partition(conn)
        pending = pending_files(settings.raw_dir, ingested, period)
        # A file whose name gives no partition is still recorded, with its French message.
        for path in pending.misnamed:
            ingest_file(path, settings, conn)
    requests, new_codes = new_file_requests(instance, pending.new_or_changed, tags=CLI_TAGS)
    register_associations(instance, new_codes)
    run_config = pipeline_run_config(settings.raw_dir, settings.warehouse) | QUIET_LOGGERS
    ingestion = defs.resolve_job_def(INGESTION_JOB)
    failures = []
    for request in requests:
        progress(f"Intégration de {_range_label(request.tags)}…")
        result = ingestion.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=request.tags
        )
        failures += [_failure_text(event) for event in result.get_step_failure_events()]
    progress("Construction des marts (dbt build) et des sorties…")
    build, blocking_failed, step_errors, dbt_console = _build(run_config, instance)
    # A failed gate that quarantined association-months: build again without them, so that
    # everything else is published (at most once per file: a quarantined file stays out).
    for _ in range(MAX_QUARANTINE_BUILDS):
        if not blocking_failed or not _quarantined_more(instance, build.run_id):
            break
        progress("Fichiers mis en quarantaine : nouvelle construction sans eux…")
        build, blocking_failed, step_errors, dbt_console = _build(run_config, instance)
    if not blocking_failed and ase_impact_dbt_models.op.name in step_errors:
        progress(dbt_console.getvalue()[-BUILD_LOG_SHOWN_ON_FAILURE:])
    return RunOutcome(
        ingested=list(pending.new_or_changed),
        unchanged=pending.unchanged,
        misnamed=pending.misnamed,
        technical_failures=failures,
        build_succeeded=build.success,
        blocking_checks_failed=blocking_failed,
        build_step_errors=step_errors,
    )


def _build(run_config: dict, instance: dg.DagsterInstance):
    """One build job run: the result, its failed blocking checks, its failed steps and dbt's
    console output (shown only on failure)."""
    from orchestration.definitions import defs

    dbt_console = io.StringIO()
    with contextlib.redirect_stdout(dbt_console):
        build = defs.resolve_job_def(BUILD_JOB).execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=CLI_TAGS
        )
    blocking_failed = [
        f"{evaluation.asset_key.to_user_string()} · {evaluation.check_name}"
        for evaluation in build.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    step_errors = {
        event.step_key: _failure_text(event) for event in build.get_step_failure_events()
    }
    return build, blocking_failed, step_errors, dbt_console


def _quarantined_more(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the build of run_id put files in quarantine (its gate logged them)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SUBMISSIONS_KEY), limit=1
    ).records
    return bool(records) and records[0].run_id == run_id


def _range_label(tags: dict[str, str]) -> str:
    """ "2026-10/cap-avenir", or "2026-10/cap-avenir … 2026-10/envol-mentorat"."""
    first, last = (
        "/".join(
            submission_partitions.get_partition_key_from_str(tags[tag]).keys_by_dimension[name]
            for name in (MONTH, ASSOCIATION)
        )
        for tag in (PARTITION_RANGE_START_TAG, PARTITION_RANGE_END_TAG)
    )
    return first if first == last else f"{first} … {last}"


def _failure_text(event: dg.DagsterEvent) -> str:
    """What a failed step says: the French description our steps give (dagster.Failure), or
    the error itself for anything unexpected."""
    failure = event.step_failure_data
    if failure.user_failure_data and failure.user_failure_data.description:
        return failure.user_failure_data.description
    error = failure.error.cause or failure.error
    return error.message.strip()


def open_ui(settings: Settings, port: int) -> int:
    """`dagster dev` on the project's instance, from this interpreter's own environment."""
    prepare_dagster_home(settings.dagster_home)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-p", str(port)]
    return subprocess.call(command, cwd=PROJECT_ROOT, env=os.environ.copy())
