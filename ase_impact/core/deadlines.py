"""When a month's file is due: the one statement of the reporting deadline.

A month's file is on time when it is received by the end of the DEADLINE_DAY-th day of the
next month (the 10th unless ASE_IMPACT_DEADLINE_DAY says otherwise): the day the département
writes into each association's agreement.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta

from ase_impact.core.errors import ConfigurationError
from ase_impact.core.keys import period_end

DEADLINE_DAY_VARIABLE = "ASE_IMPACT_DEADLINE_DAY"
DEFAULT_DEADLINE_DAY = 10
# Every month has these days: a deadline never falls outside the next month.
LATEST_DEADLINE_DAY = 28


def deadline_day() -> int:
    """The day of the next month by which a month's file is due, from the environment."""
    text = os.environ.get(DEADLINE_DAY_VARIABLE, "").strip()
    if not text:
        return DEFAULT_DEADLINE_DAY
    if not text.isdigit() or not 1 <= int(text) <= LATEST_DEADLINE_DAY:
        raise ConfigurationError(
            f"{DEADLINE_DAY_VARIABLE} doit être un jour du mois entre 1 et "
            f"{LATEST_DEADLINE_DAY} (valeur lue : « {text} »)."
        )
    return int(text)


def due_date(period: str, day: int | None = None) -> date:
    """The last day on which a file for period "YYYY-MM" is on time."""
    first_of_next = period_end(period) + timedelta(days=1)
    return first_of_next.replace(day=day or deadline_day())


def is_on_time(period: str, received_at: datetime, day: int | None = None) -> bool:
    """Whether a file received at received_at was on time for its period."""
    return received_at < datetime.combine(due_date(period, day) + timedelta(days=1), time.min)
