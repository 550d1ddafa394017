"""The rule registry, and the harness the per-sheet rule tests share.

Every registered rule has a case in one of the test_rules_*.py modules: rows (or files) on
which it fires and rows on which it does not. A rule added without a case fails
test_every_rule_has_a_firing_and_a_passing_case.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from ase_impact.contracts.rules import (
    ALERTE,
    CELL,
    ERREUR,
    FILE,
    HEADER,
    HISTORY,
    IDENTITY,
    INTEGER_AT_MOST,
    POPULATION,
    ROW,
    RULES,
    rules_of,
)
from ase_impact.contracts.schemas import sheet_checks
from ase_impact.core import referentiel
from ase_impact.intake.validate import FileContext, ValidatedSheet, validate_workbook
from ase_impact.intake.workbook import read_workbook
from tests.workbook_factory import write_workbook

PERIOD = "2026-10"
ASSOCIATION = "cap-avenir"
DISPLAY_NAME = f"{PERIOD}/{ASSOCIATION}.xlsx"
CONTEXT = FileContext(DISPLAY_NAME, PERIOD, ASSOCIATION)
CASE_MODULES = (
    "tests.unit.test_rules_file_level",
    "tests.unit.test_rules_cells",
    "tests.unit.test_rules_pairs",
    "tests.unit.test_rules_end_questionnaires",
    "tests.unit.test_rules_mispe",
    "tests.unit.test_rules_resources",
    "tests.unit.test_rules_activities",
    "tests.unit.test_rules_history",
)
PREFIX_BY_SHEET = {
    None: ("FIC", "ENT", "REG", "CEL"),
    "parameters": ("PAR",),
    "pairs": ("DON",),
    "end_questionnaires": ("QFM",),
    "mispe_questionnaires": ("MIS",),
    "resources": ("RES",),
    "activities": ("ACT",),
}

Row = Mapping[str, object]


@dataclass(frozen=True)
class RuleCase:
    """Rows as {header_fr: value} overriding a valid base row; support: rows of other sheets."""

    firing: Sequence[Row]
    passing: Sequence[Row]
    support: Mapping[str, Sequence[Row]] = field(default_factory=dict)


def case(
    firing: Row | Sequence[Row],
    passing: Row | Sequence[Row],
    support: Mapping[str, Sequence[Row]] | None = None,
) -> RuleCase:
    as_rows = lambda rows: [rows] if isinstance(rows, Mapping) else list(rows)  # noqa: E731
    return RuleCase(as_rows(firing), as_rows(passing), support or {})


@dataclass(frozen=True)
class CaseResults:
    validated: ValidatedSheet
    firing_rows: dict[str, list[int]]
    passing_rows: dict[str, list[int]]


def run_cases(
    path: Path,
    sheet_code: str,
    cases: Mapping[str, RuleCase],
    make_row: Callable[[int, Row], Row],
    other_rows: Mapping[str, Sequence[Row]] | None = None,
) -> CaseResults:
    """Write every case of a sheet into one real workbook, read and validate it.

    make_row(position, overrides) builds the sheet row at that position (0-based).
    """
    rows: list[Row] = []
    firing: dict[str, list[int]] = {}
    passing: dict[str, list[int]] = {}
    support: dict[str, list[Row]] = {name: list(r) for name, r in (other_rows or {}).items()}
    for code, rule_case in cases.items():
        for overrides, positions in ((rule_case.firing, firing), (rule_case.passing, passing)):
            for row in overrides:
                positions.setdefault(code, []).append(len(rows) + 2)
                rows.append(make_row(len(rows), row))
        for other_sheet, other in rule_case.support.items():
            support.setdefault(other_sheet, []).extend(other)
    write_workbook(
        path, association_code=ASSOCIATION, period=PERIOD, rows={**support, sheet_code: rows}
    )
    validated = validate_workbook(read_workbook(path, DISPLAY_NAME), CONTEXT)[sheet_code]
    return CaseResults(validated, firing, passing)


def sheet_rule_tests(
    sheet_code: str,
    cases: Mapping[str, RuleCase],
    make_row: Callable[[int, Row], Row],
    other_rows: Mapping[str, Sequence[Row]] | None = None,
):
    """A sheet module's `results` fixture (its cases in one workbook) and its `test_rule`.

    Use as `results, test_rule = sheet_rule_tests(...)`: pytest collects both by their names.
    """

    @pytest.fixture(scope="module")
    def results(tmp_path_factory) -> CaseResults:
        path = tmp_path_factory.mktemp("raw") / PERIOD / f"{ASSOCIATION}.xlsx"
        return run_cases(path, sheet_code, cases, make_row, other_rows)

    @pytest.mark.parametrize("code", sorted(cases))
    def test_rule(results, code):
        assert_rule_case(results, code)

    return results, test_rule


def assert_rule_case(results: CaseResults, code: str) -> None:
    """The rule fires (alone) on its firing rows and not on its passing rows, which load."""
    findings = results.validated.findings
    accepted = results.validated.accepted
    accepted_rows = set(accepted["excel_row"])
    alerted_rows = set(accepted.loc[accepted["has_alerts"], "excel_row"])
    assert results.firing_rows[code] and results.passing_rows[code]
    for excel_row in results.firing_rows[code]:
        codes = set(findings.loc[findings["excel_row"] == excel_row, "rule_code"])
        assert codes == {code}, f"row {excel_row}"
        if RULES[code].severity == ERREUR:
            assert excel_row not in accepted_rows
        else:
            assert excel_row in alerted_rows
    for excel_row in results.passing_rows[code]:
        codes = set(findings.loc[findings["excel_row"] == excel_row, "rule_code"])
        assert code not in codes, f"row {excel_row}"
        assert excel_row in accepted_rows, f"row {excel_row}: {codes}"


def test_every_rule_has_a_firing_and_a_passing_case():
    covered: dict[str, RuleCase] = {}
    for module_name in CASE_MODULES:
        module_cases = importlib.import_module(module_name).CASES
        assert not set(covered) & set(module_cases)
        covered.update(module_cases)
    assert set(covered) == set(RULES)
    assert all(rule_case.firing and rule_case.passing for rule_case in covered.values())


def test_codes_are_stable_and_prefixed_by_their_sheet():
    for code, rule in RULES.items():
        prefix, number = code.split("-")
        assert re.fullmatch(r"\d{3}", number)
        assert prefix in PREFIX_BY_SHEET[rule.sheet_code]
        assert rule.severity in (ERREUR, ALERTE)
        assert rule.message_fr.strip()


@pytest.mark.parametrize("sheet_code", [s.sheet_code for s in referentiel.sheets() if s.raw_table])
def test_every_rule_of_a_sheet_has_a_pandera_check(sheet_code):
    checks = sheet_checks(sheet_code, date(2026, 10, 31))
    # HISTORY rules compare with the previous file in force (contracts/history.py).
    assert set(checks) == {rule.code for rule in rules_of(sheet_code) if rule.kind != HISTORY}
    assert {rule.kind for rule in rules_of(sheet_code)} - {ROW, HISTORY} <= {
        "required",
        "in_list",
        "date",
        "non_negative_integer",
        INTEGER_AT_MOST,
        "number",
        "score",
    }


@pytest.mark.parametrize("sheet_code", [s.sheet_code for s in referentiel.sheets() if s.raw_table])
def test_every_integer_column_has_its_upper_bound(sheet_code):
    # The warehouse stores whole numbers as INTEGER: an unbounded one could overflow it.
    integers = {c.field for c in referentiel.columns(sheet_code) if c.data_type == "integer"}
    bounded = {r.column for r in rules_of(sheet_code) if r.kind == INTEGER_AT_MOST}
    assert bounded == integers


def test_rules_without_a_sheet_check_are_file_header_or_identity_rules():
    data_sheets = {s.sheet_code for s in referentiel.sheets() if s.raw_table}
    outside = {rule.kind for rule in RULES.values() if rule.sheet_code not in data_sheets}
    assert outside == {FILE, HEADER, CELL, IDENTITY, POPULATION}


def test_every_row_rule_names_the_fields_it_reads_and_a_header():
    for rule in RULES.values():
        if rule.sheet_code in PREFIX_BY_SHEET and rule.kind not in (FILE, HEADER, CELL, POPULATION):
            fields = {spec.field for spec in referentiel.columns(rule.sheet_code)} | set(
                referentiel.IDENTITY_LABELS.values()
            )
            assert set(rule.reads) <= fields, rule.code
            assert rule.header_fr, rule.code
