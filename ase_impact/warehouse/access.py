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

import hashlib

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
    made = _policy_fingerprints(conn)
    for table, names in columns.items():
        relation = f"{PUBLISHED_SCHEMA}.{table}"
        conn.execute(f"GRANT SELECT ON {relation} TO {READERS}")
        if "association_code" not in names:
            continue
        # Policies are made again only when this release would make them otherwise (new
        # columns, a new expression): making them at every publication would wait for every
        # reader's open transaction on the table.
        policies = _policy_statements(relation, names)
        if made.get(table) != _fingerprint(policies):
            _restrict_rows(conn, relation, policies)


def _policy_statements(relation: str, columns: list[str]) -> list[str]:
    """The readers' policies of a table holding an association's rows, in POLICIES' order."""
    reads_all, reads_its_own = POLICIES
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
    return [
        f"CREATE POLICY {reads_all} ON {relation} FOR SELECT TO {READER_ROLE} USING (true)",
        f"CREATE POLICY {reads_its_own} ON {relation} "
        f"FOR SELECT TO {ASSOCIATION_ROLE} USING ({own_rows})",
    ]


def _fingerprint(policies: list[str]) -> str:
    return "ase-impact " + hashlib.sha256("\n".join(policies).encode()).hexdigest()


def _policy_fingerprints(conn: Connection) -> dict[str, str | None]:
    """The fingerprint the published tables' policies were made with, by table, for tables
    secured with both readers' policies (None: made by a release that kept none)."""
    rows = conn.execute(
        "SELECT tables.relname, max(obj_description(policies.oid, 'pg_policy')) "
        "FROM pg_policy AS policies JOIN pg_class AS tables ON tables.oid = policies.polrelid "
        "JOIN pg_namespace AS schemas ON schemas.oid = tables.relnamespace "
        "WHERE schemas.nspname = ? AND tables.relrowsecurity AND policies.polname IN (?, ?) "
        "GROUP BY tables.relname HAVING count(*) = 2",
        [PUBLISHED_SCHEMA, *POLICIES],
    ).fetchall()
    return dict(rows)


def drop_row_policies(conn: Connection, relation: str) -> None:
    """Drop a published table's policies, to be made again with its new columns."""
    for policy in POLICIES:
        conn.execute(f"DROP POLICY IF EXISTS {policy} ON {relation}")


def _restrict_rows(conn: Connection, relation: str, policies: list[str]) -> None:
    conn.execute(f"ALTER TABLE {relation} ENABLE ROW LEVEL SECURITY")
    drop_row_policies(conn, relation)
    for policy in policies:
        conn.execute(policy)
    # Signed on the last policy: the next publication compares it with its own.
    conn.execute(f"COMMENT ON POLICY {POLICIES[-1]} ON {relation} IS '{_fingerprint(policies)}'")
