"""One association's problem stays with it: a failing publication gate quarantines the
association-months it traces back to, their previous accepted version stays in force, and
everything else is published.

Every bound the gate checks has a row rule that stops the value earlier (docs/rules.md): to
make the gate fail, the tests write values into raw that the contract would have refused
(applications dated after their match, a negative subsidy), as a bug or a file that bypassed
the contract would.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from ase_impact.gate.quarantine import QuarantineEntry, Trace, trace_failures
from ase_impact.gate.run import FailingExpectation, GateResult, SuiteResult
from ase_impact.gate.suites import SUITES, indicator_range_expectations
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.quarantine import quarantine_partitions
from ase_impact.warehouse import queries
from tests.conftest import isolated_environment
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import resource_row, write_submission

CAP, ENVOL = "cap-avenir", "envol-mentorat"
OCTOBER = "2026-10"
EUR_RANGE = next(
    spec
    for spec in indicator_range_expectations({})
    if spec.rows_where_in and "EUR" in spec.rows_where_in[1]
)


def _write(settings, association_code: str, amount: float):
    return write_submission(
        settings.raw_dir,
        OCTOBER,
        association_code,
        rows={"resources": [resource_row(amount=amount)]},
    )


def _break_matching_delay(conn, association_code: str) -> None:
    """What the contract (DON rules on dates) never lets through, yet every dbt test passes:
    applications dated after the match, so the mean matching delay is negative."""
    conn.execute(
        "UPDATE raw.pairs SET application_date = DATE '2026-06-01' "
        "WHERE association_code = ? AND period = ?",
        [association_code, date(2026, 10, 1)],
    )


def _break_subsidy(conn, association_code: str) -> None:
    """What the contract (RES-005) never lets through: a negative amount in force."""
    conn.execute(
        "UPDATE raw.resources SET amount = -500 WHERE association_code = ? AND period = ?",
        [association_code, date(2026, 10, 1)],
    )


# --- Tracing, on the frames the gate validated --------------------------------------------


def _gate(rows: list[dict], in_force: list[tuple[str, str]]) -> GateResult:
    indicators = pd.DataFrame(rows).assign(
        period=lambda frame: pd.to_datetime(frame["period"]), unit="EUR"
    )
    submissions = pd.DataFrame(
        [(pd.Timestamp(f"{period}-01"), code, 1) for period, code in in_force],
        columns=["period", "association_code", "version_in_force"],
    )
    failing = FailingExpectation(
        EUR_RANGE.type, "value", EUR_RANGE.description_fr, "", 1, None, (), (), None
    )
    suite = next(suite for suite in SUITES if suite.name == "gate_ranges_indicators")
    result = SuiteResult(
        suite.name, suite.asset_key, "ERROR", False, 1, len(rows), (failing,), None
    )
    frames = {
        "fct_indicators": indicators.drop(columns="unit"),
        "indicator_catalog": pd.DataFrame({"indicator_code": ["subsidies_eur"], "unit": ["EUR"]}),
        "submissions": submissions,
    }
    return GateResult((result,), None, {}, frames)


def row(grain, period, scope, code, value) -> dict:
    return {
        "period_grain": grain,
        "period": period,
        "scope": scope,
        "association_code": code,
        "indicator_code": "subsidies_eur",
        "mis_pe_dimension": None,
        "breakdown": "total",
        "breakdown_value": None,
        "value": value,
        "is_suppressed": False,
    }


def test_a_failing_figure_traces_back_to_its_association_month_only():
    gate = _gate(
        [
            row("month", "2026-10-01", "association", ENVOL, -500.0),
            row("month", "2026-10-01", "association", CAP, 12000.0),
            # The year to date and the quarter of October come from the same file.
            row("year_to_date", "2026-10-01", "association", ENVOL, -500.0),
            row("quarter", "2026-10-01", "association", ENVOL, -500.0),
            row("month", "2026-10-01", "departement", None, -100.0),
        ],
        in_force=[("2026-09", ENVOL), ("2026-10", ENVOL), ("2026-10", CAP)],
    )
    trace = trace_failures(gate)
    assert [(e.period, e.association_code, e.check_name) for e in trace.entries] == [
        ("2026-10", ENVOL, "gate_ranges_indicators")
    ]
    assert "gate_ranges_indicators" in trace.entries[0].reason_fr
    assert "subsidies_eur" in trace.entries[0].reason_fr


def test_a_month_without_a_file_traces_to_the_latest_file_of_its_year():
    # A figure of August (no file then) comes from a later file's cumulative sheets.
    gate = _gate(
        [row("month", "2026-08-01", "association", ENVOL, -1.0)],
        in_force=[("2026-09", ENVOL), ("2026-10", ENVOL)],
    )
    assert [(e.period, e.association_code) for e in trace_failures(gate).entries] == [
        ("2026-10", ENVOL)
    ]


def test_a_departement_failure_no_association_shares_stays_blocking():
    gate = _gate(
        [
            row("month", "2026-10-01", "association", ENVOL, 10.0),
            row("month", "2026-10-01", "departement", None, -1.0),
        ],
        in_force=[("2026-10", ENVOL)],
    )
    trace = trace_failures(gate)
    assert trace.entries is None and trace.untraced


# --- Quarantine, on a real warehouse --------------------------------------------------------


def test_quarantine_puts_the_previous_version_back_in_force(settings, conn):
    first = _write(settings, ENVOL, 2000.0)
    ingest_file(first, settings, conn, received_at=datetime(2026, 11, 2, 9, 0))
    second = _write(settings, ENVOL, 3000.0)
    ingest_file(second, settings, conn, received_at=datetime(2026, 11, 5, 9, 0))
    other = _write(settings, CAP, 7000.0)
    ingest_file(other, settings, conn, received_at=datetime(2026, 11, 5, 9, 30))
    _break_subsidy(conn, ENVOL)
    entry = QuarantineEntry(OCTOBER, ENVOL, "gate_ranges_indicators", "un motif en français.")
    (done,) = quarantine_partitions(conn, settings, Trace((entry,)).entries)
    assert (done.version, done.version_in_force) == (2, 1)
    amounts = conn.execute(
        "SELECT association_code, file_sha256 = ?, amount FROM raw.resources ORDER BY 1",
        [queries.in_force(conn, OCTOBER, ENVOL).sha256],
    ).fetchall()
    # envol-mentorat: version 1's rows again (read from the archive, not the broken ones);
    # cap-avenir untouched.
    assert amounts == [(CAP, False, 7000.0), (ENVOL, True, 2000.0)]
    submission = queries.latest_submission(conn, OCTOBER, ENVOL)
    assert (submission.version, submission.version_in_force) == (2, 1)
    assert submission.is_quarantined
    assert not queries.latest_submission(conn, OCTOBER, CAP).is_quarantined
    listed = queries.quarantined_files(conn)
    assert listed[["period", "association_code", "version"]].values.tolist() == [
        [OCTOBER, ENVOL, 2]
    ]
    # A new file for the partition is in force again.
    third = _write(settings, ENVOL, 3100.0)
    ingest_file(third, settings, conn, received_at=datetime(2026, 11, 6, 9, 0))
    assert queries.latest_submission(conn, OCTOBER, ENVOL).version_in_force == 3
    assert queries.quarantined_files(conn).empty


# --- The whole build, through Dagster ------------------------------------------------------


@pytest.mark.slow
def test_a_forced_gate_failure_quarantines_only_its_association_month(tmp_path):
    from ase_impact.cli.run_summary import summary_lines
    from ase_impact.core.settings import load_settings
    from ase_impact.warehouse.connection import connect
    from ase_impact.warehouse.schema import ensure_schema
    from orchestration.runner import run_pipeline

    with isolated_environment(tmp_path, {"ASE_IMPACT_PSEUDONYMISATION_KEY": TEST_KEY}):
        settings = load_settings()
        with connect(settings.warehouse) as conn:
            ensure_schema(conn)
            ingest_file(_write(settings, ENVOL, 2000.0), settings, conn, datetime(2026, 11, 2))
            ingest_file(_write(settings, ENVOL, 3000.0), settings, conn, datetime(2026, 11, 5))
            ingest_file(_write(settings, CAP, 7000.0), settings, conn, datetime(2026, 11, 5))
            _break_matching_delay(conn, ENVOL)
        outcome = run_pipeline(settings, progress=lambda _: None)
        assert outcome.build_succeeded and not outcome.blocking_checks_failed
        with duckdb.connect(str(settings.published_warehouse), read_only=True) as published:
            submissions = published.execute(
                "SELECT association_code, version, version_in_force, quarantine_reason IS NULL "
                "FROM marts.mart_submissions WHERE period = '2026-10-01' "
                "AND association_code IN (?, ?) ORDER BY 1",
                [CAP, ENVOL],
            ).fetchall()
            subsidies = dict(
                published.execute(
                    "SELECT coalesce(association_code, 'departement'), value "
                    "FROM marts.fct_indicators WHERE period_grain = 'month' "
                    "AND period = '2026-10-01' AND indicator_code = 'subsidies_eur' "
                    "AND breakdown = 'total' AND value IS NOT NULL"
                ).fetchall()
            )
        # Only envol-mentorat's October is quarantined: its version 1 is in force again.
        assert submissions == [(CAP, 1, 1, True), (ENVOL, 2, 1, False)]
        assert subsidies == {CAP: 7000.0, ENVOL: 2000.0, "departement": 9000.0}
        with connect(settings.warehouse, read_only=True) as conn:
            summary = "\n".join(summary_lines(conn, outcome, settings))
        assert "Fichiers mis en quarantaine" in summary
        assert f"{OCTOBER} · {ENVOL}, version 2 : la version 1 reste en vigueur" in summary
        # That association's feedback says why; the consolidated workbook names it.
        feedback = load_workbook(settings.outputs_dir / OCTOBER / "retours" / f"{ENVOL}.xlsx")
        notes = [row[1] for row in feedback["Synthèse"].iter_rows(values_only=True) if row[0]]
        assert any(str(note).startswith("Fichier mis en quarantaine") for note in notes)
        book = load_workbook(settings.outputs_dir / OCTOBER / "tableau_de_pilotage_consolide.xlsx")
        synthesis = [
            cell
            for row in book["Synthèse des résultats"].iter_rows(values_only=True)
            for cell in row
            if cell
        ]
        assert any(
            "quarantaine" in str(cell) and "Envol Mentorat" in str(cell) for cell in synthesis
        )
