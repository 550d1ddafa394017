"""The publication gate's expectation suites, as data: which mart, which rows, which expectations.

Nothing here imports great-expectations (its import alone takes seconds): an expectation is a
GX type name with its arguments, turned into a GX expectation by `run.py` when the gate runs.
Descriptions are in French: they are what Data Docs and the Dagster UI show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ase_impact.contracts.rules import VOLUME_GAP_PERCENT, VOLUME_RATIO_BOUNDS
from ase_impact.core import referentiel, vocabulary

Severity = Literal["ERROR", "WARN"]

# Every value of fct_indicators is checked against the range of its catalogue unit.
UNIT_RANGES: dict[str, tuple[float, float | None]] = {
    unit.code: (unit.minimum, unit.maximum) for unit in vocabulary.units().values()
}
SUBMISSION_STATUSES = tuple(vocabulary.submission_statuses())
VOLUME_INDICATOR = "youth_accompanied"
MONTH_GRAIN = vocabulary.MONTH

# What the suites read, one query per frame; the warehouse is opened read-only for them.
MART_QUERIES: dict[str, str] = {
    "indicator_catalog": "SELECT indicator_code, unit FROM marts.indicator_catalog",
    "submissions": "SELECT * FROM marts.mart_submissions",
    # Every month of every association: the volume suite compares each with the one before.
    "youth_accompanied": (
        "SELECT association_code, period, value FROM marts.fct_indicators "
        f"WHERE indicator_code = '{VOLUME_INDICATOR}' AND period_grain = '{MONTH_GRAIN}' "
        "AND scope = 'association' AND breakdown = 'total' AND value IS NOT NULL"
    ),
    # Who the registry expects each month: the rule is dbt's, stated once in that model.
    "associations_expected": (
        "SELECT period, association_code FROM intermediate.int_associations_expected"
    ),
}
# The marts the range suites read by window (period_grain, period): only the windows whose rows
# differ from rows they passed are read and validated (gate/windows.py).
WINDOW_FRAMES: dict[str, str] = {
    "fct_indicators": "marts.fct_indicators",
    "impact_dimensions": "marts.mart_impact_dimensions",
}

MartFrames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class ExpectationSpec:
    """One GX expectation: its snake_case type, its arguments and what it means, in French."""

    type: str
    kwargs: Mapping[str, Any]
    description_fr: str
    # (column, values): validate only the rows whose column holds one of the values.
    rows_where_in: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class SuiteSpec:
    """One suite, validated on one DataFrame built from the marts, reported on one mart asset."""

    name: str
    asset_key: tuple[str, ...]
    severity: Severity
    description_fr: str
    # Columns shown for each failing row in the results (never PII: the marts hold none).
    row_columns: tuple[str, ...]
    batch: Callable[[MartFrames], pd.DataFrame] = field(repr=False)
    expectations: Callable[[MartFrames], list[ExpectationSpec]] = field(repr=False)
    # The WINDOW_FRAMES frame the batch is made of, if any: the suite validates its windows
    # that changed since they passed.
    window_frame: str | None = None


def not_null(column: str, label_fr: str) -> ExpectationSpec:
    return ExpectationSpec(
        "expect_column_values_to_not_be_null",
        {"column": column},
        f"{label_fr} est toujours renseigné.",
    )


def between(
    column: str,
    minimum: float,
    maximum: float | None,
    label_fr: str,
    rows_where_in: tuple[str, tuple[str, ...]] | None = None,
) -> ExpectationSpec:
    bounds = f"entre {minimum:g} et {maximum:g}" if maximum is not None else f"≥ {minimum:g}"
    return ExpectationSpec(
        "expect_column_values_to_be_between",
        {"column": column, "min_value": minimum, "max_value": maximum},
        f"{label_fr} est {bounds}.",
        rows_where_in,
    )


# --- Ranges -------------------------------------------------------------------------------------
def indicators_with_unit(marts: MartFrames) -> pd.DataFrame:
    """fct_indicators with each indicator's catalogue unit (NULL for an unknown indicator)."""
    return marts["fct_indicators"].merge(
        marts["indicator_catalog"], on="indicator_code", how="left", validate="many_to_one"
    )


def unit_range_expectations() -> list[ExpectationSpec]:
    """One expectation on `value` per distinct range, restricted to the units sharing it."""
    units_by_range: dict[tuple[float, float | None], list[str]] = {}
    for unit, bounds in UNIT_RANGES.items():
        units_by_range.setdefault(bounds, []).append(unit)
    return [
        between(
            "value",
            minimum,
            maximum,
            f"La valeur des indicateurs d'unité {', '.join(units)}",
            rows_where_in=("unit", tuple(units)),
        )
        for (minimum, maximum), units in units_by_range.items()
    ]


def indicator_range_expectations(_: MartFrames) -> list[ExpectationSpec]:
    keys = [
        not_null("period", "La période"),
        not_null("scope", "Le périmètre"),
        not_null("indicator_code", "Le code indicateur"),
        not_null("breakdown", "La ventilation"),
        not_null("is_suppressed", "Le drapeau de secret statistique (is_suppressed)"),
    ]
    unit = ExpectationSpec(
        "expect_column_values_to_be_in_set",
        {"column": "unit", "value_set": list(UNIT_RANGES)},
        "Chaque indicateur a une unité du catalogue dont la plage est contrôlée.",
    )
    denominator = between("denominator", 0, None, "Le dénominateur")
    return [*keys, unit, *unit_range_expectations(), denominator]


def _catalogue_range(indicator_code: str) -> tuple[float, float | None]:
    """The range of an indicator's unit, as the catalogue and the seed indicator_units say."""
    unit = next(
        row["unit"]
        for row in referentiel.indicator_catalog()
        if row["indicator_code"] == indicator_code
    )
    return UNIT_RANGES[unit]


def impact_dimension_range_expectations(_: MartFrames) -> list[ExpectationSpec]:
    count = UNIT_RANGES["count"]
    return [
        not_null("period", "La période"),
        not_null("scope", "Le périmètre"),
        not_null("mis_pe_dimension", "La dimension MIS PE"),
        not_null("is_suppressed", "Le drapeau de secret statistique (is_suppressed)"),
        between("mean_score", *_catalogue_range("mispe_score"), "Le score moyen MIS PE"),
        between(
            "favourable_share",
            *_catalogue_range("mispe_favourable_share"),
            "La part de réponses favorables",
        ),
        between(
            "score_change",
            *_catalogue_range("mispe_score_change"),
            "L'évolution du score T0 → T1 (points)",
        ),
        between("respondents", *_catalogue_range("mispe_respondents"), "Le nombre de répondants"),
        between("youth_paired", *count, "Le nombre de jeunes ayant un T0 et un T1"),
        between(
            "mentoring_positive_answers",
            *_catalogue_range("mentoring_youth_positive"),
            "Le nombre de réponses « Oui »",
        ),
    ]


# --- Completeness -------------------------------------------------------------------------------
def submission_key(periods: pd.Series, association_codes: pd.Series) -> pd.Series:
    """'YYYY-MM/association_code', how a (month, association) partition is named to people."""
    return pd.to_datetime(periods).dt.strftime("%Y-%m") + "/" + association_codes.astype(str)


def expected_submission_keys(marts: MartFrames) -> list[str]:
    """Every (month, association) mart_submissions must show, as submission keys.

    The (month, association) the registry expects a file from, as dbt's
    int_associations_expected lists them over the calendar of published periods, plus every
    partition ingestion recorded as received (quality.latest_submissions).
    """
    expected = marts["associations_expected"]
    received = marts["received"]
    keys = set(submission_key(expected["period"], expected["association_code"]))
    keys |= set(submission_key(received["period"], received["association_code"]))
    return sorted(keys)


def submissions_with_key(marts: MartFrames) -> pd.DataFrame:
    submissions = marts["submissions"]
    return submissions.assign(
        submission_key=submission_key(submissions["period"], submissions["association_code"])
    )


def completeness_expectations(marts: MartFrames) -> list[ExpectationSpec]:
    expected = expected_submission_keys(marts)
    return [
        ExpectationSpec(
            "expect_table_row_count_to_equal",
            {"value": len(expected)},
            "Une ligne par association attendue (registre) ou reçue, pour chaque mois couvert.",
        ),
        ExpectationSpec(
            "expect_column_distinct_values_to_contain_set",
            {"column": "submission_key", "value_set": expected},
            "Chaque association attendue a une ligne de soumission chaque mois.",
        ),
        ExpectationSpec(
            "expect_column_values_to_be_unique",
            {"column": "submission_key"},
            "Une seule ligne par mois et par association.",
        ),
        not_null("status", "Le statut de soumission"),
        ExpectationSpec(
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": list(SUBMISSION_STATUSES)},
            f"Le statut de soumission est l'un de ceux du référentiel : "
            f"{', '.join(SUBMISSION_STATUSES)}.",
        ),
    ]


# --- Volume -------------------------------------------------------------------------------------
def month_over_month(counts: pd.DataFrame) -> pd.DataFrame:
    """Each association's value against its value of the month before.

    counts: association_code, period, value. Returns association_code, period,
    previous, current, ratio for every month whose previous month is also present. A
    ratio is undefined (NaN) from 0 to 0, and infinite from 0 to any positive count.
    """
    frame = counts.assign(period=pd.to_datetime(counts["period"])).sort_values(
        ["association_code", "period"]
    )
    previous = frame.assign(period=frame["period"] + pd.DateOffset(months=1))
    moves = frame.merge(
        previous, on=["association_code", "period"], suffixes=("_current", "_previous")
    )
    current = moves["value_current"].astype(float)
    before = moves["value_previous"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = current / before
    return pd.DataFrame(
        {
            "association_code": moves["association_code"],
            "period": moves["period"],
            "previous": before,
            "current": current,
            "ratio": ratio,
        }
    ).reset_index(drop=True)


def youth_accompanied_moves(marts: MartFrames) -> pd.DataFrame:
    """Month over month moves of each association's youth, over the months it has a value
    (a month without a file has none: no move is measured across it)."""
    return month_over_month(marts["youth_accompanied"])


def implausible_moves(counts: pd.DataFrame) -> pd.DataFrame:
    """The month over month moves (month_over_month) the volume suite warns of: beyond
    VOLUME_RATIO_BOUNDS, from none to some included; from none to none is no move."""
    moves = month_over_month(counts)
    low, high = VOLUME_RATIO_BOUNDS
    return moves[(moves["ratio"] < low) | (moves["ratio"] > high)].reset_index(drop=True)


def volume_expectations(_: MartFrames) -> list[ExpectationSpec]:
    low, high = VOLUME_RATIO_BOUNDS
    return [
        ExpectationSpec(
            "expect_column_values_to_be_between",
            {"column": "ratio", "min_value": low, "max_value": high, "mostly": 1.0},
            "Le nombre de jeunes accompagnés d'une association ne varie pas de plus de "
            f"{VOLUME_GAP_PERCENT} % d'un mois sur l'autre.",
        )
    ]


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        name="gate_ranges_indicators",
        asset_key=("marts", "fct_indicators"),
        severity="ERROR",
        description_fr=(
            "Porte de publication : plages des indicateurs (pourcentages et scores entre 0 et "
            "100, comptages ≥ 0) et clés renseignées. Bloque les sorties."
        ),
        row_columns=(
            "period_grain",
            "period",
            "scope",
            "association_code",
            "indicator_code",
            "mis_pe_dimension",
            "breakdown",
            "breakdown_value",
        ),
        batch=indicators_with_unit,
        expectations=indicator_range_expectations,
        window_frame="fct_indicators",
    ),
    SuiteSpec(
        name="gate_ranges_impact_dimensions",
        asset_key=("marts", "mart_impact_dimensions"),
        severity="ERROR",
        description_fr=(
            "Porte de publication : scores MIS PE et parts entre 0 et 100, effectifs ≥ 0. "
            "Bloque les sorties."
        ),
        row_columns=("period_grain", "period", "scope", "association_code", "mis_pe_dimension"),
        batch=lambda marts: marts["impact_dimensions"],
        expectations=impact_dimension_range_expectations,
        window_frame="impact_dimensions",
    ),
    SuiteSpec(
        name="gate_completeness_submissions",
        asset_key=("marts", "mart_submissions"),
        severity="ERROR",
        description_fr=(
            "Porte de publication : chaque association attendue a un statut de soumission "
            "chaque mois (missing si rien n'a été reçu). Bloque les sorties."
        ),
        row_columns=("submission_key",),
        batch=submissions_with_key,
        expectations=completeness_expectations,
    ),
    SuiteSpec(
        name="gate_volume_youth_accompanied",
        asset_key=("marts", "fct_indicators"),
        severity="WARN",
        description_fr=(
            "Porte de publication : alerte quand les jeunes accompagnés d'une association "
            "varient de plus de ±50 % d'un mois sur l'autre. N'empêche pas la publication."
        ),
        row_columns=("association_code", "period", "previous", "current"),
        batch=youth_accompanied_moves,
        expectations=volume_expectations,
    ),
)
