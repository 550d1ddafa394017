"""The published snapshot: complete copy of marts and quality, swapped without blocking readers."""

import duckdb

from ase_impact.publish.snapshot import publish_snapshot


def _warehouse(path, rows: int):
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists quality")
        conn.execute("create schema if not exists raw")
        conn.execute("create or replace table marts.fct (v integer)")
        conn.execute(f"insert into marts.fct select range from range({rows})")
        conn.execute("create or replace table quality.submissions as select 1 as version")
        conn.execute("create or replace table raw.pairs as select 'secret' as youth_key")


def test_the_snapshot_holds_marts_and_quality_only(tmp_path):
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "w_published.duckdb"
    _warehouse(warehouse, rows=3)
    counts = publish_snapshot(warehouse, published)
    assert counts == {"marts.fct": 3, "quality.submissions": 1}
    with duckdb.connect(str(published), read_only=True) as conn:
        schemas = {
            row[0] for row in conn.execute("select schema_name from duckdb_schemas()").fetchall()
        }
    assert "raw" not in schemas and {"marts", "quality"} <= schemas


def test_a_reader_holding_the_snapshot_open_never_blocks_a_republication(tmp_path):
    warehouse, published = tmp_path / "w.duckdb", tmp_path / "w_published.duckdb"
    _warehouse(warehouse, rows=3)
    publish_snapshot(warehouse, published)
    with duckdb.connect(str(published), read_only=True) as reader:
        _warehouse(warehouse, rows=5)
        publish_snapshot(warehouse, published)
        # The reader keeps the month it opened, whole; a new reader sees the new one.
        assert reader.execute("select count(*) from marts.fct").fetchone() == (3,)
    with duckdb.connect(str(published), read_only=True) as reader:
        assert reader.execute("select count(*) from marts.fct").fetchone() == (5,)
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []
