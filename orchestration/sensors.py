"""Sensors: new or changed files in raw/ become ingestion runs (one per range of
partitions); ingestion is followed by one build once every pending ingestion run has finished."""

import hashlib
import json

import dagster as dg

from ase_impact.core.referentiel import sheet
from orchestration.assets.ingestion import raw_table_key
from orchestration.jobs import build_job, ingestion_job
from orchestration.partitions import (
    ASSOCIATION,
    association_partitions,
    range_tags,
    submission_partition_key,
    submission_ranges,
)
from orchestration.resources import PipelineSettings

PAIRS_KEY = raw_table_key(sheet("pairs"))
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def ingested_sha256(instance: dg.DagsterInstance, partition_key: str) -> str | None:
    """The sha256 of the file last ingested for a partition, from its materialization."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=PAIRS_KEY, asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    metadata = records[0].asset_materialization.metadata
    return metadata["sha256"].value if "sha256" in metadata else None


def new_files(
    instance: dg.DagsterInstance, raw_dir, period: str | None = None
) -> dict[tuple[str, str], str]:
    """SHA-256 of each file of raw/ not yet ingested as it is now, by (period, association)."""
    from ase_impact.intake.archive import sha256_of
    from ase_impact.intake.discovery import submission_files

    shas = {}
    for file_period, code, path in submission_files(raw_dir):
        if period and file_period != period:
            continue
        sha256 = sha256_of(path)
        if ingested_sha256(instance, submission_partition_key(file_period, code)) != sha256:
            shas[(file_period, code)] = sha256
    return shas


def new_file_requests(
    instance: dg.DagsterInstance, files: dict[tuple[str, str], str], tags=None
) -> tuple[list[dg.RunRequest], set[str]]:
    """Run requests ingesting these files, one per range of partitions, and the association
    codes not yet known as partitions. A run key names its files' SHA-256: the same batch
    never runs twice, a changed file runs again."""
    association_order = list(instance.get_dynamic_partitions(ASSOCIATION))
    new_codes = {code for _, code in files} - set(association_order)
    # New associations are registered with the requests, after the known ones.
    association_order += sorted(new_codes)
    run_requests = [
        dg.RunRequest(
            run_key=_batch_run_key(batch, files),
            tags={**(tags or {}), **range_tags(partition_range)},
        )
        for partition_range, batch in submission_ranges(association_order, set(files)).items()
    ]
    return run_requests, new_codes


def _batch_run_key(batch: list[tuple[str, str]], files: dict[tuple[str, str], str]) -> str:
    """The batch's files and their SHA-256, hashed: a run key of bounded length."""
    names = "\n".join(f"{period}/{code}/{files[period, code]}" for period, code in sorted(batch))
    return f"ingestion-{hashlib.sha256(names.encode()).hexdigest()}"


def add_partitions_requests(codes: set[str]) -> list[dg.AddDynamicPartitionsRequest]:
    return [association_partitions.build_add_request(sorted(codes))] if codes else []


@dg.sensor(job=ingestion_job, minimum_interval_seconds=30)
def raw_files_sensor(context: dg.SensorEvaluationContext, pipeline: PipelineSettings):
    """Ingestion runs for the new or changed workbooks dropped in raw/, one per range.

    The cursor remembers each file already requested ("AAAA-MM/code" → SHA-256), so a file
    whose run is still queued is not requested again with the next batch.
    """
    requested = json.loads(context.cursor) if context.cursor else {}
    files = {
        partition: sha256
        for partition, sha256 in new_files(context.instance, pipeline.resolve().raw_dir).items()
        if requested.get("/".join(partition)) != sha256
    }
    run_requests, new_codes = new_file_requests(context.instance, files)
    requested.update({"/".join(partition): sha256 for partition, sha256 in files.items()})
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=add_partitions_requests(new_codes),
        cursor=json.dumps(requested, sort_keys=True),
    )


@dg.sensor(job=build_job, minimum_interval_seconds=30)
def build_after_ingestion_sensor(context: dg.SensorEvaluationContext):
    """Request one build once ingestion has produced something new and nothing is pending,
    so that a batch of files dropped together gives one dbt build, not one per file."""
    pending = context.instance.get_run_records(
        dg.RunsFilter(job_name=ingestion_job.name, statuses=IN_FLIGHT), limit=1
    )
    if pending:
        return dg.SkipReason("Des intégrations de fichiers sont en cours : construction différée.")
    latest = context.instance.fetch_materializations(PAIRS_KEY, limit=1).records
    if not latest:
        return dg.SkipReason("Aucun fichier intégré pour l'instant.")
    storage_id = latest[0].storage_id
    if context.cursor and storage_id <= int(context.cursor):
        return dg.SkipReason("Rien de nouveau depuis la dernière construction.")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"build-after-{storage_id}")], cursor=str(storage_id)
    )
