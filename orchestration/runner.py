"""The headless main job behind `ase-impact run`: ingest what is new, then build the marts once.

Runs go through the project's Dagster instance, so they show in the UI's run history exactly
as runs launched from the UI do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.assets.ingestion import ingest_workbook, workbook
from orchestration.assets.transformations import ase_impact_dbt_models
from orchestration.dbt_project import dbt_project
from orchestration.ingest import warehouse
from orchestration.ingest.archive import sha256_of
from orchestration.ingest.errors import FileLevelError
from orchestration.ingest.pipeline import discover_files, ingest_file
from orchestration.ingest.workbook import parse_submission_path
from orchestration.instance import project_instance
from orchestration.partitions import register_associations, submission_partition_key
from orchestration.resources import PipelineSettings
from orchestration.settings import Settings


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
    dbt_succeeded: bool | None


def plan_run(settings: Settings, conn, period: str | None = None) -> RunPlan:
    """Sort every file of raw/ into new-or-changed, unchanged, and unusable names."""
    plan = RunPlan()
    latest = warehouse.latest_submission_shas(conn)
    for path in discover_files(settings.raw_dir):
        try:
            file_period, code = parse_submission_path(settings.raw_dir, path)
        except FileLevelError:
            plan.misnamed.append(path)
            continue
        if period and file_period != period:
            continue
        if latest.get((file_period, code)) == sha256_of(path):
            plan.unchanged.append((file_period, code))
        else:
            plan.to_ingest.append((file_period, code))
    return plan


def _resources(settings: Settings) -> dict:
    from dagster_dbt import DbtCliResource

    return {
        "pipeline": PipelineSettings(
            raw_dir=str(settings.raw_dir), warehouse=str(settings.warehouse)
        ),
        "dbt": DbtCliResource(project_dir=dbt_project),
    }


def run_pipeline(settings: Settings, period: str | None = None) -> RunOutcome:
    instance = project_instance(settings.dagster_home)
    with warehouse.connect(settings.warehouse) as conn:
        warehouse.ensure_schema(conn)
        plan = plan_run(settings, conn, period)
        # A file whose name gives no partition is still recorded, with its French message.
        for path in plan.misnamed:
            ingest_file(path, settings, conn)
    register_associations(instance, {code for _, code in plan.to_ingest})
    resources = _resources(settings)
    failures = []
    for file_period, code in plan.to_ingest:
        result = dg.materialize(
            [workbook, ingest_workbook],
            partition_key=submission_partition_key(file_period, code),
            instance=instance,
            resources=resources,
            raise_on_error=False,
            tags={"ase_impact/source": "cli"},
        )
        if not result.success and not _failed_on_file_error(result):
            failures.append(f"{file_period}/{code}")
    dbt_result = dg.materialize(
        [ase_impact_dbt_models],
        instance=instance,
        resources=resources,
        raise_on_error=False,
        tags={"ase_impact/source": "cli"},
    )
    return RunOutcome(
        ingested=plan.to_ingest,
        unchanged=plan.unchanged,
        misnamed=plan.misnamed,
        technical_failures=failures,
        dbt_succeeded=dbt_result.success,
    )


def _failed_on_file_error(result: dg.ExecuteInProcessResult) -> bool:
    """A refused file fails its partition on purpose (dagster.Failure): that is a data error."""
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            if error and error.cls_name == "Failure":
                return True
    return False
