"""« Toutes les associations attendues ont déposé »: a check on marts/mart_submissions, month
by month, evaluated by each build.

The mart is not partitioned (dbt never is), so the check is evaluated once per build over every
month the mart covers: its description names each incomplete month and its missing
associations, its metadata hold one line per month. Each missing (month, association) is also
recorded as a failed `fichier_accepte` on that partition of quality/submissions, so the missing
file is a red cell of the partition grid, not a grey one like a month nobody expects.
"""

import warnings

import dagster as dg

from ase_impact.core.vocabulary import MISSING, status_label
from orchestration.assets.ingestion import ACCEPTANCE_CHECK, SUBMISSIONS_KEY
from orchestration.partitions import (
    ASSOCIATION,
    month_partitions,
    submission_partition_key,
)
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

SUBMISSIONS_MART_KEY = dg.AssetKey(["marts", "mart_submissions"])
COMPLETENESS_CHECK = "depots_complets"
MONTHS_NAMED = 6


def _association(code: str, name: str | None) -> str:
    return f"{name} (`{code}`)" if name else f"`{code}`"


def completeness_description(months) -> str:
    """One line a reader sees in the check's history: which months miss whom, or none."""
    incomplete = [month for month in months if month.missing]
    if not months:
        return "Aucun mois publié pour l'instant."
    if not incomplete:
        span = months[0].period if len(months) == 1 else f"{months[0].period} à {months[-1].period}"
        return f"Toutes les associations attendues ont déposé ({span})."
    parts = [
        f"{month.period} : " + ", ".join(_association(code, name) for code, name in month.missing)
        for month in incomplete[-MONTHS_NAMED:]
    ]
    earlier = len(incomplete) - MONTHS_NAMED
    more = f" ; et {earlier} mois plus anciens" if earlier > 0 else ""
    return "Fichiers attendus non reçus — " + " ; ".join(parts) + more + "."


def completeness_metadata(months) -> dict[str, dg.MetadataValue]:
    return {
        "mois_incomplets": dg.MetadataValue.text(
            ", ".join(month.period for month in months if month.missing) or "aucun"
        ),
        "associations_manquantes": dg.MetadataValue.int(
            sum(len(month.missing) for month in months)
        ),
        "par_mois": dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {
                        "mois": month.period,
                        "attendues": month.expected,
                        "recues": month.received,
                        "manquantes": ", ".join(
                            f"{name or code} ({code})" for code, name in month.missing
                        ),
                    }
                )
                for month in reversed(months)
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("mois", "string"),
                    dg.TableColumn("attendues", "int"),
                    dg.TableColumn("recues", "int"),
                    dg.TableColumn("manquantes", "string"),
                ]
            ),
        ),
    }


def missing_file_evaluations(months, known_months: set[str]) -> list[dg.AssetCheckEvaluation]:
    """A failed `fichier_accepte` for each expected (month, association) without a file."""
    return [
        dg.AssetCheckEvaluation(
            asset_key=SUBMISSIONS_KEY,
            check_name=ACCEPTANCE_CHECK,
            partition=str(submission_partition_key(month.period, code)),
            passed=False,
            # A warning: a missing file holds back nobody's publication (a refused one is an
            # ERROR, evaluated by the ingestion).
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"Aucun fichier reçu de {name or code} pour {month.period}, alors que le "
                "registre des associations l'attend : relancez l'association."
            ),
            metadata={
                "statut": dg.MetadataValue.text(status_label(MISSING)),
                "motif": dg.MetadataValue.text("Fichier attendu non reçu"),
            },
        )
        for month in months
        if month.period in known_months
        for code, name in month.missing
    ]


@dg.asset_check(
    asset=SUBMISSIONS_MART_KEY,
    name=COMPLETENESS_CHECK,
    # Reads the warehouse: never while another step writes it.
    pool=WAREHOUSE_POOL,
    description=(
        "Toutes les associations attendues ont déposé : pour chaque mois publié, chaque "
        "association que le registre (`dbt_project/seeds/associations.csv`) attend a envoyé un "
        "fichier. En échec, le résultat nomme les associations manquantes mois par mois, et "
        "chacune apparaît en échec dans le contrôle `fichier_accepte` de sa partition "
        "(mois, association). Gravité avertissement : un fichier manquant ne bloque pas la "
        "publication des autres."
    ),
)
def submissions_complete(
    context: dg.AssetCheckExecutionContext, pipeline: PipelineSettings
) -> dg.AssetCheckResult:
    from ase_impact.warehouse import queries
    from ase_impact.warehouse.connection import locked_connection

    settings = pipeline.resolve()
    with locked_connection(settings.warehouse, read_only=True) as conn:
        months = queries.months_completeness(conn)
    known_months = set(month_partitions.get_partition_keys())
    missing_codes = {code for month in months for code, _ in month.missing}
    instance = context.instance
    unknown = sorted(missing_codes - set(instance.get_dynamic_partitions(ASSOCIATION)))
    if unknown:
        # An expected association that never sent a file gets its row in the partition grid.
        instance.add_dynamic_partitions(ASSOCIATION, unknown)
    # Partitioned check evaluations are a Dagster preview: said once here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        for evaluation in missing_file_evaluations(months, known_months):
            context.op_execution_context.log_event(evaluation)
    return dg.AssetCheckResult(
        passed=not any(month.missing for month in months),
        severity=dg.AssetCheckSeverity.WARN,
        description=completeness_description(months),
        metadata=completeness_metadata(months),
    )
