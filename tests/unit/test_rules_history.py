"""Each plausibility query comparing a file with the association's previous one: rows on
which it fires, rows on which it does not.

Every case row is written twice: unchanged in September's file (the previous file in force)
and, with the case's changes, in October's; both files are read, validated and pseudonymised
as ingestion does, then October's rows are compared with September's.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ase_impact.contracts.history import PreviousFile, history_findings
from ase_impact.contracts.rules import ALERTE, HISTORY, QUERY, RULES
from ase_impact.core import referentiel
from ase_impact.intake.pseudonymise import pseudonymise_frame
from ase_impact.intake.validate import FileContext, validate_workbook
from ase_impact.intake.workbook import read_workbook
from tests.unit.test_rules_pairs import ONGOING, pair_row
from tests.unit.test_rules_registry import ASSOCIATION, PERIOD, case
from tests.workbook_factory import write_workbook

PREVIOUS_PERIOD = "2026-09"
KEY = b"cle-de-test-historique-0123456789abcdef"


def resource_row(position: int, overrides: dict) -> dict:
    return {
        "Catégorie": "Subvention",
        "Détail": f"Fondation {position}",
        "Montant": 1000,
        "Unité": "EUR",
        **overrides,
    }


ROW_CASES = {
    "DON-055": case({"Sexe": "Homme"}, [{}, {"Sexe": " femme "}]),
    "DON-056": case(
        {"Date de mise en relation": date(2026, 3, 3)}, {"Date de mise en relation": "01/03/2026"}
    ),
    # The birth date, or the name: the pseudonymous key changes.
    "DON-057": case(
        [{"Date de naissance": date(2010, 3, 5)}, {"Nom du bénéficiaire": "Testeuse"}],
        # Case and accents do not change who the youth is.
        {"Nom du bénéficiaire": "TESTEUR", "Prénom du bénéficiaire": "alix"},
    ),
    "RES-010": case(
        [{"Montant": 10001}, {"Montant": 99}],
        [{"Montant": 10000}, {"Montant": 100}, {"Montant": 0}],
    ),
}
# DON-058 compares the files' counts of pairs, said once on the file's first pair: each case
# is September's count and October's.
PAIR_COUNT_CASE = case(
    [
        {"previous": 20, "current": 9},
        {"previous": 20, "current": 31},
        {"previous": 10, "current": 4},
    ],
    [
        {"previous": 20, "current": 10},
        {"previous": 20, "current": 30},
        # Fewer than 10 pairs in both files: a move of a few pairs is no signal.
        {"previous": 4, "current": 9},
        {"previous": 9, "current": 3},
        # Rows of the tab rejected: the corrected file will be compared.
        {"previous": 20, "current": 9, "rejected": 1},
    ],
)
CASES = {**ROW_CASES, "DON-058": PAIR_COUNT_CASE}
SHEET_OF = {"DON": "pairs", "RES": "resources"}


def _rows(sheet_code: str, codes: list[str], changed: bool) -> tuple[list[dict], dict]:
    make = (lambda i, o: pair_row(i, {**ONGOING, **o})) if sheet_code == "pairs" else resource_row
    rows, positions = [], {}
    for code in codes:
        cases = ROW_CASES[code]
        for kind, overrides in (("firing", cases.firing), ("passing", cases.passing)):
            for row in overrides:
                positions.setdefault((code, kind), []).append(len(rows) + 2)
                rows.append(make(len(rows), row if changed else {}))
    return rows, positions


def _raw(tmp_path, sheet_code: str, period: str, rows: list[dict]) -> pd.DataFrame:
    path = tmp_path / period / f"{ASSOCIATION}.xlsx"
    write_workbook(path, association_code=ASSOCIATION, period=period, rows={sheet_code: rows})
    context = FileContext(f"{period}/{ASSOCIATION}.xlsx", period, ASSOCIATION)
    sheet = validate_workbook(read_workbook(path, context.display_name), context)[sheet_code]
    assert sheet.findings.empty or set(sheet.findings["severity"]) == {ALERTE}
    if sheet_code == "pairs":
        return pseudonymise_frame(sheet.accepted, KEY, context.period_end, "age_at_period_end")
    return sheet.accepted


def _compare(tmp_path, sheet_code: str):
    codes = [code for code in ROW_CASES if SHEET_OF[code[:3]] == sheet_code]
    before, _ = _rows(sheet_code, codes, changed=False)
    after, positions = _rows(sheet_code, codes, changed=True)
    previous = _raw(tmp_path, sheet_code, PREVIOUS_PERIOD, before)
    current = _raw(tmp_path, sheet_code, PERIOD, after)
    findings = history_findings(
        sheet_code, current, PreviousFile(PREVIOUS_PERIOD, previous), f"{PERIOD}/x.xlsx"
    )
    return codes, positions, findings


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Per sheet: its history rules, their firing and passing rows, the findings."""
    return {
        sheet_code: _compare(tmp_path_factory.mktemp(sheet_code), sheet_code)
        for sheet_code in sorted(set(SHEET_OF.values()))
    }


@pytest.mark.parametrize("sheet_code", sorted(set(SHEET_OF.values())))
def test_every_history_rule_fires_alone_on_its_rows_only(compared, sheet_code):
    codes, positions, findings = compared[sheet_code]
    for code in codes:
        for excel_row in positions[code, "firing"]:
            assert set(findings.loc[findings["excel_row"] == excel_row, "rule_code"]) == {code}
        for excel_row in positions[code, "passing"]:
            assert code not in set(findings.loc[findings["excel_row"] == excel_row, "rule_code"])


@pytest.mark.parametrize("sheet_code", sorted(set(SHEET_OF.values())))
def test_history_findings_are_queries_that_name_the_previous_file(compared, sheet_code):
    _, _, findings = compared[sheet_code]
    assert not findings.empty
    assert set(findings["severity"]) == {ALERTE}
    assert all(
        RULES[code].kind == HISTORY and RULES[code].category == QUERY
        for code in findings["rule_code"]
    )
    assert findings["message_fr"].str.contains(f"fichier de {PREVIOUS_PERIOD}").all()
    assert findings["message_fr"].str.contains("à vérifier").all()


def test_the_identity_query_never_shows_the_birth_date(compared):
    _, _, findings = compared["pairs"]
    identity = findings[findings["rule_code"] == "DON-057"]
    assert len(identity) == 2
    assert set(identity["value_received"]) == {"***"}
    header = next(c.header_fr for c in referentiel.columns("pairs") if c.field == "birth_date")
    assert set(identity["column_header"]) == {header}


def test_no_previous_file_no_query():
    empty = pd.DataFrame(columns=["pair_id", "sex", "match_date", "youth_key"])
    current = pd.DataFrame({"excel_row": [2], "pair_id": ["B-1"], "sex": ["Femme"]})
    assert history_findings("pairs", current, PreviousFile("2026-09", empty), "f.xlsx").empty


@pytest.mark.parametrize(
    ("counts", "fires"),
    [(counts, True) for counts in PAIR_COUNT_CASE.firing]
    + [(counts, False) for counts in PAIR_COUNT_CASE.passing],
)
def test_the_pair_count_query_fires_once_beyond_the_bounds(tmp_path, counts, fires):
    def pairs(period: str, count: int) -> pd.DataFrame:
        rows = [pair_row(position, ONGOING) for position in range(count)]
        return _raw(tmp_path, "pairs", period, rows)

    previous = PreviousFile(PREVIOUS_PERIOD, pairs(PREVIOUS_PERIOD, counts["previous"]))
    findings = history_findings(
        "pairs",
        pairs(PERIOD, counts["current"]),
        previous,
        f"{PERIOD}/x.xlsx",
        rows_rejected=counts.get("rejected", 0),
    )
    assert set(findings["rule_code"]) == ({"DON-058"} if fires else set())
    if fires:
        [(excel_row, received, message)] = findings[
            ["excel_row", "value_received", "message_fr"]
        ].values.tolist()
        assert (excel_row, received) == (2, str(counts["current"]))
        assert f"celui de {PREVIOUS_PERIOD} ({counts['previous']} binômes) : à vérifier" in message
