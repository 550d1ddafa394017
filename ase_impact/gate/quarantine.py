"""One association's problem stays with it: a failed publication gate traced back to the
association-months (partitions) whose files are behind the failing figures.

Every bound the gate checks has a row rule that stops the value earlier (docs/rules.md), so a
failure means a bug or a file that bypassed the contract. Rather than block every output, the
partitions a failure traces back to are quarantined (ase_impact/intake/quarantine.py): left
out of every figure, their previous accepted version staying in force; the marts are rebuilt
and everything else is published.

Tracing, from the rows of the failing expectations (re-evaluated here on the frames the gate
validated, which GX summarises to a few examples):
- a failing row of an association (any grain) traces to that association's file in force for
  the row's month; for a longer grain, its latest file in force within the window; for a
  month it sent no file for (answers land in the month they were given), its latest file in
  force of that year, whose cumulative sheets hold the answer;
- a failing row of the département traces to the associations whose own row of the same
  figure fails too; if none does, the failure cannot be traced and publication stays blocked;
- a failure that is not about rows (a missing submission row, a wrong row count) cannot be
  traced either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ase_impact.core import vocabulary
from ase_impact.gate.run import GateResult
from ase_impact.gate.suites import SUITES, ExpectationSpec, MartFrames

# Row-level expectations whose failing rows can be found again from their arguments.
ROW_EXPECTATIONS = frozenset(
    {
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
    }
)
# How many months each grain's window spans from its period (year_to_date: from January).
WINDOW_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class QuarantineEntry:
    """One partition to quarantine and why, in French."""

    period: str  # "AAAA-MM"
    association_code: str
    check_name: str
    reason_fr: str


@dataclass(frozen=True)
class Trace:
    """What a failed gate traces back to: partitions, or None when a failure cannot be traced
    (then publication stays blocked); untraced says which expectations could not be."""

    entries: tuple[QuarantineEntry, ...] | None
    untraced: tuple[str, ...] = ()


def failing_rows(spec: ExpectationSpec, batch: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of batch that break spec, as GX would find them; None for an expectation that
    is not about rows."""
    if spec.type not in ROW_EXPECTATIONS:
        return None
    rows = batch
    if spec.rows_where_in:
        column, values = spec.rows_where_in
        rows = rows[rows[column].isin(values)]
    values = rows[spec.kwargs["column"]]
    if spec.type == "expect_column_values_to_not_be_null":
        return rows[values.isna()]
    present = values.notna()
    if spec.type == "expect_column_values_to_be_in_set":
        return rows[present & ~values.isin(spec.kwargs["value_set"])]
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    low, high = spec.kwargs.get("min_value"), spec.kwargs.get("max_value")
    outside = np.zeros(len(rows), dtype=bool)
    if low is not None:
        outside |= (numbers < low).to_numpy()
    if high is not None:
        outside |= (numbers > high).to_numpy()
    return rows[present.to_numpy() & outside]


def _window(grain: str, period: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    if grain == "year_to_date":
        return period.replace(month=1, day=1), period
    return period, period + pd.DateOffset(months=WINDOW_MONTHS.get(grain, 1) - 1)


def _partition_of(
    in_force: pd.DataFrame, association_code: str, grain: str, period: pd.Timestamp
) -> str | None:
    """The association's file in force a failing figure of (grain, period) comes from."""
    files = in_force[in_force["association_code"] == association_code]["period"]
    if files.empty:
        return None
    first, last = _window(grain, period)
    within = files[(files >= first) & (files <= last)]
    if within.empty:
        within = files[files.dt.year == period.year]
    return None if within.empty else within.max().strftime("%Y-%m")


def _reason(suite_name: str, spec: ExpectationSpec, rows: pd.DataFrame) -> str:
    example = rows.iloc[0]
    figure = example.get("indicator_code") or example.get("mis_pe_dimension") or ""
    return (
        f"le contrôle de publication « {suite_name} » a refusé des chiffres tirés de ce "
        f"fichier : {spec.description_fr.rstrip('.')} (par exemple {figure}, "
        f"{vocabulary.period_grain_labels()[example['period_grain']].lower()} "
        f"{pd.Timestamp(example['period']):%Y-%m} : {example.get(spec.kwargs['column'])})."
    )


def trace_failures(gate: GateResult) -> Trace:
    """The partitions behind the gate's failed blocking suites (see the module's docstring)."""
    marts: MartFrames = gate.marts
    submissions = marts["submissions"]
    in_force = submissions[submissions["version_in_force"].notna()].assign(
        period=lambda frame: pd.to_datetime(frame["period"])
    )
    specs = {suite.name: suite for suite in SUITES}
    entries: dict[tuple[str, str], QuarantineEntry] = {}
    untraced: list[str] = []
    for result in gate.suites:
        if result.passed or result.severity != "ERROR":
            continue
        suite = specs[result.name]
        batch = suite.batch(marts)
        by_description = {
            (spec.type, spec.description_fr): spec for spec in suite.expectations(marts)
        }
        for failure in result.failing:
            spec = by_description.get((failure.expectation_type, failure.description_fr))
            rows = None if spec is None else failing_rows(spec, batch)
            if rows is None or rows.empty or not {"scope", "association_code"} <= set(rows):
                untraced.append(f"{result.name} · {failure.description_fr}")
                continue
            found = _trace_rows(result.name, spec, rows, in_force)
            if found is None:
                untraced.append(f"{result.name} · {failure.description_fr}")
                continue
            for entry in found:
                entries.setdefault((entry.period, entry.association_code), entry)
    if untraced or not entries:
        return Trace(None, tuple(untraced))
    return Trace(tuple(entries[key] for key in sorted(entries)))


def _trace_rows(
    suite_name: str, spec: ExpectationSpec, rows: pd.DataFrame, in_force: pd.DataFrame
) -> list[QuarantineEntry] | None:
    """The partitions behind failing rows; None if one of them cannot be traced."""
    associations = rows[rows["scope"] == "association"]
    departement = rows[rows["scope"] == "departement"]
    figure = [c for c in ("period_grain", "period", "indicator_code") if c in rows]
    if not departement.empty:
        covered = departement[figure].merge(
            associations[figure].drop_duplicates(), on=figure, how="left", indicator=True
        )
        if (covered["_merge"] == "left_only").any():
            return None
    found = []
    for (code, grain, period), group in associations.groupby(
        ["association_code", "period_grain", "period"], sort=True
    ):
        partition = _partition_of(in_force, code, grain, pd.Timestamp(period))
        if partition is None:
            return None
        found.append(QuarantineEntry(partition, code, suite_name, _reason(suite_name, spec, group)))
    return found
