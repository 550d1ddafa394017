"""The benchmark reads when dbt started logging and finished parsing off dbt's text log."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.run import _dbt_log_milestones

# What dbt writes in its log file's debug format (DBT_LOG_FORMAT_FILE=debug), shortened.
PARTIAL_PARSE_LOG = """

========== 23:59:58.191108 | e897ff26-2232-4c36-ab22-5d599cfd9cf7 ==========
23:59:58.191108 [info ] [MainThread]: Running with dbt=1.11.16
23:59:58.502448 [info ] [MainThread]: Registered adapter: duckdb=1.11.1
23:59:59.846924 [debug] [MainThread]: Nothing changed, skipping partial parsing.
00:00:00.345948 [info ] [MainThread]: Found 69 models, 256 data tests, 19 seeds, 12 sources
00:00:01.000000 [debug] [Thread-1 (]: Began running node model.ase_impact.int_pairs_coded
00:00:01.100000 [info ] [Thread-1 (]: Found 3 models in a message that comes later
"""

FULL_PARSE_LOG = """
08:15:00.000000 [info ] [MainThread]: Running with dbt=1.11.16
08:15:00.500000 [info ] [MainThread]: Unable to do partial parsing because saved manifest not found.
08:15:04.250000 [info ] [MainThread]: Found 69 models, 256 data tests
"""


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_milestones_cross_midnight_on_the_build_day(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(PARTIAL_PARSE_LOG)
    milestones = _dbt_log_milestones(log, _epoch("2026-12-04T23:59:57.5"))
    assert milestones == {
        "first_log_at": _epoch("2026-12-04T23:59:58.191108"),
        "parsed_at": _epoch("2026-12-05T00:00:00.345948"),
    }


def test_a_full_parse_gives_its_reason(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(FULL_PARSE_LOG)
    milestones = _dbt_log_milestones(log, _epoch("2026-12-04T08:14:59"))
    assert milestones["parsed_at"] - milestones["first_log_at"] == 4.25
    assert milestones["full_parse_reason"].startswith("Unable to do partial parsing because saved")


def test_no_log_no_milestones(tmp_path):
    assert _dbt_log_milestones(tmp_path / "dbt.log", 0.0) == {}
