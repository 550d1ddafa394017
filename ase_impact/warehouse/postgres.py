"""A PostgreSQL warehouse behind the part of DuckDB's connection API the warehouse code uses.

ase_impact/warehouse writes its SQL once, with `?` parameters and explicit BEGIN/COMMIT, for
DuckDB's Python API; this adapter runs the same statements through psycopg2 in autocommit
mode, so an explicit BEGIN opens a transaction exactly as it does on DuckDB.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pandas as pd
import psycopg2
import psycopg2.extras

# Rows sent per INSERT statement when a frame is written.
INSERT_PAGE_SIZE = 1000
# Rows fetched per page when a query's rows are read as a frame.
FRAME_PAGE_ROWS = 50_000


def _placeholders(sql: str, parameters) -> str:
    """DuckDB's `?` parameters as psycopg2's `%s` (a literal % is then written %%)."""
    if parameters is None:
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


def _python_values(frame: pd.DataFrame) -> list[list[object]]:
    """The frame's cells as Python values psycopg2 adapts, missing values as NULL."""
    boxed = frame.astype(object)
    return boxed.where(frame.notna(), None).values.tolist()


def _names(cursor) -> list[str]:
    return [column.name for column in cursor.description]


class PostgresResult:
    """The rows of one statement: fetchone, fetchall and df as on a DuckDB result."""

    def __init__(self, cursor):
        self._cursor = cursor

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self._cursor.fetchall(), columns=_names(self._cursor))


class PostgresConnection:
    """One session on the PostgreSQL warehouse (read_only: the session refuses writes)."""

    def __init__(self, url: str, read_only: bool = False):
        self._conn = psycopg2.connect(url)
        self._conn.set_session(readonly=read_only, autocommit=True)

    def execute(self, sql: str, parameters: Sequence[object] | None = None) -> PostgresResult:
        cursor = self._conn.cursor()
        cursor.execute(_placeholders(sql, parameters), parameters)
        return PostgresResult(cursor)

    def read_frame(self, sql: str, parameters: Sequence[object] | None = None) -> pd.DataFrame:
        """The rows of a query as a DataFrame, through a server-side cursor read page by page:
        fetched whole, a mart's rows as Python tuples took about twice the frame's own memory
        on top of it (2 million rows: 3.2 GiB at the peak against 1.4 GiB, docs/postgresql.md).
        WITH HOLD, since the session is in autocommit mode."""
        with self._conn.cursor(name=f"frame_{uuid.uuid4().hex}", withhold=True) as cursor:
            cursor.execute(_placeholders(sql, parameters), parameters)
            pages = []
            while rows := cursor.fetchmany(FRAME_PAGE_ROWS):
                pages.append(pd.DataFrame(rows, columns=_names(cursor)))
            if not pages:
                return pd.DataFrame([], columns=_names(cursor))
        # A page whose column held only NULLs left it untyped: typed again as a whole.
        return pd.concat(pages, ignore_index=True).infer_objects()

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_placeholders(sql, rows), rows)

    def insert_frame(
        self,
        table: str,
        columns: tuple[tuple[str, str], ...],
        frame: pd.DataFrame,
        leading: Sequence[object],
        leading_names: Sequence[str],
    ) -> None:
        """INSERT the frame's columns (cast to their types) after the leading values."""
        if frame.empty:
            return
        names = [*leading_names, *(name for name, _ in columns)]
        target = ", ".join(f'"{name}"' for name in names)
        template = (
            "("
            + ", ".join(
                ["%s"] * len(leading_names) + [f"CAST(%s AS {sql_type})" for _, sql_type in columns]
            )
            + ")"
        )
        selected = frame[[name for name, _ in columns]]
        rows = [[*leading, *row] for row in _python_values(selected)]
        with self._conn.cursor() as cursor:
            psycopg2.extras.execute_values(
                cursor,
                f"INSERT INTO {table} ({target}) VALUES %s",
                rows,
                template=template,
                page_size=INSERT_PAGE_SIZE,
            )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PostgresConnection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
