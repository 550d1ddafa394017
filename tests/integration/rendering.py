"""Workbooks rendered as a committee prints them: LibreOffice's PDF, read back with poppler.

PDFs (and a PNG of each first page) are kept under the test's folder and, when CI is set,
copied to test-artifacts/<name>/ (git-ignored)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ase_impact.publish.pdf import render_pdf
from tests.integration.browser import keep_artifacts
from tests.workbook_charts import chart_references


def words(text: str) -> str:
    return " ".join(text.split())


def rendered(xlsx: Path, out_dir: Path, artifacts: str) -> tuple[int, list[str]]:
    """The workbook's PDF: its page count and each page's text."""
    pdf = render_pdf(xlsx, out_dir)
    first_page = ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1"]
    subprocess.run([*first_page, str(pdf), str(out_dir / pdf.stem)], check=True)
    keep_artifacts(out_dir, artifacts)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, text.split("\f")[:pages]


def _labels(xlsx: Path, formula: str) -> list[str]:
    sheet_name, cells = formula.rsplit("!", 1)
    sheet = load_workbook(xlsx)[sheet_name.strip("'")]
    column, first, _, last = range_boundaries(cells.replace("$", ""))
    return [sheet.cell(row, column).value for row in range(first, last + 1)]


def assert_charts_print_whole(xlsx: Path, texts: list[str]) -> int:
    """Each chart on one page only (a frame never spills onto the next), showing every one of
    its categories: on that page each label is printed twice, in the table and on the chart.
    Returns the number of charts."""
    charts = chart_references(xlsx)
    for chart in charts:
        (series,) = chart.series
        pages = [index for index, text in enumerate(texts) if chart.title in words(text)]
        assert len(pages) == 1, (chart.title, pages)
        page = words(texts[pages[0]])
        labels = _labels(xlsx, series.categories)
        assert labels and all(page.count(label) >= 2 for label in labels), (chart.title, labels)
    return len(charts)
