"""Cells as read → typed values. A cell that cannot be converted becomes NA.

The contracts compare "received" (the cell was not empty) with "typed" (it converted) to tell
a missing value from an unreadable one. Numbers come from Excel as floats: 3.0 is the integer
3, 3.5 is not an integer. Numbers typed as text are accepted with a comma or a point as the
decimal separator ("1 500,50").
"""

from __future__ import annotations

import math

import pandas as pd

from orchestration import referentiel
from orchestration.contracts.findings import cell_text
from orchestration.contracts.rules import NO_ANSWER
from orchestration.ingest.dates import is_blank, parse_date_series

SCORE_VALUES = (1, 2, 3, 4)
_NO_ANSWER_KEY = referentiel.match_key(NO_ANSWER)


def _number(value: object) -> float | None:
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float("".join(value.split()).replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def to_numbers(values: pd.Series) -> pd.Series:
    return values.map(_number).astype("Float64")


def to_integers(values: pd.Series) -> pd.Series:
    numbers = to_numbers(values)
    return numbers.where(numbers.mod(1).eq(0)).astype("Int64")


def to_dates(values: pd.Series) -> pd.Series:
    return parse_date_series(values)


def to_text(values: pd.Series) -> pd.Series:
    """Text as shown in Excel (an identifier typed as a number, 12.0, reads "12"); NA if empty."""
    texts = values.map(cell_text)
    return texts.where(texts.ne(""), None).astype("str")


def match_keys(values: pd.Series) -> pd.Series:
    return values.map(lambda value: None if is_blank(value) else referentiel.match_key(value))


def to_labels(values: pd.Series, list_code: str) -> pd.Series:
    """The canonical label of each cell (case and spaces forgiven, accents not); NA if unknown."""
    return match_keys(values.map(cell_text)).map(referentiel.label_lookup(list_code)).astype("str")


def is_no_answer(values: pd.Series) -> pd.Series:
    """MIS PE item left empty or answered "NSP"."""
    return values.map(is_blank) | match_keys(values).eq(_NO_ANSWER_KEY)


def to_scores(values: pd.Series) -> pd.Series:
    """MIS PE answers 1–4; NA for no answer and for anything else."""
    integers = to_integers(values)
    return integers.where(integers.isin(SCORE_VALUES)).astype("Int64")
