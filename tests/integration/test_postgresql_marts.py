"""The same files give the same marts on DuckDB and on PostgreSQL, row for row."""

import pytest

from ase_impact.warehouse.connection import connect
from tests.integration.engines import build_demo_warehouse, differing_tables, mart_dump


@pytest.mark.slow
def test_both_engines_build_identical_marts_from_the_demo_set(postgres_demo, tmp_path):
    duckdb_warehouse = tmp_path / "warehouse" / "ase_impact.duckdb"
    build_demo_warehouse(tmp_path, duckdb_warehouse)
    # Not read-only: dbt-duckdb keeps its own read-write connection to the file open.
    with connect(duckdb_warehouse) as duckdb_conn:
        on_duckdb = mart_dump(duckdb_conn)
    with connect(postgres_demo, read_only=True) as postgres_conn:
        on_postgres = mart_dump(postgres_conn)

    assert len(on_duckdb["marts.fct_indicators"]) > 10_000
    assert {"marts.mart_submissions", "reporting.rpt_value_chain"} <= on_duckdb.keys()
    assert differing_tables(on_duckdb, on_postgres) == []
