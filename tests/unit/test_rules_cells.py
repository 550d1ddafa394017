"""Cell rules (CEL): a cell of any column of any read sheet, judged as Excel holds it.

A scenario is one Données row (overrides of a valid pair) written with openpyxl, then given
what calamine alone would not tell: Excel errors in some cells ("errors": {header: "#N/A"}),
number formats ("formats": {header: "0%"}), or a text longer than Excel itself writes
("long": {header: length}, as a hostile or generated file can hold). Each rule fires alone
on its firing scenarios, its row is rejected and the finding names the column and what is
wrong; passing rows load. "merge" merges two cells of the row ("merge": (first header, last
header)) or any range ("merge": "AZ2:BA3").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ase_impact.contracts.rules import MAX_TEXT_LENGTH, RULES
from ase_impact.intake.validate import validate_workbook
from ase_impact.intake.workbook import read_workbook
from tests.hostile_files import replace_text, with_error_cells
from tests.unit.test_rules_pairs import BASE_PAIR
from tests.unit.test_rules_registry import ASSOCIATION, CONTEXT, DISPLAY_NAME, PERIOD, case
from tests.workbook_factory import headers_of, write_workbook

PAIR_HEADERS = headers_of("pairs")
LONG_MARKER = "TEXTE-LONG-"
DONNEES = "Données"

CASES = {
    "CEL-001": case(
        [
            {"errors": {"Séances prévues": "#DIV/0!"}},  # optional: it was silently blank
            {"errors": {"Date de naissance": "#N/A"}},  # required: it read « vide »
            {"errors": {"Identifiant mentor": "#REF!"}},
            {"errors": {"Territoire": "#VALUE!"}},
        ],
        {"cells": {"Séances prévues": 24}},
    ),
    "CEL-002": case(
        [
            {"cells": {"Structure ASE d'origine": True}},  # it read « VRAI »
            {"cells": {"Séances réalisées": False}},
            {"cells": {"Identifiant mentor": True}},
        ],
        [{"cells": {"Identifiant mentor": "VRAI-1"}}, {"cells": {"Mentor formé": "Oui"}}],
    ),
    "CEL-003": case(
        [
            {"cells": {"Séances prévues": 0.5}, "formats": {"Séances prévues": "0%"}},
            {"cells": {"Séances réalisées": 0.25}, "formats": {"Séances réalisées": "0.00%"}},
        ],
        [
            {"cells": {"Séances prévues": 50}, "formats": {"Séances prévues": '0" %"'}},
            {"cells": {"Séances prévues": 24}, "formats": {"Séances prévues": "0.00"}},
        ],
    ),
    "CEL-004": case(
        [
            {"cells": {"Structure ASE d'origine": "x" * (MAX_TEXT_LENGTH + 1)}},
            {"long": {"Nom du bénéficiaire": 100_000}},
        ],
        {"cells": {"Structure ASE d'origine": "x" * MAX_TEXT_LENGTH}},
    ),
    "CEL-005": case(
        # « Nord » shown over the structure's cell too, which holds nothing.
        {
            "cells": {"Structure ASE d'origine": None},
            "merge": ("Territoire", "Structure ASE d'origine"),
        },
        [
            {"merge": "AZ2:BA3"},  # beside the table: no read column
            {  # empty cells merged show nothing: the empty cells are read as they are
                "cells": {"Séances prévues": None, "Séances réalisées": None},
                "merge": ("Séances prévues", "Séances réalisées"),
            },
        ],
    ),
}


def _write(path: Path, scenario: dict) -> Path:
    long = {header: LONG_MARKER + header for header in scenario.get("long", {})}
    row = {**BASE_PAIR, "Identifiant binôme": "B-001", **scenario.get("cells", {}), **long}
    write_workbook(path, association_code=ASSOCIATION, period=PERIOD, rows={"pairs": [row]})
    letters = {header: get_column_letter(PAIR_HEADERS.index(header) + 1) for header in PAIR_HEADERS}
    if formats := scenario.get("formats"):
        book = load_workbook(path)
        for header, number_format in formats.items():
            book[DONNEES][f"{letters[header]}2"].number_format = number_format
        book.save(path)
    for header, length in scenario.get("long", {}).items():
        # openpyxl writes the marker; the file then holds what Excel would cut at 32,767.
        replace_text(path, LONG_MARKER + header, "N" * length)
    if errors := scenario.get("errors"):
        with_error_cells(path, DONNEES, {f"{letters[h]}2": error for h, error in errors.items()})
    if merge := scenario.get("merge"):
        book = load_workbook(path)
        first, last = merge if isinstance(merge, tuple) else (None, None)
        book[DONNEES].merge_cells(f"{letters[first]}2:{letters[last]}2" if first else merge)
        book.save(path)
    return path


def _validated(tmp_path: Path, scenario: dict):
    path = _write(tmp_path / "raw" / PERIOD / f"{ASSOCIATION}.xlsx", scenario)
    return validate_workbook(read_workbook(path, DISPLAY_NAME), CONTEXT)["pairs"]


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule(tmp_path, code):
    for number, scenario in enumerate(CASES[code].firing):
        pairs = _validated(tmp_path / f"firing-{number}", scenario)
        assert set(pairs.findings["rule_code"]) == {code}, scenario
        assert pairs.accepted.empty
        [finding] = pairs.findings.itertuples()
        cells = {
            **scenario.get("cells", {}),
            **scenario.get("errors", {}),
            **scenario.get("long", {}),
        }
        header = next(iter(cells))
        assert finding.column_header == header
        assert finding.message_fr.startswith(
            f"Fichier {DISPLAY_NAME}, onglet « Données », ligne 2, colonne « {header} » : "
        )
    for number, scenario in enumerate(CASES[code].passing):
        pairs = _validated(tmp_path / f"passing-{number}", scenario)
        assert pairs.findings.empty, pairs.findings.to_dict("records")
        assert len(pairs.accepted) == 1


def test_an_error_cell_is_named_and_shown_as_excel_shows_it(tmp_path):
    pairs = _validated(tmp_path, {"errors": {"Séances prévues": "#DIV/0!"}})
    [finding] = pairs.findings.itertuples()
    assert finding.value_received == "#DIV/0!"
    assert "l'erreur Excel « #DIV/0! »" in finding.message_fr


def test_a_percentage_says_what_excel_shows(tmp_path):
    scenario = {"cells": {"Séances prévues": 0.5}, "formats": {"Séances prévues": "0%"}}
    [finding] = _validated(tmp_path, scenario).findings.itertuples()
    assert finding.value_received == "50 %"
    assert "format pourcentage (50 %)" in finding.message_fr


def test_a_long_name_is_refused_without_being_quoted(tmp_path):
    scenario = {"long": {"Nom du bénéficiaire": 100_000}}
    [finding] = _validated(tmp_path, scenario).findings.itertuples()
    assert finding.value_received == "***"
    assert "le texte compte 100 000 caractères, au-delà de la limite de 500" in finding.message_fr
    assert "NNN" not in finding.message_fr


def test_a_long_text_shows_only_its_beginning_and_its_length(tmp_path):
    scenario = {"long": {"Structure ASE d'origine": 100_000}}
    [finding] = _validated(tmp_path, scenario).findings.itertuples()
    assert finding.value_received == "N" * 100 + "… (100 000 caractères)"


def test_cell_rules_are_registered_for_every_sheet():
    assert {code for code, rule in RULES.items() if code.startswith("CEL")} == set(CASES)
    assert all(RULES[code].sheet_code is None for code in CASES)
