"""The publication gate as Dagster asset checks: one check per suite, on the mart it validates.

range and completeness suites are blocking ERROR checks (a failure stops the outputs of the
run); the volume suite is a WARN check. The metadata carries the failing expectations and the
path of the suite's Data Docs page.
"""

import dagster as dg

from ase_impact.gate.run import GateResult, SuiteResult, run_publication_gate
from ase_impact.gate.suites import SUITES
from orchestration.resources import PipelineSettings

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


def gate_check_metadata(suite: SuiteResult, gate: GateResult) -> dict[str, dg.MetadataValue]:
    return {
        "attentes_evaluees": dg.MetadataValue.int(suite.expectations_evaluated),
        "attentes_en_echec": dg.MetadataValue.int(len(suite.failing)),
        "lignes_validees": dg.MetadataValue.int(suite.rows_validated),
        "attentes_non_satisfaites": dg.MetadataValue.md(failing_expectations_markdown(suite)),
        "data_docs": dg.MetadataValue.path(suite.data_docs_path),
        "data_docs_index": dg.MetadataValue.path(gate.data_docs_index),
        "duree_porte_secondes": dg.MetadataValue.float(round(sum(gate.seconds.values()), 2)),
    }


def gate_check_results(gate: GateResult) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(list(suite.asset_key)),
            check_name=suite.name,
            passed=suite.passed,
            severity=CHECK_SEVERITY[suite.severity],
            metadata=gate_check_metadata(suite, gate),
        )
        for suite in gate.suites
    ]


@dg.multi_asset_check(
    name="publication_gate",
    specs=gate_check_specs(),
    # Reads the warehouse: never while another step writes it.
    pool="duckdb",
    description=(
        "Porte de publication (great-expectations) sur les marts : plages, complétude des "
        "soumissions, variations de volume. Rapport Data Docs dans reports/quality/."
    ),
)
def publication_gate(pipeline: PipelineSettings):
    settings = pipeline.resolve()
    # run_publication_gate imports great-expectations itself, only now.
    gate = run_publication_gate(settings.warehouse, settings.reports_dir)
    yield from gate_check_results(gate)
