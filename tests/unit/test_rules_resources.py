"""Each rule of « Ressources »: rows on which it fires and on which it does not."""

from __future__ import annotations

from tests.unit.test_rules_registry import case, sheet_rule_tests

BASE_RESOURCE = {
    "Catégorie": "Subvention",
    "Détail": "Conseil départemental",
    "Montant": 12000,
    "Unité": "EUR",
}
TOOL = {"Catégorie": "Outil", "Détail": "Plateforme de suivi", "Montant": None, "Unité": None}


def resource_row(position: int, overrides: dict) -> dict:
    return {**BASE_RESOURCE, **overrides}


CASES = {
    "RES-001": case({"Catégorie": None}, {"Catégorie": "Coût annexe"}),
    "RES-002": case({"Catégorie": "Subventions"}, {"Catégorie": " subvention "}),
    "RES-003": case({"Détail": None}, {"Détail": "Fondation"}),
    "RES-004": case(
        [{"Montant": "mille"}, {"Montant": "12 000 €"}],
        [{"Montant": "1 500,50"}, {"Montant": 0.5}],
    ),
    "RES-005": case({"Montant": -10}, {"Montant": 0}),
    "RES-006": case({"Montant": None}, [TOOL, {**TOOL, "Montant": 2}]),
    "RES-007": case(
        [{"Unité": "€"}, {"Catégorie": "Coût annexe", "Unité": None}],
        {"Catégorie": "Coût annexe", "Unité": "eur"},
    ),
    "RES-008": case(
        [
            {"Catégorie": "ETP salariés", "Montant": 1.5},
            {"Catégorie": "ETP bénévoles", "Unité": None},
        ],
        [
            {"Catégorie": "ETP salariés", "Montant": 1.5, "Unité": "ETP"},
            {"Catégorie": "ETP bénévoles", "Unité": "etp"},
        ],
    ),
    "RES-009": case({**TOOL, "Unité": "EUR"}, TOOL),
    "RES-011": case(
        [{"Montant": 1_000_000_000.01}, {"Montant": 1e27}, {"Montant": "6e25"}],
        [{"Montant": 1_000_000_000}, {"Montant": "999 999 999,99"}],
    ),
}


results, test_rule = sheet_rule_tests("resources", CASES, resource_row)
