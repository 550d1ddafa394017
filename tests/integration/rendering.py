"""Workbooks rendered as a committee prints them: LibreOffice's PDF, read back with poppler.

PDFs (and a PNG of each first page) are kept under the test's folder and, when CI is set,
copied to test-artifacts/<name>/ (git-ignored)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from ase_impact.publish.pdf import render_pdf
from tests.integration.browser import keep_artifacts


def rendered(xlsx: Path, out_dir: Path, artifacts: str) -> tuple[int, list[str]]:
    """The workbook's PDF: its page count and each page's text."""
    pdf = render_pdf(xlsx, out_dir)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(out_dir / pdf.stem)],
        check=True,
    )
    keep_artifacts(out_dir, artifacts)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return pages, text.split("\f")[:pages]


def chart_categories(xlsx: Path) -> list[tuple[str, str]]:
    """Each chart's (title, categories range) as the xlsx declares them."""
    charts = []
    with zipfile.ZipFile(xlsx) as package:
        for name in sorted(n for n in package.namelist() if n.startswith("xl/charts/chart")):
            xml = package.read(name).decode()
            # openpyxl writes the chart namespace unprefixed, Excel as "c:".
            title_xml = re.split(r"</(?:c:)?title>", xml)[0]
            title = "".join(re.findall(r"<a:t>([^<]*)</a:t>", title_xml))
            cat = re.search(r"<(?:c:)?cat>.*?<(?:c:)?f>([^<]*)</(?:c:)?f>", xml, re.DOTALL)
            charts.append((title, cat.group(1)))
    return charts
