"""`ase-impact run` on the shipped demo set, as `make run` does it, twice.

The demo generator's manifest says which cells are wrong on purpose: the run must reject
exactly those, refuse exactly the broken file, build the marts, and change nothing when re-run.
"""

import json
import re
import shutil
import subprocess

import duckdb
import pytest
from openpyxl import load_workbook

from ase_impact.core import keys, referentiel
from ase_impact.core.settings import PROJECT_ROOT, load_settings
from ase_impact.publish.consolidated import MASKED_GROUP_LABEL, consolidated_paths
from ase_impact.publish.feedback import feedback_path
from ase_impact.publish.pdf import render_pdf
from orchestration.assets.transformations import dbt_manifest
from orchestration.dbt_project import (
    last_build_dir,
    referentiel_loaded,
    referentiel_tests,
    sources_fingerprint,
)
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.test_consolidated_workbook import charted
from tests.integration.test_loading import raw_counts
from tests.unit.test_docs import marts_examples

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e


def _query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _raw_counts(warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return raw_counts(conn)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_run")
    with isolated_environment(root):
        raw_dir = root / "raw"
        shutil.copytree(PROJECT_ROOT / "raw", raw_dir)
        warehouse = root / "warehouse" / "ase_impact.duckdb"
        arguments = ["run", "--raw-dir", str(raw_dir), "--warehouse", str(warehouse)]
        first = run_cli(*arguments)
        counts_after_first = _raw_counts(warehouse)
        second = run_cli(*arguments)
        yield {
            "outputs": load_settings().outputs_dir,
            "manifest": json.loads((raw_dir / "demo_manifest.json").read_text()),
            "warehouse": warehouse,
            "runs": (first, second),
            "counts": (counts_after_first, _raw_counts(warehouse)),
        }


def test_both_runs_succeed_and_the_second_changes_nothing(demo_run):
    first, second = demo_run["runs"]
    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr + second.stderr
    assert "Fichiers intégrés : 0 · inchangés (déjà intégrés) : 20" in second.stdout
    first_counts, second_counts = demo_run["counts"]
    assert first_counts == second_counts
    assert all(count > 0 for count in first_counts.values())
    versions = _query(demo_run["warehouse"], "select max(version) from quality.submissions")
    assert versions == [(1,)]


def test_the_last_build_keeps_its_dbt_results_and_the_second_build_parses_partially(demo_run):
    kept = last_build_dir(demo_run["warehouse"])
    results = json.loads((kept / "run_results.json").read_text())["results"]
    assert results and {result["status"] for result in results} <= {"success", "pass", "no-op"}
    # dbt's unit tests run in the test suite's builds, not in the pipeline's; the first build
    # loaded the référentiel's seeds, which the second, of the same project, found in place.
    assert {result["unique_id"].split(".")[0] for result in results} == {
        "model",
        "test",
        "exposure",
    }
    with duckdb.connect(str(demo_run["warehouse"]), read_only=True) as conn:
        assert referentiel_loaded(conn, sources_fingerprint())
        assert not referentiel_loaded(conn, "another-project")
    assert _query(demo_run["warehouse"], "select count(*) from referentiel.indicator_catalog")[0][0]
    # Only the exposures (the workbooks and the published copy) have nothing to run.
    assert {
        result["unique_id"].split(".")[0] for result in results if result["status"] == "no-op"
    } == {"exposure"}
    # The first build passed the référentiel's tests (referentiel_loaded above); the second, of
    # the same project, did not run them again, and ran the tests of the data.
    ran = {result["unique_id"].split(".")[2] for result in results}
    assert ran.isdisjoint(referentiel_tests(dbt_manifest))
    assert "assert_suppressed_cells_not_recoverable" in ran
    # Every other test ran, those reading a seed (a mart's relationship to a list) included.
    data_tests = {
        node["name"]
        for node in dbt_manifest["nodes"].values()
        if node["resource_type"] == "test" and node["config"]["enabled"]
    } - set(referentiel_tests(dbt_manifest))
    assert data_tests <= ran
    assert "relationships_mart_value_chain_unit__unit__ref_indicator_units_" in data_tests
    assert (kept / "partial_parse.msgpack").stat().st_size > 0
    # The first build's parse state, kept beside the warehouse, spared the second a full parse.
    second_build_log = (kept / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in second_build_log
    assert "partial pars" in second_build_log.casefold()
    # In dbt's text format at debug level (every statement dbt ran), without colour codes.
    assert re.search(
        r"^\d\d:\d\d:\d\d\.\d{6} \[debug\] \[Thread-\d \(\]: On model\.ase_impact\.\w+: BEGIN$",
        second_build_log,
        re.MULTILINE,
    )
    assert "\x1b[" not in second_build_log and '{"data"' not in second_build_log


def test_rejected_rows_and_alerts_are_exactly_the_deliberate_errors(demo_run):
    manifest = demo_run["manifest"]
    for severity, table in (("erreur", "rejected_rows"), ("alerte", "row_alerts")):
        expected = {
            (defect["file"], defect["sheet"], defect["excel_row"], defect["column_header"])
            for defect in manifest["row_defects"]
            if defect["severity"] == severity
        }
        found = set(
            _query(
                demo_run["warehouse"],
                f"""
                select s.file_name, r.sheet, r.excel_row, r.column_header
                from quality.{table} r join quality.submissions s on s.sha256 = r.file_sha256
                """,
            )
        )
        assert found == expected, table


def test_the_summary_names_each_error_and_the_refused_file(demo_run):
    first_output = demo_run["runs"][0].stdout
    for defect in demo_run["manifest"]["row_defects"]:
        if defect["severity"] == "erreur":
            assert f"onglet « {defect['sheet']} », ligne {defect['excel_row']}" in first_output
    refused = demo_run["manifest"]["file_defects"][0]["file"]
    assert f"{refused}, version 1\n    statut : refusé" in first_output
    period, association = refused.removesuffix(".xlsx").split("/")
    feedback = feedback_path(demo_run["outputs"], period, association)
    assert (
        "le fichier indique la période 2026-09 mais a été déposé dans 2026-10.\n"
        f"    · aucune version n'est en vigueur\n    · détail : {feedback}\n"
    ) in first_output
    assert feedback.is_file()
    assert _query(demo_run["warehouse"], "select file_name from quality.file_errors") == [
        (refused,)
    ]


def test_the_documented_example_queries_give_one_row_per_thing_they_list(demo_run):
    published = demo_run["warehouse"].with_name("ase_impact_published.duckdb")
    with duckdb.connect(str(published), read_only=True) as conn:
        for sql in marts_examples():
            rows = conn.execute(sql).fetchall()
            assert rows, sql
            # What a row is about (territory, association, dimension and wave…) is its text.
            labels = [tuple(cell for cell in row if isinstance(cell, str)) for row in rows]
            assert len(set(labels)) == len(rows), sql


def test_the_marts_cover_every_indicator_for_every_month(demo_run):
    catalogue = {row["indicator_code"] for row in referentiel.indicator_catalog()}
    months = demo_run["manifest"]["periods"]
    covered = _query(
        demo_run["warehouse"],
        """
        select strftime(period, '%Y-%m'), list(distinct indicator_code)
        from marts.fct_indicators
        where scope = 'departement' and period_grain = 'month'
        group by 1
        """,
    )
    published = sorted(month for month, _ in covered)
    # Every month from the first activity to the latest file, those without a file included
    # (an answer given then is counted then), without a gap.
    assert set(months) <= set(published) and published[-1] == max(months)
    assert published == keys.supported_periods(keys.period_start(max(months)))[-len(published) :]
    for month, codes in covered:
        assert set(codes) == catalogue, month


def test_submissions_show_who_did_not_report(demo_run):
    missing = _query(
        demo_run["warehouse"],
        "select strftime(period, '%Y-%m'), association_code from marts.mart_submissions "
        "where status = 'missing'",
    )
    assert sorted(map(list, missing)) == sorted(demo_run["manifest"]["missing_submissions"])


def test_the_diffusion_charts_never_draw_a_masked_category_nor_renormalise(demo_run):
    """Every chart of every month's shared workbook, read through its cell ranges: no masked
    category drawn as an empty or 0 cell, and the drawn slices add up to the true total (the
    internal version's), the masked ones grouped as « autres (masqué) »; where the masked
    total cannot be shown the chart is left out (a note says so)."""
    grouped = 0
    for month in demo_run["manifest"]["periods"]:
        internal_path, diffusion_path = consolidated_paths(demo_run["outputs"], month)
        internal = charted(internal_path, load_workbook(internal_path))
        diffusion = charted(diffusion_path, load_workbook(diffusion_path))
        assert set(diffusion) <= set(internal)
        for title, (_, labels, values) in diffusion.items():
            assert all(isinstance(value, int | float) for value in values), (month, title)
            _, internal_labels, internal_values = internal[title]
            assert sum(values) == sum(internal_values), (month, title)
            shown = dict(zip(internal_labels, internal_values, strict=True))
            for label, value in zip(labels, values, strict=True):
                if label == MASKED_GROUP_LABEL:
                    grouped += 1
                    hidden = set(internal_labels) - set(labels)
                    assert len(hidden) >= 2 and value == sum(shown[h] for h in hidden)
                else:
                    assert value == shown[label], (month, title, label)
    assert grouped  # the demo set masks some categories


def test_the_demo_sex_pie_is_not_a_single_slice_at_100_percent(demo_run):
    """The issue's case: « Femme 45 ; 100 % » because « Homme » was masked. Rendered to PNG by
    LibreOffice (test-artifacts/diffusion/, kept for a look); the assertion is on the data
    behind the chart."""
    title = "Jeunes accompagnés par sexe"
    checked = []
    for month in demo_run["manifest"]["periods"]:
        internal_path, diffusion_path = consolidated_paths(demo_run["outputs"], month)
        internal = charted(internal_path, load_workbook(internal_path))[title]
        masked = load_workbook(diffusion_path)["Tableau de bord"]
        if title not in charted(diffusion_path, load_workbook(diffusion_path)):
            notes = [row[0] for row in masked.iter_rows(values_only=True) if row[0]]
            assert any(str(note).startswith("Graphique non diffusé") for note in notes)
            continue
        _, labels, values = charted(diffusion_path, load_workbook(diffusion_path))[title]
        # No slice holds every youth unless the internal version says so too.
        if max(values) == sum(values):
            assert max(internal[2]) == sum(internal[2]), month
        checked.append(month)
    assert checked
    month = sorted(demo_run["manifest"]["periods"])[-1]
    artifacts = PROJECT_ROOT / "test-artifacts" / "diffusion"
    shutil.rmtree(artifacts, ignore_errors=True)
    pdf = render_pdf(consolidated_paths(demo_run["outputs"], month)[1], artifacts)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(artifacts / f"diffusion_{month}")],
        check=True,
        timeout=120,
    )
    pages = sorted(artifacts.glob(f"diffusion_{month}-*.png"))
    assert pages and all(page.stat().st_size > 1000 for page in pages)


def test_the_console_summary_is_in_month_order_names_missing_files_and_real_paths(demo_run):
    stdout = demo_run["runs"][0].stdout
    started = [line.split()[2][:7] for line in stdout.splitlines() if line.startswith("Intég")]
    assert started == sorted(demo_run["manifest"]["periods"])
    # The expected file never received, as marts.mart_submissions counts it.
    for period, code in demo_run["manifest"]["missing_submissions"]:
        assert f"- {period} · {code} " in stdout and "fichier attendu, non reçu" in stdout
    # An alert comes with its file, its count and where the detail is.
    assert "1 ligne(s) acceptée(s) avec alerte dans 2026-10/les-tilleuls.xlsx" in stdout
    assert "retours/les-tilleuls.xlsx" in stdout
    assert "<AAAA-MM>" not in stdout
    outputs = demo_run["warehouse"].parent.parent / "outputs"
    assert ", ".join(str(outputs / period) for period in demo_run["manifest"]["periods"]) in stdout
