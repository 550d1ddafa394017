"""Sensors: new or changed files in raw/ become ingestion runs (one per range of
partitions); ingestion is followed by one build once every pending ingestion run has finished."""

import hashlib
import json

import dagster as dg

from orchestration.assets.ingestion import SUBMISSIONS_KEY
from orchestration.jobs import build_job, ingestion_job
from orchestration.partitions import (
    ASSOCIATION,
    association_partitions,
    range_tags,
    submission_ranges,
)
from orchestration.resources import PipelineSettings

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


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


@dg.sensor(
    job=ingestion_job,
    minimum_interval_seconds=30,
    description=(
        "Toutes les 30 s : les fichiers nouveaux de `raw/` (ou dont le contenu a changé) "
        "deviennent des runs d'intégration, un par plage de partitions (mois × associations) ; "
        "un nouveau code d'association devient une partition. Un même fichier n'est jamais "
        "intégré deux fois. Un fichier qui ne désigne aucune partition (emplacement, nom, "
        "mois, association inconnue) est enregistré comme refusé, avec son message."
    ),
)
def raw_files_sensor(context: dg.SensorEvaluationContext, pipeline: PipelineSettings):
    """Ingestion runs for the new or changed workbooks dropped in raw/, one per range.

    A file is new when the warehouse has not received its bytes as the partition's latest
    version (the same record `ase-impact run` reads). The cursor remembers each file already
    requested ("AAAA-MM/code" → SHA-256), so a file whose run is still queued is not requested
    again with the next batch.
    """
    from ase_impact.intake.discovery import pending_against_warehouse
    from ase_impact.warehouse.connection import WarehouseBusy

    requested = json.loads(context.cursor) if context.cursor else {}
    settings = pipeline.resolve()
    try:
        pending = pending_against_warehouse(settings, wait=False)
    except WarehouseBusy:
        return dg.SkipReason(
            "L'entrepôt est en cours d'écriture : nouvel examen au prochain passage."
        )
    files = {
        partition: sha256
        for partition, sha256 in pending.new_or_changed.items()
        if requested.get("/".join(partition)) != sha256
    }
    run_requests, new_codes = new_file_requests(context.instance, files)
    requested.update({"/".join(partition): sha256 for partition, sha256 in files.items()})
    requested.update(_record_misnamed(settings, pending.misnamed, requested))
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=add_partitions_requests(new_codes),
        cursor=json.dumps(requested, sort_keys=True),
    )


# Cursor keys of the files of raw/ that name no partition, recorded as refused.
MISNAMED_KEY = "sans-partition:{name}"


def _record_misnamed(settings, paths, requested: dict[str, str]) -> dict[str, str]:
    """Record the refusal of the files of raw/ that name no partition (place, name, month or
    association: FIC-001 to FIC-003, FIC-016, FIC-017), as `ase-impact run` does: no run can
    be asked for them, and a server where only the daemon runs would never say they came.
    Returns the cursor entries of those recorded; none while a run holds the warehouse."""
    from ase_impact.intake.archive import sha256_of
    from ase_impact.intake.discovery import display_name
    from ase_impact.intake.ingestion import ingest_file
    from ase_impact.warehouse.connection import WarehouseBusy, locked_connection
    from ase_impact.warehouse.schema import ensure_schema

    new = {
        MISNAMED_KEY.format(name=display_name(settings.raw_dir, path)): (path, sha256_of(path))
        for path in paths
    }
    new = {key: found for key, found in new.items() if requested.get(key) != found[1]}
    if not new:
        return {}
    try:
        with locked_connection(settings.warehouse, wait=False) as conn:
            ensure_schema(conn)
            for path, _ in new.values():
                ingest_file(path, settings, conn)
    except WarehouseBusy:
        return {}
    return {key: sha256 for key, (_, sha256) in new.items()}


@dg.sensor(
    job=build_job,
    minimum_interval_seconds=30,
    description=(
        "Toutes les 30 s : dès qu'un fichier a été intégré et qu'aucune intégration n'est en "
        "attente ou en cours, lance une construction (dbt build, contrôle de publication, "
        "sorties) ; un lot de fichiers donne une seule construction."
    ),
)
def build_after_ingestion_sensor(context: dg.SensorEvaluationContext):
    """Request one build once ingestion has produced something new and nothing is pending,
    so that a batch of files dropped together gives one dbt build, not one per file."""
    pending = context.instance.get_run_records(
        dg.RunsFilter(job_name=ingestion_job.name, statuses=IN_FLIGHT), limit=1
    )
    if pending:
        return dg.SkipReason("Des intégrations de fichiers sont en cours : construction différée.")
    latest = context.instance.fetch_materializations(SUBMISSIONS_KEY, limit=1).records
    if not latest:
        return dg.SkipReason("Aucun fichier intégré pour l'instant.")
    storage_id = latest[0].storage_id
    if context.cursor and storage_id <= int(context.cursor):
        return dg.SkipReason("Rien de nouveau depuis la dernière construction.")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"build-after-{storage_id}")], cursor=str(storage_id)
    )
