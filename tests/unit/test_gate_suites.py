"""The publication gate's pure parts: volume ratios, expected submissions, unit ranges, verdict."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ase_impact.gate.run import (
    FailingExpectation,
    GateResult,
    SuiteResult,
    as_text,
    describe_arguments,
    gate_blocks_outputs,
)
from ase_impact.gate.suites import (
    MART_QUERIES,
    SUITES,
    UNIT_RANGES,
    expected_submission_keys,
    indicators_with_unit,
    month_over_month,
    unit_range_expectations,
    youth_accompanied_moves,
)


def counts(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(code, pd.Timestamp(f"{month}-01"), value) for code, month, value in rows],
        columns=["association_code", "period", "value"],
    )


def test_month_over_month_compares_consecutive_months_only():
    moves = month_over_month(
        counts(
            [
                ("b", "2026-10", 9),
                ("a", "2026-09", 4),
                ("a", "2026-10", 5),
                ("a", "2026-12", 20),  # November missing: no comparison for December
                ("b", "2026-09", 3),
            ]
        )
    )
    assert moves.to_dict("records") == [
        {
            "association_code": "a",
            "period": pd.Timestamp("2026-10-01"),
            "previous": 4.0,
            "current": 5.0,
            "ratio": 1.25,
        },
        {
            "association_code": "b",
            "period": pd.Timestamp("2026-10-01"),
            "previous": 3.0,
            "current": 9.0,
            "ratio": 3.0,
        },
    ]


def test_month_over_month_crosses_the_year_and_handles_zero():
    moves = month_over_month(
        counts([("a", "2025-12", 0), ("a", "2026-01", 0), ("a", "2026-02", 6)])
    ).set_index("period")
    assert math.isnan(moves.loc["2026-01-01", "ratio"])  # 0 → 0: no move to judge
    assert moves.loc["2026-02-01", "ratio"] == math.inf  # 0 → 6: flagged


def test_month_over_month_of_a_single_month_is_empty_with_its_columns():
    moves = month_over_month(counts([("a", "2026-10", 4)]))
    assert moves.empty
    assert list(moves.columns) == ["association_code", "period", "previous", "current", "ratio"]


def test_youth_moves_use_association_monthly_totals_only():
    rows = [
        ("youth_accompanied", "month", "association", "a", "total", "2026-09", 4),
        ("youth_accompanied", "month", "association", "a", "total", "2026-10", 6),
        ("youth_accompanied", "month", "association", "a", "sex", "2026-10", 1),
        ("youth_accompanied", "month", "departement", None, "total", "2026-10", 60),
        ("pairs_active", "month", "association", "a", "total", "2026-10", 40),
        # The year to date to September and October: not a month's move.
        ("youth_accompanied", "year_to_date", "association", "a", "total", "2026-09", 40),
        ("youth_accompanied", "year_to_date", "association", "a", "total", "2026-10", 400),
        # A month without a file has no value: no move is measured across it.
        ("youth_accompanied", "month", "association", "b", "total", "2026-09", None),
        ("youth_accompanied", "month", "association", "b", "total", "2026-10", 5),
    ]
    indicators = pd.DataFrame(
        [
            (code, grain, scope, assoc, breakdown, pd.Timestamp(f"{m}-01"), v)
            for code, grain, scope, assoc, breakdown, m, v in rows
        ],
        columns=[
            "indicator_code",
            "period_grain",
            "scope",
            "association_code",
            "breakdown",
            "period",
            "value",
        ],
    )
    # The query the gate reads the youth accompanied with, on a DuckDB holding these rows.
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.register("indicators", indicators)
        conn.execute("CREATE TABLE marts.fct_indicators AS SELECT * FROM indicators")
        youth = conn.execute(MART_QUERIES["youth_accompanied"]).df()
    moves = youth_accompanied_moves({"youth_accompanied": youth})
    assert moves[["association_code", "previous", "current", "ratio"]].values.tolist() == [
        ["a", 4.0, 6.0, 1.5]
    ]


def test_expected_submissions_are_the_registry_months_and_what_was_received():
    # The registry's dates are dbt's to apply (int_associations_expected and its unit tests):
    # the suite takes its rows as they are and adds every partition received.
    marts = {
        "associations_expected": pd.DataFrame(
            {
                "period": pd.to_datetime(["2026-10-01", "2026-09-01", "2026-10-01"]),
                "association_code": ["early", "early", "joins-mid-october"],
            }
        ),
        "received": pd.DataFrame(
            {
                "period": pd.to_datetime(["2026-10-01", "2026-10-01"]),
                "association_code": ["stranger", "early"],
            }
        ),
    }
    assert expected_submission_keys(marts) == [
        "2026-09/early",
        "2026-10/early",
        "2026-10/joins-mid-october",
        "2026-10/stranger",
    ]


def test_nothing_expected_and_nothing_received_expects_no_submission():
    empty = pd.DataFrame(
        {"period": pd.to_datetime([]), "association_code": pd.Series([], dtype=str)}
    )
    assert expected_submission_keys({"associations_expected": empty, "received": empty}) == []


def test_every_unit_has_exactly_one_range_and_only_its_units_share_it():
    covered = []
    for spec in unit_range_expectations():
        column, units = spec.rows_where_in
        assert column == "unit"
        covered += units
        assert {UNIT_RANGES[unit] for unit in units} == {
            (spec.kwargs["min_value"], spec.kwargs["max_value"])
        }
    assert sorted(covered) == sorted(UNIT_RANGES)
    percent = next(spec for spec in unit_range_expectations() if "percent" in spec.rows_where_in[1])
    assert percent.rows_where_in == ("unit", ("percent", "score"))
    assert (
        percent.description_fr
        == "La valeur des indicateurs d'unité percent, score est entre 0 et 100."
    )


def test_an_indicator_missing_from_the_catalogue_has_no_unit():
    marts = {
        "fct_indicators": pd.DataFrame(
            {"indicator_code": ["youth_new", "mystery"], "value": [1, 2]}
        ),
        "indicator_catalog": pd.DataFrame({"indicator_code": ["youth_new"], "unit": ["count"]}),
    }
    assert indicators_with_unit(marts)["unit"].isna().tolist() == [False, True]


def test_suites_report_on_mart_assets_with_a_known_severity():
    assert len({suite.name for suite in SUITES}) == len(SUITES)
    for suite in SUITES:
        assert suite.asset_key[0] == "marts"
        assert suite.severity in ("ERROR", "WARN")
    assert [suite.name for suite in SUITES if suite.severity == "WARN"] == [
        "gate_volume_youth_accompanied"
    ]


def suite_result(name: str, severity: str, passed: bool) -> SuiteResult:
    failure = FailingExpectation(
        "expect_column_values_to_be_between", "value", "", "", 1, None, ("150",), (), None
    )
    return SuiteResult(
        name=name,
        asset_key=("marts", "fct_indicators"),
        severity=severity,
        passed=passed,
        expectations_evaluated=1,
        rows_validated=10,
        failing=() if passed else (failure,),
        data_docs_path=Path("index.html"),
    )


@pytest.mark.parametrize(
    ("ranges_passed", "volume_passed", "blocks"),
    [(True, True, False), (True, False, False), (False, True, True), (False, False, True)],
)
def test_only_a_failed_error_suite_blocks_outputs(ranges_passed, volume_passed, blocks):
    result = GateResult(
        suites=(
            suite_result("gate_ranges_indicators", "ERROR", ranges_passed),
            suite_result("gate_volume_youth_accompanied", "WARN", volume_passed),
        ),
        data_docs_index=Path("index.html"),
        seconds={},
    )
    assert gate_blocks_outputs(result) is blocks


def test_arguments_are_summarised_without_noise():
    kwargs = {
        "column": "status",
        "batch_id": "marts-x",
        "value_set": [f"2026-{month:02d}/a" for month in range(1, 9)],
        "row_condition": {
            "column": {"name": "unit"},
            "operator": "IN",
            "parameter": ["count", "EUR"],
            "type": "comparison",
        },
        "max_value": None,
    }
    assert describe_arguments(kwargs) == (
        "value_set=[2026-01/a, 2026-02/a, 2026-03/a, 2026-04/a, 2026-05/a, … (8 valeurs)], "
        "row_condition=unit IN [count, EUR]"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.Timestamp("2026-10-01"), "2026-10-01"),
        (150.0, "150"),
        (1 / 3, "0.333333"),
        (math.inf, "inf"),
        ("cap-avenir", "cap-avenir"),
    ],
)
def test_values_are_shown_short(value, text):
    assert as_text(value) == text
