"""Cells as read → typed values. A cell that cannot be converted becomes NA.

The contracts compare "received" (the cell was not empty) with "typed" (it converted) to tell
a missing value from an unreadable one. Numbers come from Excel as floats: 3.0 is the integer
3, 3.5 is not an integer. Numbers typed as text are accepted with a comma or a point as the
decimal separator ("1 500,50").

A column holds few distinct values (a list column, a handful of labels), so cells are converted
once per distinct value and spread back to the rows; plain numbers are converted as arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from ase_impact.contracts.findings import cell_text
from ase_impact.contracts.rules import NO_ANSWER
from ase_impact.core import referentiel
from ase_impact.core.dates import is_blank, parse_date_cell
from ase_impact.core.identifiers import has_letter, identifier_key, without_format_characters

SCORE_VALUES = (1, 2, 3, 4)
_NO_ANSWER_KEY = referentiel.match_key(NO_ANSWER)
_type_of = np.frompyfunc(type, 1, 1)
# Days pandas can hold as datetime64[ns].
_FIRST_DAY = np.datetime64(pd.Timestamp.min.ceil("D").date(), "D")
_LAST_DAY = np.datetime64(pd.Timestamp.max.floor("D").date(), "D")
# Whole numbers a float holds exactly; beyond, held as this bound (to_integers).
_LARGEST_EXACT_INTEGER = 2.0**53


def _of_type(cells: np.ndarray, kind: type) -> np.ndarray:
    """Which cells are of exactly this type (a bool is not an int here)."""
    return np.equal(_type_of(cells), kind).astype(bool)


def _objects(values: Sequence[object]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _per_distinct(cells: np.ndarray, convert: Callable[[list[object]], np.ndarray]) -> np.ndarray:
    """convert(cells), computed on each distinct cell once; convert must work cell by cell.

    Empty cells (None, NaN) all take the result of None. Numbers and booleans compare equal
    across types (True == 1 == 1.0, -0.0 == 0.0) while their conversions may differ, so cells
    holding any are converted one by one.
    """
    codes, distinct = pd.factorize(cells)
    if any(isinstance(cell, bool | int | float) for cell in distinct):
        return convert(list(cells))
    return convert([*distinct, None])[codes]  # code -1 (an empty cell): the last, None


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


def _numbers_one_by_one(cells: list[object]) -> np.ndarray:
    return np.array([np.nan if (n := _number(cell)) is None else n for cell in cells], dtype=float)


def _number_array(values: pd.Series) -> np.ndarray:
    """Each cell's number as float, NaN where there is none."""
    cells = values.to_numpy(dtype=object)
    plain = _of_type(cells, float) | _of_type(cells, int)
    numbers = np.full(len(cells), np.nan)
    numbers[plain] = cells[plain].astype(float)
    if not plain.all():
        numbers[~plain] = _per_distinct(cells[~plain], _numbers_one_by_one)
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def _integer_array(numbers: np.ndarray, kept: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.where(kept, numbers, np.nan), dtype="Float64").astype("Int64")


def to_numbers(values: pd.Series) -> pd.Series:
    return pd.Series(pd.array(_number_array(values), dtype="Float64"), index=values.index)


def to_integers(values: pd.Series) -> pd.Series:
    # Whole numbers beyond 2^53 (a float's exact integers) are held as ±2^53: 1e30 does not
    # fit Int64 and wrapped to a negative number, reported as negative instead of too large.
    numbers = np.clip(_number_array(values), -_LARGEST_EXACT_INTEGER, _LARGEST_EXACT_INTEGER)
    return pd.Series(_integer_array(numbers, np.mod(numbers, 1) == 0), index=values.index)


def _date_or_none(value: object) -> date | None:
    try:
        return parse_date_cell(value)
    except ValueError:
        return None


def _days_one_by_one(cells: list[object]) -> np.ndarray:
    """Each cell's date as datetime64[D], NaT where no date."""
    return np.array([_date_or_none(cell) for cell in cells], dtype="datetime64[D]")


def to_dates(values: pd.Series) -> pd.Series:
    """datetime64[ns] at midnight, NaT where no date.

    A date pandas cannot hold (before 1677 or after 2262, e.g. a mistyped 01/01/0001) is no
    plausible date of this domain: it becomes NaT, so the row is rejected as unreadable.
    """
    cells = values.to_numpy(dtype=object)
    # Excel's own dates (most cells) are naive datetimes: converted as one array, to their day.
    plain = _of_type(cells, datetime)
    plain[plain] = [moment.tzinfo is None for moment in cells[plain]]
    days = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[D]")
    days[plain] = cells[plain].astype("datetime64[us]").astype("datetime64[D]")
    if not plain.all():
        days[~plain] = _per_distinct(cells[~plain], _days_one_by_one)
    days[(days < _FIRST_DAY) | (days > _LAST_DAY)] = np.datetime64("NaT")
    return pd.Series(days.astype("datetime64[ns]"), index=values.index, dtype="datetime64[ns]")


def _text_or_none(value: object) -> str | None:
    if value.__class__ is str:  # most cells, and cell_text of text is the text stripped
        return without_format_characters(value).strip() or None
    return without_format_characters(cell_text(value)) or None


def to_text(values: pd.Series) -> pd.Series:
    """Text as shown in Excel (an identifier typed as a number, 12.0, reads "12"); NA if empty.

    Invisible format characters (zero-width space, soft hyphen…) are not kept: "M01" pasted
    with a zero-width space is the mentor "M01".
    """
    texts = _per_distinct(
        values.to_numpy(dtype=object),
        lambda cells: _objects([_text_or_none(cell) for cell in cells]),
    )
    return pd.Series(pd.array(texts, dtype="str"), index=values.index)


def identifier_keys(values: pd.Series) -> pd.Series:
    """Each identifier's canonical key (core.identifiers.identifier_key); NA where empty."""
    keys = _per_distinct(
        values.to_numpy(dtype=object),
        lambda cells: _objects([None if is_blank(c) else identifier_key(str(c)) for c in cells]),
    )
    return pd.Series(keys, index=values.index, dtype=object)


def names_with_a_letter(values: pd.Series) -> pd.Series:
    """Whether each name holds a letter once normalised as for pseudonymisation; NA where empty."""
    letters = _per_distinct(
        values.to_numpy(dtype=object),
        lambda cells: _objects([None if is_blank(c) else has_letter(str(c)) for c in cells]),
    )
    return pd.Series(letters, index=values.index, dtype="boolean")


def _match_key(value: object) -> str | None:
    return None if is_blank(value) else referentiel.match_key(value)


def match_keys(values: pd.Series) -> pd.Series:
    return values.map(_match_key)


def to_labels(values: pd.Series, list_code: str) -> pd.Series:
    """The canonical label of each cell (case and spaces forgiven, accents not); NA if unknown."""
    lookup = referentiel.label_lookup(list_code)
    labels = _per_distinct(
        values.to_numpy(dtype=object),
        lambda cells: _objects([lookup.get(_match_key(cell_text(cell))) for cell in cells]),
    )
    return pd.Series(pd.array(labels, dtype="str"), index=values.index)


def _no_answers_one_by_one(cells: list[object]) -> np.ndarray:
    return np.array([is_blank(cell) or _match_key(cell) == _NO_ANSWER_KEY for cell in cells])


def is_no_answer(values: pd.Series) -> pd.Series:
    """MIS PE item left empty or answered "NSP".

    Only text can read "NSP": other cells are no answer only when empty.
    """
    cells = values.to_numpy(dtype=object)
    texts = _of_type(cells, str)
    no_answer = pd.isna(cells)
    if texts.any():
        no_answer[texts] = _per_distinct(cells[texts], _no_answers_one_by_one)
    return pd.Series(no_answer, index=values.index)


def to_scores(values: pd.Series) -> pd.Series:
    """MIS PE answers 1–4; NA for no answer and for anything else."""
    numbers = _number_array(values)
    is_score = np.isin(numbers, SCORE_VALUES)
    # Whole numbers 1 to 4: made Int64 at once, without _integer_array's Float64 step.
    scores = pd.arrays.IntegerArray(np.where(is_score, numbers, 0).astype("int64"), ~is_score)
    return pd.Series(scores, index=values.index)
