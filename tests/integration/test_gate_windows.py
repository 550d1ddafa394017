"""The gate's periods (gate/windows.py) on both engines: a digest per period that moves with any
figure of its rows, not with float noise nor with rows outside them; and the rows of the
periods asked for."""

import pytest

from ase_impact.gate.windows import rows_of_windows, window_digests
from ase_impact.warehouse.connection import connect

TABLE = "marts.windows_probe"
ROWS = [
    ("month", "2026-09-01", "assoc-a", 0.1 + 0.2, "taux"),
    ("month", "2026-09-01", "assoc-b", None, "taux"),
    ("month", "2026-10-01", "assoc-a", 12.0, "nombre"),
    ("quarter", "2026-07-01", "assoc-a", 0.3, "taux"),
]
OCTOBER = "month/2026-10-01"
SEPTEMBER = "month/2026-09-01"


@pytest.fixture(params=["duckdb", "postgresql"])
def probe(request, tmp_path):
    if request.param == "duckdb":
        url = tmp_path / "warehouse.duckdb"
    else:
        url = request.getfixturevalue("postgres_url")
    with connect(url) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        conn.execute(
            f"CREATE TABLE {TABLE} (period_grain VARCHAR, period DATE, association_code VARCHAR, "
            "value DOUBLE PRECISION, unit VARCHAR)"
        )
        for row in ROWS:
            conn.execute(f"INSERT INTO {TABLE} VALUES (?, CAST(? AS DATE), ?, ?, ?)", list(row))
        yield conn


def set_september_rate(conn, value: float) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET value = ? WHERE association_code = 'assoc-a' "
        "AND period = CAST('2026-09-01' AS DATE)",
        [value],
    )


def test_a_period_digest_moves_with_its_own_rows_only_and_not_with_float_noise(probe):
    original = window_digests(probe, TABLE)
    assert sorted(original) == ["month/2026-09-01", OCTOBER, "quarter/2026-07-01"]

    # The last binary digit of a value, as a rebuild adding floats in another order moves it:
    # nothing to validate again.
    set_september_rate(probe, 0.3)
    assert window_digests(probe, TABLE) == original

    # A changed figure: September's digest alone moves.
    set_september_rate(probe, 0.31)
    changed = window_digests(probe, TABLE)
    assert {window for window in original if changed[window] != original[window]} == {SEPTEMBER}

    # A NULL becoming a value counts too; back as they were, the digests are too.
    probe.execute(f"UPDATE {TABLE} SET value = 0 WHERE association_code = 'assoc-b'")
    assert window_digests(probe, TABLE)[SEPTEMBER] != changed[SEPTEMBER]
    probe.execute(f"UPDATE {TABLE} SET value = NULL WHERE association_code = 'assoc-b'")
    set_september_rate(probe, 0.1 + 0.2)
    assert window_digests(probe, TABLE) == original

    # A row more in October: its digest moves, September's and the quarter's do not.
    probe.execute(
        f"INSERT INTO {TABLE} VALUES ('month', CAST('2026-10-01' AS DATE), "
        "'assoc-b', 12.0, 'nombre')"
    )
    grown = window_digests(probe, TABLE)
    assert grown[OCTOBER] != original[OCTOBER]
    assert {w: d for w, d in grown.items() if w != OCTOBER} == {
        w: d for w, d in original.items() if w != OCTOBER
    }


def test_the_rows_read_are_those_of_the_periods_asked_for(probe):
    october = rows_of_windows(probe, TABLE, [OCTOBER])
    assert list(october["association_code"]) == ["assoc-a"]
    assert list(october["value"]) == [12.0]
    assert len(rows_of_windows(probe, TABLE, [OCTOBER, SEPTEMBER])) == 3
    none = rows_of_windows(probe, TABLE, [])
    assert none.empty and list(none.columns) == [
        "period_grain",
        "period",
        "association_code",
        "value",
        "unit",
    ]
    assert len(rows_of_windows(probe, TABLE, None)) == len(ROWS)
