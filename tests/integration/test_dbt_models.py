"""The real `dbt build` on a small hand-written warehouse, checked against hand-worked numbers.

Two associations report in March and April 2026: envol-mentorat (A, mentoring) and
cap-avenir (B, mentoring and residential care, so MIS PE questionnaires). Youth Y1 and Y4
are in both. A's April file is sent twice: version 2 replaces version 1 (whose pair A-99,
youth Y9, subsidy of 99 999 EUR and awareness action must leave no trace). les-tilleuls sends
an April file refused as a whole. Rows are loaded with the ingestion's own partition loader.

Disclosure threshold: ASE_IMPACT_MIN_CELL=3, so counts of 1 and 2 are masked.
Youth keys are synthetic placeholders for the HMAC keys; nothing here names anyone.
"""

from __future__ import annotations

import time
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest
from dbt.cli.main import dbtRunner

from orchestration.ingest.warehouse import (
    FINDING_TABLE_COLUMNS,
    RAW_TABLE_COLUMNS,
    ensure_schema,
    record_file_error,
    replace_partition,
)
from orchestration.settings import DBT_PROJECT_DIR

MIN_CELL = 3
A, B = "envol-mentorat", "cap-avenir"
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
T0, T1 = "T0 (entrée)", "T1 (suivi)"

# Who each youth is (identical in every file, ages unchanged between March and April).
YOUTH = {
    "Y1": {"sex": "Femme", "birth_month": "2011-09", "age_at_period_end": 14,
           "school_level": "Quatrième", "placement_type": "MECS associative", "territory": "Nord"},
    "Y2": {"sex": "Homme", "birth_month": "2009-10", "age_at_period_end": 16,
           "school_level": "Seconde", "placement_type": "Foyer de l'enfance", "territory": "Sud"},
    "Y3": {"sex": "Femme", "birth_month": "2008-06", "age_at_period_end": 17,
           "school_level": "Terminale", "placement_type": "MNA", "territory": "Nord"},
    "Y4": {"sex": "Homme", "birth_month": "2010-12", "age_at_period_end": 15,
           "school_level": "Troisième", "placement_type": "SAF associatif", "territory": "Est"},
    "Y5": {"sex": "Femme", "birth_month": "2013-06", "age_at_period_end": 12,
           "school_level": "CM2", "placement_type": "Lieu de vie", "territory": "Centre"},
    "Y6": {"sex": "Femme", "birth_month": "2007-05", "age_at_period_end": 18,
           "school_level": "Post-bac", "placement_type": "MNA", "territory": "Ouest"},
    "Y9": {"sex": "Homme", "birth_month": "2010-01", "age_at_period_end": 16,
           "school_level": "Seconde", "placement_type": "Autre", "territory": "Sud"},
}  # fmt: skip


def pair(youth: str, **fields) -> dict:
    return {"youth_key": youth, **YOUTH[youth], **fields}


# --- Données -----------------------------------------------------------------------------------
A_01 = pair(
    "Y1",
    pair_id="A-01",
    referring_structure="MECS Les Pins",
    application_date=date(2026, 1, 5),
    match_date=date(2026, 1, 20),
    status="En cours",
    objective="Soutien scolaire",
    mode="Présentiel",
    renewal="Nouveau",
    mentor_id="M1",
    mentor_trained="Oui",
    meeting_frequency="Hebdomadaire",
)
A_02 = pair(
    "Y2",
    pair_id="A-02",
    referring_structure="mecs les pins ",
    application_date=date(2026, 2, 1),
    match_date=date(2026, 3, 10),
    status="En cours",
    objective="Insertion professionnelle",
    mode="Distanciel",
    renewal="Nouveau",
    mentor_id="M2",
    mentor_trained="Non",
    meeting_frequency="Mensuelle",
    sessions_planned=4,
    sessions_held=4,
)
A_03 = pair(
    "Y3",
    pair_id="A-03",
    referring_structure="Foyer Horizon",
    application_date=date(2025, 11, 1),
    match_date=date(2025, 12, 1),
    status="Clôturé",
    end_date=date(2026, 3, 20),
    end_reason="Objectif atteint",
    objective_met="Oui",
    objective="Orientation académique",
    mode="Hybride",
    renewal="Reconduction",
    mentor_id="M1",
    mentor_trained="Oui",
    meeting_frequency="Tous les 15 jours",
    sessions_planned=10,
    sessions_held=9,
)
A_04_WAITING = pair(
    "Y4",
    pair_id="A-04",
    application_date=date(2026, 3, 2),
    status="En attente de binôme",
    objective="Soutien scolaire",
    renewal="Nouveau",
)
A_PAIRS_MARCH = [
    {**A_01, "sessions_planned": 8, "sessions_held": 6},
    A_02,
    A_03,
    A_04_WAITING,
]
A_PAIRS_APRIL = [
    {**A_01, "sessions_planned": 12, "sessions_held": 9},
    {
        **A_02,
        "status": "Abandonné",
        "end_date": date(2026, 4, 15),
        "end_reason": "Désengagement du jeune",
        "sessions_planned": 6,
        "sessions_held": 3,
    },
    A_03,
    {
        **A_04_WAITING,
        "status": "En cours",
        "match_date": date(2026, 4, 5),
        "mode": "Présentiel",
        "mentor_id": "M3",
        "mentor_trained": "Non",
        "sessions_planned": 2,
        "sessions_held": 2,
    },
    pair(
        "Y5",
        pair_id="A-05",
        referring_structure="Foyer Horizon",
        application_date=date(2026, 4, 1),
        match_date=date(2026, 4, 10),
        status="En cours",
        objective="Soutien socio-affectif / ouverture socio-culturelle",
        mode="Présentiel",
        renewal="Nouveau",
        mentor_id="M1",
        mentor_trained="Oui",
        meeting_frequency="Hebdomadaire",
        sessions_planned=0,
        sessions_held=0,
    ),
]
B_01 = pair(
    "Y4",
    pair_id="B-01",
    referring_structure="MECS Les Pins",
    application_date=date(2026, 1, 10),
    match_date=date(2026, 2, 1),
    status="En cours",
    objective="Soutien scolaire",
    mode="Distanciel",
    renewal="Nouveau",
    mentor_id="M1",
    mentor_trained="Oui",
    meeting_frequency="Hebdomadaire",
)
B_02 = pair(
    "Y6",
    pair_id="B-02",
    application_date=date(2026, 2, 1),
    match_date=date(2026, 3, 5),
    status="Abandonné",
    end_date=date(2026, 3, 28),
    end_reason="Déménagement",
    objective_met="Non",
    objective="Orientation académique",
    mode="Hybride",
    renewal="Nouveau",
    mentor_id="M2",
    mentor_trained="Non",
    meeting_frequency="Irrégulière",
    sessions_planned=3,
    sessions_held=1,
)
B_PAIRS_MARCH = [{**B_01, "sessions_planned": 4, "sessions_held": 2}, B_02]
B_PAIRS_APRIL = [
    # The match date moves by two days between the months: the cross-month check warns.
    {**B_01, "match_date": date(2026, 2, 3), "sessions_planned": 8, "sessions_held": 5},
    B_02,
    pair(
        "Y1",
        pair_id="B-03",
        application_date=date(2026, 3, 20),
        match_date=date(2026, 4, 8),
        status="En cours",
        objective="Insertion professionnelle",
        mode="Présentiel",
        renewal="Reconduction",
        mentor_id="M4",
        mentor_trained="Oui",
        meeting_frequency="Mensuelle",
    ),
]

# --- Questionnaire fin de mentorat (cumulative: the latest file wins per pair) -----------------
A_03_ANSWERS = {
    "pair_id": "A-03",
    "answered_on": date(2026, 3, 25),
    "q_confidence": "Oui",
    "q_better_grades": "Non",
    "q_internship": "Ne sait pas",
    "q_oral": "Oui",
    "q_bonds": "Oui",
    "q_someone": "Oui",
    "q_discoveries": "Non",
}
# April's file corrects A-03's last answer: that version wins, for March too.
A_03_ANSWERS_CORRECTED = {**A_03_ANSWERS, "q_discoveries": "Oui"}
A_02_ANSWERS = {
    "pair_id": "A-02",
    "answered_on": date(2026, 4, 20),
    "q_confidence": "Non",
    "q_better_grades": "Non",
    "q_internship": "Oui",
    "q_oral": "Non",
    "q_bonds": "Non",
    "q_someone": "Oui",
    "q_discoveries": "Oui",
}
B_02_ANSWERS = {
    "pair_id": "B-02",
    "answered_on": date(2026, 3, 30),
    "q_confidence": "Oui",
    "q_better_grades": "Non",
    "q_internship": "Non",
    "q_oral": "Non",
    "q_bonds": "Oui",
    "q_someone": "Non",
    "q_discoveries": "Oui",
}


# --- Questionnaire MIS PE (cumulative: the latest file wins per youth and wave) ----------------
def mispe(youth: str, wave: str, answered_on: date, age: int, answers: str, **fields) -> dict:
    """answers: q01 … q18 as digits, "." for no answer, grouped by three per dimension."""
    digits = answers.replace(" ", "")
    items = {f"q{n:02d}": None if a == "." else int(a) for n, a in enumerate(digits, 1)}
    row = {
        "youth_key": youth,
        "birth_month": YOUTH.get(youth, {}).get("birth_month", "2005-01"),
        "age_at_answer": age,
        "wave": wave,
        "answered_on": answered_on,
        "is_out_of_mispe_scope": False,
    }
    return {**row, **items, **fields}


# Dimensions in item order: besoins, compétences, santé, bien-être, sociabilisation, autonomisation.
Y1_T0 = mispe("Y1", T0, date(2026, 3, 18), 14, "333 222 444 23. 111 ...")
Y1_T1 = mispe("Y1", T1, date(2026, 4, 25), 14, "444 333 444 333 222 222")
Y4_T0 = mispe("Y4", T0, date(2026, 3, 12), 15, "222 111 ... 444 333 123")
Y4_T1 = mispe("Y4", T1, date(2026, 4, 20), 15, "333 222 333 444 444 222")
Y6_T0 = mispe("Y6", T0, date(2026, 3, 15), 18, "444 444 444 444 444 444")
# Aged 20: outside the MIS PE scope (13–18), kept in raw but out of every MIS PE indicator.
Y7_T0 = mispe(
    "Y7", T0, date(2026, 3, 16), 20, "111 111 111 111 111 111", is_out_of_mispe_scope=True
)
# Scores (mean − 1) ÷ 3 × 100 per dimension:
#   Y1 T0: 66.67, 33.33, 100, 50 (2.5), 0, —        Y1 T1: 100, 66.67, 100, 66.67, 33.33, 33.33
#   Y4 T0: 33.33, 0, —, 100, 66.67, 33.33 (mean 2)  Y4 T1: 66.67, 33.33, 66.67, 100, 100, 33.33
#   Y6 T0: 100 everywhere.

# --- Ressources (year to date) and Activités (month) -------------------------------------------
A_RESOURCES_MARCH = [
    {"category": "Subvention", "detail": "Département", "amount": 10000, "unit": "EUR"},
    {"category": "Subvention", "detail": "Fondation X", "amount": 5000, "unit": "EUR"},
    {"category": "ETP salariés", "detail": "Coordination", "amount": 1.5, "unit": "ETP"},
    {"category": "ETP bénévoles", "detail": "Mentors", "amount": 0.5, "unit": "ETP"},
    {"category": "Outil", "detail": "Plateforme"},
]
A_RESOURCES_APRIL = [
    *A_RESOURCES_MARCH,
    {"category": "Subvention", "detail": "Ville", "amount": 2000, "unit": "EUR"},
    {"category": "ETP salariés", "detail": "Animation", "amount": 0.5, "unit": "ETP"},
    {"category": "Coût annexe", "detail": "Transports", "amount": 300, "unit": "EUR"},
]
B_RESOURCES_MARCH = [
    {"category": "Subvention", "detail": "Département", "amount": 8000, "unit": "EUR"},
    {"category": "ETP salariés", "detail": "Éducateurs", "amount": 0, "unit": "ETP"},
]
B_RESOURCES_APRIL = [
    {"category": "Subvention", "detail": "Département", "amount": 8000, "unit": "EUR"},
    {"category": "Subvention", "detail": "Fondation X", "amount": 3000, "unit": "EUR"},
    {"category": "ETP salariés", "detail": "Éducateurs", "amount": 1, "unit": "ETP"},
    {"category": "ETP bénévoles", "detail": "Mentors", "amount": 1, "unit": "ETP"},
]


def activity(day: date, activity_type: str, title: str, participants=None) -> dict:
    return {
        "activity_date": day,
        "activity_type": activity_type,
        "title": title,
        "participants": participants,
    }


CONTACTED, MET = "Structure ASE contactée", "Structure ASE rencontrée"
A_ACTIVITIES_MARCH = [
    activity(date(2026, 3, 3), CONTACTED, "MECS Les Pins"),
    activity(date(2026, 3, 15), CONTACTED, "mecs les pins"),  # the same structure again
    activity(date(2026, 3, 16), CONTACTED, "Foyer Horizon"),
    activity(date(2026, 3, 20), "Atelier collectif", "Atelier CV", 5),
]
A_ACTIVITIES_APRIL = [
    activity(date(2026, 4, 7), "Formation de mentors", "Formation initiale", 4),
    activity(date(2026, 4, 9), MET, "Foyer Horizon"),
]
B_ACTIVITIES_MARCH = [activity(date(2026, 3, 10), "Réunion d'information départementale", "Nord")]
B_ACTIVITIES_APRIL = [
    activity(date(2026, 4, 2), CONTACTED, "MECS Les Pins"),
    activity(date(2026, 4, 22), "Atelier collectif", "Atelier théâtre", 8),
]

# A's first April file, replaced by the second: none of it may reach an indicator.
A_APRIL_VERSION_1 = {
    "pairs": [
        pair(
            "Y9",
            pair_id="A-99",
            application_date=date(2026, 3, 1),
            match_date=date(2026, 4, 2),
            status="En cours",
            objective="Soutien scolaire",
            mode="Présentiel",
            renewal="Nouveau",
            mentor_id="M9",
            mentor_trained="Oui",
        )
    ],
    "resources": [
        {"category": "Subvention", "detail": "Département", "amount": 99999, "unit": "EUR"}
    ],
    "activities": [activity(date(2026, 4, 3), "Action de sensibilisation", "Collège Nord")],
}

FILES = [  # (period, association, tables), loaded in this order
    (
        "2026-03",
        A,
        {
            "pairs": A_PAIRS_MARCH,
            "end_questionnaires": [A_03_ANSWERS],
            "mispe_questionnaires": [Y1_T0],
            "resources": A_RESOURCES_MARCH,
            "activities": A_ACTIVITIES_MARCH,
        },
    ),
    (
        "2026-03",
        B,
        {
            "pairs": B_PAIRS_MARCH,
            "end_questionnaires": [B_02_ANSWERS],
            "mispe_questionnaires": [Y4_T0, Y6_T0, Y7_T0],
            "resources": B_RESOURCES_MARCH,
            "activities": B_ACTIVITIES_MARCH,
        },
    ),
    ("2026-04", A, A_APRIL_VERSION_1),
    (
        "2026-04",
        B,
        {
            "pairs": B_PAIRS_APRIL,
            "end_questionnaires": [B_02_ANSWERS],
            "mispe_questionnaires": [Y4_T0, Y6_T0, Y7_T0, Y4_T1, Y1_T1],
            "resources": B_RESOURCES_APRIL,
            "activities": B_ACTIVITIES_APRIL,
        },
    ),
    (
        "2026-04",
        A,
        {
            "pairs": A_PAIRS_APRIL,
            "end_questionnaires": [A_03_ANSWERS_CORRECTED, A_02_ANSWERS],
            "mispe_questionnaires": [Y1_T0],
            "resources": A_RESOURCES_APRIL,
            "activities": A_ACTIVITIES_APRIL,
        },
    ),
]


def accepted_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = [name for name, _ in RAW_TABLE_COLUMNS[table]]
    records = [
        {**dict.fromkeys(columns), **row, "excel_row": number, "has_alerts": False}
        for number, row in enumerate(rows, 2)
    ]
    return pd.DataFrame(records, columns=columns)


def load_files(conn: duckdb.DuckDBPyConnection) -> None:
    no_findings = pd.DataFrame(columns=[name for name, _ in FINDING_TABLE_COLUMNS])
    for number, (period, association_code, tables) in enumerate(FILES, 1):
        rows = sum(len(rows) for rows in tables.values())
        replace_partition(
            conn,
            period,
            association_code,
            {table: accepted_frame(table, rows) for table, rows in tables.items()},
            no_findings,
            {
                "association_name": association_code,
                "file_name": f"{period}/{association_code}.xlsx",
                "sha256": f"{number:064x}",
                "received_at": datetime(2026, 5, 1, 9, number),
                "template_version": "2026.1",
                "rows_received": rows,
                "rows_accepted": rows,
                "rows_rejected": 0,
                "rows_with_alerts": 0,
                "status": "accepted",
                "message_fr": None,
            },
        )
    record_file_error(
        conn,
        period="2026-04",
        association_code="les-tilleuls",
        file_name="2026-04/les-tilleuls.xlsx",
        sha256="f" * 64,
        received_at=datetime(2026, 5, 2, 10, 0),
        error_code="FIC-003",
        message_fr="Fichier 2026-04/les-tilleuls.xlsx : l'onglet « Données » est absent.",
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory, monkeypatch_module):
    """Load the files, run the real `dbt build` once; yields (connection, run results, seconds)."""
    workdir = tmp_path_factory.mktemp("dbt")
    warehouse = workdir / "ase_impact.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        ensure_schema(conn)
        load_files(conn)
    monkeypatch_module.setenv("ASE_IMPACT_WAREHOUSE", str(warehouse))
    monkeypatch_module.setenv("ASE_IMPACT_MIN_CELL", str(MIN_CELL))
    started = time.perf_counter()
    result = dbtRunner().invoke(
        [
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            "--quiet",
        ]
    )
    seconds = time.perf_counter() - started
    conn = duckdb.connect(str(warehouse))
    yield conn, result, seconds
    conn.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def indicator(
    conn, period, scope, association, code, dimension=None, breakdown="total", breakdown_value=None
) -> tuple:
    """(value, numerator, denominator, is_suppressed) of exactly one fct_indicators row."""
    rows = conn.execute(
        "SELECT value, numerator, denominator, is_suppressed FROM marts.fct_indicators "
        "WHERE period = ? AND scope = ? AND association_code IS NOT DISTINCT FROM ? "
        "AND indicator_code = ? AND mis_pe_dimension IS NOT DISTINCT FROM ? AND breakdown = ? "
        "AND breakdown_value IS NOT DISTINCT FROM ?",
        [period, scope, association, code, dimension, breakdown, breakdown_value],
    ).fetchall()
    assert len(rows) == 1, (period, scope, association, code, dimension, breakdown, rows)
    return rows[0]


def test_dbt_build_passes_with_only_the_cross_month_warning(build):
    _, result, seconds = build
    assert result.success, result.exception
    statuses = {(node.node.name, str(node.status)) for node in result.result}
    failing = [entry for entry in statuses if entry[1] in ("error", "fail")]
    assert failing == []
    warned = sorted(name for name, status in statuses if status == "warn")
    assert warned == ["assert_pair_match_date_stable_across_months"]
    assert seconds < 60


D = "departement"
# (period, scope, association, indicator, dimension, breakdown, breakdown_value, expected value)
EXPECTED_VALUES = [
    # Youth accompanied = distinct youth in pairs active in P.
    # A March: A-01 Y1, A-02 Y2, A-03 Y3 (ends 20/03, active in March); A-04 Y4 waits.
    (MARCH, "association", A, "youth_accompanied", None, "total", None, 3),
    # B March: B-01 Y4, B-02 Y6 (abandoned 28/03, still active in March).
    (MARCH, "association", B, "youth_accompanied", None, "total", None, 2),
    # Département March: Y1, Y2, Y3 + Y4, Y6 = 5.
    (MARCH, D, None, "youth_accompanied", None, "total", None, 5),
    # April: A = Y1, Y2 (A-02 abandoned 15/04), Y4 (A-04 now matched), Y5 (A-05) = 4;
    # B = Y4 (B-01), Y1 (B-03) = 2; département = {Y1, Y2, Y4, Y5} = 4, not 4 + 2.
    (APRIL, "association", A, "youth_accompanied", None, "total", None, 4),
    (APRIL, "association", B, "youth_accompanied", None, "total", None, 2),
    (APRIL, D, None, "youth_accompanied", None, "total", None, 4),
    # Département March by sex: Femme Y1, Y3, Y6 = 3; Homme Y2, Y4 = 2; Autre 0.
    (MARCH, D, None, "youth_accompanied", None, "sex", "Femme", 3),
    (MARCH, D, None, "youth_accompanied", None, "sex", "Homme", 2),
    (MARCH, D, None, "youth_accompanied", None, "sex", "Autre / non précisé", 0),
    # Département April by age band: Y5 12 → moins de 13; Y1 14, Y4 15 → 13-15; Y2 16 → 16-17.
    (APRIL, D, None, "youth_accompanied", None, "age_band", "moins de 13 ans", 1),
    (APRIL, D, None, "youth_accompanied", None, "age_band", "13-15 ans", 2),
    (APRIL, D, None, "youth_accompanied", None, "age_band", "18 ans et plus", 0),
    # Département April by school level group: Y1 Quatrième + Y4 Troisième = Collège 2.
    (APRIL, D, None, "youth_accompanied", None, "school_level_group", "Collège", 2),
    # Département March by territory: Y1 and Y3 in Nord = 2; Centre 0.
    (MARCH, D, None, "youth_accompanied", None, "territory", "Nord", 2),
    (MARCH, D, None, "youth_accompanied", None, "territory", "Centre", 0),
    # Youth new (Nouveau, matched in P): A April = A-04 (05/04) + A-05 (10/04) = 2;
    # B April: B-03 is a Reconduction = 0.
    (APRIL, "association", A, "youth_new", None, "total", None, 2),
    (APRIL, "association", B, "youth_new", None, "total", None, 0),
    # Waiting: Y4 at A in March.
    (MARCH, D, None, "youth_waiting", None, "total", None, 1),
    # Pairs active: 4 (A) + 2 (B) in April; A-03 ended in March is no longer active.
    (APRIL, D, None, "pairs_active", None, "total", None, 6),
    # By mode, April: Présentiel, B-03 = 4; Distanciel A-02, B-01 = 2.
    (APRIL, D, None, "pairs_active", None, "mode", "Présentiel", 4),
    (APRIL, D, None, "pairs_active", None, "mode", "Distanciel", 2),
    # By objective, April: Soutien scolaire, B-01 = 3.
    (APRIL, D, None, "pairs_active", None, "objective", "Soutien scolaire", 3),
    # By meeting frequency, April: A-04 has none → « Non renseigné » 1; Hebdomadaire A-01,
    # A-05, B-01 = 3.
    (APRIL, D, None, "pairs_active", None, "meeting_frequency", "Non renseigné", 1),
    (APRIL, D, None, "pairs_active", None, "meeting_frequency", "Hebdomadaire", 3),
    # Mentors: A's M1 and B's M1 are two people. March: A/M1, A/M2, B/M1, B/M2 = 4;
    # April: A/M1, A/M2, A/M3, B/M1, B/M4 = 5; trained April: A/M1, B/M1, B/M4 = 3.
    (MARCH, D, None, "mentors_active", None, "total", None, 4),
    (APRIL, D, None, "mentors_active", None, "total", None, 5),
    (APRIL, D, None, "mentors_trained", None, "total", None, 3),
    # Structures (trimmed, case-folded): "MECS Les Pins" = "mecs les pins ", + "Foyer Horizon".
    (MARCH, "association", A, "structures_mobilized", None, "total", None, 2),
    (MARCH, D, None, "structures_mobilized", None, "total", None, 2),
    # Remote share March: A-02 and B-01 of 5 active pairs = 40 %.
    (MARCH, D, None, "remote_pairs_share", None, "total", None, 40.0),
    # Matching delay March: A-02 10/03 − 01/02 = 37 d, B-02 05/03 − 01/02 = 32 d → 34.5.
    (MARCH, D, None, "avg_matching_delay_days", None, "total", None, 34.5),
    # April: A-04 05/04 − 02/03 = 34, A-05 10/04 − 01/04 = 9, B-03 08/04 − 20/03 = 19 → 62 / 3.
    (APRIL, D, None, "avg_matching_delay_days", None, "total", None, 62 / 3),
    # Duration March: A-03 20/03/2026 − 01/12/2025 = 109 d, B-02 28/03 − 05/03 = 23 d → 66.
    (MARCH, D, None, "avg_pair_duration_days", None, "total", None, 66.0),
    # Attendance March, A: (6 + 4 + 9) / (8 + 4 + 10) = 19 / 22.
    (MARCH, "association", A, "attendance_rate", None, "total", None, 100 * 19 / 22),
    # April, département: A 9 + 3 + 2 (A-05 plans 0: left out) + B 5 (B-03 plans nothing)
    # = 19 held of 12 + 6 + 2 + 8 = 28 planned.
    (APRIL, D, None, "attendance_rate", None, "total", None, 100 * 19 / 28),
    # Closed / abandoned in March: A-03 closed (Objectif atteint), B-02 abandoned (Déménagement).
    (MARCH, D, None, "pairs_closed", None, "end_reason", "Objectif atteint", 1),
    (MARCH, D, None, "pairs_abandoned", None, "end_reason_kind", "Binôme", 1),
    (MARCH, D, None, "pairs_abandoned", None, "end_reason_kind", "Objectif", 0),
    # Abandonment rate: March A 0 / 1 = 0; B 1 / 1 = 100; département 1 / 2 = 50.
    (MARCH, "association", A, "abandonment_rate", None, "total", None, 0.0),
    (MARCH, "association", B, "abandonment_rate", None, "total", None, 100.0),
    (MARCH, D, None, "abandonment_rate", None, "total", None, 50.0),
    # April: B ended nothing → undefined; A-02 abandoned → A 100.
    (APRIL, "association", B, "abandonment_rate", None, "total", None, None),
    (APRIL, "association", A, "abandonment_rate", None, "total", None, 100.0),
    # Objective met rate March: A-03 Oui, B-02 Non → 1 / 2. April A: A-02 has no assessment.
    (MARCH, D, None, "objective_met_rate", None, "total", None, 50.0),
    (APRIL, "association", A, "objective_met_rate", None, "total", None, None),
    # Response rate March: A-03 and B-02 both answered → 100.
    (MARCH, D, None, "questionnaire_response_rate", None, "total", None, 100.0),
    # End questionnaires answered in March: A-03 (Y3) and B-02 (Y6) both say Oui to confidence;
    # discoveries: A-03's corrected answer (April file) Oui + B-02 Oui = 2.
    (MARCH, D, None, "youth_regained_confidence", "bien_etre_emotionnel", "total", None, 2),
    (MARCH, "association", A, "youth_discoveries", "bien_etre_emotionnel", "total", None, 1),
    (MARCH, D, None, "youth_discoveries", "bien_etre_emotionnel", "total", None, 2),
    (MARCH, D, None, "youth_better_grades", "developpement_competences", "total", None, 0),
    # April: A-02 (Y2, answered 20/04) found an internship.
    (APRIL, "association", A, "youth_found_internship", "autonomisation", "total", None, 1),
    # MIS PE March, besoins: A = Y1 (66.67); B = Y4 (33.33), Y6 (100), Y7 out of scope;
    # département = Y1, Y4, Y6 → 3 respondents, mean 66.67, favourable Y1 (3), Y6 → 2 / 3.
    (MARCH, "association", B, "mispe_respondents", "besoins_premiere_necessite", "total", None, 2),
    (MARCH, D, None, "mispe_respondents", "besoins_premiere_necessite", "total", None, 3),
    (MARCH, D, None, "mispe_score", "besoins_premiere_necessite", "total", None, 200 / 3),
    (
        MARCH,
        D,
        None,
        "mispe_favourable_share",
        "besoins_premiere_necessite",
        "total",
        None,
        200 / 3,
    ),
    # Santé March: Y4 answered no santé item → Y1 (100), Y6 (100).
    (MARCH, D, None, "mispe_respondents", "sante", "total", None, 2),
    # Bien-être March by wave T0: Y1 50, Y4 100, Y6 100 → 250 / 3; no T1 → undefined.
    (MARCH, D, None, "mispe_score", "bien_etre_emotionnel", "wave", T0, 250 / 3),
    (MARCH, D, None, "mispe_score", "bien_etre_emotionnel", "wave", T1, None),
    (MARCH, D, None, "mispe_respondents", "bien_etre_emotionnel", "wave", T1, 0),
    # April (B only): Y4 T1 and Y1 T1; besoins 66.67 and 100 → 83.33.
    (APRIL, "association", B, "mispe_score", "besoins_premiere_necessite", "total", None, 250 / 3),
    (APRIL, "association", A, "mispe_score", "besoins_premiere_necessite", "total", None, None),
    # Score change April: besoins Y4 66.67 − 33.33, Y1 100 − 66.67 (T0 from A's file) → 33.33;
    # bien-être Y4 100 − 100 = 0, Y1 66.67 − 50 = 16.67 → 8.33; santé only Y1 (Y4 had no T0)
    # 100 − 100 = 0; autonomisation only Y4 (Y1's T0 had none) 33.33 − 33.33 = 0.
    (APRIL, D, None, "mispe_score_change", "besoins_premiere_necessite", "total", None, 100 / 3),
    (APRIL, D, None, "mispe_score_change", "bien_etre_emotionnel", "total", None, 25 / 3),
    (APRIL, D, None, "mispe_score_change", "sante", "total", None, 0.0),
    (MARCH, D, None, "mispe_score_change", "sante", "total", None, None),
    # Resources of the latest file of the year: A April 10 000 + 5 000 + 2 000 = 17 000;
    # département April 17 000 + B 11 000 = 28 000 (A's replaced 99 999 is gone).
    (APRIL, "association", A, "subsidies_eur", None, "total", None, 17000.0),
    (APRIL, D, None, "subsidies_eur", None, "total", None, 28000.0),
    (APRIL, D, None, "subsidies_eur", None, "detail", "Département", 18000.0),
    (MARCH, D, None, "subsidies_eur", None, "total", None, 23000.0),
    (APRIL, "association", A, "fte_staff", None, "total", None, 2.0),
    (APRIL, "association", A, "annex_costs_eur", None, "total", None, 300.0),
    (MARCH, "association", A, "tools_count", None, "total", None, 1),
    # Pairs per FTE: B March has 0 FTE → undefined; April département 6 pairs / 3 FTE = 2.
    (MARCH, "association", B, "pairs_per_fte", None, "total", None, None),
    (APRIL, D, None, "pairs_per_fte", None, "total", None, 2.0),
    # Activities: A March contacted "MECS Les Pins" twice and "Foyer Horizon" → 2 structures;
    # département April: B's "MECS Les Pins" = 1; A's replaced awareness action is gone.
    (MARCH, "association", A, "ase_structures_contacted", None, "total", None, 2),
    (APRIL, D, None, "ase_structures_contacted", None, "total", None, 1),
    (APRIL, D, None, "collective_workshops", None, "total", None, 1),
    (APRIL, D, None, "awareness_actions", None, "total", None, 0),
    (MARCH, "association", B, "info_meetings", None, "total", None, 1),
]


@pytest.mark.parametrize(
    ("period", "scope", "association", "code", "dimension", "breakdown", "category", "expected"),
    EXPECTED_VALUES,
)
def test_indicator_value_matches_the_hand_computation(
    build, period, scope, association, code, dimension, breakdown, category, expected
):
    value, *_ = indicator(
        build[0], period, scope, association, code, dimension, breakdown, category
    )
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)


def test_rates_carry_their_numerator_and_denominator(build):
    conn = build[0]
    # Abandonment, March département: 1 abandoned of 1 closed + 1 abandoned.
    assert indicator(conn, MARCH, D, None, "abandonment_rate")[:3] == (50.0, 1.0, 2.0)
    # B April ended nothing: no value, 0 ÷ 0 shown as such.
    assert indicator(conn, APRIL, "association", B, "abandonment_rate")[:3] == (None, 0.0, 0.0)
    # pairs_per_fte, B March: 2 active pairs, 0 FTE.
    assert indicator(conn, MARCH, "association", B, "pairs_per_fte")[:3] == (None, 2.0, 0.0)
    # Counts have neither.
    assert indicator(conn, MARCH, D, None, "youth_accompanied")[1:3] == (None, None)


def test_disclosure_flags_with_secondary_suppression(build):
    conn = build[0]

    def suppressed(*key) -> bool:
        return indicator(conn, *key)[3]

    # Totals of 3 or more are published; 1 and 2 are masked (min_cell 3).
    assert not suppressed(MARCH, D, None, "youth_accompanied")
    assert suppressed(MARCH, "association", B, "youth_accompanied")
    # Sex, March: Homme 2 is the only small cell → Femme 3, the next smallest non-empty
    # cell, is masked too; the empty « Autre » cell reveals nobody.
    assert suppressed(MARCH, D, None, "youth_accompanied", None, "sex", "Homme")
    assert suppressed(MARCH, D, None, "youth_accompanied", None, "sex", "Femme")
    assert not suppressed(MARCH, D, None, "youth_accompanied", None, "sex", "Autre / non précisé")
    # Mode, April: Distanciel 2 alone is small → Présentiel 4 masked; Hybride 0 stays.
    assert suppressed(APRIL, D, None, "pairs_active", None, "mode", "Présentiel")
    assert not suppressed(APRIL, D, None, "pairs_active", None, "mode", "Hybride")
    # Meeting frequency, April: two small cells (Mensuelle 2, Non renseigné 1) protect each
    # other; Hebdomadaire 3 stays published.
    assert not suppressed(APRIL, D, None, "pairs_active", None, "meeting_frequency", "Hebdomadaire")
    # A rate is masked by its denominator: 2 ended pairs in March.
    assert suppressed(MARCH, D, None, "abandonment_rate")
    # Resources and activities describe the association, not people.
    assert not suppressed(APRIL, "association", A, "subsidies_eur")
    assert not suppressed(MARCH, "association", B, "info_meetings")


def test_every_indicator_has_a_total_for_each_reporting_scope_only(build):
    conn = build[0]
    scopes = conn.execute(
        "SELECT period, scope, association_code, count(*) FROM marts.fct_indicators "
        "WHERE breakdown = 'total' GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    # 38 single indicators + 4 MIS PE indicators × 6 dimensions = 62 totals per scope.
    # les-tilleuls' April file was refused: it has no indicators.
    assert scopes == [
        (MARCH, "association", B, 62),
        (MARCH, "association", A, 62),
        (MARCH, D, None, 62),
        (APRIL, "association", B, 62),
        (APRIL, "association", A, 62),
        (APRIL, D, None, 62),
    ]


def test_the_replaced_file_leaves_no_trace(build):
    conn = build[0]
    assert conn.execute("SELECT count(*) FROM raw.pairs WHERE youth_key = 'Y9'").fetchone() == (0,)
    assert conn.execute(
        "SELECT max(value) FROM marts.fct_indicators WHERE indicator_code = 'subsidies_eur'"
    ).fetchone() == (28000.0,)


def test_submissions_show_expected_received_missing_and_rejected(build):
    conn = build[0]
    rows = conn.execute(
        "SELECT association_code, expected, received, version, version_in_force, status "
        "FROM marts.mart_submissions WHERE period = ? ORDER BY association_code",
        [APRIL],
    ).fetchall()
    assert rows == [
        ("boussole-ase", True, False, None, None, "missing"),
        (B, True, True, 1, 1, "accepted"),
        (A, True, True, 2, 2, "accepted"),
        ("horizons-partages", True, False, None, None, "missing"),
        ("les-tilleuls", True, True, 1, None, "rejected"),
        ("passerelles-jeunes", True, False, None, None, "missing"),
        ("trait-d-union", True, False, None, None, "missing"),
    ]
    message = conn.execute(
        "SELECT message FROM marts.mart_submissions "
        "WHERE period = ? AND association_code = 'boussole-ase'",
        [MARCH],
    ).fetchone()[0]
    assert message == "Aucun fichier reçu pour la période 2026-03."


def test_impact_dimensions_join_mis_pe_and_mentoring(build):
    conn = build[0]
    row = conn.execute(
        "SELECT respondents, mean_score, favourable_share, mentoring_indicators, "
        "mentoring_positive_answers FROM marts.mart_impact_dimensions "
        "WHERE period = ? AND scope = 'departement' AND mis_pe_dimension = 'bien_etre_emotionnel'",
        [MARCH],
    ).fetchone()
    # MIS PE: Y1 50, Y4 100, Y6 100; favourable Y4, Y6. Mentoring: confidence (2) + discoveries (2).
    assert row[0] == 3
    assert row[1] == pytest.approx(250 / 3)
    assert row[2] == pytest.approx(200 / 3)
    assert row[3:] == (2, 4)


ANALYST_QUERIES = {
    "youth_per_territory_last_month": """
        SELECT breakdown_value AS territoire, value AS jeunes, is_suppressed
        FROM marts.fct_indicators
        WHERE indicator_code = 'youth_accompanied' AND scope = 'departement'
          AND breakdown = 'territory'
          AND period = (SELECT max(period) FROM marts.dim_period WHERE has_submissions)
        ORDER BY territoire
    """,
    "abandonment_rate_per_association_this_year": """
        SELECT association_code,
               sum(numerator) AS abandonnes, sum(denominator) AS termines,
               100 * sum(numerator) / nullif(sum(denominator), 0) AS taux_abandon
        FROM marts.fct_indicators
        WHERE indicator_code = 'abandonment_rate' AND scope = 'association'
          AND breakdown = 'total'
          AND year(period) = (SELECT max(year) FROM marts.dim_period)
        GROUP BY association_code
        ORDER BY association_code
    """,
    "mispe_score_per_dimension_t0_vs_t1": """
        SELECT mis_pe_dimension, breakdown_value AS vague,
               sum(numerator) / nullif(sum(denominator), 0) AS score_moyen,
               sum(denominator) AS repondants
        FROM marts.fct_indicators
        WHERE indicator_code = 'mispe_score' AND scope = 'departement'
          AND breakdown = 'wave' AND breakdown_value IN ('T0 (entrée)', 'T1 (suivi)')
        GROUP BY ALL
        ORDER BY mis_pe_dimension, vague
    """,
}


def test_analyst_queries_answer(build):
    conn = build[0]
    territories = conn.execute(ANALYST_QUERIES["youth_per_territory_last_month"]).fetchall()
    assert [row[:2] for row in territories] == [
        ("Centre", 1.0),
        ("Est", 1.0),
        ("Nord", 1.0),
        ("Ouest", 0.0),
        ("Sud", 1.0),
    ]
    # The year so far: A 0 of 1 (March) + 1 of 1 (April); B 1 of 1 (March) + 0 of 0 (April).
    abandonment = conn.execute(
        ANALYST_QUERIES["abandonment_rate_per_association_this_year"]
    ).fetchall()
    assert [row[:4] for row in abandonment] == [(B, 1.0, 1.0, 100.0), (A, 1.0, 2.0, 50.0)]
    scores = {
        (dimension, wave): (score, respondents)
        for dimension, wave, score, respondents in conn.execute(
            ANALYST_QUERIES["mispe_score_per_dimension_t0_vs_t1"]
        ).fetchall()
    }
    # Sociabilisation: T0 in March Y1 0, Y4 66.67, Y6 100; T1 in April Y4 100, Y1 33.33.
    assert scores[("sociabilisation", T0)][0] == pytest.approx(500 / 9)
    assert scores[("sociabilisation", T1)] == (pytest.approx(200 / 3), 2.0)
