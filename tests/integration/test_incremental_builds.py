"""Incremental builds by window (docs/performance.md#incremental-builds), on both engines.

envol-mentorat (A) reports from January to April 2026, cap-avenir (B) in March. Then:
- A's February file is corrected (« Séances réalisées » 330 → 9): the build recomputes the
  windows covering February only: the month, Q1, the years to date from February on and the
  year, not January, March, April, the year to date of January nor Q2;
- B's January file arrives late: January, Q1, every year to date and the year are recomputed,
  and B's pair is counted in January.
After both, a build with --full-refresh gives the same marts and reporting tables, row for row.
`ase-impact run --full-refresh` asks dbt for it through the build run's config.
Names are invented; nothing here names anyone.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pytest

from ase_impact.core.settings import PATH_SETTINGS, load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import schema
from ase_impact.warehouse.connection import connect, locked_connection
from orchestration.dbt_project import dbt_environment, last_build_dir
from orchestration.instance import project_instance
from orchestration.jobs import BUILD_JOB
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.dbt_build import run_dbt_build
from tests.integration.engines import differing_tables, mart_dump
from tests.integration.sample_rows import pair_row
from tests.workbook_factory import write_workbook

A, B = "envol-mentorat", "cap-avenir"
JAN, FEB, MAR, APR = (date(2026, month, 1) for month in (1, 2, 3, 4))
Q1, Q2 = JAN, APR


def pair(pair_id: str, youth: tuple, applied_on: date, matched_on: date) -> dict:
    return pair_row(
        pair_id,
        *youth,
        **{"Date de candidature": applied_on, "Date de mise en relation": matched_on},
    )


A_01 = pair("A-01", ("Orvanel", "Saphie", date(2012, 5, 4)), date(2025, 12, 1), date(2026, 1, 5))
A_02 = pair("A-02", ("Dumorac", "Tiago", date(2011, 2, 17)), date(2025, 11, 3), date(2025, 12, 1))
B_01 = pair("B-01", ("Ferlinde", "Maëlle", date(2010, 8, 29)), date(2025, 10, 1), date(2025, 11, 3))

# (period, association, pairs, received at)
FIRST_FILES = [
    ("2026-01", A, [A_01, A_02], datetime(2026, 2, 3, 9)),
    (
        "2026-02",
        A,
        [{**A_01, "Séances prévues": 11, "Séances réalisées": 330}, A_02],
        datetime(2026, 3, 3, 9),
    ),
    ("2026-03", A, [A_01, A_02], datetime(2026, 4, 3, 9)),
    ("2026-04", A, [A_01, A_02], datetime(2026, 5, 3, 9)),
    ("2026-03", B, [B_01], datetime(2026, 4, 4, 9)),
]
CORRECTION = (
    "2026-02",
    A,
    [{**A_01, "Séances prévues": 11, "Séances réalisées": 9}, A_02],
    datetime(2026, 3, 20, 9),
)
LATE_FILE = ("2026-01", B, [B_01], datetime(2026, 5, 10, 9))

ALL_WINDOWS = {
    *(("month", month) for month in (JAN, FEB, MAR, APR)),
    ("quarter", Q1),
    ("quarter", Q2),
    *(("year_to_date", month) for month in (JAN, FEB, MAR, APR)),
    ("year", JAN),
}
AFTER_CORRECTION = {("month", FEB), ("quarter", Q1), ("year", JAN)} | {
    ("year_to_date", month) for month in (FEB, MAR, APR)
}
AFTER_LATE_FILE = {("month", JAN), ("quarter", Q1), ("year", JAN)} | {
    ("year_to_date", month) for month in (JAN, FEB, MAR, APR)
}
INCREMENTAL_MODELS = ("int_pairs_snapshotted", "int_pairs_scoped", "int_pairs_aggregated")


class Warehouse:
    """A test's warehouse on one engine: files ingested as received, dbt built on it."""

    def __init__(self, root: Path, warehouse: Path | str):
        self.root = root
        self.settings = load_settings()
        assert str(self.settings.warehouse) == str(warehouse)
        self.builds = 0

    def receive(self, period: str, association: str, pairs: list, received_at: datetime):
        """A file ingested as received at received_at, without a run."""
        self.write(period, association, pairs)
        path = self.settings.raw_dir / period / f"{association}.xlsx"
        with locked_connection(self.settings.warehouse) as conn:
            schema.ensure_schema(conn)
            ingest_file(path, self.settings, conn, received_at)

    def build(self, *options: str) -> str:
        """Run `dbt build`; its invocation id."""
        self.builds += 1
        work_dir = self.root / f"dbt-{self.builds}"
        with pytest.MonkeyPatch.context() as patch:
            for variable, value in dbt_environment(self.settings).items():
                patch.setenv(variable, value)
            result = run_dbt_build(work_dir, *options)
        assert result.success, result.exception
        self.results = json.loads((work_dir / "target" / "run_results.json").read_text())
        return self.results["metadata"]["invocation_id"]

    def rows_checked_by_tests_of(self, model: str) -> set[str]:
        """The filters the last build's data tests of an incremental model ran with."""
        return {
            "only this build's rows"
            if f"dbt_invocation_id = '{self.results['metadata']['invocation_id']}'"
            in result["compiled_code"]
            else "every row"
            for result in self.results["results"]
            if result["unique_id"].startswith("test.ase_impact.")
            and f"_{model}_" in result["unique_id"]
        }

    def write(self, period: str, association: str, pairs: list) -> None:
        """Drop a file in raw/, for `ase-impact run` to find."""
        write_workbook(
            self.settings.raw_dir / period / f"{association}.xlsx",
            association_code=association,
            period=period,
            rows={"pairs": pairs},
        )

    def run(self, *options: str) -> str:
        """`ase-impact run`; the invocation id of its dbt build."""
        run = run_cli("run", *options)
        assert run.exit_code == 0, run.stdout + run.stderr
        kept = last_build_dir(self.settings.warehouse) / "run_results.json"
        return json.loads(kept.read_text())["metadata"]["invocation_id"]

    def windows_built_by(self, invocation_id: str) -> dict[str, set]:
        """For each incremental model, the windows whose rows that invocation computed."""
        with connect(self.settings.warehouse) as conn:
            return {
                model: set(
                    conn.execute(
                        f"SELECT DISTINCT period_grain, period FROM intermediate.{model} "
                        "WHERE dbt_invocation_id = ?",
                        [invocation_id],
                    ).fetchall()
                )
                for model in INCREMENTAL_MODELS
            }

    def pairs_declared(self, grain: str, period: date) -> int:
        with connect(self.settings.warehouse) as conn:
            return conn.execute(
                "SELECT pairs_declared FROM intermediate.int_pairs_aggregated "
                "WHERE period_grain = ? AND period = ? AND scope = 'departement' "
                "AND breakdown = 'total'",
                [grain, period],
            ).fetchone()[0]

    def marts(self) -> dict[str, list[tuple]]:
        with connect(self.settings.warehouse) as conn:
            return mart_dump(conn)


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request, tmp_path):
    if request.param == "postgresql":
        location = request.getfixturevalue("postgres_url")
    else:
        location = tmp_path / "warehouse" / "ase_impact.duckdb"
    variables = {KEY_ENV_VAR: TEST_KEY, PATH_SETTINGS["warehouse"][0]: str(location)}
    with isolated_environment(tmp_path, variables):
        yield Warehouse(tmp_path, location)


def each_model(windows: set) -> dict[str, set]:
    return dict.fromkeys(INCREMENTAL_MODELS, windows)


@pytest.mark.slow
def test_a_correction_and_a_late_file_rebuild_their_windows_only_and_equal_a_full_refresh(
    warehouse,
):
    for received in FIRST_FILES:
        warehouse.receive(*received)
    first = warehouse.build()
    assert warehouse.windows_built_by(first) == each_model(ALL_WINDOWS)
    assert warehouse.pairs_declared("month", JAN) == 2

    warehouse.receive(*CORRECTION)
    corrected = warehouse.build()
    assert warehouse.windows_built_by(corrected) == each_model(AFTER_CORRECTION)
    assert warehouse.windows_built_by(first) == each_model(ALL_WINDOWS - AFTER_CORRECTION)
    # The kept windows' rows were checked by the build that wrote them.
    for model in INCREMENTAL_MODELS:
        assert warehouse.rows_checked_by_tests_of(model) == {"only this build's rows"}, model

    warehouse.receive(*LATE_FILE)
    late = warehouse.build()
    assert warehouse.windows_built_by(late) == each_model(AFTER_LATE_FILE)
    assert warehouse.pairs_declared("month", JAN) == 3
    incremental_marts = warehouse.marts()

    full = warehouse.build("--full-refresh")
    assert warehouse.windows_built_by(full) == each_model(ALL_WINDOWS)
    assert differing_tables(incremental_marts, warehouse.marts()) == []


@pytest.mark.slow
def test_a_build_with_nothing_changed_rebuilds_no_window(warehouse):
    for received in FIRST_FILES:
        warehouse.receive(*received)
    warehouse.build()
    unchanged = warehouse.build()
    assert warehouse.windows_built_by(unchanged) == each_model(set())


def dbt_config_of(run) -> dict | None:
    """The config a build run gave dbt's asset (the launchpad's, or `--full-refresh`'s)."""
    return run.run_config.get("ops", {}).get("ase_impact_dbt_models", {}).get("config")


@pytest.fixture
def duckdb_warehouse(tmp_path):
    location = tmp_path / "warehouse" / "ase_impact.duckdb"
    variables = {KEY_ENV_VAR: TEST_KEY, PATH_SETTINGS["warehouse"][0]: str(location)}
    with isolated_environment(tmp_path, variables):
        yield Warehouse(tmp_path, location)


@pytest.mark.slow
def test_ase_impact_run_full_refresh_rebuilds_every_window_and_changes_no_figure(
    duckdb_warehouse,
):
    warehouse = duckdb_warehouse
    for period, association, pairs, _ in FIRST_FILES:
        warehouse.write(period, association, pairs)
    warehouse.run()
    warehouse.write(*CORRECTION[:3])
    corrected = warehouse.run()
    assert warehouse.windows_built_by(corrected) == each_model(AFTER_CORRECTION)
    incremental_marts = warehouse.marts()

    full = warehouse.run("--full-refresh")
    assert warehouse.windows_built_by(full) == each_model(ALL_WINDOWS)
    assert differing_tables(incremental_marts, warehouse.marts()) == []
    with project_instance(warehouse.settings.dagster_home) as instance:
        builds = instance.get_run_records(dg.RunsFilter(job_name=BUILD_JOB), ascending=True)
    assert [dbt_config_of(record.dagster_run) for record in builds] == [
        None,
        None,
        {"full_refresh": True},
    ]
