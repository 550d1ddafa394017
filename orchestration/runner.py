"""The headless main job behind `ase-impact run`: ingest what is new, then build the marts once.

Runs go through the project's Dagster instance, so they show in the UI's run history exactly
as runs launched from the UI do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.ingest import warehouse
from orchestration.ingest.archive import sha256_of
from orchestration.ingest.pipeline import discover_files, ingest_file, submission_files
from orchestration.instance import project_instance
from orchestration.jobs import BUILD_JOB, INGESTION_JOB, pipeline_run_config
from orchestration.partitions import register_associations, submission_partition_key
from orchestration.settings import Settings

CLI_TAGS = {"ase_impact/source": "cli"}


@dataclass
class RunPlan:
    """What a run will do with the files found in raw/."""

    to_ingest: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    misnamed: list[Path] = field(default_factory=list)


@dataclass
class RunOutcome:
    ingested: list[tuple[str, str]]
    unchanged: list[tuple[str, str]]
    misnamed: list[Path]
    technical_failures: list[str]
    build_succeeded: bool | None


def plan_run(settings: Settings, conn, period: str | None = None) -> RunPlan:
    """Sort every file of raw/ into new-or-changed, unchanged, and unusable names."""
    latest = warehouse.latest_submission_shas(conn)
    submissions = submission_files(settings.raw_dir)
    named = {path for _, _, path in submissions}
    plan = RunPlan(
        misnamed=[path for path in discover_files(settings.raw_dir) if path not in named]
    )
    for file_period, code, path in submissions:
        if period and file_period != period:
            continue
        if latest.get((file_period, code)) == sha256_of(path):
            plan.unchanged.append((file_period, code))
        else:
            plan.to_ingest.append((file_period, code))
    return plan


def run_pipeline(settings: Settings, period: str | None = None) -> RunOutcome:
    """Ingest every new or changed file (one run per partition), then build once."""
    from orchestration.definitions import defs

    instance = project_instance(settings.dagster_home)
    with warehouse.connect(settings.warehouse) as conn:
        warehouse.ensure_schema(conn)
        plan = plan_run(settings, conn, period)
        # A file whose name gives no partition is still recorded, with its French message.
        for path in plan.misnamed:
            ingest_file(path, settings, conn)
    register_associations(instance, {code for _, code in plan.to_ingest})
    run_config = pipeline_run_config(settings.raw_dir, settings.warehouse)
    ingestion = defs.resolve_job_def(INGESTION_JOB)
    failures = []
    for file_period, code in plan.to_ingest:
        result = ingestion.execute_in_process(
            run_config=run_config,
            instance=instance,
            partition_key=submission_partition_key(file_period, code),
            raise_on_error=False,
            tags=CLI_TAGS,
        )
        if not result.success and not _failed_on_file_error(result):
            failures.append(f"{file_period}/{code}")
    build = defs.resolve_job_def(BUILD_JOB).execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False, tags=CLI_TAGS
    )
    return RunOutcome(
        ingested=plan.to_ingest,
        unchanged=plan.unchanged,
        misnamed=plan.misnamed,
        technical_failures=failures,
        build_succeeded=build.success,
    )


def _failed_on_file_error(result: dg.ExecuteInProcessResult) -> bool:
    """A refused file fails its partition on purpose (dagster.Failure): that is a data error."""
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            if error and error.cls_name == "Failure":
                return True
    return False
