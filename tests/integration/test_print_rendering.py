"""Workbooks printed through LibreOffice: pages counted, no `###`, nothing cut.

Fast: the template and a feedback workbook built here (the consolidated workbooks of a small
month: tests/integration/test_consolidated_workbook.py). Slow (make test-e2e): the demo set's
consolidated workbooks (both versions) and a refused file's feedback, after a real
`ase-impact run`.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from ase_impact.contracts.findings import count_by_rule
from ase_impact.core import referentiel
from ase_impact.core.settings import PROJECT_ROOT
from ase_impact.publish.consolidated import UNDEFINED_TEXT, consolidated_paths
from ase_impact.publish.feedback import FeedbackFacts, feedback_path, render_feedback_workbook
from ase_impact.publish.template import write_template
from tests.conftest import isolated_environment
from tests.integration.cli_runs import run_cli
from tests.integration.rendering import assert_charts_print_whole, rendered, words

LONG_MESSAGE = "l'âge à la date de passation est hors du champ MIS PE (13 à 18 ans) ; " * 4


def test_the_template_prints_one_page_per_sheet(tmp_path):
    pages, texts = rendered(
        write_template(tmp_path / "modele.xlsx", "cap-avenir", "2026-10"), tmp_path, "print"
    )
    # One page per sheet, one more for the explanations: not the 32 pages of a sheet
    # printed column by column in portrait.
    assert len(referentiel.sheets()) <= pages <= len(referentiel.sheets()) + 1
    assert not any("###" in text for text in texts)
    explained = words(" ".join(texts))
    assert "Que se passe-t-il en cas d'erreur ?" in explained
    assert "la nouvelle version remplace l'ancienne." in explained  # the last line, not cut


def _alert(row: int) -> dict:
    return {
        "sheet": "Questionnaire MIS PE",
        "excel_row": row,
        "pair_id": None,
        "column_header": "Date de passation",
        "value_received": "08/10/2026",
        "rule_code": "MIS-006",
        "severity": "alerte",
        "message_fr": LONG_MESSAGE,
    }


def test_a_feedback_with_only_alerts_prints_whole_and_asks_nothing(tmp_path):
    findings = pd.DataFrame([_alert(row) for row in range(2, 40)])
    facts = FeedbackFacts(
        period="2026-10",
        association_code="cap-avenir",
        association_name="Cap Avenir",
        file_name="2026-10/cap-avenir.xlsx",
        status="accepted",
        message_fr="48 lignes reçues, aucune rejetée ; 38 lignes acceptées avec alerte.",
        received_at=datetime(2026, 11, 3, 9, 30),
        version=1,
        rows_received=48,
        rows_accepted=48,
        rows_rejected=0,
        rows_with_alerts=38,
    )
    path = render_feedback_workbook(
        facts, findings, count_by_rule(findings), tmp_path / "retour.xlsx"
    )
    pages, texts = rendered(path, tmp_path, "print")
    # Synthèse on one page; 38 anomalies of 4 wrapped lines each, header repeated: a few.
    assert 2 <= pages <= 6
    assert not any("###" in text for text in texts)
    assert "Rien à redéposer" in words(texts[0])
    assert all(text.count("Onglet") == 1 for text in texts[1:])  # the header on every page
    # Every wrapped message printed whole (its last words included), once per anomaly.
    printed = words(" ".join(texts[1:]))
    assert printed.count("(13 à 18 ans) ; l'âge") == 38 * 3


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_print")
    with isolated_environment(root):
        shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
        result = run_cli("run", "--raw-dir", str(root / "raw"))
        assert result.exit_code == 0, result.stdout + result.stderr
        yield root / "outputs"


@pytest.mark.slow
@pytest.mark.parametrize("version", [0, 1], ids=["interne", "diffusion"])
def test_the_demo_consolidated_workbooks_print_readably(demo_outputs, tmp_path, version):
    path = consolidated_paths(demo_outputs, "2026-10")[version]
    pages, texts = rendered(path, tmp_path, f"print/consolidated-{version}")
    assert not any("###" in text for text in texts)
    book = load_workbook(path)
    sheets = len(book.sheetnames)
    # Synthèse 1, dashboard 4 (a chart with its table never cut), value chain 9 (≈ 420
    # rows), MIS PE 2, submissions 1, « Données » (internal) 1: 18 and 17 pages measured.
    assert sheets + 10 <= pages <= sheets + 16
    # Status, territory, age band, sex, placement (10 categories: all shown, in order).
    assert assert_charts_print_whole(path, texts) == 5
    # Headers repeated on every page: the value chain's (≈ 420 rows) and MIS PE's, which is
    # no longer squeezed on one page.
    assert sum("Périmètre Niveau Indicateur" in words(text) for text in texts) >= 6
    # (Its headers wrap over two lines, « Répondants » above « T0 (entrée) ».)
    mispe_header = ("Dimension", "Répondants", "(entrée)")
    assert sum(all(word in text for word in mispe_header) for text in texts) >= 2
    # « non calculable » sits right-aligned like the numbers: never glued to the one before.
    markers = [
        cell
        for row in book["Dimensions MIS PE"].iter_rows(min_row=2)
        for cell in row
        if cell.value == UNDEFINED_TEXT
    ]
    assert markers and all(cell.alignment.horizontal == "right" for cell in markers)
    assert "Évolution du score MIS PE (T0 → T1) » : moyenne" in words(" ".join(texts))


@pytest.mark.slow
def test_the_demo_refusal_feedback_prints_with_what_to_do(demo_outputs, tmp_path):
    refused = feedback_path(demo_outputs, "2026-10", "horizons-partages")
    pages, texts = rendered(refused, tmp_path, "print/feedback")
    assert pages <= 2 and not any("###" in text for text in texts)
    assert "déposez-le pour ce mois-là" in words(texts[0])
