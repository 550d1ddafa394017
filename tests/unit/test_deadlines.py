"""The reporting deadline and the months a file can be sent for, stated once in core."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ase_impact.core.deadlines import DEADLINE_DAY_VARIABLE, deadline_day, due_date, is_on_time
from ase_impact.core.errors import ConfigurationError
from ase_impact.core.keys import FIRST_PERIOD, open_periods


def test_a_months_file_is_due_on_the_10th_of_the_next_month_by_default():
    assert due_date("2026-10") == date(2026, 11, 10)
    assert due_date("2026-12") == date(2027, 1, 10)
    assert is_on_time("2026-10", datetime(2026, 11, 10, 23, 59))
    assert not is_on_time("2026-10", datetime(2026, 11, 11, 0, 0))


def test_the_deadline_day_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(DEADLINE_DAY_VARIABLE, "5")
    assert deadline_day() == 5 and due_date("2026-02") == date(2026, 3, 5)
    for wrong in ("0", "29", "dix"):
        monkeypatch.setenv(DEADLINE_DAY_VARIABLE, wrong)
        with pytest.raises(ConfigurationError, match="ASE_IMPACT_DEADLINE_DAY"):
            deadline_day()


def test_open_periods_run_from_this_month_back_to_the_first_one():
    assert open_periods(date(2026, 3, 31)) == ["2026-03", "2026-02", "2026-01"]
    assert open_periods(date(2027, 1, 1))[:2] == ["2027-01", "2026-12"]
    assert open_periods(date(2027, 1, 1))[-1] == FIRST_PERIOD
    assert open_periods(date(2025, 12, 31)) == []


def test_dbt_reads_the_same_setting_with_the_same_default():
    """dbt's var deadline_day (read by the due dates of mart_submissions and the reporting
    rates) is the same environment variable, with the same default, as deadlines.py."""
    import re

    import yaml

    from ase_impact.core.deadlines import DEADLINE_DAY_VARIABLE, DEFAULT_DEADLINE_DAY
    from ase_impact.core.settings import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    variable, default = re.fullmatch(
        r"\{\{ env_var\('(\w+)', '(\d+)'\) \}\}", project["vars"]["deadline_day"]
    ).groups()
    assert (variable, int(default)) == (DEADLINE_DAY_VARIABLE, DEFAULT_DEADLINE_DAY)
