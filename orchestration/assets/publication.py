"""What leaves the warehouse after a build: the read-only snapshot analysts open."""

import dagster as dg

from ase_impact.warehouse.connection import label as warehouse_label
from orchestration.assets.transformations import ase_impact_dbt_models
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

MART_KEYS = [key for key in ase_impact_dbt_models.keys if key.path[0] == "marts"]
# dbt's reporting models: what the consolidated workbooks show, shaped from the marts.
REPORT_KEYS = [key for key in ase_impact_dbt_models.keys if key.path[0] == "reporting"]


@dg.asset(
    key=["outputs", "published_snapshot"],
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,
    group_name="outputs",
    description=(
        "Copie en lecture seule des schémas marts et quality "
        "(`warehouse/ase_impact_published.duckdb`), remplacée d'un bloc après chaque "
        "construction : celle que les analystes interrogent."
    ),
)
def published_snapshot(pipeline: PipelineSettings) -> dg.MaterializeResult:
    from ase_impact.publish.snapshot import SnapshotError, publish_snapshot

    settings = pipeline.resolve()
    try:
        counts = publish_snapshot(settings.warehouse, settings.published_warehouse)
    except SnapshotError as error:
        raise dg.Failure(description=error.message_fr, allow_retries=False) from error
    return dg.MaterializeResult(
        metadata={
            "fichier": dg.MetadataValue.path(warehouse_label(settings.published_warehouse)),
            "tables": dg.MetadataValue.int(len(counts)),
            "lignes_fct_indicators": dg.MetadataValue.int(counts.get("marts.fct_indicators", 0)),
        }
    )


# The months whose workbooks a build wrote, and those it left unchanged (comma-separated).
WRITTEN_MONTHS_METADATA = "mois"
UNCHANGED_MONTHS_METADATA = "mois_inchanges"


@dg.asset(
    key=["outputs", "consolidated_workbooks"],
    deps=[*MART_KEYS, *REPORT_KEYS],
    pool=WAREHOUSE_POOL,
    group_name="outputs",
    description=(
        "Tableau de pilotage consolidé de chaque mois (`outputs/AAAA-MM/`) et sa version de "
        "diffusion, où les valeurs sous le seuil de diffusion sont masquées. Seuls les mois "
        "dont les données ont changé depuis leur dernière écriture sont réécrits. Un mois "
        "approuvé (`ase-impact approve`) garde ses classeurs approuvés (`outputs/AAAA-MM/vN/`) ; "
        "une révision en attente d'approbation est écrite dans la version suivante. Écrit "
        "aussi les classeurs de retour qu'un run interrompu n'avait pas écrits."
    ),
)
def consolidated_workbooks(pipeline: PipelineSettings) -> dg.MaterializeResult:
    from ase_impact.publish.consolidated import write_changed_months
    from ase_impact.publish.feedback import write_missing_feedback
    from ase_impact.warehouse.connection import locked_connection

    settings = pipeline.resolve()
    with locked_connection(settings.warehouse, read_only=True) as conn:
        feedback = write_missing_feedback(conn, settings.outputs_dir)
        written, unchanged = write_changed_months(conn, settings.outputs_dir, settings.min_cell)
    return dg.MaterializeResult(
        metadata={
            # Feedback workbooks an interrupted run had left unwritten, written now.
            "retours_rattrapes": dg.MetadataValue.text(
                ", ".join(path.relative_to(settings.outputs_dir).as_posix() for path in feedback)
            ),
            # AAAA-MM, or AAAA-MM/v<n> for a version of an approved month.
            WRITTEN_MONTHS_METADATA: dg.MetadataValue.text(
                ", ".join(
                    path.parent.relative_to(settings.outputs_dir).as_posix() for path, _ in written
                )
            ),
            UNCHANGED_MONTHS_METADATA: dg.MetadataValue.text(", ".join(unchanged)),
            "dernier_classeur": dg.MetadataValue.path(str(written[-1][0]) if written else ""),
            "derniere_diffusion": dg.MetadataValue.path(str(written[-1][1]) if written else ""),
        }
    )
