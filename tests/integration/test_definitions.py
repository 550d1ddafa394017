"""The code location loads as `dagster dev` loads it, with one connected graph."""

import importlib.metadata
import re
from datetime import date

import dagster as dg
import duckdb

from ase_impact.core.keys import FIRST_PERIOD
from orchestration.assets.transformations import DbtBuildConfig, build_command, dbt_manifest
from orchestration.dbt_project import (
    forget_referentiel_loaded,
    loaded_and_checked_referentiel,
    record_referentiel_loaded,
    referentiel_loaded,
    referentiel_tests,
)
from orchestration.definitions import defs
from orchestration.partitions import month_partitions

REPORTED_MARTS = (
    "fct_indicators",
    "mart_value_chain",
    "mart_impact_dimensions",
    "mart_submissions",
    "dim_period",
)
# Each mart's référentiel input: a seed, or the registry the pipeline loads before each build.
REFERENTIEL_MARTS = {
    "indicator_catalog": ["referentiel", "indicator_catalog"],
    "dim_association": ["raw", "associations"],
}
# dbt's schemas: its generic tests become asset checks without a description.
DBT_SCHEMAS = {"referentiel", "staging", "intermediate", "marts", "reporting"}
RAW_TABLES = ("pairs", "end_questionnaires", "mispe_questionnaires", "resources", "activities")


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, frontier = set(), [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)


def test_the_marts_descend_from_the_workbook_and_the_referentiel():
    graph = defs.resolve_asset_graph()
    for mart in REPORTED_MARTS:
        ancestors = _ancestors(graph, dg.AssetKey(["marts", mart]))
        assert dg.AssetKey(["reporting", "workbook"]) in ancestors, mart
    for mart, source in REFERENTIEL_MARTS.items():
        assert dg.AssetKey(source) in _ancestors(graph, dg.AssetKey(["marts", mart]))
    fct_ancestors = _ancestors(graph, dg.AssetKey(["marts", "fct_indicators"]))
    for table in RAW_TABLES:
        assert dg.AssetKey(["raw", table]) in fct_ancestors
        assert dg.AssetKey(["staging", f"stg_reporting__{table}"]) in fct_ancestors


def test_contract_checks_and_dbt_tests_are_asset_checks():
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    for table in RAW_TABLES:
        assert (f"raw/{table}", f"contrat_{table}") in checks
    assert any(asset == "marts/fct_indicators" for asset, _ in checks)


def test_the_referentiel_tests_are_not_asset_checks_and_skipped_once_passed(tmp_path):
    """The référentiel's tests (every parent a seed) check the release, not the month: they
    are not asset checks, and a build skips them once a build of the same project passed them
    on its warehouse; a full refresh, or another project, runs them again."""
    manifest = dbt_manifest
    referentiel = referentiel_tests(manifest)
    assert "unique_indicator_catalog_indicator_code" in referentiel
    assert "assert_age_bands_cover_ages_once" in referentiel
    for name in referentiel:
        [node] = [n for n in manifest["nodes"].values() if n["name"] == name]
        assert all(p.startswith("seed.") for p in manifest["parent_map"][node["unique_id"]])
    check_names = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert check_names.isdisjoint(referentiel)
    assert "not_null_columns_stg_reporting__pairs" in check_names

    plain, full = DbtBuildConfig(), DbtBuildConfig(full_refresh=True)
    assert "--exclude" not in build_command(plain, referentiel_loaded=False)
    assert build_command(plain, referentiel_loaded=True)[-2:] == [
        "--exclude",
        " ".join(referentiel),
    ]
    assert "--exclude" not in build_command(full, referentiel_loaded=True)

    # Skipped once passed on this warehouse by a build of this very project: the record.
    with duckdb.connect(str(tmp_path / "ase_impact.duckdb")) as conn:
        check_the_referentiel_loaded_record(conn)


def test_the_seeds_load_once_per_project_and_warehouse():
    """A build loads the référentiel's seeds, and runs its tests, when its warehouse does not
    record that a build of the same project loaded every seed and passed every one of those
    tests; the record is in the warehouse itself, so a new or restored warehouse loads them
    again; a full refresh always does."""
    plain, full = DbtBuildConfig(), DbtBuildConfig(full_refresh=True)
    # By resource type: the tests reading a seed (relationships to its lists) still run.
    assert build_command(plain, referentiel_loaded=True)[:4] == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "seed",
    ]
    assert "seed" not in build_command(plain, referentiel_loaded=False)
    assert "seed" not in build_command(full, referentiel_loaded=True)

    seeds = [unique_id for unique_id in dbt_manifest["nodes"] if unique_id.startswith("seed.")]
    assert len(seeds) > 10
    tests = [
        unique_id
        for unique_id, node in dbt_manifest["nodes"].items()
        # dbt runs no disabled test (one of the registry's, whose seed is disabled).
        if node["resource_type"] == "test"
        and node["config"]["enabled"]
        and node["name"] in referentiel_tests(dbt_manifest)
    ]
    passed = [{"unique_id": test, "status": "pass"} for test in tests]
    every_seed = [{"unique_id": seed, "status": "success"} for seed in seeds]
    assert loaded_and_checked_referentiel(dbt_manifest, {"results": every_seed + passed})
    one_failed = [*every_seed[1:], {"unique_id": seeds[0], "status": "error"}]
    assert not loaded_and_checked_referentiel(dbt_manifest, {"results": one_failed + passed})
    assert not loaded_and_checked_referentiel(dbt_manifest, {"results": every_seed[1:] + passed})
    # Seeds loaded, but the référentiel's tests not run (a subset built from the UI) or failed.
    assert not loaded_and_checked_referentiel(dbt_manifest, {"results": every_seed})
    test_failed = [*passed[1:], {"unique_id": tests[0], "status": "fail"}]
    assert not loaded_and_checked_referentiel(dbt_manifest, {"results": every_seed + test_failed})


def check_the_referentiel_loaded_record(conn) -> None:
    """On a new warehouse: nothing loaded; then the last project recorded, and none once
    forgotten (test_postgresql_loading.py runs it on PostgreSQL)."""
    assert not referentiel_loaded(conn, "project-a")
    conn.execute("CREATE SCHEMA referentiel")
    record_referentiel_loaded(conn, "project-a")
    record_referentiel_loaded(conn, "project-a")
    assert referentiel_loaded(conn, "project-a")
    assert not referentiel_loaded(conn, "project-b")
    record_referentiel_loaded(conn, "project-b")
    assert referentiel_loaded(conn, "project-b") and not referentiel_loaded(conn, "project-a")
    forget_referentiel_loaded(conn)
    assert not referentiel_loaded(conn, "project-b")


def test_the_schedule_sensors_and_jobs_are_listed():
    assert {schedule.name for schedule in defs.schedules} == {"monthly_schedule"}
    assert {sensor.name for sensor in defs.sensors} == {
        "raw_files_sensor",
        "build_after_ingestion_sensor",
    }
    assert defs.resolve_job_def("ingestion_job").partitions_def is not None
    build_keys = defs.resolve_job_def("build_job").asset_layer.executable_asset_keys
    assert dg.AssetKey(["marts", "fct_indicators"]) in build_keys
    assert dg.AssetKey(["outputs", "published_snapshot"]) in build_keys
    assert dg.AssetKey(["raw", "pairs"]) not in build_keys


def test_the_graph_runs_from_workbook_to_gate_and_outputs():
    graph = defs.resolve_asset_graph()
    for output in ("published_snapshot", "consolidated_workbooks"):
        ancestors = _ancestors(graph, dg.AssetKey(["outputs", output]))
        assert dg.AssetKey(["reporting", "workbook"]) in ancestors
        assert dg.AssetKey(["marts", "fct_indicators"]) in ancestors
    # The consolidated workbooks read the marts and dbt's reporting models, nothing below.
    workbook_parents = graph.get(dg.AssetKey(["outputs", "consolidated_workbooks"])).parent_keys
    assert {key.path[0] for key in workbook_parents} == {"marts", "reporting"}
    assert dg.AssetKey(["reporting", "rpt_consolidated_pairs"]) in workbook_parents
    gate_checks = {
        (key.asset_key.to_user_string(), key.name)
        for key in graph.asset_check_keys
        if key.name.startswith("gate_")
    }
    assert ("marts/fct_indicators", "gate_ranges_indicators") in gate_checks
    assert ("marts/mart_submissions", "gate_completeness_submissions") in gate_checks


def test_the_dbt_resource_knows_dbt_version_without_starting_dbt(monkeypatch):
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dagster_dbt import DbtCliResource

    from orchestration.resources import installed_dbt

    # The attribute overridden is the one dagster-dbt reads (a rename would undo the saving).
    assert "_cli_version" in vars(DbtCliResource)

    def no_process(*args, **kwargs):
        raise AssertionError(f"dbt started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_process)
    resource = installed_dbt(str(defs.resources["dbt"].project_dir))
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")


def test_the_dbt_resource_starts_dbt_without_an_adapter_of_its_own(monkeypatch):
    """dagster-dbt would set up a dbt adapter in the step's process before starting dbt (about
    a second); only its row-count and column-metadata fetches use it, and the pipeline makes
    neither."""
    import dagster_dbt.core.resource as dagster_dbt_resource
    from dagster_dbt import DbtCliResource

    from orchestration.dbt_project import dbt_project
    from orchestration.resources import installed_dbt

    # The method overridden is the one dagster-dbt calls (a rename would undo the saving).
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    started = {}

    def start(cls, **invocation):
        started.update(invocation)

    monkeypatch.setattr(dagster_dbt_resource.DbtCliInvocation, "run", classmethod(start))
    resource = installed_dbt(str(defs.resources["dbt"].project_dir))
    resource.cli(["ls"], manifest=dbt_project.manifest_path)
    assert started["args"][1:2] == ["ls"]
    assert started["adapter"] is None


# An HTML tag as the UI's Markdown renderer would take it (and eat): "<AAAA-MM>", "<code>".
HTML_TAG = re.compile(r"<[A-Za-z/!]")
CODE_SPAN = re.compile(r"`[^`]*`")


def _renders(description: str | None) -> bool:
    return bool(description) and not HTML_TAG.search(CODE_SPAN.sub("", description))


def test_every_description_the_ui_shows_renders():
    """Descriptions are Markdown in the UI: a placeholder like <AAAA-MM> outside backquotes
    would vanish ("raw//.xlsx"). Every asset, the project's own checks, every job, sensor and
    schedule has one; dbt's generic tests are described by their names."""
    graph = defs.resolve_asset_graph()
    assets = {
        key.to_user_string(): graph.get(key).description for key in graph.get_all_asset_keys()
    }
    own_checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": graph.get(key).description
        for key in graph.asset_check_keys
        if graph.get(key).description or key.asset_key.path[0] not in DBT_SCHEMAS
    }
    automations = {item.name: item.description for item in [*defs.sensors, *defs.schedules]}
    jobs = {name: defs.resolve_job_def(name).description for name in ("ingestion_job", "build_job")}
    broken = {
        name: description
        for group in (assets, own_checks, automations, jobs)
        for name, description in group.items()
        if not _renders(description)
    }
    assert not broken
    assert "`raw/AAAA-MM/code.xlsx`" in assets["reporting/workbook"]
    own_names = {name.split(":")[-1] for name in own_checks}
    assert {"fichier_accepte", "depots_complets", "contrat_pairs"} <= own_names


def test_month_partitions_run_from_the_first_period_to_this_month():
    months = month_partitions.get_partition_keys()
    assert months[0] == FIRST_PERIOD
    assert months[-1] == date.today().strftime("%Y-%m")
    assert len(months) == len(set(months))


def test_every_missing_file_is_reported_by_the_completeness_check():
    graph = defs.resolve_asset_graph()
    check = dg.AssetCheckKey(dg.AssetKey(["marts", "mart_submissions"]), "depots_complets")
    assert check in graph.asset_check_keys
    build_checks = defs.resolve_job_def("build_job").asset_layer.asset_graph.asset_check_keys
    assert check in build_checks
