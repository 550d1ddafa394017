"""Real workbooks, the real ingestion and the real `dbt build`, checked against hand-worked numbers.

Two associations report in March and April 2026: envol-mentorat (A, mentoring) and
cap-avenir (B, mentoring and residential care, so MIS PE questionnaires). Youth Y1 and Y4
are in both (same names and birth date, hence the same pseudonymous key). A's April file is
sent twice: version 2 overwrites version 1 (whose pair A-99, youth Y9, subsidy of 99 999 EUR
and awareness action must leave no trace). les-tilleuls sends an April file whose
« Paramètres figés » declares March: it is refused as a whole.

Every file is written as raw/<YYYY-MM>/<code>.xlsx with openpyxl and goes through
`ingest_file` (read, validate, pseudonymise, load) before dbt runs once.
Disclosure threshold: ASE_IMPACT_MIN_CELL=3, so counts of 1 and 2 are masked.
Names are invented; nothing here names anyone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

import duckdb
import pytest

from ase_impact.core import referentiel
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import IngestionReport, ingest_file
from ase_impact.intake.pseudonymise import load_key, youth_key
from ase_impact.warehouse import connection, schema
from orchestration.dbt_project import load_manifest
from tests.conftest import DEMO_REGISTRY, isolated_environment
from tests.integration.dbt_build import run_dbt_build
from tests.integration.sample_rows import resource_row, write_submission
from tests.workbook_factory import write_workbook

MIN_CELL = 3
A, B = "envol-mentorat", "cap-avenir"
NAMES = {A: "Envol Mentorat", B: "Cap Avenir"}
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
T0, T1 = "T0 (entrée)", "T1 (suivi)"
READ_SHEETS = tuple(sheet.sheet_code for sheet in referentiel.sheets() if sheet.raw_table)

# Who each youth is: last name, first name, birth date. The birth dates keep every age the
# same at the end of March, the end of April and each MIS PE answer.
IDENTITY = {
    "Y1": ("Quilmet", "Ambrine", date(2011, 9, 14)),  # 14
    "Y2": ("Brastoc", "Noéliam", date(2009, 10, 3)),  # 16
    "Y3": ("Ydrelle", "Sixtine", date(2008, 6, 21)),  # 17
    "Y4": ("Fantin-Oxal", "Timaël", date(2010, 12, 2)),  # 15
    "Y5": ("Morvique", "Léonore", date(2013, 6, 30)),  # 12
    "Y6": ("Tazelle", "Oriane", date(2007, 5, 9)),  # 18
    "Y7": ("Vuornet", "Cassien", date(2005, 8, 10)),  # 20 on 16/03/2026; never in a pair
    "Y9": ("Garbelot", "Elouan", date(2010, 1, 20)),  # 16
}
PROFILE = {  # sex, school level, placement type, territory
    "Y1": ("Femme", "Quatrième", "MECS associative", "Nord"),
    "Y2": ("Homme", "Seconde", "Foyer de l'enfance", "Sud"),
    "Y3": ("Femme", "Terminale", "MNA", "Nord"),
    "Y4": ("Homme", "Troisième", "SAF associatif", "Est"),
    "Y5": ("Femme", "CM2", "Lieu de vie", "Centre"),
    "Y6": ("Femme", "Post-bac", "MNA", "Ouest"),
    "Y9": ("Homme", "Seconde", "Autre", "Sud"),
}


def identity(youth: str) -> dict:
    last_name, first_name, birth_date = IDENTITY[youth]
    return {
        "Nom du bénéficiaire": last_name,
        "Prénom du bénéficiaire": first_name,
        "Date de naissance": birth_date,
    }


def pair(youth: str, fields: dict) -> dict:
    """A row of « Données » for youth: identity and profile, then the pair's own cells."""
    headers = ("Sexe", "Niveau scolaire", "Type de placement", "Territoire")
    return {**identity(youth), **dict(zip(headers, PROFILE[youth], strict=True)), **fields}


# --- Données -----------------------------------------------------------------------------------
A_01 = pair(
    "Y1",
    {
        "Identifiant binôme": "A-01",
        "Structure ASE d'origine": "MECS Les Pins",
        "Date de candidature": date(2026, 1, 5),
        "Date de mise en relation": date(2026, 1, 20),
        "Statut du mentorat": "En cours",
        "Objectif du mentorat": "Soutien scolaire",
        "Modalité": "Présentiel",
        "Nouveau ou reconduction": "Nouveau",
        "Identifiant mentor": "M1",
        "Mentor formé": "Oui",
        "Fréquence des rencontres": "Hebdomadaire",
    },
)
A_02 = pair(
    "Y2",
    {
        "Identifiant binôme": "A-02",
        "Structure ASE d'origine": "mecs les pins ",
        "Date de candidature": date(2026, 2, 1),
        "Date de mise en relation": date(2026, 3, 10),
        "Statut du mentorat": "En cours",
        "Objectif du mentorat": "Insertion professionnelle",
        "Modalité": "Distanciel",
        "Nouveau ou reconduction": "Nouveau",
        "Identifiant mentor": "M2",
        "Mentor formé": "Non",
        "Fréquence des rencontres": "Mensuelle",
        "Séances prévues": 4,
        "Séances réalisées": 4,
    },
)
A_03 = pair(
    "Y3",
    {
        "Identifiant binôme": "A-03",
        "Structure ASE d'origine": "Foyer Horizon",
        "Date de candidature": date(2025, 11, 1),
        "Date de mise en relation": date(2025, 12, 1),
        "Statut du mentorat": "Clôturé",
        "Date de fin": date(2026, 3, 20),
        "Motif de fin": "Objectif atteint",
        "Objectif atteint": "Oui",
        "Objectif du mentorat": "Orientation académique",
        "Modalité": "Hybride",
        "Nouveau ou reconduction": "Reconduction",
        "Identifiant mentor": "M1",
        "Mentor formé": "Oui",
        "Fréquence des rencontres": "Tous les 15 jours",
        "Séances prévues": 10,
        "Séances réalisées": 9,
    },
)
A_04_WAITING = pair(
    "Y4",
    {
        "Identifiant binôme": "A-04",
        "Date de candidature": date(2026, 3, 2),
        "Statut du mentorat": "En attente de binôme",
        "Objectif du mentorat": "Soutien scolaire",
        "Nouveau ou reconduction": "Nouveau",
    },
)
A_PAIRS_MARCH = [
    {**A_01, "Séances prévues": 8, "Séances réalisées": 6},
    A_02,
    A_03,
    A_04_WAITING,
]
A_PAIRS_APRIL = [
    {**A_01, "Séances prévues": 12, "Séances réalisées": 9},
    {
        **A_02,
        "Statut du mentorat": "Abandonné",
        "Date de fin": date(2026, 4, 15),
        "Motif de fin": "Désengagement du jeune",
        "Séances prévues": 6,
        "Séances réalisées": 3,
    },
    A_03,
    {
        **A_04_WAITING,
        "Statut du mentorat": "En cours",
        "Date de mise en relation": date(2026, 4, 5),
        "Modalité": "Présentiel",
        "Identifiant mentor": "M3",
        "Mentor formé": "Non",
        "Séances prévues": 2,
        "Séances réalisées": 2,
    },
    pair(
        "Y5",
        {
            "Identifiant binôme": "A-05",
            "Structure ASE d'origine": "Foyer Horizon",
            "Date de candidature": date(2026, 4, 1),
            "Date de mise en relation": date(2026, 4, 10),
            "Statut du mentorat": "En cours",
            "Objectif du mentorat": "Soutien socio-affectif / ouverture socio-culturelle",
            "Modalité": "Présentiel",
            "Nouveau ou reconduction": "Nouveau",
            "Identifiant mentor": "M1",
            "Mentor formé": "Oui",
            "Fréquence des rencontres": "Hebdomadaire",
            "Séances prévues": 0,
            "Séances réalisées": 0,
        },
    ),
]
B_01 = pair(
    "Y4",
    {
        "Identifiant binôme": "B-01",
        "Structure ASE d'origine": "MECS Les Pins",
        "Date de candidature": date(2026, 1, 10),
        "Date de mise en relation": date(2026, 2, 1),
        "Statut du mentorat": "En cours",
        "Objectif du mentorat": "Soutien scolaire",
        "Modalité": "Distanciel",
        "Nouveau ou reconduction": "Nouveau",
        "Identifiant mentor": "M1",
        "Mentor formé": "Oui",
        "Fréquence des rencontres": "Hebdomadaire",
    },
)
B_02 = pair(
    "Y6",
    {
        "Identifiant binôme": "B-02",
        "Date de candidature": date(2026, 2, 1),
        "Date de mise en relation": date(2026, 3, 5),
        "Statut du mentorat": "Abandonné",
        "Date de fin": date(2026, 3, 28),
        "Motif de fin": "Déménagement",
        "Objectif atteint": "Non",
        "Objectif du mentorat": "Orientation académique",
        "Modalité": "Hybride",
        "Nouveau ou reconduction": "Nouveau",
        "Identifiant mentor": "M2",
        "Mentor formé": "Non",
        "Fréquence des rencontres": "Irrégulière",
        "Séances prévues": 3,
        "Séances réalisées": 1,
    },
)
B_PAIRS_MARCH = [{**B_01, "Séances prévues": 4, "Séances réalisées": 2}, B_02]
B_PAIRS_APRIL = [
    # The match date moves by two days between the months: the cross-month check warns.
    {
        **B_01,
        "Date de mise en relation": date(2026, 2, 3),
        "Séances prévues": 8,
        "Séances réalisées": 5,
    },
    B_02,
    pair(
        "Y1",
        {
            "Identifiant binôme": "B-03",
            "Date de candidature": date(2026, 3, 20),
            "Date de mise en relation": date(2026, 4, 8),
            "Statut du mentorat": "En cours",
            "Objectif du mentorat": "Insertion professionnelle",
            "Modalité": "Présentiel",
            "Nouveau ou reconduction": "Reconduction",
            "Identifiant mentor": "M4",
            "Mentor formé": "Oui",
            "Fréquence des rencontres": "Mensuelle",
        },
    ),
]

# --- Questionnaire fin de mentorat (cumulative: the latest file wins per pair) -----------------
END_QUESTIONS = (
    "A repris confiance en soi",
    "Résultats scolaires améliorés",
    "A trouvé un stage ou une formation",
    "Plus à l'aise à l'oral",
    "A créé des liens",
    "A une personne sur qui compter",
    "A fait des découvertes sur soi ou sur le monde",
)


def end_answers(pair_id: str, answered_on: date, answers: tuple[str, ...]) -> dict:
    return {
        "Identifiant binôme": pair_id,
        "Date de passation": answered_on,
        **dict(zip(END_QUESTIONS, answers, strict=True)),
    }


# Answers in sheet order: confidence, grades, internship, oral, bonds, someone, discoveries.
A_03_ANSWERS = end_answers(
    "A-03", date(2026, 3, 25), ("Oui", "Non", "Ne sait pas", "Oui", "Oui", "Oui", "Non")
)
# April's file corrects A-03's last answer: that version wins, for March too.
A_03_ANSWERS_CORRECTED = {**A_03_ANSWERS, END_QUESTIONS[-1]: "Oui"}
A_02_ANSWERS = end_answers(
    "A-02", date(2026, 4, 20), ("Non", "Non", "Oui", "Non", "Non", "Oui", "Oui")
)
B_02_ANSWERS = end_answers(
    "B-02", date(2026, 3, 30), ("Oui", "Non", "Non", "Non", "Oui", "Non", "Oui")
)


# --- Questionnaire MIS PE (cumulative: the latest file wins per youth and wave) ----------------
def mispe(youth: str, wave: str, answered_on: date, answers: str) -> dict:
    """answers: Q01 … Q18 as digits, "." for no answer, grouped by three per dimension."""
    digits = answers.replace(" ", "")
    items = {f"Q{n:02d}": None if a == "." else int(a) for n, a in enumerate(digits, 1)}
    return {**identity(youth), "Vague": wave, "Date de passation": answered_on, **items}


# Dimensions in item order: besoins, compétences, santé, bien-être, sociabilisation, autonomisation.
Y1_T0 = mispe("Y1", T0, date(2026, 3, 18), "333 222 444 23. 111 ...")
Y1_T1 = mispe("Y1", T1, date(2026, 4, 25), "444 333 444 333 222 222")
Y4_T0 = mispe("Y4", T0, date(2026, 3, 12), "222 111 ... 444 333 123")
Y4_T1 = mispe("Y4", T1, date(2026, 4, 20), "333 222 333 444 444 222")
Y6_T0 = mispe("Y6", T0, date(2026, 3, 15), "444 444 444 444 444 444")
# Aged 20: outside the MIS PE scope (13–18), kept in raw (with an alert) but out of every
# MIS PE indicator.
Y7_T0 = mispe("Y7", T0, date(2026, 3, 16), "111 111 111 111 111 111")
# Scores (mean − 1) ÷ 3 × 100 per dimension:
#   Y1 T0: 66.67, 33.33, 100, 50 (2.5), 0, —        Y1 T1: 100, 66.67, 100, 66.67, 33.33, 33.33
#   Y4 T0: 33.33, 0, —, 100, 66.67, 33.33 (mean 2)  Y4 T1: 66.67, 33.33, 66.67, 100, 100, 33.33
#   Y6 T0: 100 everywhere.


# --- Ressources (year to date) and Activités (month) -------------------------------------------
def resource(category: str, detail: str, amount: float | None = None, unit: str | None = None):
    return {**resource_row(detail, amount), "Catégorie": category, "Unité": unit}


A_RESOURCES_MARCH = [
    resource_row("Département", 10000),
    resource_row("Fondation X", 5000),
    resource("ETP salariés", "Coordination", 1.5, "ETP"),
    resource("ETP bénévoles", "Mentors", 0.5, "ETP"),
    resource("Outil", "Plateforme"),
]
A_RESOURCES_APRIL = [
    *A_RESOURCES_MARCH,
    resource_row("Ville", 2000),
    resource("ETP salariés", "Animation", 0.5, "ETP"),
    resource("Coût annexe", "Transports", 300, "EUR"),
]
B_RESOURCES_MARCH = [
    resource_row("Département", 8000),
    resource("ETP salariés", "Éducateurs", 0, "ETP"),
]
B_RESOURCES_APRIL = [
    resource_row("Département", 8000),
    resource_row("Fondation X", 3000),
    resource("ETP salariés", "Éducateurs", 1, "ETP"),
    resource("ETP bénévoles", "Mentors", 1, "ETP"),
]


def activity(day: date, activity_type: str, title: str, participants=None) -> dict:
    return {
        "Date": day,
        "Type d'activité": activity_type,
        "Intitulé ou structure": title,
        "Nombre de participants": participants,
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

# A's first April file, overwritten by the second: none of it may reach an indicator.
A_APRIL_VERSION_1 = {
    "pairs": [
        pair(
            "Y9",
            {
                "Identifiant binôme": "A-99",
                "Date de candidature": date(2026, 3, 1),
                "Date de mise en relation": date(2026, 4, 2),
                "Statut du mentorat": "En cours",
                "Objectif du mentorat": "Soutien scolaire",
                "Modalité": "Présentiel",
                "Nouveau ou reconduction": "Nouveau",
                "Identifiant mentor": "M9",
                "Mentor formé": "Oui",
            },
        )
    ],
    "resources": [resource_row("Département", 99999)],
    "activities": [activity(date(2026, 4, 3), "Action de sensibilisation", "Collège Nord")],
}

FILES = [  # (period, association, rows per sheet), written and ingested in this order
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
    (  # overwrites raw/2026-04/envol-mentorat.xlsx: version 2
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


def ingest_files(settings, conn: duckdb.DuckDBPyConnection) -> list[IngestionReport]:
    """Write each file, ingest it, then les-tilleuls' refused one; returns the reports."""
    reports = []
    for number, (period, association_code, sheets) in enumerate(FILES, 1):
        path = write_workbook(
            settings.raw_dir / period / f"{association_code}.xlsx",
            association_code=association_code,
            association_name=NAMES[association_code],
            period=period,
            rows=sheets,
        )
        reports.append(ingest_file(path, settings, conn, datetime(2026, 5, 1, 9, number)))
    refused = write_submission(settings.raw_dir, "2026-04", "les-tilleuls", period="2026-03")
    reports.append(ingest_file(refused, settings, conn, datetime(2026, 5, 2, 10, 0)))
    return reports


class Build(NamedTuple):
    conn: duckdb.DuckDBPyConnection
    result: object  # dbtRunnerResult
    reports: list[IngestionReport]
    youth_keys: dict[str, str]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Write and ingest the files, run the real `dbt build` once."""
    root = tmp_path_factory.mktemp("dbt")
    with isolated_environment(root), pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASE_IMPACT_MIN_CELL", str(MIN_CELL))
        settings = load_settings(
            raw_dir=root / "raw", warehouse=root / "warehouse" / "ase_impact.duckdb"
        )
        patch.setenv("ASE_IMPACT_WAREHOUSE", str(settings.warehouse))
        with connection.connect(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            reports = ingest_files(settings, conn)
        key = load_key(settings)
        youth_keys = {youth: youth_key(key, *IDENTITY[youth]) for youth in IDENTITY}
        result = run_dbt_build(root)
        conn = duckdb.connect(str(settings.warehouse))
        yield Build(conn, result, reports, youth_keys)
        conn.close()


def test_ingestion_accepts_every_row_written(build):
    *accepted, refused = build.reports
    for (_, association, sheets), report in zip(FILES, accepted, strict=True):
        written = {code: len(sheets.get(code, ())) for code in READ_SHEETS}
        assert {code: counts.received for code, counts in report.sheet_counts.items()} == written
        assert report.rows_accepted == report.rows_received
        assert report.rows_rejected == 0, report.findings.to_dict("records")
        # Flagged rows: Y7, aged 20, outside MIS PE's 13–18 scope; and B-01 in April, whose
        # match date moved from the March file (queried at reception, DON-056). A's MIS PE
        # answers, which count nowhere for a mentoring-only association, get one alert on the
        # sheet's first row (REG-001).
        has_y7 = Y7_T0 in sheets.get("mispe_questionnaires", ())
        counts_nowhere = association == A and bool(sheets.get("mispe_questionnaires"))
        moved = B_PAIRS_APRIL[0] in sheets.get("pairs", ())
        flagged = report.findings.groupby("sheet")["excel_row"].nunique().to_dict()
        assert flagged == {
            **({"Questionnaire MIS PE": 1} if has_y7 or counts_nowhere else {}),
            **({"Données": 1} if moved else {}),
        }
        assert ("REG-001" in set(report.findings["rule_code"])) == counts_nowhere
        assert report.rows_with_alerts == has_y7 + moved
        assert report.status == "accepted"
    assert [report.version for report in accepted] == [1, 1, 1, 1, 2]
    assert (refused.status, refused.version) == ("rejected", 1)
    assert "la période 2026-03" in refused.message_fr


def indicator(
    conn,
    period,
    scope,
    association,
    code,
    dimension=None,
    breakdown="total",
    breakdown_value=None,
    grain="month",
) -> tuple:
    """(value, numerator, denominator, is_suppressed) of exactly one fct_indicators row."""
    rows = conn.execute(
        "SELECT value, numerator, denominator, is_suppressed FROM marts.fct_indicators "
        "WHERE period_grain = ? AND period = ? AND scope = ? "
        "AND association_code IS NOT DISTINCT FROM ? "
        "AND indicator_code = ? AND mis_pe_dimension IS NOT DISTINCT FROM ? AND breakdown = ? "
        "AND breakdown_value IS NOT DISTINCT FROM ?",
        [grain, period, scope, association, code, dimension, breakdown, breakdown_value],
    ).fetchall()
    assert len(rows) == 1, (period, scope, association, code, dimension, breakdown, rows)
    return rows[0]


def test_dbt_build_passes_with_only_the_cross_month_warning(build):
    result = build.result
    assert result.success, result.exception
    statuses = {(node.node.name, str(node.status)) for node in result.result}
    failing = [entry for entry in statuses if entry[1] in ("error", "fail")]
    assert failing == []
    warned = sorted(name for name, status in statuses if status == "warn")
    assert warned == ["assert_pair_match_date_stable_across_months"]


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
    # Pairs declared: every pair of the month's files, whatever its status. March: A-01…A-04
    # (A-04 waiting) + B-01, B-02 = 6. April: A's version 2 holds A-01…A-05 (A-03, closed in
    # March, is still in the file; version 1's A-99 is gone) = 5; département by status:
    # Abandonné A-02, B-02 = 2, nobody waiting any more.
    (MARCH, D, None, "pairs_declared", None, "total", None, 6),
    (MARCH, D, None, "pairs_declared", None, "status", "En attente de binôme", 1),
    (MARCH, D, None, "pairs_declared", None, "status", "En cours", 3),
    (APRIL, "association", A, "pairs_declared", None, "total", None, 5),
    (APRIL, D, None, "pairs_declared", None, "status", "Abandonné", 2),
    (APRIL, D, None, "pairs_declared", None, "status", "En attente de binôme", 0),
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
    # MIS PE measures residential care: A (envol-mentorat, mentoring only) sends Y1's T0 but
    # MIS PE does not apply to it, so its questionnaires count nowhere, not even as a T0.
    # March, besoins: B = Y4 (33.33), Y6 (100), Y7 out of scope; département = Y4, Y6 → 2
    # respondents, mean 66.67, favourable only Y6 (Y4's mean answer is 2) → 1 / 2.
    (MARCH, "association", B, "mispe_respondents", "besoins_premiere_necessite", "total", None, 2),
    (MARCH, D, None, "mispe_respondents", "besoins_premiere_necessite", "total", None, 2),
    (MARCH, D, None, "mispe_score", "besoins_premiere_necessite", "total", None, 200 / 3),
    (MARCH, D, None, "mispe_favourable_share", "besoins_premiere_necessite", "total", None, 50.0),
    # Santé March: Y4 answered no santé item → Y6 (100) alone.
    (MARCH, D, None, "mispe_respondents", "sante", "total", None, 1),
    # Bien-être March by wave T0: Y4 100, Y6 100 → 100; no T1 → undefined.
    (MARCH, D, None, "mispe_score", "bien_etre_emotionnel", "wave", T0, 100.0),
    (MARCH, D, None, "mispe_score", "bien_etre_emotionnel", "wave", T1, None),
    (MARCH, D, None, "mispe_respondents", "bien_etre_emotionnel", "wave", T1, 0),
    # April (B only): Y4 T1 and Y1 T1; besoins 66.67 and 100 → 83.33.
    (APRIL, "association", B, "mispe_score", "besoins_premiere_necessite", "total", None, 250 / 3),
    (APRIL, "association", A, "mispe_score", "besoins_premiere_necessite", "total", None, None),
    # Score change April: Y1's only T0 is A's, which does not count → Y4 alone: besoins
    # 66.67 − 33.33 = 33.33; bien-être 100 − 100 = 0; santé nobody (Y4 had no santé T0).
    (APRIL, D, None, "mispe_score_change", "besoins_premiere_necessite", "total", None, 100 / 3),
    (APRIL, D, None, "mispe_score_change", "bien_etre_emotionnel", "total", None, 0.0),
    (APRIL, D, None, "mispe_score_change", "sante", "total", None, None),
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
        build.conn, period, scope, association, code, dimension, breakdown, category
    )
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)


def test_rates_carry_their_numerator_and_denominator(build):
    conn = build.conn
    # Abandonment, March département: 1 abandoned of 1 closed + 1 abandoned.
    assert indicator(conn, MARCH, D, None, "abandonment_rate")[:3] == (50.0, 1.0, 2.0)
    # B April ended nothing: no value, 0 ÷ 0 shown as such.
    assert indicator(conn, APRIL, "association", B, "abandonment_rate")[:3] == (None, 0.0, 0.0)
    # pairs_per_fte, B March: 2 active pairs, 0 FTE.
    assert indicator(conn, MARCH, "association", B, "pairs_per_fte")[:3] == (None, 2.0, 0.0)
    # Counts have neither.
    assert indicator(conn, MARCH, D, None, "youth_accompanied")[1:3] == (None, None)


def test_disclosure_flags_with_secondary_suppression(build):
    conn = build.conn

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


def test_the_suppression_test_finds_a_recoverable_cell_in_the_windows_masked_by_the_build(build):
    """The singular test assert_suppressed_cells_not_recoverable returns a masked cell that a
    published total gives away, and, in a build, looks only at the windows that build masked
    again (int_indicators_suppressed's rows of its invocation): the others were checked then."""
    [compiled] = [
        result.node.compiled_code
        for result in build.result.result
        if result.node.name == "assert_suppressed_cells_not_recoverable"
    ]
    assert build.conn.execute(compiled).fetchall() == []
    # A breakdown with nothing masked under a published total: masking one cell alone leaks it.
    grain, period, scope, association, indicator, dimension, breakdown, value = build.conn.execute(
        """
            SELECT cells.period_grain, cells.period, cells.scope, cells.association_code,
                cells.indicator_code, cells.mis_pe_dimension, cells.breakdown,
                cells.breakdown_value
            FROM marts.fct_indicators AS cells
            JOIN marts.fct_indicators AS totals USING (
                period_grain, period, scope, association_code, indicator_code, mis_pe_dimension
            )
            WHERE cells.breakdown <> 'total' AND totals.breakdown = 'total'
                AND NOT totals.is_suppressed
            GROUP BY ALL
            HAVING NOT bool_or(cells.is_suppressed)
            ORDER BY ALL
            LIMIT 1
            """
    ).fetchone()
    build.conn.begin()
    try:
        build.conn.execute(
            "UPDATE marts.fct_indicators SET is_suppressed = true WHERE period_grain = ? "
            "AND period = ? AND scope = ? AND association_code IS NOT DISTINCT FROM ? "
            "AND indicator_code = ? AND mis_pe_dimension IS NOT DISTINCT FROM ? "
            "AND breakdown = ? AND breakdown_value = ?",
            [grain, period, scope, association, indicator, dimension, breakdown, value],
        )
        leaks = build.conn.execute(compiled).fetchall()
        assert leaks == [
            (
                grain,
                period,
                scope,
                association,
                indicator,
                dimension,
                breakdown,
                value,
                "seule case masquée de sa ventilation, total publié",
            )
        ]
        # The same window, as kept from an earlier build: not checked again.
        build.conn.execute(
            "UPDATE intermediate.int_indicators_suppressed SET dbt_invocation_id = 'earlier' "
            "WHERE period_grain = ? AND period = ?",
            [grain, period],
        )
        assert build.conn.execute(compiled).fetchall() == []
    finally:
        build.conn.rollback()


def test_every_indicator_has_a_total_for_each_scope_of_every_grain(build):
    conn = build.conn
    scopes = conn.execute(
        "SELECT period_grain, period, scope, association_code, count(*) "
        "FROM marts.fct_indicators WHERE breakdown = 'total' GROUP BY ALL"
    ).fetchall()
    # 42 single indicators + 5 per-dimension ones × 6 dimensions = 72 totals per scope.
    # Every registry association is expected in March and April (its reporting rates are
    # published), so it has a scope in every window even without a file in force (the four
    # that sent nothing, and les-tilleuls whose file was refused).
    windows = [
        ("month", MARCH),
        ("month", APRIL),
        ("quarter", date(2026, 1, 1)),
        ("quarter", APRIL),
        ("year_to_date", MARCH),
        ("year_to_date", APRIL),
        ("year", date(2026, 1, 1)),
    ]
    registry = sorted(load_registry(DEMO_REGISTRY).codes)
    expected = [
        (grain, period, "association", code, 72) for grain, period in windows for code in registry
    ] + [(grain, period, D, None, 72) for grain, period in windows]
    assert sorted(scopes, key=repr) == sorted(expected, key=repr)


def test_the_replaced_file_leaves_no_trace(build):
    conn = build.conn
    # Version 1 loaded A-99 (see the ingestion test); version 2 replaced the whole partition.
    y9_rows = conn.execute(
        "SELECT count(*) FROM raw.pairs WHERE youth_key = ?", [build.youth_keys["Y9"]]
    ).fetchone()
    assert y9_rows == (0,)
    assert conn.execute(
        "SELECT max(value) FROM marts.fct_indicators WHERE indicator_code = 'subsidies_eur'"
    ).fetchone() == (28000.0,)


def test_submissions_show_expected_received_missing_and_rejected(build):
    conn = build.conn
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
    conn = build.conn
    row = conn.execute(
        "SELECT respondents, mean_score, favourable_share, mentoring_indicators, "
        "mentoring_positive_answers FROM marts.mart_impact_dimensions "
        "WHERE period_grain = 'month' AND period = ? AND scope = 'departement' "
        "AND mis_pe_dimension = 'bien_etre_emotionnel'",
        [MARCH],
    ).fetchone()
    # MIS PE (B only): Y4 100, Y6 100, both favourable. Mentoring: two items of the dimension
    # (confidence, discoveries); Y3 and Y6 (B-02) answered « Oui » to both: 2 youth,
    # not 4 answers.
    assert row[0] == 2
    assert row[1] == pytest.approx(100.0)
    assert row[2] == pytest.approx(100.0)
    assert row[3:] == (2, 2)
    # No item of the end-of-mentoring questionnaire is rattached to Santé: no answer can count
    # there, so the figure does not apply (never a 0 that reads as a result).
    health = conn.execute(
        "SELECT mentoring_positive_answers, mentoring_no_value_reason "
        "FROM marts.mart_impact_dimensions WHERE period_grain = 'month' AND period = ? "
        "AND scope = 'departement' AND mis_pe_dimension = 'sante'",
        [MARCH],
    ).fetchone()
    assert health == (None, "not_applicable")


ANALYST_QUERIES = {
    "youth_per_territory_last_month": """
        SELECT breakdown_value AS territoire, value AS jeunes, is_suppressed
        FROM marts.fct_indicators
        WHERE period_grain = 'month' AND indicator_code = 'youth_accompanied'
          AND scope = 'departement' AND breakdown = 'territory'
          AND period = (SELECT max(period) FROM marts.dim_period
                        WHERE period_grain = 'month' AND has_submissions)
        ORDER BY territoire
    """,
    "abandonment_rate_per_association_this_year": """
        SELECT association_code, numerator AS abandonnes, denominator AS termines,
               value AS taux_abandon, no_value_reason
        FROM marts.fct_indicators
        WHERE period_grain = 'year' AND indicator_code = 'abandonment_rate'
          AND scope = 'association' AND breakdown = 'total'
          AND period = (SELECT max(period) FROM marts.dim_period WHERE period_grain = 'year')
        ORDER BY association_code
    """,
    "mispe_score_per_dimension_t0_vs_t1": """
        SELECT mis_pe_dimension, breakdown_value AS vague,
               sum(numerator) / nullif(sum(denominator), 0) AS score_moyen,
               sum(denominator) AS repondants
        FROM marts.fct_indicators
        WHERE period_grain = 'month' AND indicator_code = 'mispe_score'
          AND scope = 'departement'
          AND breakdown = 'wave' AND breakdown_value IN ('T0 (entrée)', 'T1 (suivi)')
        GROUP BY ALL
        ORDER BY mis_pe_dimension, vague
    """,
}


def test_analyst_queries_answer(build):
    conn = build.conn
    territories = conn.execute(ANALYST_QUERIES["youth_per_territory_last_month"]).fetchall()
    assert [row[:2] for row in territories] == [
        ("Centre", 1.0),
        ("Est", 1.0),
        ("Nord", 1.0),
        ("Ouest", 0.0),
        ("Sud", 1.0),
    ]
    # The year so far, recomputed over the pairs of the year (each once, in its latest state):
    # A ended A-03 (closed, March) and A-02 (abandoned, April) → 1 of 2; B ended B-02
    # (abandoned) → 1 of 1. Without a file in force there are no pairs to count; les-tilleuls
    # does no mentoring.
    abandonment = conn.execute(
        ANALYST_QUERIES["abandonment_rate_per_association_this_year"]
    ).fetchall()
    assert abandonment == [
        ("boussole-ase", None, None, None, "no_file"),
        (B, 1.0, 1.0, 100.0, None),
        (A, 1.0, 2.0, 50.0, None),
        ("horizons-partages", None, None, None, "no_file"),
        ("les-tilleuls", None, None, None, "not_applicable"),
        ("passerelles-jeunes", None, None, None, "no_file"),
        ("trait-d-union", None, None, None, "no_file"),
    ]
    scores = {
        (dimension, wave): (score, respondents)
        for dimension, wave, score, respondents in conn.execute(
            ANALYST_QUERIES["mispe_score_per_dimension_t0_vs_t1"]
        ).fetchall()
    }
    # Sociabilisation: T0 in March Y4 66.67, Y6 100 (Y1's T0 is A's: MIS PE does not apply
    # to A); T1 in April Y4 100, Y1 33.33.
    assert scores[("sociabilisation", T0)][0] == pytest.approx(250 / 3)
    assert scores[("sociabilisation", T1)] == (pytest.approx(200 / 3), 2.0)


def test_mart_columns_constrained_not_null_refuse_a_null(build):
    """The marts' NOT NULL columns are constraints the warehouse enforces as dbt builds them
    (their contract), not tests run afterwards: each is NOT NULL in the built table, and a
    NULL written into one is refused."""
    manifest = load_manifest()
    constrained = {
        (node["schema"], node["alias"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        for column in node["columns"].values()
        if any(constraint["type"] == "not_null" for constraint in column["constraints"])
    }
    assert ("marts", "fct_indicators", "indicator_code") in constrained
    not_nullable = set(
        build.conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND is_nullable = 'NO'"
        ).fetchall()
    )
    assert constrained <= not_nullable, constrained - not_nullable
    build.conn.begin()
    try:
        with pytest.raises(duckdb.ConstraintException, match="indicator_code"):
            build.conn.execute(
                "INSERT INTO marts.fct_indicators BY NAME "
                "SELECT * REPLACE (NULL AS indicator_code) FROM marts.fct_indicators LIMIT 1"
            )
    finally:
        build.conn.rollback()


def test_a_models_not_null_columns_test_names_the_null_ones(build):
    """A model's several NOT NULL columns outside a contract are one dbt test (not_null_columns),
    not one per column: its query finds the rows where any of them is NULL, and names them."""
    [compiled] = [
        result.node.compiled_code
        for result in build.result.result
        if result.node.name == "not_null_columns_rpt_key_figures"
    ]
    assert build.conn.execute(compiled).fetchall() == []
    build.conn.begin()
    try:
        build.conn.execute(
            "UPDATE reporting.rpt_key_figures SET label_fr = NULL, unit = NULL WHERE row_order = 1"
        )
        build.conn.execute(
            "UPDATE reporting.rpt_key_figures SET is_suppressed = NULL WHERE row_order = 2"
        )
        found = sorted(row[0] for row in build.conn.execute(compiled).fetchall())
    finally:
        build.conn.rollback()
    periods = build.conn.execute("SELECT count(DISTINCT period) FROM reporting.rpt_key_figures")
    months = periods.fetchone()[0]
    assert found == sorted(["label_fr, unit"] * months + ["is_suppressed"] * months)


def test_questionnaire_answers_are_checked_against_the_seeds_lists(build):
    """The questionnaires' items come from the seed reporting_columns (every item is a column of
    staging) and their answers are checked against the référentiel's lists, every item: the
    test names the item and the answer outside the list."""
    items = [
        field
        for (field,) in build.conn.execute(
            "SELECT field FROM referentiel.reporting_columns "
            "WHERE sheet_code = 'mispe_questionnaires' AND list_code = 'mispe_answer'"
        ).fetchall()
    ]
    assert len(items) == 18
    staged = build.conn.execute("SELECT * FROM staging.stg_reporting__mispe_questionnaires LIMIT 0")
    assert set(items) <= {column[0] for column in staged.description}
    compiled = {
        result.node.name: result.node.compiled_code
        for result in build.result.result
        if result.node.name.startswith("answers_in_list_")
    }
    assert len(compiled) == 2
    assert all(build.conn.execute(sql).fetchall() == [] for sql in compiled.values())
    build.conn.begin()
    try:
        build.conn.execute(f"UPDATE raw.mispe_questionnaires SET {items[6]} = 5")
        build.conn.execute("UPDATE raw.end_questionnaires SET q_bonds = 'Peut-être'")
        found = {row for sql in compiled.values() for row in build.conn.execute(sql).fetchall()}
    finally:
        build.conn.rollback()
    assert found == {(items[6], "5"), ("q_bonds", "Peut-être")}
