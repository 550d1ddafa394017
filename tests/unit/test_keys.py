"""The range of months a submission may have: from the first supported month to the current one."""

from datetime import date

import pytest

from ase_impact.core import keys

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("period", "supported"),
    [
        ("2025-12", False),  # before the first supported month
        (keys.FIRST_PERIOD, True),
        ("2026-11", True),
        ("2026-12", True),  # the month running today
        ("2027-01", False),  # a month that has not started
        ("2099-12", False),
    ],
)
def test_a_period_is_supported_from_the_first_month_to_the_current_one(period, supported):
    assert keys.is_supported_period(period, TODAY) is supported


def test_the_supported_months_are_listed_in_order_without_a_gap():
    periods = keys.supported_periods(TODAY)
    assert periods[0] == keys.FIRST_PERIOD == "2026-01"
    assert periods[-1] == "2026-12"
    assert len(periods) == 12
    assert keys.supported_periods(date(2027, 2, 1))[11:13] == ["2026-12", "2027-01"]
