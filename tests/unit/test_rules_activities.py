"""Each rule of « Activités »: rows on which it fires and on which it does not."""

from __future__ import annotations

from datetime import date

from tests.unit.test_rules_registry import case, sheet_rule_tests

BASE_ACTIVITY = {
    "Date": date(2026, 10, 15),
    "Type d'activité": "Atelier collectif",
    "Intitulé ou structure": "Atelier CV",
    "Nombre de participants": 8,
}


def activity_row(position: int, overrides: dict) -> dict:
    return {**BASE_ACTIVITY, **overrides}


CASES = {
    "ACT-001": case({"Date": None}, {"Date": "15/10/2026"}),
    "ACT-002": case([{"Date": "15/10"}, {"Date": 2026}], [{"Date": "2026-10-15"}, {"Date": 46310}]),
    "ACT-003": case(
        [{"Date": date(2026, 9, 30)}, {"Date": "01/11/2026"}],
        [{"Date": date(2026, 10, 1)}, {"Date": "31/10/2026"}],
    ),
    "ACT-004": case({"Type d'activité": None}, {"Type d'activité": "Formation de mentors"}),
    "ACT-005": case({"Type d'activité": "Atelier"}, {"Type d'activité": "atelier collectif"}),
    "ACT-006": case({"Intitulé ou structure": None}, {"Intitulé ou structure": "Mission locale"}),
    "ACT-007": case(
        [{"Nombre de participants": -1}, {"Nombre de participants": 2.5}],
        [{"Nombre de participants": 0}, {"Nombre de participants": None}],
    ),
    "ACT-008": case(
        [{"Nombre de participants": 3e9}, {"Nombre de participants": "2 000 000"}],
        {"Nombre de participants": 1_000_000},
    ),
}


results, test_rule = sheet_rule_tests("activities", CASES, activity_row)
