"""One raw/ holding every hostile case of issue 15 at once, and one `ase-impact run` over it.

The run must exit 0 (and, with --strict, non-zero), ingest every sound file, refuse each bad
one with its own reason, list what it ignored, and lose nothing already accepted: the version
in force of a partition corrected with a blank template stays in force.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import duckdb
import pytest

from ase_impact.core.settings import load_settings
from ase_impact.intake.ingestion import ingest_file
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.warehouse import connection, schema
from tests.conftest import isolated_environment
from tests.hostile_files import (
    amount_past_any_total,
    blank_template,
    control_characters_and_invisible_digits,
    error_logical_and_percent_cells,
    folder_named_like_a_workbook,
    garbage_rows,
    hidden_duplicate_data_sheet,
    huge_session_count,
    invisible_characters,
    link_leading_outside,
    long_text_cell,
    mac_workbook_with_serial_birth_date,
    name_not_in_utf8,
    nameless_youths,
)
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import write_submission

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e

OCTOBER, SEPTEMBER = "2026-10", "2026-09"
IN_FORCE_AT = datetime(2026, 11, 3, 9, 30)

# (period, association) → status of its file after the run; the refused ones with their rule.
EXPECTED = {
    (OCTOBER, "cap-avenir"): ("rejected", "FIC-019"),  # blank template over 28 pairs
    (OCTOBER, "envol-mentorat"): ("rejected", "FIC-018"),  # very hidden « Données  »
    (OCTOBER, "passerelles-jeunes"): ("accepted_with_rejections", "DON-048"),
    (OCTOBER, "horizons-partages"): ("accepted_with_rejections", "DON-002"),
    (OCTOBER, "les-tilleuls"): ("accepted", None),  # Mac workbook, serial birth date
    (OCTOBER, "trait-d-union"): ("accepted_with_rejections", "CEL-001"),
    (OCTOBER, "boussole-ase"): ("accepted_with_rejections", "DON-046"),
    (SEPTEMBER, "cap-avenir"): ("accepted_with_rejections", "CEL-004"),
    (SEPTEMBER, "envol-mentorat"): ("accepted_with_rejections", "DON-003"),  # garbage
    (SEPTEMBER, "passerelles-jeunes"): ("accepted", None),  # a sound file
    (SEPTEMBER, "horizons-partages"): ("accepted_with_rejections", "RES-011"),  # 10^27 €
    # A NUL in text cells, a zero-width space in a date, a byte-order mark in a number.
    (SEPTEMBER, "les-tilleuls"): ("accepted", None),
}
REFUSED_BEFORE_READING = {
    "2023-12/cap-avenir.xlsx": "FIC-016",
    "2099-12/cap-avenir.xlsx": "FIC-016",
    "2026-10/inconnue.xlsx": "FIC-017",
    "2026-09/caf\ufffd.xlsx": "FIC-003",  # named in Latin-1: b"caf\xe9.xlsx"
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    with isolated_environment(root, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        raw = settings.raw_dir
        # In force before the run: cap-avenir's October file, 28 pairs (+ 1 closed).
        in_force = write_submission(raw, OCTOBER, "cap-avenir", pairs=28)
        with connection.locked_connection(settings.warehouse) as conn:
            schema.ensure_schema(conn)
            assert ingest_file(in_force, settings, conn, IN_FORCE_AT).status == "accepted"
        blank_template(raw, OCTOBER, "cap-avenir")
        hidden_duplicate_data_sheet(raw, OCTOBER, "envol-mentorat")
        write_submission(raw, "2023-12", "cap-avenir")
        write_submission(raw, "2099-12", "cap-avenir")
        write_submission(raw, OCTOBER, "inconnue")
        huge_session_count(raw, OCTOBER, "passerelles-jeunes")
        invisible_characters(raw, OCTOBER, "horizons-partages")
        mac_workbook_with_serial_birth_date(raw, OCTOBER, "les-tilleuls")
        error_logical_and_percent_cells(raw, OCTOBER, "trait-d-union")
        nameless_youths(raw, OCTOBER, "boussole-ase")
        long_text_cell(raw, SEPTEMBER, "cap-avenir")
        garbage_rows(raw, SEPTEMBER, "envol-mentorat")
        sound = write_submission(raw, SEPTEMBER, "passerelles-jeunes")
        name_not_in_utf8(raw, SEPTEMBER, sound)
        amount_past_any_total(raw, SEPTEMBER, "horizons-partages")
        control_characters_and_invisible_digits(raw, SEPTEMBER, "les-tilleuls")
        folder_named_like_a_workbook(raw, SEPTEMBER)
        outside = write_submission(root / "ailleurs", SEPTEMBER, "boussole-ase")
        link_leading_outside(raw, SEPTEMBER, outside, "boussole-ase.xlsx")

        run = run_cli("run")
        strict = run_cli("run", "--strict")
        with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
            latest = {
                (f"{period:%Y-%m}", code): (status, version, version_in_force)
                for period, code, status, version, version_in_force in conn.execute(
                    "select period, association_code, status, version, version_in_force "
                    "from quality.latest_submissions"
                ).fetchall()
            }
            rules = {
                (f"{period:%Y-%m}", code, rule)
                for period, code, rule in conn.execute(
                    "select period, association_code, rule_code from quality.rule_counts"
                ).fetchall()
            }
            file_errors = dict(
                conn.execute("select file_name, error_code from quality.file_errors").fetchall()
            )
            cap_pairs = conn.execute(
                "select count(*) from raw.pairs where association_code = 'cap-avenir' "
                "and period = date '2026-10-01'"
            ).fetchone()[0]
            periods = [
                row[0]
                for row in conn.execute(
                    "select period_code from marts.dim_period where period_grain = 'month' "
                    "order by period"
                ).fetchall()
            ]
            years = {row[0] for row in conn.execute("select year from marts.dim_period").fetchall()}
            associations = {
                row[0]
                for row in conn.execute(
                    "select association_code from marts.dim_association"
                ).fetchall()
            }
            garbage = conn.execute(
                "select rows_received, rows_rejected from quality.submissions "
                "where association_code = 'envol-mentorat' and period = date '2026-09-01'"
            ).fetchone()
            stored = conn.execute(
                "select count(*) from quality.rejected_rows where association_code = "
                "'envol-mentorat' and period = date '2026-09-01'"
            ).fetchone()[0]
            september_tilleuls = "association_code = 'les-tilleuls' and period = date '2026-09-01'"
            tilleuls = {
                "structures": conn.execute(
                    f"select distinct referring_structure from raw.pairs where {september_tilleuls}"
                ).fetchall(),
                "name": conn.execute(
                    f"select association_name from quality.submissions where {september_tilleuls}"
                ).fetchall(),
                "pair_888": conn.execute(
                    "select application_date, sessions_planned from raw.pairs "
                    f"where {september_tilleuls} and pair_id = 'B-888'"
                ).fetchall(),
            }
        yield {
            "tilleuls": tilleuls,
            "run": run,
            "strict": strict,
            "latest": latest,
            "rules": rules,
            "file_errors": file_errors,
            "cap_pairs": cap_pairs,
            "periods": periods,
            "years": years,
            "associations": associations,
            "garbage": garbage,
            "stored": stored,
        }
    shutil.rmtree(root, ignore_errors=True)


def test_the_run_exits_zero_and_strict_non_zero(hostile_run):
    run, strict = hostile_run["run"], hostile_run["strict"]
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in run.stdout
    assert strict.exit_code == 2, strict.stdout + strict.stderr


def test_every_file_has_its_own_outcome(hostile_run):
    latest, rules = hostile_run["latest"], hostile_run["rules"]
    for partition, (status, rule) in EXPECTED.items():
        assert latest[partition][0] == status, partition
        if rule and status != "rejected":
            assert (*partition, rule) in rules, partition
    for partition, (status, rule) in EXPECTED.items():
        if status == "rejected":
            file_name = f"{partition[0]}/{partition[1]}.xlsx"
            assert hostile_run["file_errors"][file_name] == rule


def test_nothing_in_force_was_lost(hostile_run):
    # The blank template is refused: version 1, 28 pairs and the closed one, stays in force.
    assert hostile_run["latest"][(OCTOBER, "cap-avenir")] == ("rejected", 2, 1)
    assert hostile_run["cap_pairs"] == 29


def test_files_outside_the_range_or_the_registry_name_no_partition(hostile_run):
    for file_name, rule in REFUSED_BEFORE_READING.items():
        assert hostile_run["file_errors"][file_name] == rule
    months = {period for period, _ in hostile_run["latest"]}
    assert months == {OCTOBER, SEPTEMBER}
    assert hostile_run["periods"][-1] == OCTOBER  # the calendar does not jump to 2099
    assert hostile_run["years"] == {2026}  # nor does any quarter or year
    assert "inconnue" not in hostile_run["associations"]


def test_the_summary_names_each_refusal_and_each_ignored_entry(hostile_run):
    stdout = hostile_run["run"].stdout
    assert "refusés avant lecture (emplacement, nom, mois, association) : 4" in stdout
    assert "entrées ignorées : 2" in stdout
    assert "- 2026-09/x.xlsx : ignoré, dossier dans un dossier de mois" in stdout
    assert "- 2026-09/boussole-ase.xlsx : ignoré, lien symbolique vers un emplacement hors" in (
        stdout
    )
    for file_name in REFUSED_BEFORE_READING:
        assert f"- {file_name} : refusé" in stdout
    assert "l'onglet « Données » ne contient aucune ligne alors que la version en vigueur" in (
        stdout
    )
    assert "le classeur contient 2 onglets nommés « Données »" in stdout


def test_the_garbage_file_is_counted_exactly_and_stored_capped(hostile_run):
    assert hostile_run["garbage"] == (49_999, 49_999)
    assert hostile_run["stored"] <= 1_000


def test_cells_read_as_they_show(hostile_run):
    # Neither the NUL nor the invisible characters reach the warehouse; the date and the
    # number they hid in read as typed.
    assert hostile_run["tilleuls"] == {
        "structures": [("MECS Les Aubépines",)],
        "name": [("Association de test",)],
        "pair_888": [(date(2026, 2, 1), 12)],
    }
