"""The two keys of a submission: its period (AAAA-MM) and its association code.

Their formats, the period's bounds and the range of months a submission may have, in one light
module: the CLI checks them before anything heavy is imported, the template writes them, the
ingestion reads them back and the Dagster partitions are built from the same range.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII digits: "２０２６-10" is no month
ASSOCIATION_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")

# The months a submission may have: from that of the first template version (2026.1) to the
# current month (a month's file may come in while the month runs, never before it starts).
FIRST_PERIOD = "2026-01"


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


def period_of(day: date) -> str:
    """The "YYYY-MM" period a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def current_period(today: date | None = None) -> str:
    """The month running today: the last month a submission may have."""
    return period_of(today or date.today())


def supported_period_range(today: date | None = None) -> tuple[str, str]:
    """(first, last) "YYYY-MM" month a submission may have, both included."""
    return FIRST_PERIOD, current_period(today)


def is_supported_period(period: str, today: date | None = None) -> bool:
    """Whether a well-formed "YYYY-MM" period lies in the supported range (strings of one format
    compare as the months they name)."""
    first, last = supported_period_range(today)
    return first <= period <= last


def supported_periods(today: date | None = None) -> list[str]:
    """Every month of the supported range, in order (none before FIRST_PERIOD has begun)."""
    first, last = supported_period_range(today)
    year, month = int(first[:4]), int(first[5:])
    periods = []
    while (period := f"{year:04d}-{month:02d}") <= last:
        periods.append(period)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def open_periods(today: date) -> list[str]:
    """The periods a file can be sent for on `today`, newest first."""
    return supported_periods(today)[::-1]
