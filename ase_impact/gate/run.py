"""Run the publication gate: read the marts, validate every suite with great-expectations 1.x,
build the Data Docs HTML site (made to read offline, with the project's own index:
offline_docs.py), and say per suite what failed.

great-expectations is imported only when a build runs (its import alone takes seconds). The
context is ephemeral: suites, results and checkpoints live in memory for one gate run, and
only the Data Docs site is written, rebuilt from scratch under reports/quality/ so that it
always shows the latest gate. Analytics are off and nothing goes to the network.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from ase_impact.core.settings import QUALITY_DOCS_SUBDIR
from ase_impact.gate.offline_docs import make_offline
from ase_impact.gate.suites import (
    MART_QUERIES,
    SUITES,
    WINDOW_FRAMES,
    ExpectationSpec,
    MartFrames,
    Severity,
    SuiteSpec,
)
from ase_impact.gate.windows import (
    ValidatedWindows,
    WindowScope,
    rows_of_windows,
    suites_fingerprint,
    window_digests,
)
from ase_impact.warehouse import queries
from ase_impact.warehouse.connection import locked_connection

DATA_DOCS_SITE = "quality"
DATA_SOURCE = "marts"
RUN_NAME = "porte_de_publication"
EXAMPLES_SHOWN = 5
GX_SEVERITY = {"ERROR": "critical", "WARN": "warning"}
# Keys of an expectation's arguments that say nothing a reader needs.
HIDDEN_ARGUMENTS = frozenset({"column", "batch_id", "result_format"})


@dataclass(frozen=True)
class FailingExpectation:
    """One failed expectation, summarised: what was expected, what was found, where."""

    expectation_type: str
    column: str | None
    description_fr: str
    arguments: str
    unexpected_count: int | None
    observed_value: str | None
    # A few unexpected values, or the expected values that are missing.
    examples: tuple[str, ...]
    # The rows holding them, as "column=value, …" over the suite's row columns.
    rows: tuple[str, ...]
    error: str | None


@dataclass(frozen=True)
class SuiteResult:
    name: str
    asset_key: tuple[str, ...]
    severity: Severity
    passed: bool
    expectations_evaluated: int
    rows_validated: int
    failing: tuple[FailingExpectation, ...]
    data_docs_path: Path
    # A suite validating by window: the windows validated, and those left as a passed gate
    # validated them (gate/windows.py).
    windows: WindowScope | None = None


@dataclass(frozen=True)
class GateResult:
    suites: tuple[SuiteResult, ...]
    data_docs_index: Path
    seconds: Mapping[str, float]
    # The frames the suites validated, read from the marts: a failure is traced back to the
    # association-months behind it from them (gate/quarantine.py).
    marts: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def suite(self, name: str) -> SuiteResult:
        return next(suite for suite in self.suites if suite.name == name)


def gate_blocks_outputs(result: GateResult) -> bool:
    """True when an ERROR suite failed: nothing may be published from these marts."""
    return any(not suite.passed and suite.severity == "ERROR" for suite in result.suites)


@dataclass(frozen=True)
class GateInputs:
    """The frames the suites validate, and the windows of each WINDOW_FRAMES frame."""

    frames: dict[str, pd.DataFrame]
    scopes: dict[str, WindowScope]
    fingerprint: str


def read_marts(warehouse_path: Path, validated: ValidatedWindows) -> GateInputs:
    """Every frame the suites need, read in one short read-only connection; of the window
    frames, only the windows that differ from those validated."""
    with locked_connection(warehouse_path, read_only=True) as conn:
        frames = {name: conn.execute(query).df() for name, query in MART_QUERIES.items()}
        # The partitions mart_submissions must show besides the registry's expected ones.
        frames["received"] = queries.received_partitions(conn)
        fingerprint = suites_fingerprint(frames["indicator_catalog"])
        scopes = {}
        for frame, table in WINDOW_FRAMES.items():
            scopes[frame] = validated.scope(frame, fingerprint, window_digests(conn, table))
            frames[frame] = rows_of_windows(conn, table, scopes[frame].to_validate)
    return GateInputs(frames, scopes, fingerprint)


def run_publication_gate(warehouse_path: Path, reports_dir: Path) -> GateResult:
    """Validate every suite on the marts of warehouse_path; Data Docs go to reports_dir/quality.

    The range suites validate only the windows whose rows changed since a gate passed them
    (gate/windows.py)."""
    started = time.perf_counter()
    validated = ValidatedWindows.read(reports_dir)
    inputs = read_marts(warehouse_path, validated)
    marts = inputs.frames
    read_at = time.perf_counter()
    gx = import_great_expectations()
    imported_at = time.perf_counter()
    docs_dir = Path(reports_dir) / QUALITY_DOCS_SUBDIR
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    context = _ephemeral_context(gx, docs_dir)
    context.data_sources.add_pandas(DATA_SOURCE)
    from great_expectations.core.run_identifier import RunIdentifier

    run_time = datetime.now(UTC)
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=run_time)
    suites = tuple(
        _validate_suite(gx, context, suite, marts, run_id, inputs.scopes.get(suite.window_frame))
        for suite in SUITES
    )
    validated_at = time.perf_counter()
    failed_frames = {
        suite.window_frame
        for suite, result in zip(SUITES, suites, strict=True)
        if not result.passed
    }
    validated.write(
        reports_dir, inputs.fingerprint, inputs.scopes, set(inputs.scopes) - failed_frames
    )
    result = GateResult(
        suites=suites,
        data_docs_index=docs_dir / "index.html",
        seconds={
            "read_marts": read_at - started,
            "import_gx": imported_at - read_at,
            "validate": validated_at - imported_at,
        },
        marts=marts,
    )
    # GX's site loads its styles and scripts from CDNs: made to read offline, with the
    # project's own index (offline_docs.py).
    make_offline(docs_dir, result, run_time)
    return result


def import_great_expectations():
    """great-expectations, imported on first call (seconds: it imports scipy and altair).

    The build step calls it while dbt starts in its own process, so that a gate run later in
    the same process (`ase-impact run`'s build) finds it loaded."""
    # Read by GX when a context starts; the context config below disables analytics too.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def _ephemeral_context(gx, docs_dir: Path):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _validate_suite(
    gx, context, suite: SuiteSpec, marts: MartFrames, run_id, windows: WindowScope | None
) -> SuiteResult:
    """One checkpoint per suite: each validates its own DataFrame, then updates Data Docs."""
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.metadata_types import FailureSeverity

    batch = suite.batch(marts)
    expectations = [
        ExpectationConfiguration(
            type=spec.type,
            kwargs=_gx_arguments(spec),
            description=spec.description_fr,
            severity=FailureSeverity(GX_SEVERITY[suite.severity]),
        ).to_domain_obj()
        for spec in suite.expectations(marts)
    ]
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
    batch_definition = (
        context.data_sources.get(DATA_SOURCE)
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("mart")
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=suite.name,
            validation_definitions=[validation],
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DATA_DOCS_SITE])],
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": list(suite.row_columns),
                "partial_unexpected_count": EXAMPLES_SHOWN,
            },
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": batch}, run_id=run_id)
    [(identifier, validation_result)] = outcome.run_results.items()
    [docs_page] = context.get_docs_sites_urls(
        resource_identifier=identifier, site_name=DATA_DOCS_SITE
    )
    return SuiteResult(
        name=suite.name,
        asset_key=suite.asset_key,
        severity=suite.severity,
        passed=bool(validation_result.success),
        expectations_evaluated=len(validation_result.results),
        rows_validated=len(batch),
        failing=tuple(
            summarize_failure(result, suite.row_columns)
            for result in validation_result.results
            if not result.success
        ),
        data_docs_path=Path(unquote(urlparse(docs_page["site_url"]).path)),
        windows=windows,
    )


def _gx_arguments(spec: ExpectationSpec) -> dict[str, Any]:
    arguments = dict(spec.kwargs)
    if spec.rows_where_in:
        from great_expectations.expectations.row_conditions import Column

        column, values = spec.rows_where_in
        arguments["row_condition"] = Column(column).is_in(list(values))
    return arguments


def summarize_failure(result, row_columns: tuple[str, ...]) -> FailingExpectation:
    """What a reader needs from a failed GX expectation result, without its whole payload."""
    config = result.expectation_config
    details = result.result or {}
    examples = details.get("partial_missing_list") or details.get("partial_unexpected_list") or []
    rows = details.get("partial_unexpected_index_list") or []
    exception = result.exception_info or {}
    observed = details.get("observed_value")
    return FailingExpectation(
        expectation_type=config.type,
        column=config.kwargs.get("column"),
        description_fr=config.description or "",
        arguments=describe_arguments(config.kwargs),
        unexpected_count=details.get("unexpected_count", details.get("missing_count")),
        observed_value=None if observed is None else as_text(observed),
        examples=tuple(as_text(value) for value in examples[:EXAMPLES_SHOWN]),
        rows=tuple(
            describe_row(row, row_columns) for row in rows[:EXAMPLES_SHOWN] if isinstance(row, dict)
        ),
        error=exception.get("exception_message") if exception.get("raised_exception") else None,
    )


def describe_arguments(kwargs: Mapping[str, Any]) -> str:
    """'row_condition=unit IN [percent, score], min_value=0, max_value=100', sets shortened."""
    parts = []
    for name, value in kwargs.items():
        if name in HIDDEN_ARGUMENTS or value is None:
            continue
        if name == "row_condition":
            value = describe_condition(value)
        if isinstance(value, list | tuple | set) and len(value) > EXAMPLES_SHOWN:
            shown = ", ".join(as_text(item) for item in list(value)[:EXAMPLES_SHOWN])
            value = f"[{shown}, … ({len(value)} valeurs)]"
        parts.append(f"{name}={as_text(value)}")
    return ", ".join(parts)


def describe_condition(condition: Any) -> str:
    """ "unit IN [percent, score]" for a GX comparison condition, as GX stores it."""
    if isinstance(condition, dict) and condition.get("type") == "comparison":
        values = ", ".join(as_text(value) for value in condition["parameter"])
        return f"{condition['column']['name']} {condition['operator']} [{values}]"
    return as_text(condition)


def describe_row(row: Mapping[str, Any], columns: tuple[str, ...]) -> str:
    return ", ".join(
        f"{column}={as_text(row[column])}"
        for column in columns
        if column in row and as_text(row[column]) != ""
    )


def as_text(value: Any) -> str:
    """Short, stable text for a value from a DataFrame or a GX result."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        timestamp = pd.Timestamp(value)
        return timestamp.date().isoformat() if timestamp == timestamp.normalize() else str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
