"""Period grains, populations and reporting rates: small workbooks, the real ingestion and the
real `dbt build`, checked against numbers worked out by hand below.

The first quarter of 2026, three associations of the registry:
- envol-mentorat (A, mentoring only) reports in January, February and March. Youth Y1 is in
  pair A-01 in all three months; Y2's pair A-02 closes on 20/02 and Y2 answers the end
  questionnaire on 02/03 (in A's March file).
- cap-avenir (B, mentoring and residential care) sends only a March file. Its end
  questionnaire tab holds B-01's answer of 15/02, a month for which B sent nothing: the answer
  must still count in February, for B and the département, and in every longer grain. Y1
  (same identity) starts a second pair with B in March.
- In A's February file, A-01's « Séances réalisées » is the typo of the issue: 330 for 11
  planned. The file is accepted with a plausibility query (« À vérifier ») on that row, A-01
  stays counted as a pair but its sessions are left out of the attendance rate, and the
  publication gate passes.
- les-tilleuls (H, a residential home without mentoring) sends a March file with 18 staff FTE
  and a 1 230 000 EUR grant, and no pair: it must move neither pairs_per_fte nor the
  subsidies of the département, and its own pairs_per_fte is « non applicable », not 0.
The four other registry associations send nothing. The deadline is set to the 5th of the next
month (ASE_IMPACT_DEADLINE_DAY=5) and each file's reception time is chosen.
Names are invented; nothing here names anyone.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from ase_impact.core.deadlines import DEADLINE_DAY_VARIABLE
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.warehouse import connection, schema
from tests.conftest import DEMO_REGISTRY, isolated_environment
from tests.integration.dbt_build import run_dbt_build
from tests.integration.sample_rows import pair_row
from tests.workbook_factory import write_workbook

A, B, H = "envol-mentorat", "cap-avenir", "les-tilleuls"
D = "departement"
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
Q1 = YEAR = date(2026, 1, 1)
IDENTITY = {
    "Y1": ("Orvanel", "Saphie", date(2012, 5, 4)),
    "Y2": ("Dumorac", "Tiago", date(2011, 2, 17)),
    "Y3": ("Ferlinde", "Maëlle", date(2010, 8, 29)),
}


def pair(pair_id: str, youth: str, **changes) -> dict:
    return pair_row(pair_id, *IDENTITY[youth], **changes)


def answers(pair_id: str, answered_on: date, confidence: str) -> dict:
    return {
        "Identifiant binôme": pair_id,
        "Date de passation": answered_on,
        "A repris confiance en soi": confidence,
        "Résultats scolaires améliorés": "Non",
        "A trouvé un stage ou une formation": "Non",
        "Plus à l'aise à l'oral": "Non",
        "A créé des liens": "Non",
        "A une personne sur qui compter": "Non",
        "A fait des découvertes sur soi ou sur le monde": "Non",
    }


def resource(category: str, detail: str, amount: float, unit: str) -> dict:
    return {"Catégorie": category, "Détail": detail, "Montant": amount, "Unité": unit}


A_01 = pair(
    "A-01",
    "Y1",
    **{"Date de candidature": date(2025, 12, 1), "Date de mise en relation": date(2026, 1, 5)},
)
A_02 = pair(
    "A-02",
    "Y2",
    **{"Date de candidature": date(2025, 11, 3), "Date de mise en relation": date(2025, 12, 1)},
)
A_02_CLOSED = {
    **A_02,
    "Statut du mentorat": "Clôturé",
    "Date de fin": date(2026, 2, 20),
    "Motif de fin": "Objectif atteint",
    "Objectif atteint": "Oui",
}
B_01_CLOSED = pair(
    "B-01",
    "Y3",
    **{
        "Date de candidature": date(2025, 10, 1),
        "Date de mise en relation": date(2025, 11, 3),
        "Statut du mentorat": "Clôturé",
        "Date de fin": date(2026, 2, 10),
        "Motif de fin": "Objectif atteint",
        "Objectif atteint": "Oui",
    },
)
B_02 = pair(
    "B-02",
    "Y1",
    **{"Date de candidature": date(2026, 2, 2), "Date de mise en relation": date(2026, 3, 2)},
)
A_RESOURCES = [
    resource("Subvention", "Département", 10000, "EUR"),
    resource("ETP salariés", "Coordination", 1.5, "ETP"),
]

# (period, association, rows per sheet, received at)
FILES = [
    ("2026-01", A, {"pairs": [A_01, A_02], "resources": A_RESOURCES}, datetime(2026, 2, 3, 9)),
    (
        "2026-02",
        A,
        {
            "pairs": [{**A_01, "Séances prévues": 11, "Séances réalisées": 330}, A_02_CLOSED],
            "resources": A_RESOURCES,
        },
        datetime(2026, 3, 9, 9),
    ),
    (
        "2026-03",
        A,
        {
            "pairs": [A_01, A_02_CLOSED],
            "end_questionnaires": [answers("A-02", date(2026, 3, 2), "Oui")],
            "resources": A_RESOURCES,
        },
        # The last minute of the 5th: on time.
        datetime(2026, 4, 5, 23, 59),
    ),
    (
        "2026-03",
        B,
        {
            "pairs": [B_01_CLOSED, B_02],
            "end_questionnaires": [answers("B-01", date(2026, 2, 15), "Oui")],
            "resources": [
                resource("Subvention", "Département", 5000, "EUR"),
                resource("ETP salariés", "Éducateurs", 0.5, "ETP"),
            ],
        },
        datetime(2026, 4, 20, 9),
    ),
    (
        "2026-03",
        H,
        {
            "resources": [
                resource("Subvention", "Dotation ASE", 1230000, "EUR"),
                resource("ETP salariés", "Équipe éducative", 18, "ETP"),
            ]
        },
        datetime(2026, 4, 1, 9),
    ),
]


class Build(NamedTuple):
    conn: duckdb.DuckDBPyConnection
    result: object
    reports: dict
    gated_warehouse: Path


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("grains")
    variables = {"ASE_IMPACT_MIN_CELL": "3", DEADLINE_DAY_VARIABLE: "5"}
    with isolated_environment(root, variables), pytest.MonkeyPatch.context() as patch:
        settings = load_settings(
            raw_dir=root / "raw", warehouse=root / "warehouse" / "ase_impact.duckdb"
        )
        patch.setenv("ASE_IMPACT_WAREHOUSE", str(settings.warehouse))
        patch.setenv("ASE_IMPACT_PSEUDONYMISATION_KEY", "cle-de-test-grains-0123456789abcdef")
        reports = {}
        with connection.connect(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            for period, code, sheets, received_at in FILES:
                path = write_workbook(
                    settings.raw_dir / period / f"{code}.xlsx",
                    association_code=code,
                    period=period,
                    rows=sheets,
                )
                reports[period, code] = ingest_file(path, settings, conn, received_at)
        result = run_dbt_build(root)
        conn = duckdb.connect(str(settings.warehouse))
        # In-process dbt-duckdb keeps the built file open (read-write): the gate reads a copy.
        conn.execute("CHECKPOINT")
        copy = root / "gated" / "ase_impact.duckdb"
        copy.parent.mkdir()
        shutil.copyfile(settings.warehouse, copy)
        yield Build(conn, result, reports, copy)
        conn.close()


def figure(conn, grain, period, scope, association, code, dimension=None) -> tuple:
    """(value, numerator, denominator, no_value_reason) of one total of fct_indicators."""
    rows = conn.execute(
        "SELECT value, numerator, denominator, no_value_reason FROM marts.fct_indicators "
        "WHERE period_grain = ? AND period = ? AND scope = ? "
        "AND association_code IS NOT DISTINCT FROM ? AND indicator_code = ? "
        "AND mis_pe_dimension IS NOT DISTINCT FROM ? AND breakdown = 'total'",
        [grain, period, scope, association, code, dimension],
    ).fetchall()
    assert len(rows) == 1, (grain, period, scope, association, code, rows)
    return rows[0]


def test_the_build_passes(build):
    assert build.result.success, build.result.exception
    failing = [
        node.node.name for node in build.result.result if str(node.status) in ("error", "fail")
    ]
    assert failing == []


CONFIDENCE = ("youth_regained_confidence", "bien_etre_emotionnel")
# (grain, period, scope, association, expected): youth answering « Oui » to « A repris
# confiance en soi ». B-01's answer of 15/02 sits in B's March file, B sent no February
# file: it counts in February for B and the département. A-02's answer of 02/03 counts in
# March. A had a February file without any answer: 0.
ANSWERS_BY_PERIOD = [
    ("month", JAN, D, None, 0),
    ("month", FEB, "association", B, 1),
    ("month", FEB, "association", A, 0),
    ("month", FEB, D, None, 1),
    ("month", MAR, "association", A, 1),
    ("month", MAR, "association", B, 0),
    ("month", MAR, D, None, 1),
    # The quarter, the year to date and the year count both youth, whatever the month.
    ("quarter", Q1, "association", B, 1),
    ("quarter", Q1, D, None, 2),
    ("year_to_date", FEB, D, None, 1),
    ("year_to_date", MAR, D, None, 2),
    ("year", YEAR, D, None, 2),
]


@pytest.mark.parametrize(("grain", "period", "scope", "association", "expected"), ANSWERS_BY_PERIOD)
def test_an_answer_counts_in_the_month_it_was_given_and_every_longer_grain(
    build, grain, period, scope, association, expected
):
    value = figure(build.conn, grain, period, scope, association, *CONFIDENCE)[0]
    assert value == expected


# Youth accompanied (distinct youth in pairs active in the period, each pair once in its
# latest state): A's months each count Y1 and, until A-02 closes on 20/02, Y2:
# January 2, February 2, March 1 — summed, 5. The quarter counts Y1 once and Y2 once: 2.
# Département: B has pairs only from its March file: B-01 (Y3, closed 10/02, so active in
# the quarter but not in March) and B-02 (Y1 again). March {Y1} = 1; quarter {Y1, Y2, Y3} = 3.
YOUTH = [
    ("month", JAN, "association", A, 2),
    ("month", FEB, "association", A, 2),
    ("month", MAR, "association", A, 1),
    ("quarter", Q1, "association", A, 2),
    ("year_to_date", MAR, "association", A, 2),
    ("month", MAR, D, None, 1),
    ("quarter", Q1, D, None, 3),
    ("year", YEAR, D, None, 3),
]


@pytest.mark.parametrize(("grain", "period", "scope", "association", "expected"), YOUTH)
def test_a_youth_seen_in_three_months_counts_once_in_the_quarter(
    build, grain, period, scope, association, expected
):
    assert figure(build.conn, grain, period, scope, association, "youth_accompanied")[0] == expected


def test_a_month_without_a_file_has_no_pair_figures_but_is_published(build):
    conn = build.conn
    # B sent nothing for January and February: no snapshot, so no pairs counted, and a
    # reason instead of a 0.
    assert figure(conn, "month", FEB, "association", B, "youth_accompanied") == (
        None,
        None,
        None,
        "no_file",
    )
    # Its resources: none before its first file of the year.
    assert figure(conn, "month", FEB, "association", B, "subsidies_eur")[3] == "no_file"
    assert figure(conn, "month", MAR, "association", B, "subsidies_eur")[0] == 5000


def test_the_residential_home_moves_neither_pairs_per_fte_nor_subsidies(build):
    conn = build.conn
    # March: A's A-01 (A-02 closed in February) and B's B-02 are active: 2 pairs over
    # A's 1.5 + B's 0.5 staff FTE = 1.0; with the home's 18 FTE it would be 0.1.
    assert figure(conn, "month", MAR, D, None, "pairs_per_fte")[:3] == (1.0, 2.0, 2.0)
    assert figure(conn, "month", MAR, D, None, "fte_staff")[0] == 2.0
    # Subsidies: A's 10 000 + B's 5 000; the home's 1 230 000 grant is not mentoring money.
    assert figure(conn, "month", MAR, D, None, "subsidies_eur")[0] == 15000
    # February: only A has a snapshot and resources: over 1.5 FTE.
    assert figure(conn, "month", FEB, D, None, "pairs_per_fte")[0] == pytest.approx(2 / 1.5)
    # The home itself: « non applicable », not 0.
    assert figure(conn, "month", MAR, "association", H, "pairs_per_fte") == (
        None,
        None,
        None,
        "not_applicable",
    )
    assert figure(conn, "month", MAR, "association", H, "youth_accompanied")[3] == (
        "not_applicable"
    )
    # MIS PE applies to it (residential care): 0 respondents, not « non applicable ».
    respondents = figure(conn, "month", MAR, "association", H, "mispe_respondents", "sante")
    assert respondents[0] == 0 and respondents[3] is None
    # A does no residential care: MIS PE does not apply to it.
    assert figure(conn, "month", MAR, "association", A, "mispe_score", "sante")[3] == (
        "not_applicable"
    )


# Reporting: the registry expects its 7 associations every month from January (the first
# month a file came). Files received: January A (03/02, on time); February A (09/03, late:
# the deadline is the 5th); March A (05/04 23:59, on time), H (01/04, on time), B (20/04,
# late). Rates in percent of the files expected.
RATES = [
    ("month", JAN, D, None, "files_received_rate", 1, 7),
    ("month", JAN, D, None, "files_on_time_rate", 1, 7),
    ("month", FEB, D, None, "files_received_rate", 1, 7),
    ("month", FEB, D, None, "files_on_time_rate", 0, 7),
    ("month", MAR, D, None, "files_received_rate", 3, 7),
    ("month", MAR, D, None, "files_on_time_rate", 2, 7),
    ("quarter", Q1, D, None, "files_received_rate", 5, 21),
    ("quarter", Q1, D, None, "files_on_time_rate", 3, 21),
    ("year", YEAR, "association", A, "files_received_rate", 3, 3),
    ("year", YEAR, "association", A, "files_on_time_rate", 2, 3),
    ("quarter", Q1, "association", B, "files_received_rate", 1, 3),
    ("quarter", Q1, "association", B, "files_on_time_rate", 0, 3),
    ("month", MAR, "association", "boussole-ase", "files_received_rate", 0, 1),
]


@pytest.mark.parametrize(
    ("grain", "period", "scope", "association", "code", "numerator", "denominator"), RATES
)
def test_reporting_rates_count_expected_files_received_and_on_time(
    build, grain, period, scope, association, code, numerator, denominator
):
    value, got_numerator, got_denominator, _ = figure(
        build.conn, grain, period, scope, association, code
    )
    assert (got_numerator, got_denominator) == (numerator, denominator)
    assert value == pytest.approx(100 * numerator / denominator)


def test_submissions_say_when_each_file_was_due(build):
    rows = build.conn.execute(
        "SELECT period, association_code, due_date, received_on_time FROM marts.mart_submissions "
        "WHERE association_code IN (?, ?) ORDER BY period, association_code",
        [A, B],
    ).fetchall()
    assert rows == [
        (JAN, B, date(2026, 2, 5), False),
        (JAN, A, date(2026, 2, 5), True),
        (FEB, B, date(2026, 3, 5), False),
        (FEB, A, date(2026, 3, 5), False),
        (MAR, B, date(2026, 4, 5), False),
        (MAR, A, date(2026, 4, 5), True),
    ]


def test_the_calendar_holds_every_grain(build):
    periods = build.conn.execute(
        "SELECT period_grain, period_code, label_fr, months_covered FROM marts.dim_period "
        "ORDER BY grain_order, period"
    ).fetchall()
    assert periods == [
        ("month", "2026-01", "janvier 2026", 1),
        ("month", "2026-02", "février 2026", 1),
        ("month", "2026-03", "mars 2026", 1),
        ("quarter", "2026-T1", "1er trimestre 2026", 3),
        ("year_to_date", "2026-01-cumul", "janvier 2026", 1),
        ("year_to_date", "2026-02-cumul", "janvier à février 2026", 2),
        ("year_to_date", "2026-03-cumul", "janvier à mars 2026", 3),
        ("year", "2026", "année 2026", 3),
    ]
    assert load_registry(DEMO_REGISTRY).codes >= {A, B, H}


def test_the_typo_is_accepted_with_a_query_on_its_row(build):
    report = build.reports["2026-02", A]
    assert (report.status, report.rows_rejected, report.rows_with_alerts) == ("accepted", 0, 1)
    (finding,) = report.findings.to_dict("records")
    assert (finding["rule_code"], finding["severity"], finding["pair_id"]) == (
        "DON-050",
        "alerte",
        "A-01",
    )
    assert (finding["column_header"], finding["value_received"]) == ("Séances réalisées", "330")
    assert "à vérifier" in finding["message_fr"]
    # The row is kept: A-01 is still a pair of February.
    assert figure(build.conn, "month", FEB, "association", A, "pairs_active")[0] == 2
    rows = build.conn.execute(
        "SELECT pair_id, sessions_held, has_alerts FROM raw.pairs "
        "WHERE association_code = ? AND period = ? ORDER BY pair_id",
        [A, FEB],
    ).fetchall()
    assert rows == [("A-01", 330, True), ("A-02", 8, False)]


def test_the_queried_sessions_are_left_out_of_the_attendance_rate(build):
    conn = build.conn
    # February: A-02's 8 held of 10 planned; A-01's 330 of 11 left out (with them: 338 of 21,
    # 1 610 %, which the publication gate would refuse).
    assert figure(conn, "month", FEB, "association", A, "attendance_rate")[:3] == (80.0, 8, 10)
    # The quarter takes A-01 in its latest state (March: 8 of 10, corrected) and A-02 (8 of
    # 10): 16 of 20.
    assert figure(conn, "quarter", Q1, "association", A, "attendance_rate")[:3] == (80.0, 16, 20)


def test_the_publication_gate_passes(build, tmp_path):
    from ase_impact.gate.run import gate_blocks_outputs, run_publication_gate

    gate = run_publication_gate(build.gated_warehouse, tmp_path / "reports")
    failed = [suite.name for suite in gate.suites if not suite.passed and suite.severity == "ERROR"]
    assert failed == [] and not gate_blocks_outputs(gate)


def test_a_youth_is_in_one_age_band_by_its_age_at_the_periods_last_day(build):
    def bands(grain: str, period: date) -> dict[str, float]:
        return dict(
            build.conn.execute(
                "SELECT breakdown_value, value FROM marts.fct_indicators "
                "WHERE period_grain = ? AND period = ? AND scope = 'departement' "
                "AND indicator_code = 'youth_accompanied' AND breakdown = 'age_band'",
                [grain, period],
            ).fetchall()
        )

    # Y3 (born 29/08/2010) is 15 on 31/03/2026 and 16 on 31/12/2026; Y1 (04/05/2012) is 13
    # then 14, Y2 (17/02/2011) 15 then 15: all three 13-15 ans in the quarter, Y3 16-17 ans
    # in the year (whose last day is 31/12 while it runs).
    quarter, year = bands("quarter", Q1), bands("year", YEAR)
    assert (quarter["13-15 ans"], quarter["16-17 ans"]) == (3, 0)
    assert (year["13-15 ans"], year["16-17 ans"]) == (2, 1)
    for breakdown in (quarter, year):
        assert (
            sum(breakdown.values())
            == figure(build.conn, "year", YEAR, D, None, "youth_accompanied")[0]
        )
