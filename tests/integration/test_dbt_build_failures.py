"""A dbt build that fails: the nodes dbt could not run (a technical failure, exit 1) told
apart from the data tests that failed (a publication held back by its checks)."""

from pathlib import Path

import dagster as dg

from ase_impact.cli.run_summary import RunOutcome, build_lines
from ase_impact.core.settings import load_settings
from orchestration.assets.transformations import DBT_ERRORS_METADATA, dbt_build_failure
from orchestration.runner import _dbt_errors

CORRUPT = "Runtime Error\n  Corrupt database file: computed checksum 123 does not match 456"
RESULTS = {
    "results": [
        {"unique_id": "model.ase_impact.mart_indicator_catalog", "status": "error",
         "message": CORRUPT},
        {"unique_id": "test.ase_impact.unique_dim_period.abc", "status": "error",
         "message": CORRUPT},
        {"unique_id": "test.ase_impact.assert_small_counts_suppressed", "status": "fail",
         "message": "Got 2 results, configured to fail if != 0"},
        {"unique_id": "model.ase_impact.dim_period", "status": "success", "message": "OK"},
    ]
}  # fmt: skip


def _failure_event(failure: dg.Failure) -> dg.DagsterEvent:
    @dg.asset
    def dbt_build():
        raise failure

    result = dg.materialize([dbt_build], raise_on_error=False)
    [event] = result.get_step_failure_events()
    return event


def test_nodes_dbt_could_not_run_make_a_technical_failure(tmp_path):
    failure = dbt_build_failure(RESULTS, tmp_path)
    corrupt = "Runtime Error Corrupt database file: computed checksum 123 does not match 456"
    assert failure.description == (
        f"dbt n'a pas pu exécuter 2 nœud(s) : mart_indicator_catalog ({corrupt}) ; abc "
        f"({corrupt}) · contrôles dbt bloquants en échec : "
        "assert_small_counts_suppressed (Got 2 results, configured to fail if != 0) "
        f"(journal : {Path(tmp_path) / 'dbt.log'})"
    )
    assert failure.metadata[DBT_ERRORS_METADATA].value == 2
    assert _dbt_errors(_failure_event(failure)) == 2
    # Told as a technical failure, with the way out of a damaged warehouse.
    outcome = RunOutcome([], [], [], [], False, [], {"ase_impact_dbt_models": failure.description})
    lines = build_lines(outcome, load_settings())
    assert lines[0] == "Construction : ÉCHEC technique, voir l'historique des runs (make ui)"
    assert any("recréez-le depuis l'archive avec « ase-impact rebuild »" in line for line in lines)


def test_data_tests_that_fail_alone_hold_the_publication_back(tmp_path):
    failed_only = {"results": [r for r in RESULTS["results"] if r["status"] != "error"]}
    failure = dbt_build_failure(failed_only, tmp_path)
    assert failure.description.startswith("contrôles dbt bloquants en échec : ")
    assert _dbt_errors(_failure_event(failure)) == 0
