"""The published snapshot analysts open: marts and quality, replaced atomically after a build.

It is written to a temporary file beside the target and renamed over it: a reader holding the
old file open keeps reading it, a new reader opens the new one, nobody sees a half-built month
and nobody's read lock ever blocks the pipeline's writer.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.ingest.warehouse import exclusive_access

PUBLISHED_SCHEMAS = ("marts", "quality")


def _tables(conn: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = 'warehouse' and table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def publish_snapshot(warehouse: Path, published: Path) -> dict[str, int]:
    """Copy every table of the published schemas into `published`; return rows per table."""
    temporary = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    published.parent.mkdir(parents=True, exist_ok=True)
    counts = {}
    try:
        with exclusive_access(warehouse), duckdb.connect(str(temporary)) as conn:
            quoted_path = str(warehouse).replace("'", "''")
            conn.execute(f"attach '{quoted_path}' as warehouse (read_only)")
            for schema in PUBLISHED_SCHEMAS:
                conn.execute(f"create schema {schema}")
                for table in _tables(conn, schema):
                    conn.execute(
                        f"create table {schema}.{table} as select * from warehouse.{schema}.{table}"
                    )
                    counts[f"{schema}.{table}"] = conn.execute(
                        f"select count(*) from {schema}.{table}"
                    ).fetchone()[0]
            conn.execute("detach warehouse")
            conn.execute("checkpoint")
        os.replace(temporary, published)
    finally:
        temporary.unlink(missing_ok=True)
    return counts
