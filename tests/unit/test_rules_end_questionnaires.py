"""Each rule of « Questionnaire fin de mentorat »: rows on which it fires and on which it does not.

Every questionnaire row answers for its own pair, closed on 2026-10-05 in « Données ».
"""

from __future__ import annotations

from datetime import date

from ase_impact.contracts.rules import QUESTIONNAIRE_ANSWER_FIELDS
from ase_impact.core import referentiel
from tests.unit.test_rules_pairs import ONGOING, pair_row
from tests.unit.test_rules_registry import case, sheet_rule_tests

ANSWER_HEADERS = [
    spec.header_fr
    for spec in referentiel.columns("end_questionnaires")
    if spec.field in QUESTIONNAIRE_ANSWER_FIELDS
]
BASE_QUESTIONNAIRE = {
    "Identifiant binôme": None,  # set per row: the row's own closed pair
    "Date de passation": date(2026, 10, 6),
    **dict.fromkeys(ANSWER_HEADERS, "Oui"),
}


def questionnaire_pair_id(position: int) -> str:
    return f"Q-{position:03d}"


def questionnaire_row(position: int, overrides: dict) -> dict:
    return {
        **BASE_QUESTIONNAIRE,
        "Identifiant binôme": questionnaire_pair_id(position),
        **overrides,
    }


def _pair(pair_id: str, **overrides: object) -> dict:
    return pair_row(0, {"Identifiant binôme": pair_id, **overrides})


def _answer_cases() -> dict:
    cases = {}
    for offset, header in enumerate(ANSWER_HEADERS):
        cases[f"QFM-{9 + 2 * offset:03d}"] = case({header: None}, {header: "Non"})
        cases[f"QFM-{10 + 2 * offset:03d}"] = case(
            {header: "Peut-être"}, [{header: "ne sait pas"}, {header: " NON "}]
        )
    return cases


CASES = {
    "QFM-001": case({"Identifiant binôme": None}, {}),
    "QFM-002": case(
        [{"Identifiant binôme": "INCONNU-1"}, {"Identifiant binôme": "REJETE-1"}],
        {},
        support={"pairs": [_pair("REJETE-1", **{"Sexe": "F"})]},
    ),
    "QFM-003": case(
        {"Identifiant binôme": "OUVERT-1"},
        {"Identifiant binôme": "ABANDON-1"},
        support={
            "pairs": [
                _pair("OUVERT-1", **ONGOING),
                _pair("ABANDON-1", **{"Statut du mentorat": "Abandonné"}),
            ]
        },
    ),
    "QFM-004": case(
        [{"Identifiant binôme": "DOUBLE-1"}, {"Identifiant binôme": "DOUBLE-1"}],
        {"Identifiant binôme": "SIMPLE-1"},
        support={"pairs": [_pair("DOUBLE-1"), _pair("SIMPLE-1")]},
    ),
    "QFM-005": case({"Date de passation": None}, {"Date de passation": "06/10/2026"}),
    "QFM-006": case({"Date de passation": "06.10.2026"}, {"Date de passation": "2026-10-06"}),
    "QFM-007": case(
        {"Date de passation": date(2026, 9, 3)}, {"Date de passation": date(2026, 9, 4)}
    ),
    "QFM-008": case(
        {"Date de passation": date(2026, 11, 1)}, {"Date de passation": date(2026, 10, 31)}
    ),
    **_answer_cases(),
}


ROW_COUNT = sum(len(c.firing) + len(c.passing) for c in CASES.values())
OWN_PAIRS = [_pair(questionnaire_pair_id(position)) for position in range(ROW_COUNT)]

results, test_rule = sheet_rule_tests(
    "end_questionnaires", CASES, questionnaire_row, other_rows={"pairs": OWN_PAIRS}
)
