"""The benchmark reads when dbt started logging and finished parsing off dbt's text log."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from benchmarks.dbt_log import log_milestones, node_statements, replay

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
    milestones = log_milestones(log, _epoch("2026-12-04T23:59:57.5"))
    assert milestones == {
        "first_log_at": _epoch("2026-12-04T23:59:58.191108"),
        "parsed_at": _epoch("2026-12-05T00:00:00.345948"),
    }


def test_a_full_parse_gives_its_reason(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(FULL_PARSE_LOG)
    milestones = log_milestones(log, _epoch("2026-12-04T08:14:59"))
    assert milestones["parsed_at"] - milestones["first_log_at"] == 4.25
    assert milestones["full_parse_reason"].startswith("Unable to do partial parsing because saved")


def test_no_log_no_milestones(tmp_path):
    assert log_milestones(tmp_path / "dbt.log", 0.0) == {}


# A build's log, shortened: a model's transaction (dbt's connection messages between its
# statements, its SQL over several lines), a test of it begun meanwhile on the other thread,
# and the connection dbt keeps for its own queries.
BUILD_LOG = """\
10:00:00.000001 [debug] [MainThread]: On list_marts: select schema_name from duckdb_schemas()
10:00:00.100000 [debug] [Thread-1 (]: On model.p.fct: BEGIN
10:00:00.100100 [debug] [Thread-1 (]: Opening a new connection, currently in state closed
10:00:00.100200 [debug] [Thread-1 (]: SQL status: OK in 0.001 seconds
10:00:00.100300 [debug] [Thread-1 (]: On model.p.fct: /* {"node_id": "model.p.fct"} */

  create table "wh"."main"."fct__tmp" as (
    select 1 as cell, 3 as pairs
    union all select 2, 4
  );
10:00:00.200000 [debug] [Thread-1 (]: SQL status: OK in 0.100 seconds
10:00:00.200100 [debug] [Thread-1 (]: On model.p.fct: alter table "wh".main.fct__tmp rename to fct
10:00:00.200200 [debug] [Thread-1 (]: On model.p.fct: COMMIT
10:00:00.200300 [debug] [Thread-1 (]: On model.p.fct: Close
10:00:00.300000 [debug] [Thread-2 (]: On test.p.unique_fct: select count(*) as failures
from (select cell from "wh"."main"."fct" group by cell having count(*) > 1) dbt_internal_test
10:00:00.300100 [debug] [Thread-2 (]: SQL status: OK in 0.001 seconds
"""


def test_a_builds_sql_is_read_node_by_node_in_the_order_dbt_ran_it(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(BUILD_LOG)
    statements = node_statements(log)
    assert list(statements) == [
        "model.p.fct",
        "test.p.unique_fct",
    ]
    create, rename = statements["model.p.fct"]
    assert create.startswith('/* {"node_id"') and create.endswith("union all select 2, 4\n  );")
    assert rename == 'alter table "wh".main.fct__tmp rename to fct'
    assert statements["test.p.unique_fct"][0].endswith("dbt_internal_test")


def test_the_replay_runs_the_builds_sql_again_on_the_warehouse_copy(tmp_path):
    log = tmp_path / "dbt.log"
    log.write_text(BUILD_LOG)
    copy = tmp_path / "wh.duckdb"  # the database name the logged SQL qualifies tables with
    replayed = replay(node_statements(log), copy)
    assert replayed["nodes"] == {"model": 1, "test": 1}
    assert replayed["statements"] == 3
    assert replayed["seconds"] == sum(replayed["execution_seconds"].values()) > 0
    with duckdb.connect(str(copy)) as conn:
        assert conn.execute("select sum(pairs) from fct").fetchone() == (7,)
