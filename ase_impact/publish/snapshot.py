"""The published snapshot analysts open: marts and quality, replaced atomically after a build.

The rows of an approved month (`ase-impact approve`) are its latest approved version, not the
current figures of the marts, until the month is approved again (warehouse/approvals.py).

It is written to a temporary file beside the target and renamed over it: a reader holding the
old file open keeps reading it, a new reader opens the new one, nobody sees a half-built month
and nobody's read lock ever blocks the pipeline's writer. If the copy fails (full disk, read-only
folder), the temporary file is removed and the previous snapshot stays in place, whole.

On PostgreSQL the published marts are the warehouse's schema `published`, written in one
transaction: readers (docs/postgresql.md) see the marts as the last passed gate let them, never
a build the gate has not passed yet, nor an approved month's figures revised silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.errors

from ase_impact.warehouse.access import (
    PUBLISHED_SCHEMA,
    drop_row_policies,
    grant_published_access,
)
from ase_impact.warehouse.approvals import apply_to_published
from ase_impact.warehouse.connection import (
    Connection,
    exclusive_access,
    is_postgres,
    label,
    locked_connection,
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


def _base_tables(conn: Connection, schema: str) -> dict[str, dict[str, str]]:
    """The tables of a schema of the PostgreSQL warehouse: each one's columns, in order, with
    their types as PostgreSQL spells them in a column definition."""
    rows = conn.execute(
        "SELECT class.relname, attribute.attname, "
        "format_type(attribute.atttypid, attribute.atttypmod) "
        "FROM pg_class AS class "
        "JOIN pg_namespace AS namespace ON namespace.oid = class.relnamespace "
        "JOIN pg_attribute AS attribute ON attribute.attrelid = class.oid "
        "WHERE namespace.nspname = ? AND class.relkind IN ('r', 'p') "
        "AND attribute.attnum > 0 AND NOT attribute.attisdropped "
        "ORDER BY class.relname, attribute.attnum",
        [schema],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def _align(conn: Connection, table: str, columns: dict[str, str], before: dict[str, str]) -> None:
    """Give published.<table> the mart's columns in place (ALTER TABLE, not a new table), so
    that what readers made on it (their views) outlives a release that adds a column; a view
    reading a column removed or retyped stops the publication (docs/postgresql.md)."""
    relation = f"{PUBLISHED_SCHEMA}.{table}"
    # The association's policy names the table's suppression flags, and would keep a column
    # it reads from being dropped: grant_published_access makes it again from the new columns.
    drop_row_policies(conn, relation)
    for name, data_type in before.items():
        if columns.get(name) != data_type:
            conn.execute(f'ALTER TABLE {relation} DROP COLUMN "{name}"')
    for name, data_type in columns.items():
        if before.get(name) != data_type:
            conn.execute(f'ALTER TABLE {relation} ADD COLUMN "{name}" {data_type}')


def _refresh(conn: Connection, table: str, columns: dict[str, str], before: dict[str, str]) -> None:
    """Copy marts.<table> into published.<table>: its rows replaced, not the table, so that a
    reader's transaction begun before keeps the rows it began with, at any isolation level,
    and the table keeps its grants and policies."""
    relation = f"{PUBLISHED_SCHEMA}.{table}"
    if not before:
        conn.execute(f"CREATE TABLE {relation} AS SELECT * FROM marts.{table}")
        return
    if before != columns:
        _align(conn, table, columns, before)
    names = ", ".join(f'"{name}"' for name in columns)
    conn.execute(f"DELETE FROM {relation}")
    conn.execute(f"INSERT INTO {relation} ({names}) SELECT {names} FROM marts.{table}")


def _publish_in_place(conn: Connection) -> dict[str, int]:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
    marts = _base_tables(conn, "marts")
    published = _base_tables(conn, PUBLISHED_SCHEMA)
    for table in published.keys() - marts.keys():
        conn.execute(f"DROP TABLE {PUBLISHED_SCHEMA}.{table}")
    for table, columns in marts.items():
        _refresh(conn, table, columns, published.get(table, {}))
    # An approved month shows its approved version until it is approved again.
    apply_to_published(conn, PUBLISHED_SCHEMA)
    grant_published_access(conn, {table: list(columns) for table, columns in marts.items()})
    relations = [f"{PUBLISHED_SCHEMA}.{table}" for table in marts]
    return {
        relation: conn.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        for relation in relations
    }


def _publication_failure_fr(error: psycopg2.Error) -> str:
    if isinstance(error, psycopg2.errors.DependentObjectsStillExist):
        # A reader's view on a table or column this release of the marts removes or retypes.
        return (
            f"cette version des marts retire ou change une table ou une colonne de "
            f"{PUBLISHED_SCHEMA} dont dépendent des objets créés par un lecteur (des vues) ; "
            "supprimez ou adaptez ces objets (DROP VIEW …, docs/postgresql.md) "
            f"(détail technique : {error.diag.message_detail or error})"
        )
    return storage_failure_fr(error)


def _publish_postgres(warehouse: str) -> dict[str, int]:
    """The marts copied into the schema `published` in one transaction, which readers see
    whole or not at all; if it fails, what they read stays as it was."""
    try:
        with locked_connection(warehouse) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                counts = _publish_in_place(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
    except psycopg2.Error as error:
        raise SnapshotError(
            f"Le schéma {PUBLISHED_SCHEMA} de l'entrepôt {label(warehouse)} n'a pas pu être "
            f"mis à jour : {_publication_failure_fr(error)}. Les analystes lisent les chiffres "
            "publiés précédemment, inchangés ; corrigez la cause puis relancez "
            "« ase-impact run »."
        ) from error
    return counts


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
        apply_to_published(conn, "marts", source="warehouse")
        conn.execute("detach warehouse")
        conn.execute("checkpoint")
    return counts


def publish_snapshot(warehouse: Path | str, published: Path | str) -> dict[str, int]:
    """Copy every table of the published schemas into `published`; return rows per table.

    On PostgreSQL, the marts are copied into the warehouse's schema `published`, which the
    readers' roles read (docs/postgresql.md), and `published` is the warehouse's URL.
    Raises SnapshotError (in French) when the copy cannot be written or swapped in.
    """
    if is_postgres(warehouse):
        return _publish_postgres(warehouse)
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
