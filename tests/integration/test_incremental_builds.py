"""Incremental builds by window (docs/performance.md#incremental-builds), on both engines.

envol-mentorat (A) reports from January to April 2026, cap-avenir (B) in March. Then:
- A's February file is corrected (« Séances réalisées » 330 → 9): the build recomputes the
  windows covering February only: the month, Q1, the years to date from February on and the
  year, not January, March, April, the year to date of January nor Q2; the pairs' snapshots
  of those windows are taken again for A only;
- B's January file arrives late: January, Q1, every year to date and the year are recomputed
  (their snapshots for B only), and B's pair is counted in January.
A new month (A's May file) snapshots the windows covering it for every association: B's March
pairs enter May's year to date though B sent nothing for May.
Disclosure control is incremental by window of cells: a build masks again the windows whose
indicator cells changed, whatever changed them, and only those.
After both, a build with --full-refresh gives the same marts and reporting tables, row for row.
What every window reads besides the files (which associations mentor, the disclosure
threshold) recomputes every window when it changes, and equals a full refresh too.
`ase-impact run --full-refresh` asks dbt for it through the build run's config.

The end-of-mentoring questionnaire tab is cumulative: A's April file, corrected, changes the
answer of a questionnaire given in January, so the questionnaire indicators recompute the
windows covering January as well as April's. The MIS PE cells are incremental by youth: B's
March file, corrected, changes one youth's answers, and only that youth's rows are recomputed.
Names are invented; nothing here names anyone.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import pytest

from ase_impact.core.settings import (
    MIN_CELL_FLOOR,
    MIN_CELL_VARIABLE,
    PATH_SETTINGS,
    load_settings,
)
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import schema
from ase_impact.warehouse.connection import connect, locked_connection
from orchestration.dbt_project import dbt_environment, last_build_dir
from orchestration.instance import project_instance
from orchestration.jobs import BUILD_JOB
from tests.conftest import edited_demo_registry, isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.dbt_build import run_dbt_build
from tests.integration.engines import differing_tables, mart_dump
from tests.integration.sample_rows import end_questionnaire_row, mispe_row, pair_row
from tests.workbook_factory import write_workbook

A, B = "envol-mentorat", "cap-avenir"
JAN, FEB, MAR, APR, MAY = (date(2026, month, 1) for month in (1, 2, 3, 4, 5))
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
NEW_MONTH = ("2026-05", A, [A_01, A_02], datetime(2026, 6, 3, 9))

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
COVERING_MARCH = {("month", MAR), ("quarter", Q1), ("year", JAN)} | {
    ("year_to_date", month) for month in (MAR, APR)
}
AFTER_LATE_FILE = {("month", JAN), ("quarter", Q1), ("year", JAN)} | {
    ("year_to_date", month) for month in (JAN, FEB, MAR, APR)
}
SNAPSHOT_MODEL = "int_pairs_snapshotted"
INCREMENTAL_MODELS = (
    SNAPSHOT_MODEL,
    "int_pairs_scoped",
    "int_pairs_aggregated",
    "int_pair_indicators_unpivoted",
)
QUESTIONNAIRE_MODEL = "int_end_questionnaire_indicators_aggregated"
MISPE_MODEL = "int_mispe_cells_sequenced"
CELLS_MODEL = "int_indicators_suppressed"


class Warehouse:
    """A test's warehouse on one engine: files ingested as received, dbt built on it."""

    def __init__(self, root: Path, warehouse: Path | str):
        self.root = root
        assert str(self.settings.warehouse) == str(warehouse)
        self.builds = 0

    @property
    def settings(self):
        """The settings as the environment gives them now, as each run reads them."""
        return load_settings()

    def receive(
        self,
        period: str,
        association: str,
        pairs: list,
        received_at: datetime,
        questionnaires: list = (),
        mispe: list = (),
    ):
        """A file ingested as received at received_at, without a run."""
        self.write(period, association, pairs, questionnaires, mispe)
        path = self.settings.raw_dir / period / f"{association}.xlsx"
        with locked_connection(self.settings.warehouse) as conn:
            schema.ensure_schema(conn)
            report = ingest_file(path, self.settings, conn, received_at)
        assert report.rows_rejected == 0, report.findings.to_dict("records")

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

    def write(
        self,
        period: str,
        association: str,
        pairs: list,
        questionnaires: list = (),
        mispe: list = (),
    ):
        """Drop a file in raw/, for `ase-impact run` to find."""
        write_workbook(
            self.settings.raw_dir / period / f"{association}.xlsx",
            association_code=association,
            period=period,
            rows={
                "pairs": pairs,
                "end_questionnaires": list(questionnaires),
                "mispe_questionnaires": list(mispe),
            },
        )

    def run(self, *options: str) -> str:
        """`ase-impact run`; the invocation id of its dbt build."""
        run = run_cli("run", *options)
        assert run.exit_code == 0, run.stdout + run.stderr
        kept = last_build_dir(self.settings.warehouse) / "run_results.json"
        return json.loads(kept.read_text())["metadata"]["invocation_id"]

    def windows_built_by(
        self, invocation_id: str, models: tuple[str, ...] = INCREMENTAL_MODELS
    ) -> dict[str, set]:
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
                for model in models
            }

    def snapshots_built_by(self, invocation_id: str) -> set[tuple]:
        """The (window, association) whose pairs that invocation snapshotted."""
        with connect(self.settings.warehouse) as conn:
            return set(
                conn.execute(
                    f"SELECT DISTINCT period_grain, period, association_code "
                    f"FROM intermediate.{SNAPSHOT_MODEL} WHERE dbt_invocation_id = ?",
                    [invocation_id],
                ).fetchall()
            )

    def cells_by_window(self) -> dict[tuple, list[tuple]]:
        """The indicator cells disclosure control reads, by window, in a comparable order."""
        with connect(self.settings.warehouse) as conn:
            [(built,)] = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                "'intermediate' AND table_name = 'int_indicators_completed'"
            ).fetchall()
            if not built:
                return {}
            rows = conn.execute("SELECT * FROM intermediate.int_indicators_completed").fetchall()
        windows: dict[tuple, list[tuple]] = {}
        for row in rows:
            windows.setdefault((row[0], row[1]), []).append(tuple(map(str, row)))
        return {window: sorted(cells) for window, cells in windows.items()}

    def build_masking_changed_cells(self, *options: str) -> str:
        """`dbt build`, checking that it masked again exactly the windows whose cells changed
        (every window on a full refresh); its invocation id."""
        before = self.cells_by_window()
        invocation_id = self.build(*options)
        after = self.cells_by_window()
        changed = {
            window
            for window in before.keys() | after.keys()
            if "--full-refresh" in options or before.get(window) != after.get(window)
        }
        assert self.windows_built_by(invocation_id, (CELLS_MODEL,)) == {CELLS_MODEL: changed}
        return invocation_id

    def youth_built_by(self, invocation_id: str) -> set[str]:
        """The youth whose MIS PE cells that invocation computed."""
        with connect(self.settings.warehouse) as conn:
            return {
                youth
                for (youth,) in conn.execute(
                    f"SELECT DISTINCT youth_key FROM intermediate.{MISPE_MODEL} "
                    "WHERE dbt_invocation_id = ?",
                    [invocation_id],
                ).fetchall()
            }

    def mispe_scores(self) -> dict[tuple, float]:
        """Each youth's score per dimension and month answered, for association B."""
        with connect(self.settings.warehouse) as conn:
            rows = conn.execute(
                f"SELECT youth_key, mis_pe_dimension, answered_period, score "
                f"FROM intermediate.{MISPE_MODEL} "
                "WHERE scope = 'association' AND association_code = ? AND breakdown = 'total'",
                [B],
            ).fetchall()
        return {(youth, dimension, month): score for youth, dimension, month, score in rows}

    def youth_answering_yes(self, indicator_code: str, grain: str, period: date) -> int:
        """A questionnaire indicator of association A, before disclosure control."""
        with connect(self.settings.warehouse) as conn:
            row = conn.execute(
                f"SELECT value FROM intermediate.{QUESTIONNAIRE_MODEL} "
                "WHERE indicator_code = ? AND period_grain = ? AND period = ? "
                "AND scope = 'association' AND association_code = ?",
                [indicator_code, grain, period, A],
            ).fetchone()
        return 0 if row is None else int(row[0])

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
    first = warehouse.build_masking_changed_cells()
    assert warehouse.windows_built_by(first) == each_model(ALL_WINDOWS)
    assert warehouse.pairs_declared("month", JAN) == 2

    warehouse.receive(*CORRECTION)
    corrected = warehouse.build_masking_changed_cells()
    assert warehouse.windows_built_by(corrected) == each_model(AFTER_CORRECTION)
    assert warehouse.snapshots_built_by(corrected) == {(*w, A) for w in AFTER_CORRECTION}
    kept = warehouse.windows_built_by(first)
    assert kept == each_model(ALL_WINDOWS - AFTER_CORRECTION) | {
        # B's snapshots of the windows covering February and its March file stay as they were.
        SNAPSHOT_MODEL: (ALL_WINDOWS - AFTER_CORRECTION) | (AFTER_CORRECTION & COVERING_MARCH)
    }
    # Only cells of windows covering February changed: no other window was masked again.
    masked_again = warehouse.windows_built_by(corrected, (CELLS_MODEL,))[CELLS_MODEL]
    assert masked_again and masked_again <= AFTER_CORRECTION
    # The kept windows' rows were checked by the build that wrote them.
    for model in (*INCREMENTAL_MODELS, CELLS_MODEL):
        assert warehouse.rows_checked_by_tests_of(model) == {"only this build's rows"}, model

    warehouse.receive(*LATE_FILE)
    late = warehouse.build_masking_changed_cells()
    assert warehouse.windows_built_by(late) == each_model(AFTER_LATE_FILE)
    assert warehouse.snapshots_built_by(late) == {(*w, B) for w in AFTER_LATE_FILE}
    assert warehouse.pairs_declared("month", JAN) == 3
    incremental_marts = warehouse.marts()

    full = warehouse.build_masking_changed_cells("--full-refresh")
    assert warehouse.windows_built_by(full) == each_model(ALL_WINDOWS)
    assert differing_tables(incremental_marts, warehouse.marts()) == []


@pytest.mark.slow
def test_a_build_with_nothing_changed_rebuilds_no_window(warehouse):
    for received in FIRST_FILES:
        warehouse.receive(*received)
    warehouse.build()
    unchanged = warehouse.build()
    assert warehouse.windows_built_by(
        unchanged, (*INCREMENTAL_MODELS, CELLS_MODEL)
    ) == dict.fromkeys((*INCREMENTAL_MODELS, CELLS_MODEL), set())


@pytest.mark.slow
def test_a_new_month_snapshots_its_windows_for_every_association(warehouse):
    """May enters the calendar with A's file only: the windows covering it are new or grow, and
    every association's pairs are snapshotted in them, B's March pairs included."""
    for received in FIRST_FILES:
        warehouse.receive(*received)
    warehouse.build()

    warehouse.receive(*NEW_MONTH)
    new_month = warehouse.build_masking_changed_cells()
    covering_may = {("month", MAY), ("quarter", Q2), ("year_to_date", MAY), ("year", JAN)}
    assert warehouse.windows_built_by(new_month) == each_model(covering_may)
    # B sent nothing for May; its March pairs are in May's year to date and in the year.
    assert warehouse.snapshots_built_by(new_month) == {(*w, A) for w in covering_may} | {
        ("year_to_date", MAY, B),
        ("year", JAN, B),
    }
    incremental_marts = warehouse.marts()

    warehouse.build("--full-refresh")
    assert differing_tables(incremental_marts, warehouse.marts()) == []


@pytest.mark.slow
def test_a_new_registry_or_threshold_rebuilds_every_window_and_equals_a_full_refresh(
    warehouse, monkeypatch
):
    """What every window reads besides the files: which associations mentor (the registry)
    and the disclosure threshold. A change to either recomputes every window, not only those
    of a month whose files changed."""
    for received in FIRST_FILES:
        warehouse.receive(*received)
    warehouse.build()
    assert warehouse.pairs_declared("month", MAR) == 3

    # Cap Avenir no longer mentors: its pair leaves the département's figures of every window.
    registry = registry_without_mentoring(B, warehouse.root / "registre.csv")
    monkeypatch.setenv(PATH_SETTINGS["registry"][0], str(registry))
    left = warehouse.build_masking_changed_cells()
    # The pairs' snapshots read only each association's own coded pairs: they stay.
    every_window_but_snapshots = each_model(ALL_WINDOWS) | {SNAPSHOT_MODEL: set()}
    assert warehouse.windows_built_by(left) == every_window_but_snapshots
    assert warehouse.pairs_declared("month", MAR) == 2

    # A lower disclosure threshold leaves every cell as it was and masks every window again.
    monkeypatch.setenv(MIN_CELL_VARIABLE, str(MIN_CELL_FLOOR))
    lowered = warehouse.build()
    cells = warehouse.windows_built_by(lowered, (CELLS_MODEL,))[CELLS_MODEL]
    assert cells == set(warehouse.cells_by_window())
    assert warehouse.windows_built_by(lowered) == every_window_but_snapshots
    incremental_marts = warehouse.marts()

    warehouse.build("--full-refresh")
    assert differing_tables(incremental_marts, warehouse.marts()) == []


def registry_without_mentoring(association_code: str, path: Path) -> Path:
    """The demo registry at path, association_code's mentoring turned off (it was on)."""

    def mentoring_off(rows: list[dict]) -> list[dict]:
        [row] = [row for row in rows if row["association_code"] == association_code]
        assert row["does_mentoring"] == "true"
        row["does_mentoring"] = "false"
        return rows

    return edited_demo_registry(path, mentoring_off)


def closed(row: dict, ended_on: date) -> dict:
    return {
        **row,
        "Statut du mentorat": "Clôturé",
        "Date de fin": ended_on,
        "Motif de fin": "Objectif atteint",
        "Objectif atteint": "Oui",
    }


# A-02 ends in January, A-01 in March; each file lists every questionnaire given so far.
A_02_CLOSED, A_01_CLOSED = closed(A_02, date(2026, 1, 9)), closed(A_01, date(2026, 3, 9))
A_02_ANSWERS, A_01_ANSWERS = end_questionnaire_row("A-02", JAN), end_questionnaire_row("A-01", MAR)
QUESTIONNAIRE_FILES = [
    ("2026-01", A, [A_01, A_02_CLOSED], datetime(2026, 2, 3, 9), [A_02_ANSWERS]),
    ("2026-02", A, [A_01, A_02_CLOSED], datetime(2026, 3, 3, 9), [A_02_ANSWERS]),
    (
        "2026-03",
        A,
        [A_01_CLOSED, A_02_CLOSED],
        datetime(2026, 4, 3, 9),
        [A_02_ANSWERS, A_01_ANSWERS],
    ),
    (
        "2026-04",
        A,
        [A_01_CLOSED, A_02_CLOSED],
        datetime(2026, 5, 3, 9),
        [A_02_ANSWERS, A_01_ANSWERS],
    ),
]
# A's April file, corrected: A-02 did not regain confidence after all.
ANSWER_CORRECTED = (
    *QUESTIONNAIRE_FILES[-1][:3],
    datetime(2026, 5, 20, 9),
    [{**A_02_ANSWERS, "A repris confiance en soi": "Non"}, A_01_ANSWERS],
)
# The windows with a « Oui » answer: those covering January or March.
WINDOWS_ANSWERED = {("month", JAN), ("month", MAR), ("quarter", Q1), ("year", JAN)} | {
    ("year_to_date", month) for month in (JAN, FEB, MAR, APR)
}
# Those covering January (the answer's month) or April (the corrected file's).
ANSWERED_AFTER_CORRECTION = WINDOWS_ANSWERED - {("month", MAR)}


@pytest.mark.slow
def test_a_corrected_answer_rebuilds_the_windows_of_the_month_it_was_given_in(warehouse):
    for received in QUESTIONNAIRE_FILES:
        warehouse.receive(*received)
    first = warehouse.build()
    assert warehouse.windows_built_by(first, (QUESTIONNAIRE_MODEL,)) == {
        QUESTIONNAIRE_MODEL: WINDOWS_ANSWERED
    }
    assert warehouse.youth_answering_yes("youth_regained_confidence", "month", JAN) == 1
    assert warehouse.youth_answering_yes("youth_regained_confidence", "year", JAN) == 2

    warehouse.receive(*ANSWER_CORRECTED)
    corrected = warehouse.build()
    assert warehouse.windows_built_by(corrected, (QUESTIONNAIRE_MODEL,)) == {
        QUESTIONNAIRE_MODEL: ANSWERED_AFTER_CORRECTION
    }
    assert warehouse.windows_built_by(first, (QUESTIONNAIRE_MODEL,)) == {
        QUESTIONNAIRE_MODEL: {("month", MAR)}
    }
    assert warehouse.rows_checked_by_tests_of(QUESTIONNAIRE_MODEL) == {"only this build's rows"}
    assert warehouse.youth_answering_yes("youth_regained_confidence", "month", JAN) == 0
    assert warehouse.youth_answering_yes("youth_regained_confidence", "year", JAN) == 1
    # Her other answers still count in January.
    assert warehouse.youth_answering_yes("youth_created_bonds", "month", JAN) == 1
    incremental_marts = warehouse.marts()

    full = warehouse.build("--full-refresh")
    assert warehouse.windows_built_by(full, (QUESTIONNAIRE_MODEL,)) == {
        QUESTIONNAIRE_MODEL: WINDOWS_ANSWERED
    }
    assert differing_tables(incremental_marts, warehouse.marts()) == []


# B (residential care) sends MIS PE questionnaires in January and March; the tab is cumulative.
MAELLE = ("Ferlinde", "Maëlle", date(2010, 8, 29))
NOAM = ("Velasquin", "Noam", date(2011, 6, 14))
MAELLE_T0, NOAM_T0 = mispe_row(*MAELLE, date(2026, 1, 15)), mispe_row(*NOAM, date(2026, 1, 16))
MAELLE_T1 = {**mispe_row(*MAELLE, date(2026, 3, 10)), "Vague": "T1 (suivi)"}
MISPE_FILES = [
    ("2026-01", B, [B_01], datetime(2026, 2, 4, 9), (), [MAELLE_T0, NOAM_T0]),
    ("2026-03", B, [B_01], datetime(2026, 4, 4, 9), (), [MAELLE_T0, NOAM_T0, MAELLE_T1]),
]
# B's March file, corrected: Noam's entry questionnaire read 4 (« tout à fait ») everywhere.
NOAM_CORRECTED = (
    *MISPE_FILES[-1][:3],
    datetime(2026, 4, 20, 9),
    (),
    [MAELLE_T0, NOAM_T0 | {f"Q{item:02d}": 4 for item in range(1, 19)}, MAELLE_T1],
)


@pytest.mark.slow
def test_a_corrected_mispe_questionnaire_rebuilds_its_youth_only(warehouse):
    for received in MISPE_FILES:
        warehouse.receive(*received)
    first = warehouse.build()
    assert len(warehouse.youth_built_by(first)) == 2
    before = warehouse.mispe_scores()

    warehouse.receive(*NOAM_CORRECTED)
    corrected = warehouse.build()
    after = warehouse.mispe_scores()
    changed = {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert len(changed) == 1
    assert warehouse.youth_built_by(corrected) == changed
    assert len(warehouse.youth_built_by(first)) == 1
    assert warehouse.rows_checked_by_tests_of(MISPE_MODEL) == {"only this build's rows"}
    # Every answer 4: (4 − 1) ÷ 3 × 100 in each dimension, in January.
    [noam] = changed
    assert {(month, score) for (youth, _, month), score in after.items() if youth == noam} == {
        (JAN, 100.0)
    }
    # Maëlle's January and March scores are kept as they were.
    assert {key: score for key, score in after.items() if key[0] != noam} == {
        key: score for key, score in before.items() if key[0] != noam
    }
    incremental_marts = warehouse.marts()

    full = warehouse.build("--full-refresh")
    assert len(warehouse.youth_built_by(full)) == 2
    assert differing_tables(incremental_marts, warehouse.marts()) == []


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
