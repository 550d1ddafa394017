"""The benchmark's verdicts on the targets."""

from __future__ import annotations

import pytest

from benchmarks.report import (
    Figures,
    _borrowed_from_engines,
    _fastest,
    _incremental_analysis,
    _large_correction,
    _method,
    targets,
)


def _run(wall: float = 360.0, exit_code: int = 0, build_status: str = "SUCCESS") -> Figures:
    return Figures(
        {
            "cli": {"wall_seconds": wall, "exit_code": exit_code, "peak_rss_tree_mib": 1100},
            "stages": {"build_status": build_status},
        }
    )


def _verdicts(figures: Figures) -> dict[str, tuple[bool | None, str]]:
    """L's verdicts by the start of their label."""
    results = {"help": {"first_seconds": 0.1, "median_seconds": 0.1}}
    found = targets(results, {"L": figures}, None)
    return {t.label.split(" ≤ ")[0]: (t.met, t.margin) for t in found if t.label.startswith("L ")}


def test_a_successful_run_under_the_targets_meets_them():
    verdicts = _verdicts(_run())
    assert verdicts["L end-to-end"][0] is True
    assert verdicts["L peak memory"][0] is True


@pytest.mark.parametrize(
    ("exit_code", "build_status"), [(1, "FAILURE"), (0, "FAILURE"), (1, "SUCCESS")]
)
def test_a_failed_run_meets_no_target_however_fast(exit_code, build_status):
    verdicts = _verdicts(_run(exit_code=exit_code, build_status=build_status))
    for label in ("L end-to-end", "L peak memory"):
        met, margin = verdicts[label]
        assert met is False
        assert f"the run failed (exit code {exit_code}, build {build_status})" in margin


def test_the_fastest_engine_is_named_among_successful_runs_only():
    compared = {
        "duckdb": {"M": _run(40.0), "L": _run(600.0)},
        "postgresql": {"M": _run(100.0), "L": _run(60.0, exit_code=1, build_status="FAILURE")},
    }
    lines = _fastest(compared, ["M", "L"])
    assert "- M: duckdb, 40.0 s (against postgresql 100.0 s)" in lines
    # L's only successful run has nothing to be compared with.
    assert not any(line.startswith("- L") for line in lines)
    assert _fastest({"duckdb": {"M": _run(40.0)}}, ["M"]) == []


def test_a_workload_measured_only_with_engines_shows_the_default_engines_figures():
    results = {
        "workloads": {"M": {}},
        "engines": {
            "duckdb+dagster-postgresql": {"L": {}},
            "duckdb": {"M": {}, "L": {}},
            "postgresql": {"M": {}, "L": {}},
        },
    }
    assert _borrowed_from_engines(results) == {"L": "duckdb"}
    del results["engines"]["duckdb"]
    assert _borrowed_from_engines(results) == {"L": "duckdb+dagster-postgresql"}


def _staged(wall: float, dbt: float, outputs: float) -> dict:
    return {
        "cli": {"wall_seconds": wall},
        "files": 1,
        "code": {"commit": "abc1234"},
        "measured_at": "2026-12-04T10:00:00+00:00",
        "stages": {
            "startup_seconds": 4.0,
            "ingestion_window_seconds": 1.0,
            "build_phases": {"dbt build": dbt, "gate": 10.0, "outputs": outputs},
            "dbt": {"execution_seconds": {"model": dbt - 5, "test": 8.0}},
        },
    }


def test_a_correction_in_l_is_shown_beside_the_year_it_corrects():
    correction = Figures(_staged(150.0, 78.0, 57.0) | {"corrected_file": "2026-05/bench-001.xlsx"})
    correction.stages["gate_periods"] = {"validated": 22, "unchanged": 36, "suites": 2}
    correction.stages["workbook_months"] = {"written": ["2026-05"], "unchanged": ["2026-04"]}
    year = Figures(_staged(524.0, 129.0, 79.0) | {"files": 2400})
    page = "\n".join(_large_correction(correction, year))
    assert "## A corrected file in a federation's year (incremental-L: 2026-05)" in page
    assert "| wall time | 150 s (2.5 min) | 524 s (8.7 min) |" in page
    assert "| dbt build | 78.0 s | 129 s (2.1 min) |" in page
    assert "| files run | 1 | 2,400 |" in page
    # The gate's periods: those the correction changed, of all; none recorded for L's run.
    assert "| gate: periods validated | 22 of 58 (2 suites) | not recorded |" in page
    assert "| consolidated workbooks: months written | 1 of 2 (2026-05) | not recorded |" in page
    # Without L's own figures, the correction's column stands alone.
    assert "| outputs | 57.0 s |\n" in "\n".join(_large_correction(correction, None)) + "\n"


def _correction(wall: float, rows_received: int, models: int = 69, tests: int = 185) -> Figures:
    staged = _staged(wall, wall / 2, 1.0)
    staged["stages"]["dbt"] |= {
        "elapsed_seconds": wall / 3,
        "nodes": {"model": models, "test": tests},
    }
    staged["stages"] |= {"build_run_seconds": wall - 5, "gate_periods": None}
    return Figures(staged | {"rows_generated": 300, "counts": {"rows_received": rows_received}})


def test_the_incremental_target_is_weighed_against_what_a_build_costs_whatever_the_data():
    m_correction = _correction(24.0, 80_597)
    page = "\n".join(_incremental_analysis(m_correction, _correction(16.0, 663)))
    assert "663 rows in S's warehouse against 80,597 in M's) takes 16.0 s" in page
    assert "(dbt's own execution 5.3 s for 69 models and 185 data tests)" in page
    assert "M's data adds 8.0 s to it (33% of M's incremental run). " in page
    assert "The target is below that fixed cost: no model computing less" in page
    # A build cheap enough whatever the data: M's data is what the target asks to compute less.
    page = "\n".join(_incremental_analysis(m_correction, _correction(6.0, 663)))
    assert "That fixed cost is under the target: M's data is what exceeds it" in page
    # Runs of different code set side by side: the page says so.
    other_code = _correction(16.0, 663)
    other_code.data["code"] = {"commit": "def5678"}
    page = "\n".join(_incremental_analysis(m_correction, other_code))
    assert (
        "(33% of M's incremental run) (runs of different commits: see the Workloads table)" in page
    )
    # Not measured: the page says which workload would tell.
    page = "\n".join(_incremental_analysis(m_correction, None))
    assert "`make bench` also measures incremental-S" in page
    assert "fixed cost" not in page


def _replayed(sql_seconds: float) -> dict:
    return {
        "dbt_elapsed_seconds": 11.0,
        "seconds": sql_seconds,
        "execution_seconds": {"model": sql_seconds - 0.5, "test": 0.5},
        "nodes": {"model": 69, "test": 185},
        "statements": 553,
    }


def test_the_correction_without_dbt_is_weighed_against_the_target():
    # 24 s run, of which a 12 s dbt build step: 12 s + the SQL's 5.5 s without dbt.
    m_correction = _correction(24.0, 80_597)
    m_correction.data["sql_replay"] = _replayed(5.5)
    page = "\n".join(_incremental_analysis(m_correction, None))
    assert "took 5.5 s: 69 models 5.0 s, 185 data tests 0.50 s (553 statements)" in page
    assert "dbt's own work per node is the rest, 5.5 s." in page
    assert "would take about 17.5 s: still over the target. No change to dbt's share" in page
    # Start-up, gate and workbooks small enough: dbt's share is what the target asks to cut.
    quick = _correction(14.0, 80_597)
    quick.data["sql_replay"] = _replayed(2.0)
    page = "\n".join(_incremental_analysis(quick, None))
    assert "would take about 9.0 s: under the target" in page
    # Not measured (PostgreSQL, or figures from before the replay): nothing said.
    assert "Without dbt" not in "\n".join(_incremental_analysis(_correction(24.0, 80_597), None))
    # The method says how the replay is taken only on a page that shows one.
    assert "- Without dbt (M's correction, DuckDB)" in "\n".join(_method(replayed=True))
    assert "Without dbt" not in "\n".join(_method(replayed=False))


def test_the_nodes_a_build_ran_are_counted_beside_their_time():
    assert _correction(24.0, 80_597).dbt_execution("test") == "8.0 s (185 nodes)"
    assert Figures(_staged(24.0, 12.0, 1.0)).dbt_execution("test") == "8.0 s"
