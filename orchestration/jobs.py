"""The two jobs: ingest a range of (month, association) partitions; build downstream once."""

import dagster as dg

from ase_impact.core.settings import load_settings
from orchestration.assets.ingestion import file_accepted, ingest_workbook
from orchestration.partitions import submission_partitions

INGESTION_JOB = "ingestion_job"
BUILD_JOB = "build_job"

ingestion_job = dg.define_asset_job(
    INGESTION_JOB,
    # The acceptance check is evaluated by the ingestion itself, per partition of the run.
    selection=dg.AssetSelection.assets(ingest_workbook) - dg.AssetSelection.checks(file_accepted),
    partitions_def=submission_partitions,
    description=(
        "Intègre les classeurs d'une plage de partitions (mois × associations) en un seul run ; "
        "un fichier refusé fait échouer le contrôle « fichier_accepte » de sa partition, avec "
        "son motif, et les autres sont intégrés."
    ),
)

# Everything that is not ingestion: dbt models and tests, the publication gate, the outputs.
build_job = dg.define_asset_job(
    BUILD_JOB,
    selection=(
        dg.AssetSelection.all().materializable()
        - dg.AssetSelection.assets(ingest_workbook)
        - dg.AssetSelection.checks(file_accepted)
    ),
    description=(
        "Construit les marts (dbt build), applique le contrôle de publication et écrit les "
        "sorties : une seule fois par lot de fichiers, jamais une fois par fichier."
    ),
)


def pipeline_run_config(raw_dir, warehouse) -> dict:
    """Run config pointing a job at other folders than the defaults (CLI options, tests).

    A warehouse the environment names already is left to it: Dagster keeps every run's
    config, and a PostgreSQL URL may carry a password."""
    from_environment = str(warehouse) == str(load_settings().warehouse)
    config = {"raw_dir": str(raw_dir), "warehouse": "" if from_environment else str(warehouse)}
    return {"resources": {"pipeline": {"config": config}}}
