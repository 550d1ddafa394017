"""Comparing what DuckDB and PostgreSQL built from the same files, table by table, row by row.

Each cell is normalised the same way on both engines before rows are compared:
- numbers as floats rounded to 9 decimals: PostgreSQL computes some intermediate rates in
  numeric before the models cast them to double precision, DuckDB in double throughout, so the
  two may differ in the last binary digit; published figures have at most 2 decimals, and
  revisions already compare values at 9 (int_indicator_revisions);
- integers as numbers too: an engine's aggregate may type them bigint (int), the other's
  numeric (Decimal), for the same count;
- dates and times as ISO text;
- NULL stays None, text and booleans as they are.
Rows are sorted after normalisation, as neither engine promises an order without ORDER BY.
"""

from __future__ import annotations

import datetime
import decimal

# The schemas both engines must build alike: the marts and what the workbooks read.
COMPARED_SCHEMAS = ("marts", "reporting")
DECIMALS = 9


def normalised(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), DECIMALS) + 0.0  # + 0.0: -0.0 and 0.0 alike
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"valeur de type inattendu : {type(value).__name__}")


def mart_dump(conn) -> dict[str, list[tuple]]:
    """Every row of every table of the compared schemas, normalised and sorted, by table."""
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({schemas}) AND table_type = 'BASE TABLE' "
        "ORDER BY table_schema, table_name"
    ).fetchall()
    dump = {}
    for schema, table in tables:
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position",
                [schema, table],
            ).fetchall()
        ]
        selected = ", ".join(f'"{column}"' for column in columns)
        rows = conn.execute(f"SELECT {selected} FROM {schema}.{table}").fetchall()
        dump[f"{schema}.{table}"] = sorted(
            (tuple(normalised(value) for value in row) for row in rows), key=repr
        )
    return dump


def differing_tables(left: dict, right: dict) -> list[str]:
    """Tables missing on one side or whose rows differ."""
    return sorted(
        table for table in left.keys() | right.keys() if left.get(table) != right.get(table)
    )
