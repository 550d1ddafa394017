"""Ingestion assets: one workbook per (month, association) partition → raw and quality tables."""

from collections import Counter

import dagster as dg
import pandas as pd

from orchestration import referentiel
from orchestration.partitions import ASSOCIATION, MONTH, submission_partitions
from orchestration.resources import PipelineSettings

FIRST_REJECTIONS_SHOWN = 20
TOP_RULES_SHOWN = 5

WORKBOOK_KEY = dg.AssetKey(["reporting", "workbook"])
QUALITY_TABLES = ("submissions", "rejected_rows", "row_alerts", "file_errors")

workbook = dg.AssetSpec(
    WORKBOOK_KEY,
    description="Tableau de pilotage déposé par l'association dans raw/<AAAA-MM>/<code>.xlsx.",
    partitions_def=submission_partitions,
    group_name="ingestion",
)


def _read_sheets() -> tuple[referentiel.SheetSpec, ...]:
    return tuple(spec for spec in referentiel.sheets() if spec.raw_table)


def raw_table_key(sheet: referentiel.SheetSpec) -> dg.AssetKey:
    return dg.AssetKey(["raw", sheet.raw_table])


def contract_check_name(sheet: referentiel.SheetSpec) -> str:
    return f"contrat_{sheet.sheet_code}"


def _specs() -> list[dg.AssetSpec]:
    raw_specs = [
        dg.AssetSpec(
            raw_table_key(sheet),
            description=f"Lignes acceptées de l'onglet « {sheet.name_fr} » (pseudonymisées).",
            deps=[WORKBOOK_KEY],
            group_name="ingestion",
        )
        for sheet in _read_sheets()
    ]
    quality_specs = [
        dg.AssetSpec(
            dg.AssetKey(["quality", table]),
            description=f"Table de qualité quality.{table}.",
            deps=[WORKBOOK_KEY],
            group_name="ingestion",
        )
        for table in QUALITY_TABLES
    ]
    return raw_specs + quality_specs


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            contract_check_name(sheet),
            asset=raw_table_key(sheet),
            description=f"Contrat pandera de l'onglet « {sheet.name_fr} » (règles du référentiel).",
        )
        for sheet in _read_sheets()
    ]


def contract_check_metadata(findings: pd.DataFrame, counts: tuple[int, int, int, int]) -> dict:
    """Metadata of one sheet's contract check: counts, top broken rules, first rejections.

    findings hold no PII: values of PII columns are masked before they get here.
    """
    received, accepted, rejected, alerts = counts
    top_rules = Counter(findings["rule_code"]).most_common(TOP_RULES_SHOWN)
    first = findings.sort_values(["excel_row", "rule_code"]).head(FIRST_REJECTIONS_SHOWN)
    return {
        "lignes_recues": dg.MetadataValue.int(received),
        "lignes_acceptees": dg.MetadataValue.int(accepted),
        "lignes_rejetees": dg.MetadataValue.int(rejected),
        "lignes_en_alerte": dg.MetadataValue.int(alerts),
        "regles_les_plus_enfreintes": dg.MetadataValue.md(
            "\n".join(f"- `{code}` : {count}" for code, count in top_rules) or "Aucune"
        ),
        "premieres_anomalies": dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {
                        "ligne": int(row.excel_row),
                        "binome": str(row.pair_id or ""),
                        "colonne": str(row.column_header or ""),
                        "valeur": str(row.value_received or ""),
                        "regle": str(row.rule_code),
                        "gravite": str(row.severity),
                        "message": str(row.message_fr),
                    }
                )
                for row in first.itertuples()
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("ligne", "int"),
                    dg.TableColumn("binome", "string"),
                    dg.TableColumn("colonne", "string"),
                    dg.TableColumn("valeur", "string"),
                    dg.TableColumn("regle", "string"),
                    dg.TableColumn("gravite", "string"),
                    dg.TableColumn("message", "string"),
                ]
            ),
        ),
    }


@dg.multi_asset(
    name="ingest_workbook",
    specs=_specs(),
    check_specs=_check_specs(),
    partitions_def=submission_partitions,
    pool="duckdb",
    description=(
        "Lit le classeur d'une association pour un mois, applique les contrats, pseudonymise "
        "les jeunes et remplace la partition dans les tables raw et quality."
    ),
)
def ingest_workbook(context: dg.AssetExecutionContext, pipeline: PipelineSettings):
    # Imported here: the reading stack is heavy and only needed when a partition runs.
    from orchestration.ingest import warehouse
    from orchestration.ingest.pipeline import ingest_partition
    from orchestration.outputs.feedback import write_feedback_workbook

    keys = context.partition_key.keys_by_dimension
    period, association_code = keys[MONTH], keys[ASSOCIATION]
    settings = pipeline.resolve()
    report = ingest_partition(settings, period=period, association_code=association_code)
    with warehouse.locked_connection(settings.warehouse, read_only=True) as conn:
        feedback = write_feedback_workbook(conn, period, association_code, settings.outputs_dir)
    if report.status == "rejected":
        raise dg.Failure(
            description=report.message_fr,
            metadata={
                "fichier": report.file_name,
                "sha256": report.sha256 or "",
                "retour_association": dg.MetadataValue.path(str(feedback)),
            },
            allow_retries=False,
        )
    common = {
        "fichier": dg.MetadataValue.text(report.file_name),
        "sha256": dg.MetadataValue.text(report.sha256),
        "version": dg.MetadataValue.int(report.version),
        "statut": dg.MetadataValue.text(report.status),
    }
    for sheet in _read_sheets():
        counts = report.sheet_counts[sheet.sheet_code]
        yield dg.MaterializeResult(
            asset_key=raw_table_key(sheet),
            metadata={**common, "dagster/row_count": dg.MetadataValue.int(counts[1])},
        )
    for table in QUALITY_TABLES:
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["quality", table]), metadata=common)
    for sheet in _read_sheets():
        sheet_findings = report.findings[report.findings["sheet"] == sheet.name_fr]
        counts = report.sheet_counts[sheet.sheet_code]
        yield dg.AssetCheckResult(
            asset_key=raw_table_key(sheet),
            check_name=contract_check_name(sheet),
            passed=counts[2] == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                **contract_check_metadata(sheet_findings, counts),
                "retour_association": dg.MetadataValue.path(str(feedback)),
            },
        )
