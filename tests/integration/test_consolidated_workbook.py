"""The consolidated workbooks of a month built by the real `dbt build` on ingested workbooks.

Two associations report for October 2026; a third sends a refused file. Disclosure threshold
ASE_IMPACT_MIN_CELL=11, so most breakdowns of this small month are masked in the diffusion
version. Hand counts (département scope):
- cap-avenir: B-001…B-011 (Femme, Nord, MECS associative, 16 years old), B-900 closed in
  October (Femme, Nord, MECS associative, 17), « =1+2 » (Homme, Sud, MNA, 15), B-060 rejected.
- envol-mentorat: B-001, B-002 and B-900 for the same three youth as cap-avenir's, and B-050
  waiting for a mentor. Youth are counted once: 13 youth accompanied, 16 active pairs.
"""

from __future__ import annotations

import math
import multiprocessing
import re
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from python_calamine import CalamineWorkbook

from ase_impact.core import referentiel
from ase_impact.core.registry import load_registry
from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.publish import consolidated
from ase_impact.publish.consolidated import (
    MASKED_GROUP_LABEL,
    SECONDARY_TEXT,
    SUPPRESSED_TEXT,
    UNDEFINED_TEXT,
    consolidated_paths,
    write_changed_months,
    write_consolidated_workbooks,
)
from ase_impact.publish.pdf import render_pdf
from ase_impact.warehouse import connection, schema
from tests.conftest import DEMO_REGISTRY
from tests.integration.dbt_build import run_dbt_build
from tests.integration.rendering import assert_charts_print_whole, rendered
from tests.integration.sample_rows import pair_row, write_submission
from tests.integration.test_feedback_workbook import (
    FORMULA_PAIR_ID,
    FORMULA_SEX,
    keep_formulas_as_text,
)
from tests.integration.test_pii import SECRETS, PiiSecrets
from tests.workbook_charts import chart_references

PERIOD = "2026-10"
MIN_CELL = 11
CAP, ENVOL, TILLEULS = "cap-avenir", "envol-mentorat", "les-tilleuls"
# Every identity the test writes: the sample rows' names and the distinctive SECRETS.
IDENTITIES = PiiSecrets(
    names=(*SECRETS.names, "Nomtest", "Prenomtest", "Nomclos", "Prenomclos"),
    birth_dates=(*SECRETS.birth_dates, date(2009, 5, 17), date(2010, 1, 11)),
)
STATUS_CHART = "Statut des binômes suivis sur le mois"
WAITING = {
    "Statut du mentorat": "En attente de binôme",
    "Date de mise en relation": None,
    "Modalité": None,
    "Identifiant mentor": None,
    "Mentor formé": None,
    "Fréquence des rencontres": None,
    "Séances prévues": None,
    "Séances réalisées": None,
}


def write_month(raw_dir: Path) -> list[Path]:
    cap = write_submission(
        raw_dir,
        PERIOD,
        CAP,
        pairs=11,
        extra_pairs=[
            pair_row(
                FORMULA_PAIR_ID,
                "Zorglubienne",
                "Quetzalix",
                date(2011, 7, 23),
                Sexe="Homme",
                Territoire="Sud",
                **{"Type de placement": "MNA"},
            ),
            pair_row("B-060", "Vrillançonne", "Ombrelune", date(2013, 2, 27), Sexe=FORMULA_SEX),
        ],
    )
    envol = write_submission(
        raw_dir,
        PERIOD,
        ENVOL,
        pairs=2,
        extra_pairs=[
            pair_row("B-050", "Kastafiore-Pélagie", "Ombrelune", date(2013, 2, 27), **WAITING)
        ],
    )
    refused = write_submission(raw_dir, PERIOD, TILLEULS, period="2026-09")
    return [keep_formulas_as_text(cap), envol, refused]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory, monkeypatch_module):
    """Ingest the month, run the real `dbt build` once, write both workbooks."""
    root = tmp_path_factory.mktemp("consolidated")
    monkeypatch_module.setenv(KEY_ENV_VAR, "cle-de-test-consolide-0123456789abcdef0123456789")
    monkeypatch_module.setenv("ASE_IMPACT_MIN_CELL", str(MIN_CELL))
    settings = load_settings(
        raw_dir=root / "raw",
        warehouse=root / "warehouse" / "ase_impact.duckdb",
        archive_dir=root / "archive",
        secrets_dir=root / "secrets",
        outputs_dir=root / "outputs",
    )
    monkeypatch_module.setenv("ASE_IMPACT_WAREHOUSE", str(settings.warehouse))
    with connection.connect(settings.warehouse) as conn:
        schema.ensure_schema(conn)
        statuses = [
            ingest_file(path, settings, conn, received_at=datetime(2026, 11, 3, 9, minute)).status
            for minute, path in enumerate(write_month(settings.raw_dir))
        ]
    assert statuses == ["accepted_with_rejections", "accepted", "rejected"]
    result = run_dbt_build(root)
    assert result.success, result.exception
    conn = duckdb.connect(str(settings.warehouse))
    internal, diffusion = write_consolidated_workbooks(conn, PERIOD, settings.outputs_dir)
    yield {
        "conn": conn,
        "warehouse": settings.warehouse,
        "internal": internal,
        "diffusion": diffusion,
        "books": (load_workbook(internal), load_workbook(diffusion)),
    }
    conn.close()


def key_figures(book) -> dict[str, object]:
    rows = book["Synthèse des résultats"].iter_rows(min_row=6, max_col=2, values_only=True)
    return {label: value for label, value in rows if label}


def cells(book, formula: str) -> list[object]:
    """Values of a chart formula's range, e.g. 'Tableau de bord'!$A$6:$A$9."""
    sheet_name, cell_range = formula.rsplit("!", 1)
    first_column, first_row, last_column, last_row = range_boundaries(cell_range.replace("$", ""))
    sheet = book[sheet_name.strip("'")]
    return [
        value
        for row in sheet.iter_rows(
            min_row=first_row,
            max_row=last_row,
            min_col=first_column,
            max_col=last_column,
            values_only=True,
        )
        for value in row
    ]


def charted(path: Path, book) -> dict[str, tuple[str, list, list]]:
    """Chart title → (series title, category labels, values) read through its <c:f> ranges."""
    charts = {}
    for chart in chart_references(path):
        (series,) = chart.series
        assert all(
            formula.startswith("'Tableau de bord'!")
            for formula in (series.title, series.categories, series.values)
        )
        charts[chart.title] = (
            cells(book, series.title)[0],
            cells(book, series.categories),
            cells(book, series.values),
        )
    return charts


def test_both_versions_have_their_sheets(workbooks):
    internal, diffusion = workbooks["books"]
    shared = [
        "Synthèse des résultats",
        "Tableau de bord",
        "Chaîne de valeur",
        "Dimensions MIS PE",
        "Soumissions",
    ]
    assert internal.sheetnames == [*shared, "Définitions", "Données"]
    assert diffusion.sheetnames == [*shared, "Définitions"]
    assert workbooks["internal"].name == "tableau_de_pilotage_consolide.xlsx"
    assert workbooks["diffusion"].name == "tableau_de_pilotage_consolide_diffusion.xlsx"
    assert workbooks["internal"].parent.name == PERIOD


def test_key_figures_match_the_marts_and_the_hand_counts(workbooks):
    internal, diffusion = (key_figures(book) for book in workbooks["books"])
    marts = dict(
        workbooks["conn"]
        .execute(
            "SELECT catalog.label_fr, indicators.value FROM marts.fct_indicators AS indicators "
            "JOIN marts.indicator_catalog AS catalog USING (indicator_code) "
            "WHERE period = DATE '2026-10-01' AND scope = 'departement' "
            "AND breakdown = 'total' AND indicators.mis_pe_dimension IS NULL"
        )
        .fetchall()
    )
    hand_counts = {
        "Jeunes accompagnés": 13,
        "Binômes actifs": 16,
        "Jeunes en attente de binôme": 1,
        "Binômes clôturés": 2,
        "Binômes abandonnés": 0,
    }
    for label, count in hand_counts.items():
        assert internal[label] == marts[label] == count, label
    assert internal["Taux d'abandon"] == marts["Taux d'abandon"] == 0
    # Counts of 1 to 10 are masked for diffusion; 13 and the zero are not. The 16 active pairs
    # are masked too: beside the 17 pairs followed, they would give the 1 waiting away.
    assert diffusion["Jeunes accompagnés"] == 13
    assert diffusion["Binômes actifs"] == SECONDARY_TEXT
    assert diffusion["Jeunes en attente de binôme"] == SUPPRESSED_TEXT
    assert diffusion["Binômes clôturés"] == SUPPRESSED_TEXT
    assert diffusion["Binômes abandonnés"] == 0


def test_charts_read_the_cells_that_hold_their_labels_and_values(workbooks):
    internal_book, diffusion_book = workbooks["books"]
    internal = charted(workbooks["internal"], internal_book)
    diffusion = charted(workbooks["diffusion"], diffusion_book)
    status_labels = list(referentiel.list_labels("status"))
    sexes = list(referentiel.list_labels("sex"))
    territories = list(referentiel.list_labels("territory"))
    # The pairs of the month: waiting (B-050), ongoing, closed in October (B-900 twice).
    assert internal[STATUS_CHART] == ("Binômes", status_labels, [1, 14, 2, 0])
    assert internal["Jeunes accompagnés par sexe"] == ("Jeunes", sexes, [12, 1, 0])
    expected_territories = [12 if t == "Nord" else 1 if t == "Sud" else 0 for t in territories]
    assert internal["Jeunes accompagnés par territoire"] == (
        "Jeunes",
        territories,
        expected_territories,
    )
    ages = internal["Jeunes accompagnés par tranche d'âge"]
    assert dict(zip(ages[1], ages[2], strict=True)) == {
        "moins de 13 ans": 0,
        "13-15 ans": 1,
        "16-17 ans": 12,
        "18 ans et plus": 0,
    }
    placements = internal["Jeunes accompagnés par type de placement"]
    assert placements[1] == list(referentiel.list_labels("placement_type"))
    assert {label: n for label, n in zip(*placements[1:], strict=True) if n} == {
        "MECS associative": 12,
        "MNA": 1,
    }
    # Diffusion: a masked category is never drawn (nor drawn as 0, nor left out so that the
    # rest makes 100 %): the masked ones are drawn together as « autres (masqué) », the
    # published total less the published categories. The lone 1 and 2 of the statuses (3);
    # the sexes: Homme 1, and Femme 12 masked so that Homme cannot be found by subtraction.
    assert diffusion[STATUS_CHART][1:] == (
        ["En cours", "Abandonné", MASKED_GROUP_LABEL],
        [14, 0, 3],
    )
    assert diffusion["Jeunes accompagnés par sexe"][1:] == (
        [sexes[2], MASKED_GROUP_LABEL],
        [0, 13],
    )
    territory_labels, territory_values = diffusion["Jeunes accompagnés par territoire"][1:]
    assert territory_labels[-1] == MASKED_GROUP_LABEL and territory_values[-1] == 13
    assert set(territory_values[:-1]) == {0}
    for title, (_, _, values) in diffusion.items():
        assert sum(values) == sum(internal[title][2]), title  # the whole, never renormalised


def test_the_diffusion_version_masks_exactly_the_suppressed_values(workbooks):
    internal_book, diffusion_book = workbooks["books"]
    suppressed = (
        workbooks["conn"]
        .execute(
            "SELECT count(*) FILTER (WHERE is_suppressed), "
            "count(*) FILTER (WHERE NOT is_suppressed), "
            "count(*) FILTER (WHERE is_secondary_suppressed) FROM marts.mart_value_chain "
            "WHERE period_grain = 'month' AND period = DATE '2026-10-01'"
        )
        .fetchone()
    )
    assert suppressed[0] > 0 and suppressed[1] > 0
    internal_rows = list(internal_book["Chaîne de valeur"].iter_rows(min_row=2, values_only=True))
    diffusion_rows = list(diffusion_book["Chaîne de valeur"].iter_rows(min_row=2, values_only=True))
    assert len(internal_rows) == len(diffusion_rows) == suppressed[0] + suppressed[1]
    masked = [
        (kept, shown)
        for kept, shown in zip(internal_rows, diffusion_rows, strict=True)
        if shown[4] != kept[4]
    ]
    assert len(masked) == suppressed[0]
    # Secondary masking is labelled apart from « < seuil ».
    assert sorted(shown[4] for _, shown in masked) == sorted(
        [SECONDARY_TEXT] * suppressed[2] + [SUPPRESSED_TEXT] * (suppressed[0] - suppressed[2])
    )
    # What was masked is a number (or undefined, e.g. pairs per FTE without staff).
    assert all(isinstance(kept[4], int | float) or kept[4] == UNDEFINED_TEXT for kept, _ in masked)
    assert [kept for kept, _ in masked if isinstance(kept[4], int | float)]
    # Dashboard: the masked categories are listed below their chart's data, their value
    # empty, saying why; none is charted.
    dashboard = diffusion_book["Tableau de bord"]
    listed = 0
    for row in dashboard.iter_rows(min_row=4, max_col=3):
        label, value, remark = row
        if remark.value in (SUPPRESSED_TEXT, SECONDARY_TEXT):
            assert value.value is None and label.value
            listed += 1
    assert listed
    # MIS PE: cap-avenir's one T0 respondent is below the threshold.
    dimensions = [
        row
        for row in diffusion_book["Dimensions MIS PE"].iter_rows(min_row=2, values_only=True)
        if row[0] == "Département"
    ]
    assert len(dimensions) == 6
    assert all(row[2] == SUPPRESSED_TEXT and row[3] == SUPPRESSED_TEXT for row in dimensions)
    internal_dimensions = [
        row
        for row in internal_book["Dimensions MIS PE"].iter_rows(min_row=2, values_only=True)
        if row[0] == "Département"
    ]
    assert [row[2] for row in internal_dimensions] == [1] * 6


def test_figures_that_do_not_apply_say_so_in_the_dimensions_sheet(workbooks):
    internal, _ = workbooks["books"]
    by_scope = {}
    for row in internal["Dimensions MIS PE"].iter_rows(min_row=2, values_only=True):
        by_scope.setdefault(row[0], {})[row[1]] = row
    # Envol Mentorat does no residential care: the MIS PE does not apply to it, its per-wave
    # counts included (not 0 beside « non calculable »).
    for row in by_scope["Envol Mentorat"].values():
        assert set(row[2:13]) == {"non applicable"}, row
    # No end-of-mentoring item is rattached to Santé: its « Oui » count does not apply.
    assert by_scope["Département"]["Santé"][13] == "non applicable"
    assert isinstance(by_scope["Département"]["Bien-être émotionnel"][13], int)


def test_submissions_show_who_reported_with_french_statuses(workbooks):
    internal, diffusion = workbooks["books"]
    rows = {row[1]: row for row in internal["Soumissions"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == load_registry(DEMO_REGISTRY).codes
    assert rows[CAP][11] == "Accepté, avec des lignes rejetées"
    assert rows[ENVOL][11] == "Accepté"
    assert rows[TILLEULS][11] == "Refusé (erreur bloquante, rien n'a été intégré)"
    assert rows[TILLEULS][5] is None  # no version in force
    # The synthesis names who is left out, not only how many.
    synthesis = " ".join(
        str(cell)
        for row in internal["Synthèse des résultats"].iter_rows(values_only=True)
        for cell in row
        if cell
    )
    assert "dernier fichier refusé : 1 (Maison d'enfants Les Tilleuls)" in synthesis
    assert rows["trait-d-union"][11] == "Non reçu"
    assert rows[CAP][3:6] == ("2026-10/cap-avenir.xlsx", 1, 1)
    assert rows[CAP][7:10] == (18, 17, 1)
    # A refusal's message quotes the file (its sheets, its cells): internal only.
    assert rows[TILLEULS][12].startswith("Fichier 2026-10/les-tilleuls.xlsx")
    shared = {
        row[1]: row for row in diffusion["Soumissions"].iter_rows(min_row=2, values_only=True)
    }
    assert shared[TILLEULS][11] == rows[TILLEULS][11] and shared[TILLEULS][12] is None
    assert shared[CAP][12] == rows[CAP][12] == "1 ligne rejetée sur 18 reçues."


def test_rows_are_pseudonymised_and_association_text_stays_text(workbooks):
    internal, _ = workbooks["books"]
    sheet = internal["Données"]
    headers = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert len(rows) == 17  # 13 accepted pairs of cap-avenir, 4 of envol-mentorat
    # Printed whole: every row, not only the header (the rows are written at save).
    assert sheet.print_area == f"'Données'!$A$1:${get_column_letter(len(headers))}$18"
    by_pair = {(row["Association"], row["Identifiant binôme"]): row for row in rows}
    formula_pair = by_pair[("Cap Avenir", FORMULA_PAIR_ID)]
    assert (formula_pair["Sexe"], formula_pair["Tranche d'âge"]) == ("Homme", "13-15 ans")
    assert by_pair[("Envol Mentorat", "B-050")]["Statut du mentorat"] == "En attente de binôme"
    keys = [row["Clé jeune (12 premiers caractères)"] for row in rows]
    assert all(re.fullmatch(r"[0-9a-f]{12}", key) for key in keys)
    # The same youth in both associations has the same key.
    assert (
        by_pair[("Cap Avenir", "B-001")]["Clé jeune (12 premiers caractères)"]
        == (by_pair[("Envol Mentorat", "B-001")]["Clé jeune (12 premiers caractères)"])
    )
    assert ("Cap Avenir", "B-060") not in by_pair  # rejected row
    assert by_pair[("Cap Avenir", "B-900")]["Date de fin"] == datetime(2026, 10, 9)
    formula_cell = next(
        row[1] for row in sheet.iter_rows(min_row=2) if row[1].value == FORMULA_PAIR_ID
    )
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix
    calamine = CalamineWorkbook.from_path(str(workbooks["internal"])).get_sheet_by_name("Données")
    assert FORMULA_PAIR_ID in [row[1] for row in calamine.to_python()]


@pytest.mark.parametrize("version", ["internal", "diffusion"])
def test_no_formula_and_no_name_in_either_file(workbooks, version):
    with zipfile.ZipFile(workbooks[version]) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    worksheets = [data for name, data in members.items() if name.startswith("xl/worksheets/")]
    assert worksheets and not [data for data in worksheets if b"<f>" in data or b"<f " in data]
    leaks = {name: IDENTITIES.found_in_bytes(data) for name, data in members.items()}
    assert not {name: found for name, found in leaks.items() if found}


def test_the_status_chart_shows_pairs_followed_as_the_marts_mask_it(workbooks):
    # The chart's counts and masks are the marts' pairs_followed by status (disclosure control
    # by dbt, primary and secondary), not a count of its own.
    internal_book, diffusion_book = workbooks["books"]
    _, labels, counts = charted(workbooks["internal"], internal_book)[STATUS_CHART]
    _, shown_labels, shown = charted(workbooks["diffusion"], diffusion_book)[STATUS_CHART]
    marts = {
        label: (value, suppressed)
        for label, value, suppressed in workbooks["conn"]
        .execute(
            "SELECT coalesce(breakdown_value, 'total'), value, is_suppressed "
            "FROM marts.fct_indicators WHERE period_grain = 'month' "
            "AND period = DATE '2026-10-01' AND scope = 'departement' "
            "AND indicator_code = 'pairs_followed' AND breakdown IN ('status', 'total')"
        )
        .fetchall()
    }
    total, total_masked = marts.pop("total")
    assert labels == list(referentiel.list_labels("status"))
    assert set(marts) == set(labels)
    assert counts == [marts[label][0] for label in labels]
    published = [label for label in labels if not marts[label][1]]
    assert not total_masked and total == sum(counts) == 17
    assert shown_labels == [*published, MASKED_GROUP_LABEL]
    assert shown == [
        *(marts[label][0] for label in published),
        total - sum(marts[label][0] for label in published),
    ]


def test_definitions_come_from_the_catalogue(workbooks):
    catalogue = dict(
        workbooks["conn"]
        .execute("SELECT label_fr, definition_fr FROM marts.indicator_catalog")
        .fetchall()
    )
    for book in workbooks["books"]:
        rows = list(book["Définitions"].iter_rows(min_row=2, max_col=3, values_only=True))
        defined = {label: definition for _, label, definition in rows if label in catalogue}
        assert defined == catalogue


def test_key_figures_show_the_year_to_date_beside_the_month(workbooks):
    internal, _ = workbooks["books"]
    sheet = internal["Synthèse des résultats"]
    header = next(
        row for row in sheet.iter_rows(values_only=True) if row[0] == "Chiffres clés (Département)"
    )
    assert header[1:3] == ("Mois", "Cumul de l'année")
    # Only October has files: the year to date is October's figures.
    figures = {row[0]: row[1:3] for row in sheet.iter_rows(values_only=True) if row[0] and row[1:3]}
    assert figures["Jeunes accompagnés"] == (13, 13)


def test_pdf_rendering_says_when_libreoffice_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="LibreOffice est introuvable"):
        render_pdf(tmp_path / "classeur.xlsx", tmp_path / "pdf")


def _sessions_held(path: Path, pair_id: str) -> object:
    sheet = load_workbook(path, read_only=True)["Données"]
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows)
    held = headers.index("Séances réalisées")
    return next(row[held] for row in rows if row[:2] == ("Cap Avenir", pair_id))


def test_only_months_whose_inputs_changed_are_written_again(workbooks, tmp_path, monkeypatch):
    conn, outputs = workbooks["conn"], tmp_path / "outputs"

    def write() -> list[str]:
        written, unchanged = write_changed_months(conn, outputs, MIN_CELL)
        assert [path.parent.name for path, _ in written] + unchanged == [PERIOD]
        return [path.parent.name for path, _ in written]

    assert write() == [PERIOD]
    internal, diffusion = (outputs / PERIOD / workbooks[v].name for v in ("internal", "diffusion"))
    first_write = internal.stat().st_mtime_ns
    assert write() == []
    assert internal.stat().st_mtime_ns == first_write

    held = _sessions_held(internal, "B-001")
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(
            "UPDATE reporting.rpt_consolidated_pairs SET sessions_held = sessions_held + 5 "
            "WHERE association_code = ? AND pair_id = 'B-001'",
            [CAP],
        )
        assert write() == [PERIOD]
        assert _sessions_held(internal, "B-001") == held + 5
    finally:
        conn.execute("ROLLBACK")
    assert write() == [PERIOD]  # back to the warehouse as it is
    assert _sessions_held(internal, "B-001") == held

    # Float noise of a rebuild (DuckDB sums in no fixed order) is below what the cells show.
    for change, rewritten in ((1e-12, []), (1e-3, [PERIOD])):
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(
                "UPDATE reporting.rpt_impact_dimensions SET mean_score = mean_score + ? "
                "WHERE mean_score IS NOT NULL",
                [change],
            )
            assert write() == rewritten
        finally:
            conn.execute("ROLLBACK")
    assert write() == [PERIOD]

    diffusion.unlink()
    assert write() == [PERIOD] and diffusion.exists()
    monkeypatch.setattr(consolidated, "_code_fingerprint", lambda: "une autre mise en page")
    assert write() == [PERIOD]
    assert write() == []
    assert write_changed_months(conn, outputs, MIN_CELL + 1)[0]  # another threshold


@pytest.mark.parametrize("version", ["internal", "diffusion"])
def test_both_versions_print_with_every_chart_whole(workbooks, tmp_path, version):
    pages, texts = rendered(workbooks[version], tmp_path, f"print/small-{version}")
    assert not any("###" in text for text in texts)  # « Reçu le », dates, amounts all fit
    # A page per sheet, but the dashboard's five charts take 3 to 4 (a chart and its table,
    # about half a page, are never cut) and the value chain 25 to 45 rows a page (lines of
    # 15 points on A4 landscape, scaled to its width: neither squeezed nor half empty).
    book = load_workbook(workbooks[version])
    chain_rows = book["Chaîne de valeur"].max_row
    fewest = len(book.sheetnames) + 2 + math.ceil(chain_rows / 45) - 1
    most = len(book.sheetnames) + 3 + math.ceil(chain_rows / 25) - 1
    assert fewest <= pages <= most
    assert assert_charts_print_whole(workbooks[version], texts) == 5
    bars = [chart for chart in chart_references(workbooks[version]) if chart.kind == "bar"]
    with zipfile.ZipFile(workbooks[version]) as package:
        horizontal = [
            package.read(chart.part).decode()
            for chart in bars
            if b'barDir val="bar"' in package.read(chart.part)
        ]
    # The placement chart lists its categories from the top, as its table does, every one.
    assert horizontal and all(
        'orientation val="maxMin"' in xml and 'tickLblSkip val="1"' in xml for xml in horizontal
    )


def _write_months_in_a_child(warehouse: str, outputs_dir: str) -> None:
    with duckdb.connect(warehouse, read_only=True) as conn:
        write_changed_months(conn, Path(outputs_dir), MIN_CELL)


def test_a_step_process_writing_the_workbooks_exits_once_they_are_written(workbooks, tmp_path):
    """As the Dagster daemon and UI run a step: in a spawned child process, which must exit
    when its work is done (a builder process left waiting for work kept it alive for ever,
    and its run with it)."""
    workbooks["conn"].execute("CHECKPOINT")
    copy = tmp_path / "ase_impact.duckdb"  # the fixture's connection keeps the file to itself
    shutil.copyfile(workbooks["warehouse"], copy)
    outputs_dir = tmp_path / "outputs"
    child = multiprocessing.get_context("spawn").Process(
        target=_write_months_in_a_child, args=(str(copy), str(outputs_dir))
    )
    child.start()
    child.join(timeout=90)
    still_running = child.is_alive()
    if still_running:
        child.kill()  # its builder worker then reads the end of its queue and exits
    assert not still_running and child.exitcode == 0
    assert all(path.is_file() for path in consolidated_paths(outputs_dir, PERIOD))
