"""Date cells as associations type them, and ages in whole years."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from ase_impact.contracts.cells import to_dates
from ase_impact.core.dates import age_at, parse_date_cell


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (date(2026, 3, 5), date(2026, 3, 5)),
        (datetime(2026, 3, 5, 14, 30), date(2026, 3, 5)),
        ("05/03/2026", date(2026, 3, 5)),
        (" 5/3/2026 ", date(2026, 3, 5)),
        ("2026-03-05", date(2026, 3, 5)),
        (None, None),
        ("", None),
        ("   ", None),
        (float("nan"), None),
    ],
)
def test_accepted_forms(cell, expected):
    assert parse_date_cell(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "2026/03/05",
        "05-03-2026",
        "5 mars 2026",
        "2026-3-5",
        "05/03/26",
        "31/02/2026",
        46086.0,
        True,
    ],
)
def test_other_forms_are_not_dates_and_the_error_does_not_quote_them(cell):
    with pytest.raises(ValueError) as raised:
        parse_date_cell(cell)
    assert str(cell) not in str(raised.value)


def test_series_parse_to_midnight_datetimes_with_nat_for_empty_or_unreadable():
    cells = pd.Series(
        [date(2026, 3, 5), "06/03/2026", "2026-03-07", None, "hier", "01/01/0001", "31/12/9999"],
        dtype=object,
    )
    parsed = to_dates(cells)
    assert str(parsed.dtype) == "datetime64[ns]"
    assert parsed.iloc[:3].tolist() == [pd.Timestamp(f"2026-03-0{day}") for day in (5, 6, 7)]
    # Empty, not a date, or a date no datetime64[ns] can hold (a mistyped year): NaT, never a
    # crash; the contracts then reject the row as an unreadable date.
    assert parsed.iloc[3:].isna().all()


def test_age_turns_on_the_birthday():
    births = pd.Series(pd.to_datetime(["2010-10-31", "2010-11-01", None]))
    assert age_at(births, date(2026, 10, 31)).tolist() == [16, 15, pd.NA]


def test_age_of_someone_born_on_29_february_turns_on_1_march():
    births = pd.Series(pd.to_datetime(["2012-02-29", "2012-02-29"]))
    references = pd.Series(pd.to_datetime(["2026-02-28", "2026-03-01"]))
    assert age_at(births, references).tolist() == [13, 14]


def test_age_against_a_date_per_row():
    births = pd.Series(pd.to_datetime(["2011-05-01", "2011-05-01"]))
    answered = pd.Series(pd.to_datetime(["2026-04-30", "2026-05-01"]))
    assert age_at(births, answered).tolist() == [14, 15]
