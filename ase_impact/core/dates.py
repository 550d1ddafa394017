"""Dates as associations type them, ages computed from them, and the bounds of a period.

A date cell is accepted as a real Excel date, as "JJ/MM/AAAA" text or as ISO "AAAA-MM-JJ" text;
anything else is not a date. Nothing here logs or echoes a value: birth dates are personal data.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd

_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def is_blank(value: object) -> bool:
    """An empty cell: None, NaN/NaT/NA, or text made only of spaces."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def parse_date_cell(value: object) -> date | None:
    """The date a cell holds; None for an empty cell.

    Raises ValueError when the cell is not empty and is not a date in an accepted form
    (including impossible dates such as 31/02/2026). The message never quotes the value.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):  # before date: datetime is a subclass of date
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if match := _FRENCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            return date(year, month, day)
    raise ValueError(f"a {type(value).__name__} cell is not a date in an accepted form")


def age_at(birth_dates: pd.Series, reference: date | pd.Series) -> pd.Series:
    """Age in whole years on the reference date (one date, or one per row); NA where unknown."""
    births = pd.to_datetime(pd.Series(birth_dates))
    if isinstance(reference, pd.Series):
        references = pd.to_datetime(reference)
        if not references.index.equals(births.index):
            raise ValueError("birth dates and reference dates must share their index")
        reference_days = _days(references.to_numpy())
    else:
        reference_days = _days(np.full(len(births), pd.Timestamp(reference).to_datetime64()))
    birth_days = _days(births.to_numpy())
    unknown = np.isnat(birth_days) | np.isnat(reference_days)
    # As numbers (year, month, day); on NaT they are garbage, masked below.
    (birth_year, birth_month, birth_day), (year, month, day) = (
        _year_month_day(days) for days in (birth_days, reference_days)
    )
    # Compared as numbers: the .dt accessors and Series arithmetic cost more than the ages.
    birthday_not_reached = (month < birth_month) | ((month == birth_month) & (day < birth_day))
    years = year - birth_year - birthday_not_reached
    return pd.Series(pd.arrays.IntegerArray(years, unknown), index=births.index)


def _days(moments: np.ndarray) -> np.ndarray:
    """datetime64 values as days (their date, the time of day dropped)."""
    return moments.astype("datetime64[D]")


def _year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    return (
        years.astype("int64") + 1970,
        (months - years).astype("int64") + 1,
        (days - months).astype("int64") + 1,
    )
