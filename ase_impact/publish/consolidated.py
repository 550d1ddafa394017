"""The département's consolidated workbook of a month, rebuilt from the marts, and its PDF.

Two files under `outputs/<AAAA-MM>/`: `tableau_de_pilotage_consolide.xlsx`, the internal
version (with the pseudonymised rows of « Données »), and `..._diffusion.xlsx`, the version
meant to leave the département: every value flagged `is_suppressed` is replaced by a text
marker (chart data cells are left empty) and the row-level « Données » sheet is left out.
Charts are native Excel charts whose series point at a data block written on their sheet.
Everything shown is read from the marts and from dbt's reporting models (`reporting.rpt_*`),
which shape the figures for the workbooks (labels, order, chart categories): this module
only writes cells, and masks what dbt flagged. A build rewrites only the months whose figures
changed since their workbooks were written (`write_changed_months`): a digest of what they
show is kept beside them.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ase_impact.core import referentiel, vocabulary
from ase_impact.core.fingerprint import files_fingerprint, write_record
from ase_impact.core.keys import period_start
from ase_impact.core.settings import SEEDS_DIR
from ase_impact.publish.excel_safety import (
    filter_table,
    fit_column_widths,
    is_missing,
    save_atomically,
    set_column_widths,
    write_header,
    write_large_table,
    write_note,
    write_row,
    write_table,
    write_title,
)
from ase_impact.publish.layout import (
    chart_rows,
    keep_blocks_on_pages,
    print_on_page_width,
    show_every_category,
)
from ase_impact.warehouse.approvals import Approval, approved_months
from ase_impact.warehouse.connection import Connection, rounded, rows_hash_sum

CONSOLIDATED_NAME = "tableau_de_pilotage_consolide"
SUPPRESSED_TEXT = "< seuil"
# A cell masked only so that a cell under the threshold cannot be found again by subtraction.
SECONDARY_TEXT = "masqué"
UNDEFINED_TEXT = vocabulary.no_value_labels()[vocabulary.UNDEFINED]
# « Révisions »: a figure that did not exist in the approved version, or no longer exists.
ABSENT_BEFORE_TEXT = "nouveau chiffre"
ABSENT_NOW_TEXT = "chiffre retiré"
# A revision no file's new version explains: the registry, the threshold or the code changed.
NO_FILE_CAUSE_TEXT = (
    "aucun fichier modifié : registre des associations, seuil de diffusion ou calculs changés "
    "depuis l'approbation"
)
# The diffusion charts group the masked categories into one, never drawn as 0.
MASKED_GROUP_LABEL = "autres (masqué)"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
DECIMALS_KEPT = 9  # drops float noise (-1e-15) that a format would show as -0.0
YOUTH_KEY_SHOWN = 12  # hex characters of the pseudonymous key: enough to follow a youth
DASHBOARD_FIRST_ROW = 4
DASHBOARD_BLOCK_ROWS = 15  # at least: a title, a table, the 14 rows of a 7 cm chart
CHART_ANCHOR_COLUMN = "E"
SYNTHESIS_WIDTHS = (52, 16, 12)
KEY_FIGURES_ROW = 5
WIDE_TABLE_TEXT_WIDTH = 24  # text of the widest tables wraps: they stay readable printed
DASHBOARD_WIDTHS = (34, 12, 12)


@dataclass(frozen=True)
class Category:
    """One bar or slice of a chart: its label, its count and whether it must be masked."""

    label: str
    value: float | None
    is_suppressed: bool
    is_secondary: bool = False


@dataclass(frozen=True)
class ChartBlock:
    title: str
    value_header: str
    kind: str  # "col", "bar" or "pie"
    categories: tuple[Category, ...]
    total: float | None = None  # the indicator's total cell
    is_total_suppressed: bool = False


@dataclass(frozen=True)
class MonthFigures:
    """Everything the two workbooks show, read once from the warehouse."""

    period: str
    period_label: str
    min_cell: int
    key_figures: pd.DataFrame
    charts: tuple[ChartBlock, ...]
    value_chain: pd.DataFrame
    dimensions: pd.DataFrame
    # (scope, association, dimension, wave) → (respondents, masked, mean score, masked)
    wave_figures: dict[tuple, tuple[float, bool, float | None, bool]]
    submissions: pd.DataFrame
    pairs: pd.DataFrame
    definitions: pd.DataFrame
    # The « Révisions » sheet of a revised approved month (None: no such sheet), and what the
    # workbook says about its version (approved, or a revision pending approval).
    revisions: pd.DataFrame | None = None
    version_note: str | None = None


def _unit_label(unit: str) -> str:
    return vocabulary.units()[unit].label_fr


def _number_format(unit: str) -> str:
    return vocabulary.units()[unit].excel_number_format


# --- Reading the month ----------------------------------------------------------------------


def _month(conn, model: str, start) -> pd.DataFrame:
    """A reporting model's rows of one month, in the order dbt gives them (row_order)."""
    return conn.execute(f"SELECT * FROM {model} WHERE period = ? ORDER BY row_order", [start]).df()


def _charts(conn, start) -> tuple[ChartBlock, ...]:
    rows = conn.execute(
        "SELECT chart_order, title_fr, value_header_fr, chart_kind, total_value, "
        "is_total_suppressed, category, value, is_suppressed, is_secondary_suppressed "
        "FROM reporting.rpt_dashboard_charts WHERE period = ? ORDER BY row_order",
        [start],
    ).fetchall()
    charts: dict[int, tuple[tuple, list[Category]]] = {}
    for order, title, header, kind, total, total_masked, category, value, masked, secondary in rows:
        total = None if is_missing(total) else total
        _, categories = charts.setdefault(
            order, ((title, header, kind, total, bool(total_masked)), [])
        )
        if category is not None:
            categories.append(Category(category, value, bool(masked), bool(secondary)))
    return tuple(
        ChartBlock(title, header, kind, tuple(categories), total, total_masked)
        for (title, header, kind, total, total_masked), categories in charts.values()
    )


def _wave_figures(conn, start) -> dict[tuple, tuple[float, bool, float | None, bool]]:
    rows = conn.execute(
        "SELECT scope, association_code, mis_pe_dimension, wave, respondents, "
        "is_respondents_suppressed, mean_score, is_score_suppressed "
        "FROM reporting.rpt_impact_dimension_waves WHERE period = ?",
        [start],
    ).fetchall()
    return {
        tuple(key): (respondents, bool(masked), None if is_missing(score) else score, bool(hidden))
        for *key, respondents, masked, score, hidden in rows
    }


def _definitions(conn) -> pd.DataFrame:
    return conn.execute(
        "SELECT value_chain_level_label_fr, label_fr, definition_fr, unit, "
        "mis_pe_dimension_label_fr, population_label_fr, is_per_dimension "
        "FROM marts.indicator_catalog ORDER BY value_chain_rank, indicator_code"
    ).df()


def read_month(
    conn: Connection,
    period: str,
    min_cell: int,
    revisions: pd.DataFrame | None = None,
    version_note: str | None = None,
) -> MonthFigures:
    start = period_start(period)
    found = conn.execute(
        "SELECT label_fr FROM marts.dim_period WHERE period_grain = 'month' AND period = ?",
        [start],
    )
    label = found.fetchone()
    if label is None:
        raise LookupError(
            f"Aucune donnée pour la période {period} dans les marts : intégrez les fichiers "
            "du mois et construisez les marts avant de produire le tableau de pilotage."
        )
    return MonthFigures(
        period=period,
        period_label=label[0],
        min_cell=min_cell,
        key_figures=_month(conn, "reporting.rpt_key_figures", start),
        charts=_charts(conn, start),
        value_chain=_month(conn, "reporting.rpt_value_chain", start),
        dimensions=_month(conn, "reporting.rpt_impact_dimensions", start),
        wave_figures=_wave_figures(conn, start),
        submissions=_month(conn, "reporting.rpt_submissions", start),
        pairs=_month(conn, "reporting.rpt_consolidated_pairs", start),
        definitions=_definitions(conn),
        revisions=revisions,
        version_note=version_note,
    )


# --- Writing the sheets ---------------------------------------------------------------------


def shown_value(
    value: object,
    unit: str,
    is_suppressed: bool,
    diffusion: bool,
    is_secondary: bool = False,
    no_value_label: object = None,
) -> object:
    """What a published value's cell holds: the number, or why there is none (masked under
    the threshold, masked by secondary suppression, or the reason it has no value)."""
    if diffusion and is_suppressed:
        return SECONDARY_TEXT if is_secondary else SUPPRESSED_TEXT
    if is_missing(value):
        return UNDEFINED_TEXT if is_missing(no_value_label) else no_value_label
    if unit == "count" and float(value).is_integer():
        return int(value)
    return round(float(value), DECIMALS_KEPT) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0


def _version_note(figures: MonthFigures, diffusion: bool) -> str:
    if diffusion:
        note = (
            f"Version de diffusion : toute valeur portant sur 1 à {figures.min_cell - 1} "
            f"jeunes ou binômes est masquée (« {SUPPRESSED_TEXT} »), ainsi que les valeurs qui "
            f"permettraient de la retrouver par différence (« {SECONDARY_TEXT} »). Dans les "
            f"graphiques, « {MASKED_GROUP_LABEL} » regroupe les catégories masquées : son "
            "total, qui peut être petit, se déduit du total publié et ne révèle aucune d'elles. "
            "Aucune donnée individuelle."
        )
    else:
        note = (
            "Version interne : contient des données individuelles pseudonymisées (onglet "
            "« Données ») ; à ne pas diffuser hors des services habilités du Département."
        )
    return f"{figures.version_note} {note}" if figures.version_note else note


def _names(rows: pd.DataFrame) -> str:
    """« (Cap Avenir, Trait d'Union) » after a count, or nothing when there is none."""
    names = [row.association_name or row.association_code for row in rows.itertuples()]
    return f" ({', '.join(names)})" if names else ""


def _submissions_note(submissions: pd.DataFrame) -> str:
    expected = int(submissions["expected"].sum())
    in_force = int(submissions["version_in_force"].notna().sum())
    refused = submissions[submissions["status"] == vocabulary.REJECTED]
    missing = submissions[submissions["status"] == vocabulary.MISSING]
    note = (
        f"Associations dont les données sont prises en compte : {in_force} "
        f"(associations attendues : {expected}) ; dernier fichier refusé : "
        f"{len(refused)}{_names(refused)} ; aucun fichier reçu : {len(missing)}"
        f"{_names(missing)}."
    )
    quarantined = submissions[submissions["quarantine_reason"].notna()]
    if not quarantined.empty:
        names = ", ".join(
            f"{row.association_name or row.association_code} (version {row.version})"
            for row in quarantined.itertuples()
        )
        note += (
            f" Laissées de côté ce mois (fichier mis en quarantaine par le contrôle de "
            f"publication, version précédente en vigueur s'il y en a une) : {names}."
        )
    return note


def _write_formatted_rows(
    sheet: Worksheet,
    header_row: int,
    headers: Sequence[str],
    rows: Sequence[tuple[Sequence[object], Sequence[str | None]]],
) -> int:
    """A table whose number formats vary by row (one unit per row); returns its last row."""
    write_header(sheet, header_row, headers)
    for offset, (values, number_formats) in enumerate(rows, 1):
        write_row(sheet, header_row + offset, values, number_formats=number_formats)
    return header_row + len(rows)


# The key figures' columns: (reporting column prefix, header); the previous year's only
# when the calendar has the same month of the year before.
KEY_FIGURE_COLUMNS = (
    ("", vocabulary.period_grain_labels()[vocabulary.MONTH]),
    ("ytd_", vocabulary.period_grain_labels()[vocabulary.YEAR_TO_DATE]),
)
PREVIOUS_YEAR_COLUMNS = (
    ("previous_month_", "Même mois, année précédente"),
    ("previous_ytd_", "Cumul à la même date, année précédente"),
)


def _figure(row, prefix: str, unit: str, diffusion: bool) -> object:
    return shown_value(
        getattr(row, f"{prefix}value"),
        unit,
        bool(getattr(row, f"{prefix}is_suppressed")),
        diffusion,
        bool(getattr(row, f"{prefix}is_secondary_suppressed")),
        getattr(row, f"{prefix}no_value_label"),
    )


def _write_synthesis(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    write_title(sheet, 1, f"Tableau de pilotage consolidé — {figures.period_label}")
    write_note(sheet, 2, _version_note(figures, diffusion), SYNTHESIS_WIDTHS)
    write_note(sheet, 3, _submissions_note(figures.submissions), SYNTHESIS_WIDTHS)
    key = figures.key_figures
    has_previous = bool(len(key)) and bool(key["has_previous_year"].any())
    columns = KEY_FIGURE_COLUMNS + (PREVIOUS_YEAR_COLUMNS if has_previous else ())
    key_figures = [
        (
            (
                figure.label_fr,
                *(_figure(figure, prefix, figure.unit, diffusion) for prefix, _ in columns),
                _unit_label(figure.unit),
            ),
            (None, *(_number_format(figure.unit) for _ in columns), None),
        )
        for figure in key.itertuples()
    ]
    headers = ("Chiffres clés (Département)", *(header for _, header in columns), "Unité")
    last = _write_formatted_rows(sheet, KEY_FIGURES_ROW, headers, key_figures)
    departement = figures.dimensions[figures.dimensions["scope"] == "departement"]
    mispe = [
        (
            (
                dimension.dimension_label_fr,
                shown_value(dimension.respondents, "count", dimension.is_suppressed, diffusion),
                shown_value(dimension.mean_score, "score", dimension.is_suppressed, diffusion),
            ),
            (None, _number_format("count"), _number_format("score")),
        )
        for dimension in departement.itertuples()
    ]
    headers = ("Questionnaire MIS PE (Département)", "Répondants", "Score moyen (0-100)")
    _write_formatted_rows(sheet, last + 2, headers, mispe)
    set_column_widths(
        sheet, SYNTHESIS_WIDTHS + (16,) * (len(columns) - 1), first_row=KEY_FIGURES_ROW
    )


def _chart(block: ChartBlock, sheet: Worksheet, header_row: int, last_row: int):
    if block.kind == "pie":
        chart = PieChart()
    else:
        chart = BarChart()
        chart.type = block.kind
        chart.legend = None
        chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
        chart.y_axis.delete = False
        chart.y_axis.title = block.value_header
    chart.title = block.title
    chart.width, chart.height = 16, 7
    chart.add_data(
        Reference(sheet, min_col=2, min_row=header_row, max_row=last_row), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    # The value only: LibreOffice shows category and series names unless told not to.
    chart.dataLabels = DataLabelList(
        showVal=True, showCatName=False, showSerName=False, showLegendKey=False
    )
    show_every_category(chart, last_row - header_row)
    return chart


def diffusion_chart(block: ChartBlock) -> tuple[list[Category], list[Category], str | None]:
    """What the diffusion version charts: (the categories drawn, the masked ones listed below
    the chart, a note replacing the chart or None). A masked category is never drawn as 0 nor
    left out so that the rest makes 100 %: the masked categories are drawn together as
    « autres (masqué) », their total being the chart's published total less the published
    categories; when that total is masked, or leaves nothing, the chart is replaced by a note."""
    masked = [category for category in block.categories if category.is_suppressed]
    shown = [category for category in block.categories if not category.is_suppressed]
    if not masked:
        return shown, [], None
    published = sum(0 if is_missing(c.value) else float(c.value) for c in shown)
    remainder = None
    if block.total is not None and not block.is_total_suppressed:
        remainder = float(block.total) - published
    if remainder is None or remainder <= 0:
        return (
            [],
            masked,
            (
                "Graphique non diffusé : des catégories sont sous le seuil de diffusion et leur "
                "total ne peut pas être publié ; les valeurs publiables sont dans le tableau."
            ),
        )
    grouped = Category(MASKED_GROUP_LABEL, remainder, False)
    return [*shown, grouped], masked, None


def _write_dashboard(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    write_title(sheet, 1, f"Tableau de bord — {figures.period_label}")
    write_note(sheet, 2, _version_note(figures, diffusion), DASHBOARD_WIDTHS)
    blocks, top = [], DASHBOARD_FIRST_ROW
    for block in figures.charts:
        write_title(sheet, top, block.title, heading=True)
        header_row = top + 1
        write_header(sheet, header_row, ("Catégorie", block.value_header, "Remarque"))
        if diffusion:
            drawn, masked, note = diffusion_chart(block)
        else:
            drawn, masked, note = list(block.categories), [], None
        masked_labels = ", ".join(category.label for category in masked)
        last_row = header_row
        for last_row, category in enumerate(drawn, header_row + 1):
            remark = f"regroupe : {masked_labels}" if category.label == MASKED_GROUP_LABEL else None
            write_row(
                sheet,
                last_row,
                (category.label, shown_value(category.value, "count", False, False), remark),
                number_formats=[None, _number_format("count"), None],
            )
        rows = DASHBOARD_BLOCK_ROWS
        if drawn:
            chart = _chart(block, sheet, header_row, last_row)
            # From the header row: a chart starting on a page break would show on both pages.
            sheet.add_chart(chart, f"{CHART_ANCHOR_COLUMN}{header_row}")
            rows = max(rows, chart_rows(chart) + 1)
        elif not block.categories:
            write_row(sheet, header_row + 1, ["Aucune donnée pour ce mois."])
        # The masked categories, below the chart's data: never charted, their value empty.
        below = max(last_row, header_row) + 1
        if note:
            write_row(sheet, below, [note])
            below += 1
        for offset, category in enumerate(masked):
            label = SECONDARY_TEXT if category.is_secondary else SUPPRESSED_TEXT
            write_row(sheet, below + offset, (category.label, None, label))
        rows = max(rows, below + len(masked) - top + 1)
        blocks.append((top, top + rows - 1))
        top += rows
    set_column_widths(sheet, DASHBOARD_WIDTHS, first_row=DASHBOARD_FIRST_ROW)
    keep_blocks_on_pages(sheet, blocks)


def _write_value_chain(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    headers = (
        "Périmètre",
        "Niveau",
        "Indicateur",
        "Dimension MIS PE",
        "Valeur du mois",
        vocabulary.period_grain_labels()[vocabulary.YEAR_TO_DATE],
        "Unité",
    )
    rows = [
        (
            (
                item.scope_label,
                item.value_chain_level_label_fr,
                item.label_fr,
                item.dimension_label_fr,
                _figure(item, "", item.unit, diffusion),
                _figure(item, "ytd_", item.unit, diffusion),
                _unit_label(item.unit),
            ),
            (None, None, None, None, _number_format(item.unit), _number_format(item.unit), None),
        )
        for item in figures.value_chain.itertuples()
    ]
    last = _write_formatted_rows(sheet, 1, headers, rows)
    filter_table(sheet, 1, len(headers), last)
    fit_column_widths(sheet)


def _write_definitions(sheet: Worksheet, figures: MonthFigures) -> None:
    headers = (
        "Niveau",
        "Indicateur",
        "Définition",
        "Unité",
        "Dimension MIS PE",
        "S'applique à",
    )
    rows = [
        (
            item.value_chain_level_label_fr,
            item.label_fr,
            item.definition_fr,
            _unit_label(item.unit),
            "chacune des six dimensions"
            if item.is_per_dimension
            else (
                None
                if is_missing(item.mis_pe_dimension_label_fr)
                else item.mis_pe_dimension_label_fr
            ),
            item.population_label_fr,
        )
        for item in figures.definitions.itertuples()
    ]
    write_table(sheet, 1, headers, rows, filterable=True)
    note_row = len(rows) + 3
    write_note(
        sheet,
        note_row,
        "Périodes : chaque chiffre est recalculé sur les lignes de sa période (mois, trimestre, "
        "cumul de l'année, année) : un jeune compte une fois sur la période, jamais la somme "
        "des mois. « non applicable » : l'indicateur ne concerne pas l'association (registre). "
        "« aucun fichier » : aucun fichier reçu ne donne les binômes ou les ressources de la "
        "période. « non calculable » : dénominateur nul.",
        (30, 40, 80),
    )
    fit_column_widths(sheet)


def _write_revisions(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    headers = (
        "Périmètre",
        "Période",
        "Indicateur",
        "Dimension MIS PE",
        "Ventilation",
        "Valeur approuvée",
        "Nouvelle valeur",
        "Fichier(s) à l'origine",
    )
    rows = []
    formats = []
    for item in figures.revisions.itertuples():
        rows.append(
            (
                item.scope_label,
                item.period_label,
                item.indicator_label_fr,
                None if is_missing(item.dimension_label_fr) else item.dimension_label_fr,
                item.breakdown_label,
                _revised_value(
                    item.old_value,
                    item.unit,
                    item.old_is_suppressed,
                    diffusion,
                    item.old_no_value_label,
                    ABSENT_BEFORE_TEXT,
                ),
                _revised_value(
                    item.new_value,
                    item.unit,
                    item.new_is_suppressed,
                    diffusion,
                    item.new_no_value_label,
                    ABSENT_NOW_TEXT,
                ),
                NO_FILE_CAUSE_TEXT if is_missing(item.caused_by) else item.caused_by,
            )
        )
        formats.append(item.unit)
    if not rows:
        write_note(sheet, 1, "Aucun chiffre n'a changé.", (60,))
        return
    write_header(sheet, 1, headers)
    for offset, (values, unit) in enumerate(zip(rows, formats, strict=True), 2):
        number_format = _number_format(unit)
        write_row(sheet, offset, values, number_formats=[None] * 5 + [number_format] * 2 + [None])
    filter_table(sheet, 1, len(headers), len(rows) + 1)
    fit_column_widths(sheet)


def _revised_value(
    value: object,
    unit: str,
    is_suppressed: object,
    diffusion: bool,
    no_value_label: object,
    absent_text: str,
) -> object:
    """A figure of « Révisions » on one side of a change; absent_text when that side has no
    such figure at all (an association the registry added or removed since)."""
    if is_missing(is_suppressed):
        return absent_text
    return shown_value(value, unit, bool(is_suppressed), diffusion, no_value_label=no_value_label)


def _dimension_row(dimension, figures: MonthFigures, waves: Sequence[str], diffusion: bool):
    values: list[object] = [dimension.scope_label, dimension.dimension_label_fr]
    code = None if is_missing(dimension.association_code) else dimension.association_code
    scope_key = (dimension.scope, code, dimension.mis_pe_dimension)
    # Where the MIS PE does not apply (an association without residential care), every MIS PE
    # figure says so, the per-wave counts included: not a count of 0 beside « non calculable ».
    mispe_reason = dimension.mispe_no_value_label
    not_applicable = not is_missing(mispe_reason) and is_missing(dimension.respondents)

    def mispe(value, unit, masked):
        return shown_value(
            None if not_applicable else value, unit, masked, diffusion, no_value_label=mispe_reason
        )

    for wave in waves:
        respondents, respondents_masked, score, score_masked = figures.wave_figures.get(
            (*scope_key, wave), (0, False, None, False)
        )
        values.append(mispe(respondents, "count", respondents_masked))
        values.append(mispe(score, "score", score_masked))
    values += [
        mispe(dimension.respondents, "count", dimension.is_suppressed),
        mispe(dimension.mean_score, "score", dimension.is_suppressed),
        mispe(dimension.favourable_share, "percent", dimension.is_suppressed),
        mispe(dimension.score_change, "points", dimension.is_score_change_suppressed),
        mispe(dimension.youth_paired, "count", dimension.is_score_change_suppressed),
        shown_value(
            dimension.mentoring_positive_answers,
            "count",
            dimension.is_mentoring_suppressed,
            diffusion,
            no_value_label=dimension.mentoring_no_value_label,
        ),
    ]
    return values


def _write_dimensions(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    waves = referentiel.list_labels("wave")
    headers = ["Périmètre", "Dimension"]
    units = [None, None]
    for wave in waves:
        headers += [f"Répondants {wave}", f"Score {wave}"]
        units += ["count", "score"]
    headers += [
        "Répondants (toutes vagues)",
        "Score moyen (0-100)",
        "Part de réponses favorables (%)",
        "Évolution du score T0 → T1 (points)",
        "Jeunes ayant un T0 et un T1",
        "Réponses « Oui » au questionnaire de fin de mentorat",
    ]
    units += ["count", "score", "percent", "points", "count", "count"]
    formats = [unit and _number_format(unit) for unit in units]
    rows = [
        _dimension_row(dimension, figures, waves, diffusion)
        for dimension in figures.dimensions.itertuples()
    ]
    last = write_table(sheet, 1, headers, rows, number_formats=formats, filterable=True)
    fit_column_widths(sheet, widest=WIDE_TABLE_TEXT_WIDTH, markers_wrap=True)
    write_note(sheet, last + 2, _score_change_note(), headers)


def _score_change_note() -> str:
    """What « Évolution T0 → T1 » measures, from the catalogue: not T1's score less T0's."""
    change = next(
        item
        for item in referentiel.indicator_catalog()
        if item["indicator_code"] == "mispe_score_change"
    )
    return (
        f"« {change['label_fr']} » : {change['definition_fr'][:1].lower()}"
        f"{change['definition_fr'][1:]}. Elle ne porte que sur les jeunes ayant répondu aux "
        "deux vagues et diffère donc en général de l'écart entre les scores T0 et T1, "
        "calculés sur tous les répondants de chaque vague."
    )


def _submission_message(item, diffusion: bool) -> object:
    """A refusal's message quotes what the file held (its sheets' names, its cells): the
    association's and the département's business, not the partners' of the diffusion."""
    if diffusion and item.status == vocabulary.REJECTED:
        return None
    return item.message


def _write_submissions(sheet: Worksheet, figures: MonthFigures, diffusion: bool) -> None:
    headers = (
        "Association",
        "Code association",
        "Attendue",
        "Fichier",
        "Version reçue",
        "Version prise en compte",
        "Reçu le",
        "Lignes reçues",
        "Lignes acceptées",
        "Lignes rejetées",
        "Lignes avec alerte",
        "Statut",
        "Message",
        "Quarantaine",
    )
    rows = [
        (
            item.association_name,
            item.association_code,
            item.expected_label,
            item.file_name,
            item.version,
            item.version_in_force,
            item.received_at,
            item.rows_received,
            item.rows_accepted,
            item.rows_rejected,
            item.rows_with_alerts,
            item.status_label_fr,
            _submission_message(item, diffusion),
            None if is_missing(item.quarantine_reason) else item.quarantine_reason,
        )
        for item in figures.submissions.itertuples()
    ]
    formats = [None] * 6 + [DATETIME_FORMAT] + [None] * 7
    write_table(sheet, 1, headers, rows, number_formats=formats, filterable=True)
    fit_column_widths(sheet, widest=WIDE_TABLE_TEXT_WIDTH)


# Pair columns « Données » shows, under the reporting workbook's own headers.
PAIR_FIELDS = (
    "pair_id",
    "sex",
    "school_level",
    "placement_type",
    "territory",
    "status",
    "application_date",
    "match_date",
    "end_date",
    "end_reason",
    "objective",
    "mode",
    "renewal",
    "mentor_trained",
    "objective_met",
    "sessions_planned",
    "sessions_held",
)
PAIR_DATE_FIELDS = frozenset(
    column.field for column in referentiel.columns("pairs") if column.data_type == "date"
)


def _pair_rows(pairs: pd.DataFrame) -> list[tuple]:
    """One tuple per pair, in the order of « Données »; columns computed whole, not per row."""
    columns = [
        pairs["association_name"],
        pairs["pair_id"],
        pairs["youth_key"].str[:YOUTH_KEY_SHOWN],
        pairs["age_band"],
        *(pairs[field] for field in PAIR_FIELDS[1:]),
        pairs["has_alerts_label"],
    ]
    # Lists, not itertuples: iterating Arrow-backed text column by column is far faster.
    return list(zip(*(column.tolist() for column in columns), strict=True))


def _write_pairs(sheet: Worksheet, figures: MonthFigures) -> None:
    header_of = {column.field: column.header_fr for column in referentiel.columns("pairs")}
    headers = [
        "Association",
        header_of["pair_id"],
        f"Clé jeune ({YOUTH_KEY_SHOWN} premiers caractères)",
        "Tranche d'âge",
        *(header_of[field] for field in PAIR_FIELDS[1:]),
        "Ligne signalée",
    ]
    formats = [None] * 4 + [
        DATE_FORMAT if field in PAIR_DATE_FIELDS else None for field in PAIR_FIELDS[1:]
    ]
    last_row = write_large_table(sheet, headers, _pair_rows(figures.pairs), formats + [None])
    # Its rows are written at save: openpyxl's sheet ends at the header.
    sheet.print_area = f"A1:{get_column_letter(len(headers))}{last_row}"


def build_workbook(figures: MonthFigures, diffusion: bool) -> Workbook:
    book = Workbook()
    synthesis = book.active
    synthesis.title = referentiel.sheet("summary").name_fr
    _write_synthesis(synthesis, figures, diffusion)
    if figures.revisions is not None:
        _write_revisions(book.create_sheet("Révisions"), figures, diffusion)
    _write_dashboard(book.create_sheet(referentiel.sheet("dashboard").name_fr), figures, diffusion)
    _write_value_chain(book.create_sheet("Chaîne de valeur"), figures, diffusion)
    _write_dimensions(book.create_sheet("Dimensions MIS PE"), figures, diffusion)
    _write_submissions(book.create_sheet("Soumissions"), figures, diffusion)
    _write_definitions(book.create_sheet("Définitions"), figures)
    if not diffusion:  # row-level data never leaves the département
        _write_pairs(book.create_sheet(referentiel.sheet("pairs").name_fr), figures)
    for sheet in book.worksheets:
        print_on_page_width(sheet)
    return book


def workbook_paths(folder: Path) -> tuple[Path, Path]:
    return folder / f"{CONSOLIDATED_NAME}.xlsx", folder / f"{CONSOLIDATED_NAME}_diffusion.xlsx"


def built_min_cell(conn: Connection) -> int:
    """The disclosure threshold the marts were masked with, as their build recorded it: not
    the setting of a later command's environment."""
    return conn.execute("SELECT max(min_cell) FROM marts.dim_period").fetchone()[0]


def consolidated_paths(outputs_dir: Path, period: str) -> tuple[Path, Path]:
    return workbook_paths(outputs_dir / period)


def write_consolidated_workbooks(
    conn: Connection,
    period: str,
    outputs_dir: Path,
    min_cell: int | None = None,
    folder: Path | None = None,
    revisions: pd.DataFrame | None = None,
    version_note: str | None = None,
) -> tuple[Path, Path]:
    """Write the internal and the diffusion workbooks of period "AAAA-MM" from the marts, in
    outputs_dir/AAAA-MM/ (or folder: a version's, outputs_dir/AAAA-MM/v<n>/).

    min_cell: the disclosure threshold the marts were built with, which the workbooks' notes
    state (default: the marts' own, built_min_cell); the masks themselves are dbt's.
    """
    figures = read_month(conn, period, min_cell or built_min_cell(conn), revisions, version_note)
    internal_path, diffusion_path = workbook_paths(folder or outputs_dir / period)
    builder = _active_builder.get()
    if builder is None:
        _build_and_save(figures, False, internal_path)
        _build_and_save(figures, True, diffusion_path)
        return internal_path, diffusion_path
    # The smaller diffusion workbook (no « Données ») goes to the process that may first
    # have to start: both finish at about the same time.
    diffusion = builder.submit(_build_and_save, figures, True, diffusion_path)
    _build_and_save(figures, False, internal_path)
    diffusion.result()
    return internal_path, diffusion_path


def _build_and_save(figures: MonthFigures, diffusion: bool, path: Path) -> Path:
    return save_atomically(build_workbook(figures, diffusion=diffusion), path)


# The process building the diffusion workbooks, while a batch of months is written
# (workbook_builder_process); outside one, both workbooks are built in the caller's process.
_active_builder: ContextVar[ProcessPoolExecutor | None] = ContextVar(
    "workbook_builder", default=None
)


@contextmanager
def workbook_builder_process() -> Iterator[None]:
    """Around a batch of months: a process that builds each month's diffusion workbook while
    this one builds the internal one (openpyxl uses one core, and a federation's month takes
    seconds per workbook), shut down after the batch, even on error. A worker left waiting
    for work would keep its parent from exiting when the parent is itself a child process (a
    Dagster step launched by the daemon or the UI waits for its children at exit): the run
    would never end, holding the warehouse's pool slot.

    Spawned, not forked: the caller holds DuckDB's and Dagster's threads. None on one core.
    """
    if (os.cpu_count() or 1) < 2:
        yield
        return
    with ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn")
    ) as builder:
        token = _active_builder.set(builder)
        try:
            yield
        finally:
            _active_builder.reset(token)


# --- Rewriting only the months whose inputs changed --------------------------------------------

# The tables read_month reads, by period: a month's workbooks are a function of these rows, of
# min_cell and of the code and seeds below, and are rewritten when one changes.
MONTH_INPUTS = (
    "marts.dim_period",
    "reporting.rpt_key_figures",
    "reporting.rpt_dashboard_charts",
    "reporting.rpt_value_chain",
    "reporting.rpt_impact_dimensions",
    "reporting.rpt_impact_dimension_waves",
    "reporting.rpt_submissions",
    "reporting.rpt_consolidated_pairs",
    "reporting.rpt_revisions",
)
# The column giving a table's month, when it is not `period`.
MONTH_COLUMN = {"reporting.rpt_revisions": "approved_month"}
FINGERPRINT_SUFFIX = ".empreinte"


@cache
def _code_fingerprint() -> str:
    """The outputs' code and the référentiel's seeds: a new layout rewrites every month."""
    return files_fingerprint(
        [*Path(__file__).parent.glob("*.py"), Path(referentiel.__file__), *SEEDS_DIR.glob("*.csv")]
    )


def month_fingerprints(conn: Connection, min_cell: int) -> dict[str, str]:
    """Each month with submissions ("AAAA-MM") and a digest of everything its workbooks show.

    Row hashes are summed, so the digest does not depend on the order of the rows.
    """
    by_period = " UNION ALL ".join(
        f"SELECT {MONTH_COLUMN.get(table, 'period')}, '{table}', count(*), "
        # DuckDB sums floats in no fixed order: a rebuild of the same data may differ in the
        # last bits, which the workbooks round away. At 9 decimals a value on a rounding edge
        # may still move (its month's workbooks are then written again, unchanged); coarser,
        # a correction of a cent in millions of euros would go unseen.
        f"{rows_hash_sum(conn, table, lambda number: rounded(conn, number, DECIMALS_KEPT))} "
        f"FROM {table} "
        f"GROUP BY {MONTH_COLUMN.get(table, 'period')}"
        for table in MONTH_INPUTS
    )
    monthly: dict[object, list[tuple]] = {}
    for period, *digest in conn.execute(by_period).fetchall():
        monthly.setdefault(period, []).append(tuple(digest))
    months = conn.execute(
        "SELECT period, period_code FROM marts.dim_period "
        "WHERE period_grain = 'month' AND has_submissions ORDER BY period"
    ).fetchall()
    approvals = repr(sorted(approved_months(conn).items()))
    return {
        code: hashlib.sha256(
            "\n".join(
                [
                    _code_fingerprint(),
                    str(min_cell),
                    approvals,
                    repr(sorted(monthly.get(start, []))),
                ]
            ).encode()
        ).hexdigest()
        for start, code in months
    }


def _fingerprint_path(folder: Path) -> Path:
    return folder / f".{CONSOLIDATED_NAME}{FINGERPRINT_SUFFIX}"


def _stamp(fingerprint: str, paths: Sequence[Path]) -> str:
    """The inputs' digest, and the workbooks as written: replaced or edited ones are redone."""
    files = [f"{path.name} {path.stat().st_size} {path.stat().st_mtime_ns}" for path in paths]
    return "\n".join([fingerprint, *files])


def _is_up_to_date(folder: Path, fingerprint: str) -> bool:
    paths = workbook_paths(folder)
    stamp_path = _fingerprint_path(folder)
    if not (stamp_path.exists() and all(path.exists() for path in paths)):
        return False
    return stamp_path.read_text(encoding="utf-8") == _stamp(fingerprint, paths)


def write_changed_months(
    conn: Connection, outputs_dir: Path, min_cell: int
) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Write the workbooks of every month with submissions whose inputs changed since they
    were last written, or whose workbooks are missing; returns the written workbooks and the
    months left as they were.

    An approved month (ase-impact approve) keeps the workbooks of its latest approved version
    in outputs/AAAA-MM/v<n>/, written once and never again, and its shared workbooks
    (outputs/AAAA-MM/) are copies of them until the month is approved again; figures that
    changed since are a revision pending approval, in outputs/AAAA-MM/v<n+1>/ with its
    « Révisions » sheet.
    """
    approvals = approved_months(conn)
    written, unchanged = [], []
    with workbook_builder_process():
        for period, fingerprint in month_fingerprints(conn, min_cell).items():
            if period in approvals:
                paths = _write_approved_month(
                    conn, outputs_dir, period, fingerprint, min_cell, approvals[period]
                )
                written += paths
                if not paths:
                    unchanged.append(period)
                continue
            folder = outputs_dir / period
            if _is_up_to_date(folder, fingerprint):
                unchanged.append(period)
                continue
            written.append(_write_stamped(conn, period, outputs_dir, folder, fingerprint, min_cell))
    return written, unchanged


def _write_stamped(conn, period, outputs_dir, folder, fingerprint, min_cell, **version) -> tuple:
    stamp_path = _fingerprint_path(folder)
    stamp_path.unlink(missing_ok=True)  # a crash below must not leave a stale stamp
    paths = write_consolidated_workbooks(
        conn, period, outputs_dir, min_cell, folder=folder, **version
    )
    write_record(stamp_path, _stamp(fingerprint, paths))
    return paths


# --- Approved months: frozen versions, revisions pending approval ---------------------------

VERSION_FOLDER = "v{version}"
# In a version's folder: the version is approved; its workbooks are never written again.
APPROVED_MARKER = ".approuve"


def version_folder(outputs_dir: Path, period: str, version: int) -> Path:
    return outputs_dir / period / VERSION_FOLDER.format(version=version)


def _revisions(conn, period: str, to_version: int | None) -> pd.DataFrame:
    """The « Révisions » of a version (to_version), or pending approval (None)."""
    return conn.execute(
        "SELECT * FROM reporting.rpt_revisions WHERE approved_month = ? "
        "AND ((?::INTEGER IS NULL AND is_pending) OR to_version = ?) ORDER BY row_order",
        [period_start(period), to_version, to_version],
    ).df()


def version_revisions(conn: Connection, period: str, version: int) -> pd.DataFrame:
    """The « Révisions » of an approved version, as the last build listed them."""
    return _revisions(conn, period, version)


def is_written_version(folder: Path) -> bool:
    """Whether an approved version's workbooks were written whole (its marker is last)."""
    return (folder / APPROVED_MARKER).exists()


def pending_revisions(conn: Connection, period: str) -> pd.DataFrame:
    """The figures of an approved month that changed since its latest approved version (the
    « Révisions » its next approval will list); empty for a month never approved."""
    return _revisions(conn, period, None)


def write_approved_version(
    conn: Connection,
    outputs_dir: Path,
    period: str,
    approved: Approval,
    min_cell: int,
    revisions: pd.DataFrame | None,
) -> tuple[Path, Path] | None:
    """Write the workbooks of an approved version in outputs/AAAA-MM/v<n>/ once (read-only,
    with a marker saying it is approved), from the figures the marts hold now (the ones just
    approved), and copy them over the month's shared workbooks. Returns the written
    workbooks, or None when the version was written already (never written again)."""
    version = approved.version
    final = version_folder(outputs_dir, period, version)
    paths = None
    if not is_written_version(final):
        note = (
            f"Version {version} approuvée le {approved.approved_at:%d/%m/%Y à %H:%M} "
            f"par {approved.approved_by} (ase-impact approve {period})"
            + (f" ; motif : {approved.reason}" if approved.reason else "")
            + "."
        )
        if final.exists():
            shutil.rmtree(final)  # a revision that was pending, now approved
        paths = write_consolidated_workbooks(
            conn,
            period,
            outputs_dir,
            min_cell,
            folder=final,
            revisions=revisions,
            version_note=note,
        )
        for path in paths:
            path.chmod(0o444)
        (final / APPROVED_MARKER).write_text(note + "\n", encoding="utf-8")
    _share_approved(outputs_dir, period, final)
    return paths


def _share_approved(outputs_dir: Path, period: str, final: Path) -> None:
    """The shared workbooks of the month are the approved version's, until approved again."""
    for approved_path, shared in zip(
        workbook_paths(final), consolidated_paths(outputs_dir, period), strict=True
    ):
        if not shared.exists() or shared.read_bytes() != approved_path.read_bytes():
            partial = shared.with_name(f".{shared.name}.{os.getpid()}.tmp")
            shutil.copyfile(approved_path, partial)
            partial.chmod(0o644)
            os.replace(partial, shared)
    _fingerprint_path(outputs_dir / period).unlink(missing_ok=True)


def _write_approved_month(
    conn, outputs_dir: Path, period: str, fingerprint: str, min_cell: int, approved
) -> list[tuple[Path, Path]]:
    version = approved.version
    # Normally written by `ase-impact approve` already; written here only if it was not.
    revisions = _revisions(conn, period, version) if version > 1 else None
    paths = write_approved_version(conn, outputs_dir, period, approved, min_cell, revisions)
    written = [paths] if paths else []
    proposal = version_folder(outputs_dir, period, version + 1)
    pending = _revisions(conn, period, None)
    if pending.empty:
        if proposal.exists() and not (proposal / APPROVED_MARKER).exists():
            shutil.rmtree(proposal)
        return written
    if not _is_up_to_date(proposal, fingerprint):
        note = (
            f"Révision proposée (version {version + 1}), en attente d'approbation : les "
            f"chiffres diffusés restent ceux de la version {version} approuvée ; l'onglet "
            f"« Révisions » liste ce qui a changé (ase-impact approve {period} --motif "
            "« … » l'approuve)."
        )
        written.append(
            _write_stamped(
                conn,
                period,
                outputs_dir,
                proposal,
                fingerprint,
                min_cell,
                revisions=pending,
                version_note=note,
            )
        )
    return written
