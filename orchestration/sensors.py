"""Sensors: a new or changed file in raw/ becomes a partition run; ingestion is followed by
one build once every pending ingestion run has finished."""

import dagster as dg

from orchestration.assets.ingestion import raw_table_key
from orchestration.jobs import build_job, ingestion_job
from orchestration.partitions import (
    ASSOCIATION,
    association_partitions,
    submission_partition_key,
)
from orchestration.referentiel import sheet
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


def new_file_requests(
    instance: dg.DagsterInstance, raw_dir, period: str | None = None, tags=None
) -> tuple[list[dg.RunRequest], set[str]]:
    """Run requests for the files of raw/ not yet ingested as they are now, and the
    association codes not yet known as partitions. The run key is the file's SHA-256 within
    its partition: the same file never runs twice, a changed file runs again."""
    from orchestration.ingest.archive import sha256_of
    from orchestration.ingest.pipeline import submission_files

    known_codes = set(instance.get_dynamic_partitions(ASSOCIATION))
    new_codes, run_requests = set(), []
    for file_period, code, path in submission_files(raw_dir):
        if period and file_period != period:
            continue
        partition_key = submission_partition_key(file_period, code)
        sha256 = sha256_of(path)
        if code not in known_codes:
            new_codes.add(code)
        elif ingested_sha256(instance, partition_key) == sha256:
            continue
        run_requests.append(
            dg.RunRequest(
                partition_key=partition_key,
                run_key=f"{file_period}/{code}/{sha256}",
                tags=tags or {},
            )
        )
    return run_requests, new_codes


def add_partitions_requests(codes: set[str]) -> list[dg.AddDynamicPartitionsRequest]:
    return [association_partitions.build_add_request(sorted(codes))] if codes else []


@dg.sensor(job=ingestion_job, minimum_interval_seconds=30)
def raw_files_sensor(context: dg.SensorEvaluationContext, pipeline: PipelineSettings):
    """One ingestion run per new or changed workbook dropped in raw/."""
    run_requests, new_codes = new_file_requests(context.instance, pipeline.resolve().raw_dir)
    return dg.SensorResult(
        run_requests=run_requests, dynamic_partitions_requests=add_partitions_requests(new_codes)
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
