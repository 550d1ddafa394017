"""Each rule of « Questionnaire MIS PE »: rows on which it fires and on which it does not.

The base row is answered on 2026-10-10 by a youth born on 2011-05-01 (15 years old).
"""

from __future__ import annotations

from datetime import date

from ase_impact.contracts.rules import MISPE_ITEM_FIELDS
from ase_impact.core import referentiel
from tests.unit.test_rules_registry import case, sheet_rule_tests

ITEM_HEADERS = [
    spec.header_fr
    for spec in referentiel.columns("mispe_questionnaires")
    if spec.field in MISPE_ITEM_FIELDS
]
BASE_MISPE = {
    "Nom du bénéficiaire": "Testeur",
    "Prénom du bénéficiaire": "Camille",
    "Date de naissance": date(2011, 5, 1),
    "Vague": "T0 (entrée)",
    "Date de passation": date(2026, 10, 10),
    **{header: 1 + index % 4 for index, header in enumerate(ITEM_HEADERS)},
}
NO_ANSWERS = dict.fromkeys(ITEM_HEADERS)


def mispe_row(position: int, overrides: dict) -> dict:
    return {**BASE_MISPE, **overrides}


def _born(year: int, month: int, day: int) -> dict:
    return {"Date de naissance": date(year, month, day)}


def _item_cases() -> dict:
    return {
        f"MIS-{13 + offset:03d}": case(
            [{header: 5}, {header: "Oui"}, {header: 2.5}, {header: 0}],
            [{header: "nsp"}, {header: None}, {header: "4"}, {header: 1}],
        )
        for offset, header in enumerate(ITEM_HEADERS)
    }


CASES = {
    "MIS-001": case({"Nom du bénéficiaire": None}, {"Nom du bénéficiaire": "Autre-Nom"}),
    "MIS-002": case({"Prénom du bénéficiaire": None}, {"Prénom du bénéficiaire": "Lou"}),
    "MIS-003": case({"Date de naissance": None}, {"Date de naissance": "01/05/2011"}),
    "MIS-004": case({"Date de naissance": "01/05/11"}, {"Date de naissance": "2011-05-01"}),
    # Ages on 2026-10-10: 10 and 22 are rejected, 11 and 21 kept (flagged by MIS-006).
    "MIS-005": case(
        [_born(2015, 10, 11), _born(2004, 10, 10)], [_born(2015, 10, 10), _born(2004, 10, 11)]
    ),
    # 12 and 19 are outside the MIS PE scope 13–18.
    "MIS-006": case(
        [_born(2013, 10, 11), _born(2007, 10, 10)], [_born(2013, 10, 10), _born(2007, 10, 11)]
    ),
    "MIS-007": case({"Vague": None}, {"Vague": "T2 (sortie)"}),
    "MIS-008": case({"Vague": "T0"}, {"Vague": "t1 (suivi)"}),
    "MIS-009": case({"Date de passation": None}, {"Date de passation": "10/10/2026"}),
    "MIS-010": case({"Date de passation": "10/10/26"}, {"Date de passation": "2026-10-10"}),
    "MIS-011": case(
        {"Date de passation": date(2026, 11, 1)}, {"Date de passation": date(2026, 10, 31)}
    ),
    "MIS-012": case(
        [NO_ANSWERS, dict.fromkeys(ITEM_HEADERS, "NSP")],
        {**NO_ANSWERS, ITEM_HEADERS[-1]: 4},
    ),
    "MIS-031": case(
        [{"Nom du bénéficiaire": "-"}, {"Nom du bénéficiaire": "''"}],
        {"Nom du bénéficiaire": "D'Artagnan"},
    ),
    "MIS-032": case({"Prénom du bénéficiaire": "'"}, {"Prénom du bénéficiaire": "Zoé"}),
    **_item_cases(),
}


results, test_rule = sheet_rule_tests("mispe_questionnaires", CASES, mispe_row)
