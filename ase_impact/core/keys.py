"""The two keys of a submission: its period (AAAA-MM) and its association code.

Their formats and the period's bounds, in one light module: the CLI checks them before
anything heavy is imported, the template writes them, the ingestion reads them back.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
ASSOCIATION_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")


def period_start(period: str) -> date:
    """First day of a "YYYY-MM" period, as stored in every period column."""
    return datetime.strptime(period, "%Y-%m").date()


def period_end(period: str) -> date:
    """Last day of a "YYYY-MM" period."""
    start = period_start(period)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a "YYYY-MM" period."""
    return period_start(period), period_end(period)


# The first month a file can be sent for: that of the first template version (2026.1).
FIRST_PERIOD = "2026-01"


def period_of(day: date) -> str:
    """The "YYYY-MM" period a day belongs to."""
    return day.strftime("%Y-%m")


def open_periods(today: date) -> list[str]:
    """The periods a file can be sent for on `today`: this month, then each earlier one back to
    FIRST_PERIOD (newest first). A month that has not begun has nothing to report yet."""
    periods = []
    month = today.replace(day=1)
    first = period_start(FIRST_PERIOD)
    while month >= first:
        periods.append(period_of(month))
        month = (month - timedelta(days=1)).replace(day=1)
    return periods
