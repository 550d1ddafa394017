"""The published snapshot analysts open: marts and quality, replaced atomically after a build.

The rows of an approved month (`ase-impact approve`) are its latest approved version, not the
current figures of the marts, until the month is approved again (warehouse/approvals.py).

It is written to a temporary file beside the target and renamed over it: a reader holding the
old file open keeps reading it, a new reader opens the new one, nobody sees a half-built month
and nobody's read lock ever blocks the pipeline's writer. If the copy fails (full disk, read-only
folder), the temporary file is removed and the previous snapshot stays in place, whole.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ase_impact.warehouse.approvals import apply_to_published
from ase_impact.warehouse.connection import (
    connect,
    exclusive_access,
    is_postgres,
    storage_failure_fr,
)

PUBLISHED_SCHEMAS = ("marts", "quality")


class SnapshotError(Exception):
    """The snapshot could not be written; message_fr says why and that the previous one stays."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr


def _tables(conn: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = 'warehouse' and table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def _copy_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    """Copy one attached warehouse table into the snapshot; return its row count."""
    conn.execute(f"create table {schema}.{table} as select * from warehouse.{schema}.{table}")
    return conn.execute(f"select count(*) from {schema}.{table}").fetchone()[0]


def _counts_in_place(warehouse: str) -> dict[str, int]:
    """Rows per table of the published schemas of a PostgreSQL warehouse."""
    with connect(warehouse, read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in PUBLISHED_SCHEMAS)}) "
            "and table_type = 'BASE TABLE' order by table_schema, table_name",
            list(PUBLISHED_SCHEMAS),
        ).fetchall()
        count = "select count(*) from {}.{}"
        return {
            f"{schema}.{table}": conn.execute(count.format(schema, table)).fetchone()[0]
            for schema, table in tables
        }


def _write(warehouse: Path, temporary: Path) -> dict[str, int]:
    counts = {}
    with exclusive_access(warehouse), duckdb.connect(str(temporary)) as conn:
        quoted_path = str(warehouse).replace("'", "''")
        conn.execute(f"attach '{quoted_path}' as warehouse (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            conn.execute(f"create schema {schema}")
            for table in _tables(conn, schema):
                counts[f"{schema}.{table}"] = _copy_table(conn, schema, table)
        # An approved month shows its approved version until it is approved again.
        apply_to_published(conn, "warehouse")
        conn.execute("detach warehouse")
        conn.execute("checkpoint")
    return counts


def publish_snapshot(warehouse: Path | str, published: Path | str) -> dict[str, int]:
    """Copy every table of the published schemas into `published`; return rows per table.

    On PostgreSQL nothing is copied: readers query the marts themselves (docs/postgresql.md),
    and the rows per table are counted there.
    Raises SnapshotError (in French) when the copy cannot be written or swapped in.
    """
    if is_postgres(warehouse):
        return _counts_in_place(warehouse)
    temporary = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    # DuckDB's write-ahead log of the temporary file, left behind if writing stops halfway.
    temporary_wal = temporary.with_name(temporary.name + ".wal")
    try:
        published.parent.mkdir(parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        counts = _write(warehouse, temporary)
        os.replace(temporary, published)
    except (OSError, duckdb.Error) as error:
        raise SnapshotError(
            f"La copie publiée {published} n'a pas pu être écrite : "
            f"{storage_failure_fr(error)}. La copie précédente, s'il y en a une, reste en "
            "place, inchangée ; corrigez la cause puis relancez « ase-impact run »."
        ) from error
    finally:
        temporary.unlink(missing_ok=True)
        temporary_wal.unlink(missing_ok=True)
    return counts
