"""Charts of a written workbook read back from its zip, for tests: openpyxl cannot read charts."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree


@dataclass(frozen=True)
class SeriesReferences:
    title: str | None
    categories: str | None
    values: str | None


@dataclass(frozen=True)
class ChartReferences:
    part: str
    kind: str
    title: str
    series: tuple[SeriesReferences, ...]


XML_NAMESPACES = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}
CHART_KINDS = {"barChart": "bar", "pieChart": "pie"}


def _formula(node, path: str) -> str | None:
    found = node.find(path, XML_NAMESPACES)
    return found.text if found is not None else None


def chart_references(xlsx_path: Path) -> list[ChartReferences]:
    """Each chart of a workbook: its title and the cell ranges its series read (<c:f>).

    openpyxl cannot read charts back, so the chart parts are parsed from the zip.
    """
    with zipfile.ZipFile(xlsx_path) as archive:
        parts = [
            name for name in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
        ]
        parts.sort(key=lambda name: int(re.search(r"\d+", name.rsplit("/", 1)[1]).group()))
        charts = []
        for part in parts:
            root = ElementTree.fromstring(archive.read(part))
            plot = root.find("c:chart/c:plotArea", XML_NAMESPACES)
            kind = next(
                (
                    CHART_KINDS[tag]
                    for tag in CHART_KINDS
                    if plot.find(f"c:{tag}", XML_NAMESPACES) is not None
                ),
                "other",
            )
            title = "".join(
                node.text or "" for node in root.iterfind("c:chart/c:title//a:t", XML_NAMESPACES)
            )
            series = tuple(
                SeriesReferences(
                    title=_formula(ser, "c:tx/c:strRef/c:f"),
                    categories=_formula(ser, "c:cat//c:f"),
                    values=_formula(ser, "c:val//c:f"),
                )
                for ser in plot.iterfind(".//c:ser", XML_NAMESPACES)
            )
            charts.append(ChartReferences(part, kind, title, series))
    return charts
