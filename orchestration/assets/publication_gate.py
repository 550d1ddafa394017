"""The publication gate as Dagster asset checks: one check per suite, on the mart it validates.

range and completeness suites are blocking ERROR checks (a failure stops the outputs of the
run); the volume suite is a WARN check. The metadata carries the failing expectations and the
path of the suite's Data Docs page.

One association's problem stays with it: when a blocking suite fails and its failing rows
trace back to association-months (ase_impact/gate/quarantine.py), those files are put in
quarantine (their previous accepted version back in force, ase_impact/intake/quarantine.py),
their associations' feedback says why, and the check records a new state of
quality.submissions: the build sensor (or `ase-impact run`) builds again, and everything else
is published. The metadata of every check names the files in quarantine.
"""

import dagster as dg
import pandas as pd

from ase_impact.gate.run import GateResult, SuiteResult, run_publication_gate
from ase_impact.gate.suites import SUITES
from orchestration.assets.ingestion import SUBMISSIONS_KEY
from orchestration.resources import WAREHOUSE_POOL, PipelineSettings

CHECK_SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}
FAILURE_COLUMNS = (
    "Attente",
    "Colonne",
    "Paramètres",
    "Non conformes",
    "Valeur observée",
    "Exemples",
    "Lignes",
)


def gate_check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            suite.name,
            asset=dg.AssetKey(list(suite.asset_key)),
            description=suite.description_fr,
            blocking=suite.severity == "ERROR",
        )
        for suite in SUITES
    ]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def failing_expectations_markdown(suite: SuiteResult) -> str:
    """The failed expectations of a suite as a Markdown table, or a sentence when none failed."""
    if not suite.failing:
        return "Toutes les attentes sont satisfaites."
    lines = [
        "| " + " | ".join(FAILURE_COLUMNS) + " |",
        "|" + "---|" * len(FAILURE_COLUMNS),
    ]
    for failure in suite.failing:
        cells = (
            f"{failure.description_fr} (`{failure.expectation_type}`)",
            failure.column or "",
            failure.arguments,
            "" if failure.unexpected_count is None else failure.unexpected_count,
            failure.error or failure.observed_value or "",
            " ; ".join(failure.examples),
            " ; ".join(failure.rows),
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def quarantine_markdown(quarantined) -> str:
    """The files in quarantine (a frame of queries.quarantined_files) as a Markdown table."""
    if quarantined is None or quarantined.empty:
        return "Aucun fichier en quarantaine."
    lines = [
        "| Mois | Association | Version écartée | Version en vigueur | Motif |",
        "|---|---|---|---|---|",
    ]
    for row in quarantined.itertuples():
        in_force = "aucune" if pd.isna(row.version_in_force) else int(row.version_in_force)
        cells = (row.period, row.association_code, row.version, in_force, row.reason_fr)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


# A range suite's periods validated, and left as a passed gate validated them (gate/windows.py).
VALIDATED_PERIODS_METADATA = "periodes_validees"
UNCHANGED_PERIODS_METADATA = "periodes_inchangees_deja_validees"


def gate_check_metadata(
    suite: SuiteResult, gate: GateResult, quarantined=None
) -> dict[str, dg.MetadataValue]:
    windows = (
        {
            VALIDATED_PERIODS_METADATA: dg.MetadataValue.int(suite.windows.revalidated),
            UNCHANGED_PERIODS_METADATA: dg.MetadataValue.int(len(suite.windows.kept)),
        }
        if suite.windows is not None
        else {}
    )
    return {
        "attentes_evaluees": dg.MetadataValue.int(suite.expectations_evaluated),
        "attentes_en_echec": dg.MetadataValue.int(len(suite.failing)),
        "lignes_validees": dg.MetadataValue.int(suite.rows_validated),
        **windows,
        "attentes_non_satisfaites": dg.MetadataValue.md(failing_expectations_markdown(suite)),
        "data_docs": dg.MetadataValue.path(suite.data_docs_path),
        "data_docs_index": dg.MetadataValue.path(gate.data_docs_index),
        "duree_porte_secondes": dg.MetadataValue.float(round(sum(gate.seconds.values()), 2)),
        "fichiers_en_quarantaine": dg.MetadataValue.md(quarantine_markdown(quarantined)),
    }


def gate_check_results(gate: GateResult, quarantined=None) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(list(suite.asset_key)),
            check_name=suite.name,
            passed=suite.passed,
            severity=CHECK_SEVERITY[suite.severity],
            metadata=gate_check_metadata(suite, gate, quarantined),
        )
        for suite in gate.suites
    ]


def quarantine_failures(context, settings, gate: GateResult) -> list:
    """Quarantine the association-months a blocking failure traces back to, rewrite their
    feedback, and record the new state of quality.submissions (so a build follows)."""
    from ase_impact.gate.quarantine import trace_failures
    from ase_impact.intake.quarantine import quarantine_partitions
    from ase_impact.publish.feedback import write_feedback_workbook
    from ase_impact.warehouse.connection import locked_connection

    trace = trace_failures(gate)
    if trace.entries is None:
        context.log.warning(
            "Échec du contrôle de publication non rattachable à un fichier : publication "
            "bloquée. " + " ; ".join(trace.untraced)
        )
        return []
    with locked_connection(settings.warehouse) as conn:
        done = quarantine_partitions(conn, settings, trace.entries)
        for quarantined in done:
            write_feedback_workbook(
                conn, quarantined.period, quarantined.association_code, settings.outputs_dir
            )
    if done:
        context.op_execution_context.log_event(
            dg.AssetMaterialization(
                asset_key=SUBMISSIONS_KEY,
                description="Fichiers mis en quarantaine par le contrôle de publication.",
                metadata={
                    "quarantaine": dg.MetadataValue.md(
                        "\n".join(
                            f"- {q.period}/{q.association_code} (version {q.version}) : "
                            f"{q.reason_fr}"
                            for q in done
                        )
                    )
                },
            )
        )
    return done


@dg.multi_asset_check(
    name="publication_gate",
    specs=gate_check_specs(),
    # Reads the warehouse: never while another step writes it.
    pool=WAREHOUSE_POOL,
    description=(
        "Porte de publication (great-expectations) sur les marts : plages, complétude des "
        "soumissions, variations de volume. Rapport Data Docs dans reports/quality/."
    ),
)
def publication_gate(context: dg.AssetCheckExecutionContext, pipeline: PipelineSettings):
    from ase_impact.gate.run import gate_blocks_outputs
    from ase_impact.warehouse import queries
    from ase_impact.warehouse.connection import locked_connection

    settings = pipeline.resolve()
    # run_publication_gate imports great-expectations itself, only now.
    gate = run_publication_gate(settings.warehouse, settings.reports_dir)
    if gate_blocks_outputs(gate):
        quarantine_failures(context, settings, gate)
    with locked_connection(settings.warehouse, read_only=True) as conn:
        quarantined = queries.quarantined_files(conn)
    yield from gate_check_results(gate, quarantined)
