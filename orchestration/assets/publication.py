"""What leaves the warehouse after a build: the read-only snapshot analysts open."""

import dagster as dg

from orchestration.assets.transformations import ase_impact_dbt_models
from orchestration.resources import PipelineSettings

MART_KEYS = [key for key in ase_impact_dbt_models.keys if key.path[0] == "marts"]


@dg.asset(
    key=["outputs", "published_snapshot"],
    deps=MART_KEYS,
    pool="duckdb",
    group_name="outputs",
    description=(
        "Copie en lecture seule des schémas marts et quality "
        "(warehouse/ase_impact_published.duckdb), remplacée d'un bloc après chaque construction."
    ),
)
def published_snapshot(pipeline: PipelineSettings) -> dg.MaterializeResult:
    from orchestration.snapshot import publish_snapshot

    settings = pipeline.resolve()
    counts = publish_snapshot(settings.warehouse, settings.published_warehouse)
    return dg.MaterializeResult(
        metadata={
            "fichier": dg.MetadataValue.path(str(settings.published_warehouse)),
            "tables": dg.MetadataValue.int(len(counts)),
            "lignes_fct_indicators": dg.MetadataValue.int(counts.get("marts.fct_indicators", 0)),
        }
    )
