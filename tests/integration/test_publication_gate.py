"""The publication gate on real marts: built once from real workbooks by the real `dbt build`.

cap-avenir and envol-mentorat report September and October 2026; the five other registry
associations send nothing (status `missing`). The clean marts pass every suite; a corrupted
copy (a rate of 150 %, a MIS PE score of 120, a missing submission row, an association's
youth tripling) fails each suite with exactly the expectation it breaks.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from ase_impact.core.settings import load_settings
from ase_impact.gate.run import gate_blocks_outputs, run_publication_gate
from ase_impact.gate.windows import RECORD_NAME, forget_validated_windows
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from orchestration.assets.publication_gate import gate_check_specs, publication_gate
from orchestration.resources import PipelineSettings
from tests.conftest import isolated_environment
from tests.integration.browser import Screens, keep_artifacts, launch, needs_chromium
from tests.integration.dbt_build import run_dbt_build
from tests.integration.sample_rows import write_submission

CAP, ENVOL = "cap-avenir", "envol-mentorat"
# (month, association, ongoing pairs); each file adds one closed pair, active in its month:
# youth accompanied cap-avenir 4 → 5 (×1.25), envol-mentorat 3 → 3.
SUBMISSIONS = [
    ("2026-09", CAP, 3),
    ("2026-10", CAP, 4),
    ("2026-09", ENVOL, 2),
    ("2026-10", ENVOL, 2),
]
REGISTRY_SIZE = 7
ERROR_SUITES = {
    "gate_ranges_indicators",
    "gate_ranges_impact_dimensions",
    "gate_completeness_submissions",
}
# Each corrupts the month's row only (the quarter and year to date of October share its period).
CORRUPTIONS = [
    "UPDATE marts.fct_indicators SET value = 150 WHERE indicator_code = 'attendance_rate' "
    f"AND scope = 'association' AND association_code = '{CAP}' AND period = '2026-10-01' "
    "AND breakdown = 'total' AND period_grain = 'month'",
    "UPDATE marts.mart_impact_dimensions SET mean_score = 120 WHERE scope = 'departement' "
    "AND period = '2026-10-01' AND mis_pe_dimension = 'sociabilisation' "
    "AND period_grain = 'month'",
    "DELETE FROM marts.mart_submissions "
    "WHERE period = '2026-10-01' AND association_code = 'boussole-ase'",
    "UPDATE marts.fct_indicators SET value = value * 3 WHERE indicator_code = 'youth_accompanied' "
    f"AND scope = 'association' AND association_code = '{ENVOL}' AND period = '2026-10-01' "
    "AND breakdown = 'total' AND period_grain = 'month'",
]


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    """The path of a warehouse with real marts."""
    root = tmp_path_factory.mktemp("gate_marts")
    with isolated_environment(root), pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV_VAR, "cle-de-test-0123456789abcdef0123456789")
        settings = load_settings()
        with connection.connect(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            for folder, association_code, pairs in SUBMISSIONS:
                path = write_submission(settings.raw_dir, folder, association_code, pairs=pairs)
                ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, 0))
        result = run_dbt_build(root)
        assert result.success, result.exception
        # In-process dbt-duckdb keeps the built file open (read-write): the gate reads a copy.
        with duckdb.connect(str(settings.warehouse)) as conn:
            conn.execute("CHECKPOINT")
        built = root / "ase_impact_built.duckdb"
        shutil.copy(settings.warehouse, built)
        yield built


@pytest.fixture(scope="module")
def clean_gate(marts, tmp_path_factory):
    reports_dir = tmp_path_factory.mktemp("reports_clean")
    return run_publication_gate(marts, reports_dir), reports_dir


@pytest.fixture(scope="module")
def corrupted_warehouse(marts, tmp_path_factory):
    copy = tmp_path_factory.mktemp("corrupted") / "ase_impact.duckdb"
    shutil.copy(marts, copy)
    with duckdb.connect(str(copy)) as conn:
        for statement in CORRUPTIONS:
            conn.execute(statement)
    return copy


@pytest.fixture(scope="module")
def corrupted_gate(corrupted_warehouse, tmp_path_factory):
    return run_publication_gate(corrupted_warehouse, tmp_path_factory.mktemp("reports"))


def test_clean_marts_pass_every_suite_and_docs_are_built(marts, clean_gate):
    result, reports_dir = clean_gate
    assert [(suite.name, suite.passed, suite.failing) for suite in result.suites] == [
        ("gate_ranges_indicators", True, ()),
        ("gate_ranges_impact_dimensions", True, ()),
        ("gate_completeness_submissions", True, ()),
        ("gate_volume_youth_accompanied", True, ()),
    ]
    assert not gate_blocks_outputs(result)
    assert result.data_docs_index == reports_dir / "quality" / "index.html"
    index = result.data_docs_index.read_text(encoding="utf-8")
    for suite in result.suites:
        assert suite.name in index
        assert suite.data_docs_path.is_file()
        assert suite.data_docs_path.is_relative_to(reports_dir / "quality" / "validations")
    completeness = result.suite("gate_completeness_submissions")
    assert completeness.rows_validated == REGISTRY_SIZE * 2
    # Two associations with two consecutive months each: one move each.
    assert result.suite("gate_volume_youth_accompanied").rows_validated == 2
    # Measured here: ~15 s to build the marts, GX import 6–8 s, 1.4–2 s for the four suites.
    assert result.seconds["validate"] < 20


def test_a_rate_above_100_fails_the_indicator_ranges(corrupted_gate):
    suite = corrupted_gate.suite("gate_ranges_indicators")
    assert (suite.passed, suite.severity, suite.asset_key) == (
        False,
        "ERROR",
        ("marts", "fct_indicators"),
    )
    [failure] = suite.failing
    assert failure.expectation_type == "expect_column_values_to_be_between"
    assert failure.column == "value"
    assert failure.arguments == "row_condition=unit IN [percent, score], min_value=0, max_value=100"
    assert (failure.unexpected_count, failure.examples) == (1, ("150",))
    assert failure.rows == (
        "period_grain=month, period=2026-10-01, scope=association, association_code=cap-avenir, "
        "indicator_code=attendance_rate, breakdown=total",
    )


def test_a_score_above_100_fails_the_impact_dimension_ranges(corrupted_gate):
    suite = corrupted_gate.suite("gate_ranges_impact_dimensions")
    assert (suite.passed, suite.severity) == (False, "ERROR")
    [failure] = suite.failing
    assert (failure.column, failure.examples) == ("mean_score", ("120",))
    assert failure.rows == (
        "period_grain=month, period=2026-10-01, scope=departement, "
        "mis_pe_dimension=sociabilisation",
    )


def test_a_missing_submission_row_fails_completeness(corrupted_gate):
    suite = corrupted_gate.suite("gate_completeness_submissions")
    assert (suite.passed, suite.severity, suite.asset_key) == (
        False,
        "ERROR",
        ("marts", "mart_submissions"),
    )
    row_count, key_set = suite.failing
    assert row_count.expectation_type == "expect_table_row_count_to_equal"
    assert (row_count.arguments, row_count.observed_value) == (
        f"value={REGISTRY_SIZE * 2}",
        str(REGISTRY_SIZE * 2 - 1),
    )
    assert key_set.expectation_type == "expect_column_distinct_values_to_contain_set"
    assert key_set.examples == ("2026-10/boussole-ase",)


def test_youth_tripling_fails_the_volume_suite_as_a_warning(corrupted_gate):
    suite = corrupted_gate.suite("gate_volume_youth_accompanied")
    assert (suite.passed, suite.severity, suite.asset_key) == (
        False,
        "WARN",
        ("marts", "fct_indicators"),
    )
    [failure] = suite.failing
    assert (failure.column, failure.examples) == ("ratio", ("3",))
    assert failure.rows == (
        "association_code=envol-mentorat, period=2026-10-01, previous=3, current=9",
    )
    assert gate_blocks_outputs(corrupted_gate)  # because of the ERROR suites: see the unit tests


RANGE_SUITES = ("gate_ranges_indicators", "gate_ranges_impact_dimensions")
# cap-avenir's attendance rate of October (the month's row).
RATE_OF_CAP_IN_OCTOBER = (
    "indicator_code = 'attendance_rate' AND scope = 'association' "
    f"AND association_code = '{CAP}' AND period = '2026-10-01' AND breakdown = 'total' "
    "AND period_grain = 'month'"
)


def count_rows(warehouse, sql: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


def windows_of(result, suite_name: str) -> tuple[int, int]:
    """(periods validated, periods left as a passed gate validated them)."""
    windows = result.suite(suite_name).windows
    return windows.revalidated, len(windows.kept)


def test_a_gate_validates_again_only_the_periods_that_changed_since_it_passed_them(marts, tmp_path):
    warehouse = tmp_path / "ase_impact.duckdb"
    shutil.copy(marts, warehouse)
    reports_dir = tmp_path / "reports"
    periods = count_rows(
        warehouse, "SELECT count(DISTINCT (period_grain, period)) FROM marts.fct_indicators"
    )
    first = run_publication_gate(warehouse, reports_dir)
    assert first.suite("gate_ranges_indicators").rows_validated == count_rows(
        warehouse, "SELECT count(*) FROM marts.fct_indicators"
    )
    assert windows_of(first, "gate_ranges_indicators") == (periods, 0)

    # Nothing changed: the range suites read and validate no row; the others run whole.
    unchanged = run_publication_gate(warehouse, reports_dir)
    for name in RANGE_SUITES:
        suite = unchanged.suite(name)
        assert (suite.passed, suite.rows_validated) == (True, 0)
        assert suite.windows.revalidated == 0
    assert windows_of(unchanged, "gate_ranges_indicators") == (0, periods)
    assert unchanged.suite("gate_completeness_submissions").rows_validated == REGISTRY_SIZE * 2
    assert unchanged.suite("gate_volume_youth_accompanied").rows_validated == 2
    index = unchanged.data_docs_index.read_text(encoding="utf-8")
    assert f"0 période(s) sur {periods}" in index
    assert "inchangées depuis un contrôle réussi" in index

    # October's month of cap-avenir gets a rate of 150 %: that period alone is read, and fails.
    with duckdb.connect(str(warehouse)) as conn:
        [(original,)] = conn.execute(
            f"SELECT value FROM marts.fct_indicators WHERE {RATE_OF_CAP_IN_OCTOBER}"
        ).fetchall()
        conn.execute(f"UPDATE marts.fct_indicators SET value = 150 WHERE {RATE_OF_CAP_IN_OCTOBER}")
    october = count_rows(
        warehouse,
        "SELECT count(*) FROM marts.fct_indicators "
        "WHERE period_grain = 'month' AND period = '2026-10-01'",
    )
    corrupted = run_publication_gate(warehouse, reports_dir)
    indicators = corrupted.suite("gate_ranges_indicators")
    assert (indicators.passed, indicators.rows_validated) == (False, october)
    assert windows_of(corrupted, "gate_ranges_indicators") == (1, periods - 1)
    [failure] = indicators.failing
    assert failure.examples == ("150",)
    assert gate_blocks_outputs(corrupted)
    # A failure is not recorded as validated: unchanged, the period fails again.
    again = run_publication_gate(warehouse, reports_dir)
    assert not again.suite("gate_ranges_indicators").passed
    assert windows_of(again, "gate_ranges_indicators") == (1, periods - 1)

    # Its rows back as the passed gate validated them: nothing to validate again.
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            f"UPDATE marts.fct_indicators SET value = ? WHERE {RATE_OF_CAP_IN_OCTOBER}", [original]
        )
    restored = run_publication_gate(warehouse, reports_dir)
    assert not gate_blocks_outputs(restored)
    assert windows_of(restored, "gate_ranges_indicators") == (0, periods)


def test_a_changed_catalogue_or_a_lost_record_validates_every_period(marts, tmp_path):
    warehouse = tmp_path / "ase_impact.duckdb"
    shutil.copy(marts, warehouse)
    reports_dir = tmp_path / "reports"
    rows = count_rows(warehouse, "SELECT count(*) FROM marts.fct_indicators")
    run_publication_gate(warehouse, reports_dir)
    # The catalogue names the range each indicator is checked against.
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "UPDATE marts.indicator_catalog SET unit = 'percent' "
            "WHERE indicator_code = 'youth_accompanied'"
        )
    recatalogued = run_publication_gate(warehouse, reports_dir)
    assert recatalogued.suite("gate_ranges_indicators").rows_validated == rows
    assert (
        run_publication_gate(warehouse, reports_dir).suite("gate_ranges_indicators").rows_validated
        == 0
    )
    # An unreadable record is no record (and a full refresh deletes it).
    (reports_dir / RECORD_NAME).write_text("{", encoding="utf-8")
    assert (
        run_publication_gate(warehouse, reports_dir).suite("gate_ranges_indicators").rows_validated
        == rows
    )
    forget_validated_windows(reports_dir)
    assert (
        run_publication_gate(warehouse, reports_dir).suite("gate_ranges_indicators").rows_validated
        == rows
    )


def test_check_specs_block_only_on_error_suites():
    specs = {spec.name: spec for spec in gate_check_specs()}
    assert {name for name, spec in specs.items() if spec.blocking} == ERROR_SUITES
    assert specs["gate_volume_youth_accompanied"].asset_key == dg.AssetKey(
        ["marts", "fct_indicators"]
    )


def run_gate_checks(warehouse_path) -> dg.ExecuteInProcessResult:
    """Execute only the gate's checks, as a job selecting them would in the UI."""
    defs = dg.Definitions(
        asset_checks=[publication_gate],
        jobs=[dg.define_asset_job("gate", selection=dg.AssetSelection.checks(publication_gate))],
        resources={"pipeline": PipelineSettings(warehouse=str(warehouse_path))},
    )
    # Entered, the instance is the one Dagster's definitions loading sees (a context variable),
    # whatever instance an earlier test of this process left behind.
    with dg.DagsterInstance.ephemeral() as instance:
        return defs.resolve_job_def("gate").execute_in_process(
            instance=instance, raise_on_error=False
        )


def evaluations_of(result: dg.ExecuteInProcessResult) -> dict:
    return {
        evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()
    }


def test_the_asset_checks_pass_on_clean_marts(marts, isolated_paths):
    result = run_gate_checks(marts)
    assert result.success
    evaluations = evaluations_of(result)
    assert sorted(evaluations) == sorted(suite.name for suite in gate_check_specs())
    assert all(evaluation.passed for evaluation in evaluations.values())
    metadata = evaluations["gate_completeness_submissions"].metadata
    assert metadata["attentes_non_satisfaites"].value == "Toutes les attentes sont satisfaites."
    assert metadata["lignes_validees"].value == REGISTRY_SIZE * 2
    index = metadata["data_docs_index"].value
    assert index == str(isolated_paths / "reports" / "quality" / "index.html")


def test_failed_error_checks_stop_the_run_and_report_their_failures(
    corrupted_warehouse, isolated_paths
):
    result = run_gate_checks(corrupted_warehouse)
    # Blocking checks failing with ERROR fail the step: nothing downstream would run.
    assert not result.success
    evaluations = evaluations_of(result)
    assert {name: (e.passed, e.severity) for name, e in evaluations.items()} == {
        "gate_ranges_indicators": (False, dg.AssetCheckSeverity.ERROR),
        "gate_ranges_impact_dimensions": (False, dg.AssetCheckSeverity.ERROR),
        "gate_completeness_submissions": (False, dg.AssetCheckSeverity.ERROR),
        "gate_volume_youth_accompanied": (False, dg.AssetCheckSeverity.WARN),
    }
    metadata = evaluations["gate_ranges_indicators"].metadata
    assert metadata["attentes_en_echec"].value == 1
    table = metadata["attentes_non_satisfaites"].value
    assert "| 1 |" in table and "| 150 |" in table and "attendance_rate" in table
    docs = metadata["data_docs"].value
    assert docs.startswith(str(isolated_paths / "reports" / "quality" / "validations"))
    completeness = evaluations["gate_completeness_submissions"].metadata
    assert "2026-10/boussole-ase" in completeness["attentes_non_satisfaites"].value


# Anything a page would load from elsewhere than the site itself.
REMOTE_RESOURCE = re.compile(
    r"<(?:link|script|img)\b[^>]*\b(?:href|src)=\"(?:https?:)?//|url\(\s*['\"]?(?:https?:)?//",
    re.IGNORECASE,
)


def test_the_data_docs_ask_the_network_for_nothing(clean_gate):
    result, reports_dir = clean_gate
    pages = sorted((reports_dir / "quality").rglob("*.html"))
    assert len(pages) >= 1 + 2 * len(result.suites)  # index, validations, expectation suites
    remote = {
        page.name: REMOTE_RESOURCE.findall(page.read_text("utf-8"))
        for page in pages
        if REMOTE_RESOURCE.search(page.read_text("utf-8"))
    }
    assert not remote
    index = result.data_docs_index.read_text("utf-8")
    assert "Publication autorisée" in index and "<script" not in index


@pytest.mark.slow
@needs_chromium
def test_the_data_docs_render_styled_and_listed_with_the_network_blocked(corrupted_gate, tmp_path):
    """The data engineer on a closed network: every non-file request is aborted (and counted);
    the index lists each suite, styled, with the failing ones and their expectations, and a
    GX validation page reads, styled, with its failures marked."""
    from playwright.sync_api import sync_playwright

    index = corrupted_gate.data_docs_index
    screens_dir = tmp_path / "screens"
    attempted = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        page.route("**/*", only_files)
        screens = Screens(page, screens_dir)

        page.goto(index.as_uri())
        rows = page.locator("table.suites tbody tr.suite")
        assert rows.count() == len(corrupted_gate.suites)
        listed = [rows.nth(i).get_attribute("data-suite") for i in range(rows.count())]
        assert listed == [suite.name for suite in corrupted_gate.suites]
        assert "Publication bloquée" in page.inner_text(".verdict")
        ranges = page.locator("tr.suite[data-suite='gate_ranges_indicators']")
        assert "En échec (bloquant)" in ranges.inner_text()
        assert "150" in page.inner_text("section#gate_ranges_indicators")
        # Styled by the site's own stylesheet: the verdict on its red background, collapsed
        # table borders, the page's own font; none of them browser defaults.
        styles = page.evaluate(
            """() => ({
                verdict: getComputedStyle(document.querySelector('.verdict')).backgroundColor,
                table: getComputedStyle(document.querySelector('table.suites')).borderCollapse,
                header: getComputedStyle(document.querySelector('th')).backgroundColor,
                sheets: document.styleSheets.length,
            })"""
        )
        assert styles["verdict"] == "rgb(253, 232, 232)"
        assert styles["table"] == "collapse"
        assert styles["header"] != "rgba(0, 0, 0, 0)"
        assert styles["sheets"] == 1
        screens.take("index")

        ranges.locator("text=résultats de validation").click()
        page.wait_for_load_state()
        assert "validations" in page.url
        assert "Unsuccessful Expectations" in page.inner_text("body")
        # The failed expectation's mark, an icon font's glyph online, is a character here.
        mark = page.evaluate(
            "() => getComputedStyle(document.querySelector('.fa-times'), '::before').content"
        )
        assert mark == '"\u2718"'
        assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith(
            '"DejaVu Sans"'
        )
        screens.take("validation-gate_ranges_indicators")
        browser.close()

    assert attempted == []
    keep_artifacts(screens_dir, "data-docs")
