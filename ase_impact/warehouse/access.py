"""Who reads the published marts of a PostgreSQL warehouse (docs/postgresql.md sets the roles
up): the département's analysts (role ase_impact_reader) every row; an association's accounts
(members of ase_impact_association, each named in access.association_roles) the rows of their
own association and the département's that disclosure control masks nothing of, never another
association's: a masked département count less the association's own would be another
association's small count (the is_…suppressed flags of int_indicators_suppressed).

Granted on the schema `published` only, in the publication's transaction: the marts dbt has
just built are not read by anyone but the pipeline until the gate has passed them. Until the
roles and access.association_roles exist, nobody but the pipeline reads anything. DuckDB has
no roles: analysts read its published copy, a file of its own (ase_impact/publish/snapshot.py).
"""

from __future__ import annotations

from ase_impact.warehouse.connection import Connection

# The marts as the last passed gate published them: the one schema the readers are granted.
PUBLISHED_SCHEMA = "published"
READER_ROLE = "ase_impact_reader"
ASSOCIATION_ROLE = "ase_impact_association"
READERS = f"{READER_ROLE}, {ASSOCIATION_ROLE}"
# The département's analysts read every row; an association's accounts their own.
POLICIES = ("departement_reads_all", "association_reads_its_own")


def access_is_set_up(conn: Connection) -> bool:
    """The two group roles exist and so does the table naming each association's accounts."""
    (ready,) = conn.execute(
        "SELECT count(*) = 2 AND to_regclass('access.association_roles') IS NOT NULL "
        "FROM pg_roles WHERE rolname IN (?, ?)",
        [READER_ROLE, ASSOCIATION_ROLE],
    ).fetchone()
    return bool(ready)


def grant_published_access(conn: Connection, columns: dict[str, list[str]]) -> None:
    """Grant the readers each published table (its columns given by table), with the
    row-level security of the tables holding an association's rows; the readers lose any
    access to the schema the marts are built in (granted there by earlier releases)."""
    if not access_is_set_up(conn):
        return
    conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA marts FROM {READERS}")
    conn.execute(f"REVOKE USAGE ON SCHEMA marts FROM {READERS}")
    conn.execute(f"GRANT USAGE ON SCHEMA {PUBLISHED_SCHEMA} TO {READERS}")
    secured = _tables_with_policies(conn)
    for table, names in columns.items():
        relation = f"{PUBLISHED_SCHEMA}.{table}"
        conn.execute(f"GRANT SELECT ON {relation} TO {READERS}")
        # A table's policies are made with it, and again when its columns change: making
        # them at every publication would wait for every reader's open transaction on it.
        if "association_code" in names and table not in secured:
            _restrict_rows(conn, relation, names)


def _tables_with_policies(conn: Connection) -> set[str]:
    """The published tables whose rows are secured, with both readers' policies."""
    rows = conn.execute(
        "SELECT tables.tablename FROM pg_tables AS tables JOIN pg_policies AS policies "
        "ON policies.schemaname = tables.schemaname AND policies.tablename = tables.tablename "
        "WHERE tables.schemaname = ? AND tables.rowsecurity AND policies.policyname IN (?, ?) "
        "GROUP BY tables.tablename HAVING count(*) = 2",
        [PUBLISHED_SCHEMA, *POLICIES],
    ).fetchall()
    return {table for (table,) in rows}


def drop_row_policies(conn: Connection, relation: str) -> None:
    """Drop a published table's policies, to be made again with its new columns."""
    for policy in POLICIES:
        conn.execute(f"DROP POLICY IF EXISTS {policy} ON {relation}")


def _restrict_rows(conn: Connection, relation: str, columns: list[str]) -> None:
    reads_all, reads_its_own = POLICIES
    conn.execute(f"ALTER TABLE {relation} ENABLE ROW LEVEL SECURITY")
    drop_row_policies(conn, relation)
    conn.execute(
        f"CREATE POLICY {reads_all} ON {relation} FOR SELECT TO {READER_ROLE} USING (true)"
    )
    own_rows = (
        "association_code IN (SELECT association_code FROM access.association_roles "
        "WHERE role_name = current_user)"
    )
    if "scope" in columns:
        unmasked = "".join(
            f" AND NOT {name}"
            for name in columns
            if name.startswith("is_") and name.endswith("suppressed")
        )
        own_rows = f"(scope = 'departement'{unmasked}) OR {own_rows}"
    conn.execute(
        f"CREATE POLICY {reads_its_own} ON {relation} "
        f"FOR SELECT TO {ASSOCIATION_ROLE} USING ({own_rows})"
    )
