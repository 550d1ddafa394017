"""The run summary names the implausible month-over-month moves the publication gate only
warns of (gate_volume_youth_accompanied), so that the project lead checks them before the
figures are shared. Marts written by hand in a real DuckDB file: the counts are readable."""

from datetime import date

import duckdb

from ase_impact.cli.run_summary import volume_lines
from ase_impact.core.settings import load_settings

# association → youth accompanied in September, then October 2026.
YOUTH = {
    "cap-avenir": (3, 29),  # × 9.7: to check
    "envol-mentorat": (10, 12),  # + 20 %: plausible
    "les-tilleuls": (0, 4),  # from none to some: to check
    "trait-d-union": (0, 0),  # none to none: no move
    "boussole-ase": (20, 9),  # − 55 %: to check
}


def test_the_run_summary_names_the_implausible_moves_of_the_run_s_months(tmp_path):
    path = tmp_path / "entrepot.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.execute(
            "CREATE TABLE marts.fct_indicators (indicator_code VARCHAR, period_grain VARCHAR, "
            "period DATE, scope VARCHAR, association_code VARCHAR, breakdown VARCHAR, "
            "value DOUBLE)"
        )
        rows = [
            ("youth_accompanied", "month", date(2026, month, 1), "association", code, "total", n)
            for code, counts in YOUTH.items()
            for month, n in zip((9, 10), counts, strict=True)
        ]
        rows.append(("youth_accompanied", "quarter", date(2026, 7, 1), "association",
                     "envol-mentorat", "total", 90))  # fmt: skip
        conn.executemany("INSERT INTO marts.fct_indicators VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

        lines = volume_lines(conn, {"2026-10"}, load_settings())
        assert volume_lines(conn, {"2026-09"}, load_settings()) == []  # no month before

    assert sorted(lines) == [
        "- 2026-10 · boussole-ase (La Boussole ASE) : à vérifier, jeunes accompagnés passés de "
        "20 à 9 depuis le mois précédent (plus de 50 % d'écart) ; confirmez le chiffre avec "
        "l'association avant diffusion",
        "- 2026-10 · cap-avenir (Cap Avenir) : à vérifier, jeunes accompagnés passés de 3 à 29 "
        "depuis le mois précédent (plus de 50 % d'écart) ; confirmez le chiffre avec "
        "l'association avant diffusion",
        "- 2026-10 · les-tilleuls (Maison d'enfants Les Tilleuls) : à vérifier, jeunes "
        "accompagnés passés de 0 à 4 depuis le mois précédent (plus de 50 % d'écart) ; "
        "confirmez le chiffre avec l'association avant diffusion",
    ]
