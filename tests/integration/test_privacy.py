"""Privacy and security of a whole `ase-impact run`, as an association's files go through it.

One run of the real command line (a subprocess with its own folders and Dagster instance)
ingests a month of three files: two accepted ones carrying distinctive synthetic identities,
rejected rows that carry them too, text a spreadsheet would run as a formula in every free-text
column, and a file refused as a whole. The identity, formula and disclosure cases share that
run; the XML hardening cases need none. Disclosure threshold ASE_IMPACT_MIN_CELL=3: counts of 1
and 2 are masked in the diffusion workbook.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import defusedxml
import duckdb
import openpyxl.xml
import pytest
from openpyxl import load_workbook

from ase_impact.core.settings import DBT_PROJECT_DIR
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.publish.consolidated import (
    MASKED_GROUP_LABEL,
    SECONDARY_TEXT,
    SUPPRESSED_TEXT,
    UNDEFINED_TEXT,
)
from ase_impact.publish.template import build_template, write_template
from tests.conftest import isolated_environment
from tests.hostile_files import rewrite_parts, sheet_part
from tests.integration.cli_runs import CLI_COMMAND
from tests.integration.sample_rows import (
    activity_row,
    closed_pair_row,
    mispe_row,
    pair_row,
    resource_row,
    write_submission,
)
from tests.integration.test_consolidated_workbook import WAITING
from tests.integration.test_feedback_workbook import keep_formulas_as_text
from tests.integration.test_pii import PiiSecrets, assert_no_pii, find_pii

PERIOD = "2026-10"
MIN_CELL = 3
CAP, ENVOL, TILLEULS = "cap-avenir", "envol-mentorat", "les-tilleuls"
KEY = "cle-de-test-confidentialite-0123456789abcdef0123"

# Distinctive synthetic identities, unlike any word the pipeline writes by itself.
SECRETS = PiiSecrets(
    names=(
        "Wubbelsteyn",
        "Oxyrhynque",
        "Tzimbrole",
        "Brouhaha-Quillon",
        "Yggdravelle",
        "Pétronçoise",
        "Xanthoprune",
    ),
    birth_dates=(
        date(2012, 8, 19),
        date(2010, 6, 3),
        date(2013, 12, 29),
        date(2008, 4, 26),
        date(1991, 5, 8),
        date(2011, 9, 30),
    ),
)

# Text a spreadsheet could run as a formula, in every free-text column the référentiel has.
HYPERLINK = '=HYPERLINK("http://exemple.invalid","Voir")'
HOSTILE_PAIR_IDS = ("=1+2", "+33-612", "-B-7", "@SUM(A1)")
HOSTILE_ACCEPTED = {
    "Structure ASE d'origine": HYPERLINK,
    "Identifiant mentor": "@mentor",
}
HOSTILE_REJECTED = {  # list values outside the référentiel: rejected, shown as received
    "Sexe": HYPERLINK,
    "Territoire": "+Nord",
    "Niveau scolaire": "-Quatrième",
    "Type de placement": "@MECS",
    "Objectif du mentorat": "\t=1+1",
    "Modalité": "\r=2+2",
}
HOSTILE_RESOURCE_DETAIL = "+SUM(1;2)"
HOSTILE_ACTIVITY_TITLE = '=HYPERLINK("http://exemple.invalid","Atelier")'
HOSTILE_UNIT = "=1+1"
# Cell formulas in a worksheet's XML (<f>…</f>); data validations' <formula1> are not cells.
CELL_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")


def _cap_avenir_rows() -> tuple[list[dict], dict]:
    month = date.fromisoformat(f"{PERIOD}-01")
    accepted = [
        pair_row("P-101", "Wubbelsteyn", "Oxyrhynque", date(2012, 8, 19)),
        pair_row("P-102", "Brouhaha-Quillon", "Yggdravelle", "03/06/2010", Sexe="Homme"),
        pair_row("P-103", "Pétronçoise", "Tzimbrole", "2013-12-29", Territoire="Sud"),
        pair_row("P-104", "Xanthoprune", "Wubbelsteyn", date(2011, 9, 30), **HOSTILE_ACCEPTED),
    ]
    accepted += [
        pair_row(pair_id, "Tzimbrole", "Xanthoprune", date(2010, 6, 3))
        for pair_id in HOSTILE_PAIR_IDS
    ]
    # With B-900, three pairs closed at cap-avenir (published) and one at envol-mentorat.
    accepted += [
        closed_pair_row(f"C-50{n}", f"Nomclos{n}", "Prenomclos", date(2009, 5, n), month)
        for n in (1, 2)
    ]
    rejected = [
        # Bad sex value, and one rejected cell per hostile list value: names ride along.
        pair_row("P-201", "Oxyrhynque", "Pétronçoise", date(2012, 8, 19), Sexe="Martien"),
        pair_row("P-202", "Yggdravelle", "Brouhaha-Quillon", date(1991, 5, 8)),  # 35 years old
        pair_row("P-203", "Wubbelsteyn", "Tzimbrole", "19 août 2012"),  # unreadable date
        pair_row("P-204", "Xanthoprune", "Oxyrhynque", date(2008, 4, 26), **HOSTILE_REJECTED),
    ]
    mispe = [
        mispe_row("WUBBELSTEYN", "oxyrhynque", date(2012, 8, 19), month.replace(day=5)),
        mispe_row("Brouhaha Quillon", "Yggdravelle", "03/06/2010", month.replace(day=6)),
        mispe_row("Petronçoise", "Tzimbrole", date(1991, 5, 8), month.replace(day=7)),  # rejected
    ]
    others = {
        "mispe_questionnaires": mispe,
        "resources": [
            resource_row(detail=HOSTILE_RESOURCE_DETAIL),
            {**resource_row(detail="Fondation Lumière"), "Unité": HOSTILE_UNIT},
        ],
        "activities": [activity_row(month, title=HOSTILE_ACTIVITY_TITLE)],
    }
    return accepted + rejected, others


def write_month(raw_dir: Path) -> list[Path]:
    pairs, others = _cap_avenir_rows()
    cap = write_submission(raw_dir, PERIOD, CAP, pairs=6, extra_pairs=pairs, rows=others)
    envol = write_submission(
        raw_dir,
        PERIOD,
        ENVOL,
        pairs=1,
        extra_pairs=[
            pair_row("E-301", "Yggdravelle", "Xanthoprune", date(2013, 12, 29)),
            # The month's one youth waiting for a mentor: a key figure to mask.
            pair_row("E-302", "Xanthoprune", "Brouhaha-Quillon", date(2012, 8, 19), **WAITING),
        ],
        association_name=HYPERLINK,
    )
    refused = write_submission(
        raw_dir,
        PERIOD,
        TILLEULS,
        period="2026-09",
        extra_pairs=[pair_row("T-401", "Tzimbrole", "Wubbelsteyn", date(2008, 4, 26))],
    )
    return [keep_formulas_as_text(path) for path in (cap, envol, refused)]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    """`ase-impact run` on the month, in a subprocess with every path under one folder."""
    root = tmp_path_factory.mktemp("privacy_run")
    raw_files = write_month(root / "raw")
    started = time.time() - 1  # file times may be rounded down
    with (
        isolated_environment(root, {KEY_ENV_VAR: KEY, "ASE_IMPACT_MIN_CELL": str(MIN_CELL)}),
        open(root / "stdout.txt", "wb") as stdout,
        open(root / "stderr.txt", "wb") as stderr,
    ):
        completed = subprocess.run(
            [*CLI_COMMAND, "run"],
            stdout=stdout,
            stderr=stderr,
            timeout=600,
            check=False,
        )
    copy_dbt_artefacts(started, root / "dbt_artefacts")
    return {"root": root, "raw_files": raw_files, "returncode": completed.returncode}


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def copy_dbt_artefacts(started: float, destination: Path) -> list[Path]:
    """Copies of dbt's target and log files written since the run started.

    Each dbt invocation writes in a target folder of its own, removed once streamed, and other
    runs share dbt_project/: files are copied as soon as listed, a file gone meanwhile was
    another run's.
    """
    copies = []
    for folder in (DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"):
        for directory, _, names in os.walk(folder):
            for name in names:
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime < started:
                        continue
                    data = path.read_bytes()
                except FileNotFoundError:
                    continue
                copy = destination / path.relative_to(DBT_PROJECT_DIR)
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(data)
                copies.append(copy)
    return copies


def written_by_the_run(run: dict) -> dict[str, list[Path]]:
    """Every file the run left, by top folder; raw/ and archive/ hold the files as sent."""
    root = run["root"]
    categories: dict[str, list[Path]] = {}
    for path in files_under(root):
        top = path.relative_to(root).parts[0]
        if top not in ("raw", "archive"):
            categories.setdefault(top, []).append(path)
    return categories


def workbooks_written(run: dict) -> list[Path]:
    return [path for path in files_under(run["root"] / "outputs") if path.suffix == ".xlsx"]


def cells_of(path: Path) -> Iterator[tuple[str, object]]:
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                yield sheet.title, cell


# --- 1. No identity anywhere the run wrote ----------------------------------------------------


@pytest.mark.slow
def test_the_run_succeeds_and_refuses_the_misdated_file(pipeline_run):
    stdout = (pipeline_run["root"] / "stdout.txt").read_text()
    assert pipeline_run["returncode"] == 0, stdout
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in stdout
    assert "le fichier indique la période 2026-09 mais a été déposé dans 2026-10" in stdout
    assert "lignes reçues 28, acceptées 22, rejetées 6" in stdout


@pytest.mark.slow
def test_the_files_as_sent_hold_the_identities_the_scan_hunts(pipeline_run):
    """Proves the scan finds what it hunts where it is: raw/ and the archive keep the files."""
    raw_files = pipeline_run["raw_files"]
    archive = files_under(pipeline_run["root"] / "archive")
    archived = [path for path in archive if path.suffix == ".xlsx"]
    assert len(archived) == len(raw_files) == 3
    # Beside the files as sent, the archive's journal of outcomes holds no identity.
    [journal] = [path for path in archive if path.name == "journal.jsonl"]
    assert find_pii([journal], SECRETS) == []
    text_dates = {"03/06/2010", "2013-12-29"}  # the others are Excel dates: serial numbers
    for files in (raw_files, archived):
        found = {hit.rsplit(": ", 1)[1] for hit in find_pii(files, SECRETS)}
        assert set(SECRETS.names) | text_dates <= found


@pytest.mark.slow
def test_no_name_or_birth_date_in_anything_the_run_wrote(pipeline_run):
    scanned = written_by_the_run(pipeline_run)
    # dbt removes its invocation folders: dbt_artefacts may not exist.
    assert {"warehouse", "dagster_home", "outputs", "reports", "stdout.txt", "stderr.txt"} <= set(
        scanned
    )
    assert {path.name for path in scanned["warehouse"]} >= {
        "ase_impact.duckdb",
        "ase_impact_published.duckdb",
    }
    assert {path.name for path in scanned["outputs"] if path.suffix == ".xlsx"} == {
        "cap-avenir.xlsx",
        "envol-mentorat.xlsx",
        "les-tilleuls.xlsx",
        "tableau_de_pilotage_consolide.xlsx",
        "tableau_de_pilotage_consolide_diffusion.xlsx",
    }
    dagster_databases = [path for path in scanned["dagster_home"] if path.suffix == ".db"]
    assert len(dagster_databases) >= 5  # runs, index, schedules, one event log per run
    assert len([p for p in scanned["reports"] if p.suffix == ".html"]) >= 5
    every_file = [path for paths in scanned.values() for path in paths]
    assert len(every_file) >= 40
    # The event logs hold the rejected rows' details: the scan looks where findings went.
    event_logs = b"".join(path.read_bytes() for path in dagster_databases)
    assert b"P-201" in event_logs and b"Martien" in event_logs
    assert_no_pii(every_file, SECRETS)


# --- 2. XML hardening -------------------------------------------------------------------------

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_RELATIONSHIP = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def billion_laughs(levels: int = 9) -> bytes:
    """A document type whose entity &lol9; expands to 10^9 "lol": 3 GB from 1 KB."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels + 1)
    ]
    return f"<!DOCTYPE lolz [{''.join(entities)}]>".encode()


def _with_expanding_sheet(path: Path, sheet_name: str) -> Path:
    """The sheet's first text cell of row 2 becomes &lol9; under the sheet's own DOCTYPE."""
    part = sheet_part(path, sheet_name)

    def transform(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        first_text = rb'(<c r="[A-Z]+2" t="inlineStr"><is><t>)[^<]*'
        data = re.sub(first_text, rb"\1&lol9;", data, count=1)
        return XML_DECLARATION + billion_laughs() + data

    return rewrite_parts(path, transform)


def _with_expanding_shared_string(path: Path) -> Path:
    """Données!A2 points at a shared string &lol9;, as Excel stores text: the zip by hand."""
    part = sheet_part(path, "Données")

    def transform(name: str, data: bytes) -> bytes:
        if name == part:
            return re.sub(
                rb'<c r="A2" t="inlineStr"><is><t>[^<]*</t></is></c>',
                b'<c r="A2" t="s"><v>0</v></c>',
                data,
                count=1,
            )
        if name == "xl/_rels/workbook.xml.rels":
            relationship = (
                f'<Relationship Type="{SHARED_STRINGS_RELATIONSHIP}" '
                'Target="sharedStrings.xml" Id="rIdStrings" />'
            )
            return data.replace(b"</Relationships>", relationship.encode() + b"</Relationships>")
        if name == "[Content_Types].xml":
            override = (
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}" />'
            )
            return data.replace(b"</Types>", override.encode() + b"</Types>")
        return data

    rewrite_parts(path, transform)
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", XML_DECLARATION + billion_laughs() + strings)
    return path


def _with_expanding_workbook_part(path: Path) -> Path:
    """The first sheet's name, in xl/workbook.xml, becomes &lol9;."""

    def transform(name: str, data: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return data
        named = re.sub(rb'<sheet name="[^"]*"', b'<sheet name="&lol9;"', data, count=1)
        return XML_DECLARATION + billion_laughs() + named

    return rewrite_parts(path, transform)


HOSTILE_XML = {
    "onglet Données": lambda path: _with_expanding_sheet(path, "Données"),
    "onglet Paramètres figés": lambda path: _with_expanding_sheet(path, "Paramètres figés"),
    "chaînes partagées": _with_expanding_shared_string,
    "classeur": _with_expanding_workbook_part,
}


def test_openpyxl_parses_through_defusedxml_in_the_project_environment(tmp_path):
    assert openpyxl.xml.DEFUSEDXML is True
    # The interpreter the pipeline runs with, not only this test's imports.
    printed = subprocess.run(
        [sys.executable, "-c", "import openpyxl.xml; print(openpyxl.xml.DEFUSEDXML)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.strip() == "True"
    hostile = _with_expanding_shared_string(write_submission(tmp_path, PERIOD, CAP))
    with pytest.raises(ValueError) as refused:
        load_workbook(hostile)
    assert isinstance(refused.value.__cause__, defusedxml.DefusedXmlException)


@pytest.mark.parametrize("where", HOSTILE_XML)
def test_an_entity_expansion_payload_is_refused_without_being_expanded(settings, conn, where):
    path = HOSTILE_XML[where](write_submission(settings.raw_dir, PERIOD, CAP))
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = ingest_file(path, settings, conn)
    elapsed = time.perf_counter() - started
    grown_megabytes = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    assert report.status == "rejected"
    assert conn.execute("SELECT error_code, message_fr FROM quality.file_errors").fetchall() == [
        (
            "FIC-005",
            "Fichier 2026-10/cap-avenir.xlsx : le classeur est endommagé et ne peut pas être lu ; "
            "ouvrez-le dans Excel, enregistrez-le à nouveau au format .xlsx puis déposez-le.",
        )
    ]
    assert conn.execute("SELECT count(*) FROM raw.pairs").fetchone() == (0,)
    # Expanded, the entity would be 3 GB of text: neither the time nor the memory it takes.
    assert elapsed < 5 and grown_megabytes < 200, (elapsed, grown_megabytes)


# --- 3. Formula injection ---------------------------------------------------------------------


@pytest.mark.slow
def test_no_workbook_the_run_wrote_holds_a_formula_or_a_link(pipeline_run):
    workbooks = workbooks_written(pipeline_run)
    assert len(workbooks) == 5
    for path in workbooks:
        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        sheets = {name: data for name, data in parts.items() if name.startswith("xl/worksheets/")}
        assert sheets and not [name for name, data in sheets.items() if CELL_FORMULA.search(data)]
        # No external link, no hyperlink relationship, no cached chart value to recompute.
        assert not [name for name in parts if "externalLink" in name or "hyperlink" in name]
        assert not [data for data in parts.values() if b"hyperlinks" in data or b"Cache>" in data]
        formulas = [
            (sheet, cell.coordinate) for sheet, cell in cells_of(path) if cell.data_type == "f"
        ]
        assert not formulas, (path.name, formulas)


def _text_cells(path: Path) -> dict[str, list]:
    cells: dict[str, list] = {}
    for _, cell in cells_of(path):
        if isinstance(cell.value, str):
            cells.setdefault(cell.value, []).append(cell)
    return cells


@pytest.mark.slow
def test_formula_like_text_is_shown_as_received_as_plain_text(pipeline_run):
    outputs = pipeline_run["root"] / "outputs" / PERIOD
    expected = {
        # The rejected values, as received (outer blanks stripped), and the hostile pair ids.
        outputs / "retours" / f"{CAP}.xlsx": {
            HYPERLINK,
            "+Nord",
            "-Quatrième",
            "@MECS",
            "=1+1",
            "=2+2",
            HOSTILE_UNIT,
        },
        # The association's name as its file declares it.
        outputs / "retours" / f"{ENVOL}.xlsx": {HYPERLINK},
        outputs / "tableau_de_pilotage_consolide.xlsx": set(HOSTILE_PAIR_IDS),
    }
    for path, texts in expected.items():
        cells = _text_cells(path)
        assert texts <= set(cells), (path.name, texts - set(cells))
        for text in texts:
            # Text, with Excel's hidden leading apostrophe so editing the cell keeps it text.
            assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells[text]), text
    # Accepted free text reaches the warehouse as typed, nowhere evaluated.
    warehouse = pipeline_run["root"] / "warehouse" / "ase_impact.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        stored = conn.execute(
            "SELECT referring_structure, mentor_id FROM raw.pairs WHERE pair_id = 'P-104'"
        ).fetchall()
        titles = conn.execute("SELECT title FROM raw.activities").fetchall()
        details = conn.execute("SELECT detail FROM raw.resources").fetchall()
    assert stored == [(HYPERLINK, "@mentor")]
    assert (HOSTILE_ACTIVITY_TITLE,) in titles and (HOSTILE_RESOURCE_DETAIL,) in details


def test_the_template_echoes_no_formula(tmp_path):
    """The template echoes the association code and the period: both checked, never a formula."""
    with pytest.raises(ValueError, match="Code association « =1\\+1 » invalide"):
        build_template("=1+1", PERIOD)
    path = write_template(tmp_path / "modele.xlsx", "cap-avenir", PERIOD)
    assert not [cell.coordinate for _, cell in cells_of(path) if cell.data_type == "f"]
    with zipfile.ZipFile(path) as archive:
        assert not [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and CELL_FORMULA.search(archive.read(name))
        ]


# --- 4. Disclosure control in the diffusion workbook -----------------------------------------


def _books(run: dict):
    folder = run["root"] / "outputs" / PERIOD
    return (
        load_workbook(folder / "tableau_de_pilotage_consolide.xlsx"),
        load_workbook(folder / "tableau_de_pilotage_consolide_diffusion.xlsx"),
    )


def _marts(run: dict, sql: str) -> list[tuple]:
    warehouse = run["root"] / "warehouse" / "ase_impact.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _charts(run: dict) -> list[tuple]:
    """(indicator, breakdown, title) of each dashboard chart, as dbt's reporting lists them."""
    return _marts(
        run,
        "SELECT indicator_code, breakdown, title_fr FROM reporting.rpt_dashboard_charts "
        f"WHERE period = DATE '{PERIOD}-01' GROUP BY ALL ORDER BY min(chart_order)",
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dashboard_blocks(sheet) -> dict[str, list[tuple]]:
    """Chart title → its data rows (category, value, remark), read under « Catégorie »."""
    rows = list(sheet.iter_rows(values_only=True, max_col=3))
    blocks = {}
    for index, row in enumerate(rows):
        if row[0] == "Catégorie":
            block = []
            for data in rows[index + 1 :]:
                if data[0] is None:
                    break
                block.append(data)
            blocks[rows[index - 1][0]] = block
    return blocks


def _key_figures(book) -> dict[str, object]:
    rows = book["Synthèse des résultats"].iter_rows(min_row=6, max_col=2, values_only=True)
    return {label: value for label, value in rows if label}


# Below the threshold, or masked so that such a value cannot be found by subtraction.
MASK_TEXTS = (SUPPRESSED_TEXT, SECONDARY_TEXT)


def _masked(value: object, remark: object = None) -> bool:
    return value in MASK_TEXTS or (value is None and remark in MASK_TEXTS)


@pytest.mark.slow
def test_the_diffusion_version_shows_no_value_flagged_suppressed(pipeline_run):
    internal, diffusion = _books(pipeline_run)
    # Cell by cell: the diffusion version shows the internal value or a mask, nothing else
    # (the dashboard regroups its masked categories: checked chart by chart below).
    masks = 0
    for name in diffusion.sheetnames:
        if name == "Tableau de bord":
            continue
        pairs = zip(internal[name].iter_rows(), diffusion[name].iter_rows(), strict=True)
        for kept_row, shown_row in pairs:
            for kept, shown in zip(kept_row, shown_row, strict=True):
                if kept.value != shown.value and (
                    _is_number(kept.value) or kept.value == UNDEFINED_TEXT
                ):
                    masks += 1
                    assert shown.value in (*MASK_TEXTS, None), (name, shown.coordinate)
    assert masks > 10
    # Key figures and youth charts: masked exactly where the marts flag the value.
    flags = dict(
        _marts(
            pipeline_run,
            "SELECT catalog.label_fr, indicators.is_suppressed FROM marts.fct_indicators "
            "AS indicators JOIN marts.indicator_catalog AS catalog USING (indicator_code) "
            f"WHERE period_grain = 'month' AND period = DATE '{PERIOD}-01' "
            "AND scope = 'departement' AND breakdown = 'total' "
            "AND indicators.mis_pe_dimension IS NULL",
        )
    )
    shown = _key_figures(diffusion)
    assert {label: _masked(value) for label, value in shown.items() if label in flags} == {
        label: flags[label] for label in shown if label in flags
    }
    # The waiting youth are few: masked. So are the active pairs, which beside the pairs
    # followed would give them away (dbt_project/seeds/disclosure_equations.csv).
    assert _masked(shown["Jeunes en attente de binôme"]) and _masked(shown["Binômes actifs"])
    # Every chart (pair statuses and youth breakdowns) likewise, cell by cell.
    chart_flags = {
        (indicator, breakdown, category): flagged
        for indicator, breakdown, category, flagged in _marts(
            pipeline_run,
            "SELECT indicator_code, breakdown, breakdown_value, is_suppressed "
            f"FROM marts.fct_indicators WHERE period_grain = 'month' "
            f"AND period = DATE '{PERIOD}-01' AND scope = 'departement' AND breakdown <> 'total'",
        )
    }
    blocks = _dashboard_blocks(diffusion["Tableau de bord"])
    kept_blocks = _dashboard_blocks(internal["Tableau de bord"])
    charts = _charts(pipeline_run)
    assert {indicator for indicator, _, _ in charts} == {"pairs_followed", "youth_accompanied"}
    grouped_charts = 0
    for indicator, breakdown, title in charts:
        kept = {category: value for category, value, _ in kept_blocks[title]}
        shown = {category: (value, remark) for category, value, remark in blocks[title]}
        group = shown.pop(MASKED_GROUP_LABEL, None)
        assert set(shown) == set(kept), title  # every category, drawn or listed as masked
        masked = []
        for category, (value, remark) in shown.items():
            flagged = chart_flags[(indicator, breakdown, category)]
            assert _masked(value, remark) == flagged, (title, category)
            if flagged:
                masked.append(category)
            else:
                assert value == kept[category], (title, category)
        # The masked categories are drawn together, their sum and names only, never alone.
        assert len(masked) != 1, title
        if group is not None:
            grouped_charts += 1
            assert group == (
                sum(kept[category] for category in masked),
                f"regroupe : {', '.join(masked)}",
            ), title
    assert grouped_charts > 0
    # The value chain: as many masks as flagged rows.
    flagged_rows = _marts(
        pipeline_run,
        "SELECT count(*) FILTER (WHERE is_suppressed) FROM marts.mart_value_chain "
        f"WHERE period_grain = 'month' AND period = DATE '{PERIOD}-01'",
    )[0][0]
    chain = diffusion["Chaîne de valeur"].iter_rows(
        min_row=2, min_col=5, max_col=5, values_only=True
    )
    assert sum(value in MASK_TEXTS for (value,) in chain) == flagged_rows > 0


def _groups_with_one_mask(groups: list[tuple[str, object, list, list]]) -> list[str]:
    """Groups whose published total is the sum of its cells and that mask exactly one cell.

    Each group: (name, total as shown, cells as shown, cells' internal values). The internal
    values prove the cells add up to the total; then one masked cell is total − the others.
    """
    leaks = []
    for name, total, shown, kept in groups:
        additive = all(_is_number(value) for value in kept) and sum(kept) == total
        masked = sum(_masked(*cell) for cell in shown)
        if _is_number(total) and additive and masked == 1:
            leaks.append(name)
    return leaks


@pytest.mark.slow
def test_a_breakdown_never_masks_a_single_cell_under_a_published_total(pipeline_run):
    internal, diffusion = _books(pipeline_run)
    total_youth = _key_figures(diffusion)["Jeunes accompagnés"]
    shown_blocks = _dashboard_blocks(diffusion["Tableau de bord"])
    kept_blocks = _dashboard_blocks(internal["Tableau de bord"])
    # This month makes the secondary suppression act: one primary cell in a breakdown.
    by_sex = {category: value for category, value, _ in kept_blocks["Jeunes accompagnés par sexe"]}
    assert [count for count in by_sex.values() if 1 <= count < MIN_CELL] == [1]
    groups = [
        (title, total_youth, [row[1:] for row in shown_blocks[title]], [row[1] for row in rows])
        for indicator, _, title in _charts(pipeline_run)
        if indicator == "youth_accompanied"
        for rows in [kept_blocks[title]]
    ]
    # MIS PE: respondents of each wave under « Répondants (toutes vagues) » of their row.
    kept_rows = list(internal["Dimensions MIS PE"].iter_rows(min_row=2, values_only=True))
    shown_rows = list(diffusion["Dimensions MIS PE"].iter_rows(min_row=2, values_only=True))
    waves = (2, 4, 6)
    for kept, shown in zip(kept_rows, shown_rows, strict=True):
        groups.append(
            (
                f"Dimensions MIS PE · {shown[0]} · {shown[1]}",
                shown[8],
                [(shown[column],) for column in waves],
                [kept[column] for column in waves],
            )
        )
    # Every chart, even without a published total, masks zero or at least two cells.
    for title, rows in shown_blocks.items():
        assert sum(_masked(value, remark) for _, value, remark in rows) != 1, title
    assert not _groups_with_one_mask(groups)
    assert sum(_masked(*cell) for _, _, shown, _ in groups for cell in shown) >= 4


def _value_chain_by_scope(book) -> dict[tuple, dict[str, object]]:
    """(indicator, MIS PE dimension) → {scope: value} of the count rows of « Chaîne de valeur »."""
    chain: dict[tuple, dict[str, object]] = {}
    for scope, _, label, dimension, value, _, unit in book["Chaîne de valeur"].iter_rows(
        min_row=2, values_only=True
    ):
        if unit == "nombre":
            chain.setdefault((label, dimension), {})[scope] = value
    return chain


@pytest.mark.slow
def test_no_masked_association_figure_is_the_departement_total_minus_the_others(pipeline_run):
    internal, diffusion = _books(pipeline_run)
    kept, shown = _value_chain_by_scope(internal), _value_chain_by_scope(diffusion)
    groups = []
    for key, values in shown.items():
        # An association with no figure (« aucun fichier », « non applicable ») adds nothing.
        associations = [
            scope for scope in values if scope != "Département" and _is_number(kept[key][scope])
        ]
        groups.append(
            (
                " · ".join(filter(None, key)),
                values["Département"],
                [(values[scope],) for scope in associations],
                [kept[key][scope] for scope in associations],
            )
        )
    # This month: 3 pairs closed at Cap Avenir, 1 at Envol Mentorat (masked), 4 in all: Cap
    # Avenir's 3 is masked too (« masqué »), or Envol's 1 would be 4 − 3.
    closed = ("Binômes clôturés", None)
    kept_closed, shown_closed = kept[closed], shown[closed]
    assert {
        scope: kept_closed[scope] for scope in ("Département", "Cap Avenir", "Envol Mentorat")
    } == {
        "Département": 4,
        "Cap Avenir": 3,
        "Envol Mentorat": 1,
    }
    assert {
        scope: shown_closed[scope] for scope in ("Département", "Cap Avenir", "Envol Mentorat")
    } == {
        "Département": 4,
        "Cap Avenir": SECONDARY_TEXT,
        "Envol Mentorat": SUPPRESSED_TEXT,
    }
    assert sum(len(cells) >= 2 for _, _, cells, _ in groups) > 10  # the groups really checked
    assert not _groups_with_one_mask(groups)
