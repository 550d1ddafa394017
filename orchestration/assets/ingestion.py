"""Ingestion assets: one workbook per (month, association) partition → raw and quality tables.

One run ingests a range of partitions (a single-run backfill): Dagster's bookkeeping is paid
once per batch, not once per file. Each partition still gets its own materializations, with
its file's figures, and its own result of the check `fichier_accepte`: a refused file is a
failed check with its French reason, never a failed run (it is a data outcome). A run fails
only when a file could not be ingested for a technical reason.
The quality.submissions materialization also says where the file's time went (seconds per
phase, as the intake timed them, and the feedback workbook's), and how many processes prepared
the batch's files: Dagster shows them per partition and plots them across partitions.
"""

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from ase_impact.contracts.findings import FINDING_COLUMNS, empty_rule_counts
from ase_impact.core import referentiel
from ase_impact.core.vocabulary import MISSING, REJECTED, status_label
from orchestration.partitions import (
    ASSOCIATION,
    MONTH,
    submission_partition_key,
    submission_partitions,
)
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

FIRST_REJECTIONS_SHOWN = 20
TOP_RULES_SHOWN = 5

WORKBOOK_KEY = dg.AssetKey(["reporting", "workbook"])
# The quality table dbt reads. The other three (rejected_rows, row_alerts, file_errors) are
# written alongside it and reported through the contract checks and the feedback workbooks:
# as assets they would only add two events per partition to Dagster's storage.
SUBMISSIONS_KEY = dg.AssetKey(["quality", "submissions"])
ACCEPTANCE_CHECK = "fichier_accepte"
# Metadata of the quality.submissions materialization: seconds of each phase of the file's
# ingestion (ase_impact.intake.ingestion.PHASES), then of its feedback workbook.
PHASE_METADATA_KEYS = {
    "archive": "duree_archivage_s",
    "read": "duree_lecture_s",
    "validate": "duree_validation_s",
    "pseudonymise": "duree_pseudonymisation_s",
    "load": "duree_chargement_s",
}
FEEDBACK_METADATA_KEY = "duree_retour_association_s"
# Worker processes that prepared the batch's files (1: prepared by the writer itself).
WORKERS_METADATA_KEY = "processus_de_preparation"

workbook = dg.AssetSpec(
    WORKBOOK_KEY,
    description=(
        "Tableau de pilotage mensuel d'une association, déposé sous `raw/AAAA-MM/code.xlsx` "
        "(le mois de la période, le code de l'association dans le registre "
        "`dbt_project/seeds/associations.csv`). Une partition par mois et association."
    ),
    partitions_def=submission_partitions,
    group_name="ingestion",
)


# The view ingestion creates over quality.submissions (ase_impact/warehouse/schema.py), a dbt
# source: declared here so that the UI describes it.
latest_submissions = dg.AssetSpec(
    dg.AssetKey(["quality", "latest_submissions"]),
    description=(
        "Vue sur quality.submissions : pour chaque mois et association, la dernière version "
        "reçue (quel que soit son statut) et la version en vigueur (la dernière acceptée). "
        "Suit quality.submissions, sans run propre."
    ),
    deps=[SUBMISSIONS_KEY],
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
            # Materialized per partition by the asset itself (see ingest_workbook).
            skippable=True,
        )
        for sheet in _read_sheets()
    ]
    submissions_spec = dg.AssetSpec(
        SUBMISSIONS_KEY,
        description=(
            "Table quality.submissions : une ligne par version du fichier de chaque partition. "
            "Les lignes rejetées, les alertes et les fichiers refusés sont dans "
            "quality.rejected_rows, quality.row_alerts et quality.file_errors."
        ),
        deps=[WORKBOOK_KEY],
        group_name="ingestion",
        skippable=True,
    )
    return [*raw_specs, submissions_spec]


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            contract_check_name(sheet),
            asset=raw_table_key(sheet),
            description=(
                f"Contrat pandera de l'onglet « {sheet.name_fr} » (règles du référentiel), sur "
                "les fichiers intégrés par un run. Chaque résultat nomme son ou ses mois et ses "
                "fichiers, compte les lignes reçues, acceptées, rejetées et en alerte, et montre "
                "les règles les plus enfreintes et les premières anomalies (fichier, ligne, "
                "colonne, règle, message). Gravité avertissement : une ligne rejetée n'empêche "
                "pas l'intégration des autres."
            ),
        )
        for sheet in _read_sheets()
    ]


def contract_check_metadata(
    findings: pd.DataFrame, counts: tuple[int, int, int, int], rule_counts: pd.DataFrame
) -> dict:
    """Metadata of one sheet's contract check over a batch: counts, top rules, first rejections.

    findings (the ones listed, capped per file and rule) hold no PII: values of PII columns are
    masked before they get here. rule_counts (RULE_COUNT_COLUMNS) count every finding.
    """
    received, accepted, rejected, alerts = counts
    by_rule = Counter()
    for code, number in zip(rule_counts["rule_code"], rule_counts["findings"], strict=True):
        by_rule[code] += int(number)
    top_rules = by_rule.most_common(TOP_RULES_SHOWN)
    unlisted = int(rule_counts["findings"].sum() - rule_counts["findings_listed"].sum())
    first = findings.sort_values(["file_name", "excel_row", "rule_code"]).head(
        FIRST_REJECTIONS_SHOWN
    )
    columns = ("fichier", "ligne", "binome", "colonne", "valeur", "regle", "gravite", "message")
    return {
        "lignes_recues": dg.MetadataValue.int(received),
        "lignes_acceptees": dg.MetadataValue.int(accepted),
        "lignes_rejetees": dg.MetadataValue.int(rejected),
        "lignes_en_alerte": dg.MetadataValue.int(alerts),
        "anomalies_non_listees": dg.MetadataValue.int(unlisted),
        "regles_les_plus_enfreintes": dg.MetadataValue.md(
            "\n".join(f"- `{code}` : {count}" for code, count in top_rules) or "Aucune"
        ),
        "premieres_anomalies": dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {
                        "fichier": str(row.file_name),
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
                    dg.TableColumn(name, "int" if name == "ligne" else "string") for name in columns
                ]
            ),
        ),
    }


@dataclass
class _Batch:
    """What a run's partitions gave: reports of loaded files, and crashes."""

    loaded: list = field(default_factory=list)
    # "2026-10/cap-avenir : message" for each partition that could not be ingested.
    crashed: list[str] = field(default_factory=list)


def _submission_metadata(report, feedback) -> dict[str, dg.MetadataValue]:
    """What the partition page and the acceptance check show of a file: its status and, in
    French, why (the refusal's reason, or the rows rejected)."""
    return {
        "fichier": dg.MetadataValue.text(report.file_name),
        "statut": dg.MetadataValue.text(status_label(report.status)),
        "motif": dg.MetadataValue.text(report.message_fr or ""),
        "version": dg.MetadataValue.int(report.version),
        "sha256": dg.MetadataValue.text(report.sha256),
        "retour_association": dg.MetadataValue.path(str(feedback)),
    }


def submission_description(status: str, message_fr: str | None) -> str:
    """The line a partition's materialization and acceptance check open with."""
    label = status_label(status)
    if status == REJECTED:
        return f"Fichier refusé : {message_fr}" if message_fr else label
    return f"{label} : {message_fr}" if message_fr else label


def _timings_metadata(report, feedback_seconds: float, workers: int) -> dict:
    """Where the file's time went, and how many processes prepared the batch."""
    seconds = {
        key: report.seconds_by_phase[phase]
        for phase, key in PHASE_METADATA_KEYS.items()
        if phase in report.seconds_by_phase
    } | {FEEDBACK_METADATA_KEY: feedback_seconds}
    return {key: dg.MetadataValue.float(round(value, 4)) for key, value in seconds.items()} | {
        WORKERS_METADATA_KEY: dg.MetadataValue.int(workers)
    }


def _partition_events(report, feedback, timings: dict) -> list[dg.AssetMaterialization]:
    """One materialization per asset the file changed, with its figures.

    A refused file changes quality.submissions only: the raw tables keep the version in force.
    timings (_timings_metadata) go on the quality.submissions materialization only.
    """
    partition = str(submission_partition_key(report.period, report.association_code))
    common = _submission_metadata(report, feedback)
    submission = dg.AssetMaterialization(
        asset_key=SUBMISSIONS_KEY,
        partition=partition,
        description=submission_description(report.status, report.message_fr),
        metadata=common | timings,
    )
    if report.status == REJECTED:
        return [submission]
    events = []
    for sheet in _read_sheets():
        received, accepted, rejected, alerts = report.sheet_counts[sheet.sheet_code]
        metadata = {
            **common,
            "dagster/row_count": dg.MetadataValue.int(accepted),
            "lignes_recues": dg.MetadataValue.int(received),
            "lignes_rejetees": dg.MetadataValue.int(rejected),
            "lignes_en_alerte": dg.MetadataValue.int(alerts),
        }
        events.append(
            dg.AssetMaterialization(
                asset_key=raw_table_key(sheet), partition=partition, metadata=metadata
            )
        )
    return [*events, submission]


def acceptance_evaluation(report, feedback, instance: dg.DagsterInstance):
    """The partition's `fichier_accepte`, pointing at the quality/submissions materialization
    just logged: the UI counts a partition's check result only when it targets the
    partition's latest materialization (otherwise the partition shows as never checked)."""
    partition = str(submission_partition_key(report.period, report.association_code))
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SUBMISSIONS_KEY, asset_partitions=[partition]), limit=1
    ).records
    return dg.AssetCheckEvaluation(
        asset_key=SUBMISSIONS_KEY,
        check_name=ACCEPTANCE_CHECK,
        partition=partition,
        target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        ),
        **acceptance_outcome(
            report.status, report.message_fr, _submission_metadata(report, feedback)
        ),
    )


def acceptance_outcome(status: str, message_fr: str | None, metadata: dict) -> dict:
    """A file's acceptance as a partition check: refused is a failed check of severity ERROR,
    with the French reason; the run itself succeeds (a refused file is a data outcome)."""
    return {
        "passed": status != REJECTED,
        "severity": dg.AssetCheckSeverity.ERROR,
        "description": submission_description(status, message_fr),
        "metadata": metadata,
    }


def _file_accepted(context: dg.AssetCheckExecutionContext, pipeline: PipelineSettings):
    from ase_impact.publish.feedback import feedback_path
    from ase_impact.warehouse import queries
    from ase_impact.warehouse.connection import locked_connection

    keys = submission_partitions.get_partition_key_from_str(context.partition_key)
    period, code = keys.keys_by_dimension[MONTH], keys.keys_by_dimension[ASSOCIATION]
    settings = pipeline.resolve()
    with locked_connection(settings.warehouse, read_only=True) as conn:
        submission = queries.latest_submission(conn, period, code)
    if submission is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"Aucun fichier reçu de `{code}` pour {period}.",
            metadata={"statut": dg.MetadataValue.text(status_label(MISSING))},
        )
    feedback = feedback_path(settings.outputs_dir, period, code)
    return dg.AssetCheckResult(
        **acceptance_outcome(
            submission.status, submission.message_fr, _submission_metadata(submission, feedback)
        )
    )


# Partitioned asset checks are a Dagster preview: said once here, not at every import.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)
    file_accepted = dg.asset_check(
        asset=SUBMISSIONS_KEY,
        name=ACCEPTANCE_CHECK,
        partitions_def=submission_partitions,
        description=(
            "Le dernier fichier déposé pour ce mois et cette association est accepté (lisible, "
            "onglets et colonnes attendus, identité conforme). Un fichier refusé est un échec de "
            "gravité erreur, avec son motif en français ; il laisse en vigueur la version "
            "acceptée précédente et le run d'intégration réussit (c'est un résultat, pas une "
            "panne). Un fichier attendu par le registre mais non reçu est un échec de gravité "
            "avertissement, inscrit par chaque construction (contrôle `depots_complets`). Évalué "
            "à chaque intégration ; relancé seul, il relit l'entrepôt."
        ),
    )(_file_accepted)


FILES_NAMED = 8


def batch_label(reports: list) -> str:
    """ "2026-10 · 6 fichiers (boussole-ase, cap-avenir, …)": the months and files of a batch."""
    if not reports:
        return "aucun fichier intégré dans ce lot"
    months = ", ".join(sorted({report.period for report in reports}))
    several = len({report.period for report in reports}) > 1
    names = sorted(
        f"{report.period}/{report.association_code}" if several else report.association_code
        for report in reports
    )
    shown = ", ".join(names[:FILES_NAMED]) + (
        f", … (+{len(names) - FILES_NAMED})" if len(names) > FILES_NAMED else ""
    )
    files = "1 fichier" if len(reports) == 1 else f"{len(reports)} fichiers"
    return f"{months} · {files} ({shown})"


def contract_check_description(reports: list, totals: tuple, findings: pd.DataFrame) -> str:
    """The line of the check's history: months, files, rows rejected and the rules broken."""
    received, _, rejected, alerts = totals
    parts = [batch_label(reports)]
    if reports:
        parts.append(
            f"{rejected} ligne(s) rejetée(s) sur {received} reçue(s)"
            + (f", {alerts} en alerte" if alerts else "")
        )
    top_rules = Counter(findings["rule_code"]).most_common(3)
    if top_rules:
        parts.append(", ".join(f"`{code}` ×{count}" for code, count in top_rules))
    return " · ".join(parts)


def files_table(reports: list, sheet: referentiel.SheetSpec) -> dg.MetadataValue:
    """One line per file of the batch: its month, association and this sheet's counts."""
    columns = ("mois", "association", "fichier", "recues", "acceptees", "rejetees", "en_alerte")
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                dict(
                    zip(
                        columns,
                        (
                            report.period,
                            report.association_code,
                            report.file_name,
                            *map(int, report.sheet_counts[sheet.sheet_code]),
                        ),
                        strict=True,
                    )
                )
            )
            for report in sorted(reports, key=lambda r: (r.period, r.association_code))
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(name, "string" if index < 3 else "int")
                for index, name in enumerate(columns)
            ]
        ),
    )


def _check_results(loaded: list) -> list[dg.AssetCheckResult]:
    """Each sheet's contract over the batch's loaded files (WARN: rejected rows are reported).

    One result per sheet and run, not per partition: a run covers a month's files (or a range
    of months), and each result names them, in its description and its metadata. A result per
    partition would add one event per sheet and file to Dagster's storage (about 10 ms each,
    docs/performance.md), 50 ms per file.
    """
    results = []
    for sheet in _read_sheets():
        counts = [report.sheet_counts[sheet.sheet_code] for report in loaded]
        totals = tuple(sum(column) for column in zip(*counts, strict=True)) or (0, 0, 0, 0)
        findings = [
            report.findings[report.findings["sheet"] == sheet.name_fr].assign(
                file_name=report.file_name
            )
            for report in loaded
        ]
        findings = pd.concat(findings, ignore_index=True) if findings else _no_findings()
        rule_counts = [
            report.rule_counts[report.rule_counts["sheet"] == sheet.name_fr] for report in loaded
        ]
        rule_counts = (
            pd.concat(rule_counts, ignore_index=True) if rule_counts else empty_rule_counts()
        )
        results.append(
            dg.AssetCheckResult(
                asset_key=raw_table_key(sheet),
                check_name=contract_check_name(sheet),
                passed=totals[2] == 0,
                severity=dg.AssetCheckSeverity.WARN,
                description=contract_check_description(loaded, totals, findings),
                metadata={
                    "mois": dg.MetadataValue.text(
                        ", ".join(sorted({report.period for report in loaded}))
                    ),
                    "fichiers": dg.MetadataValue.int(len(loaded)),
                    **contract_check_metadata(findings, totals, rule_counts),
                    "par_fichier": files_table(loaded, sheet),
                },
            )
        )
    return results


def _no_findings() -> pd.DataFrame:
    return pd.DataFrame(columns=[*FINDING_COLUMNS, "file_name"])


def _ingest_batch(context: dg.AssetExecutionContext, settings) -> _Batch:
    """Ingest every partition of the run on one warehouse connection; one failure stops none."""
    # Imported here: the reading stack is heavy and only needed when a partition runs.
    from ase_impact.intake.ingestion import NoFileReceived, ingest_partitions, preparing_workers
    from ase_impact.publish.feedback import write_feedback_workbook
    from ase_impact.warehouse.connection import locked_connection
    from ase_impact.warehouse.schema import ensure_schema

    partitions = [
        (keys[MONTH], keys[ASSOCIATION])
        for keys in (
            submission_partitions.get_partition_key_from_str(key).keys_by_dimension
            for key in context.partition_keys
        )
    ]
    batch = _Batch()
    with locked_connection(settings.warehouse) as conn:
        ensure_schema(conn)
        workers = preparing_workers(len(partitions))
        # Storage failures stop the batch (raised); any other error fails its partition only.
        for (period, code), outcome in ingest_partitions(conn, settings, partitions, workers):
            if isinstance(outcome, NoFileReceived):
                # Nothing to load (a month selected whole in the UI): not a failure.
                context.log.warning(f"Rien à intégrer pour {period}/{code} : {outcome}")
                continue
            if isinstance(outcome, Exception):
                context.log.error(f"Échec technique pour {period}/{code}", exc_info=outcome)
                batch.crashed.append(f"{period}/{code} : {type(outcome).__name__}: {outcome}")
                continue
            start = time.perf_counter()
            feedback = write_feedback_workbook(conn, period, code, settings.outputs_dir)
            feedback_seconds = time.perf_counter() - start
            if outcome.status != REJECTED:
                batch.loaded.append(outcome)
            timings = _timings_metadata(outcome, feedback_seconds, workers)
            for event in _partition_events(outcome, feedback, timings):
                context.log_event(event)
            context.log_event(acceptance_evaluation(outcome, feedback, context.instance))
    return batch


@dg.multi_asset(
    name="ingest_workbook",
    specs=_specs(),
    check_specs=_check_specs(),
    partitions_def=submission_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    description=(
        "Lit les classeurs des associations pour les partitions du run (une par mois et "
        "association), applique les contrats, pseudonymise les jeunes et remplace chaque "
        "partition dans les tables raw et quality."
    ),
)
def ingest_workbook(context: dg.AssetExecutionContext, pipeline: PipelineSettings):
    batch = _ingest_batch(context, pipeline.resolve())
    yield from _check_results(batch.loaded)
    if batch.crashed:
        # A technical failure, not a data outcome: the step fails, naming what was not loaded.
        raise dg.Failure(
            description=(
                f"{len(batch.crashed)} fichier(s) non intégré(s) (erreur technique, les autres "
                "fichiers du lot sont intégrés) : " + " ; ".join(batch.crashed)
            ),
            allow_retries=False,
        )
