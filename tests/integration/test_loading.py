"""Loading real workbooks into a real DuckDB file: versions, reruns, refusals, rollback."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ase_impact.core import referentiel
from ase_impact.intake.archive import sha256_of
from ase_impact.intake.discovery import discover_files
from ase_impact.intake.ingestion import ingest_file, ingest_partition
from ase_impact.intake.pseudonymise import KEY_ENV_VAR, PseudonymisationKeyError
from ase_impact.warehouse import connection, loader, schema
from tests.integration.cli_runs import run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import pair_row, write_submission

PERIOD = "2026-10"
RECEIVED_AT = datetime(2026, 11, 3, 9, 30)
RAW_TABLES = tuple(f"raw.{table}" for table in schema.raw_table_columns())
QUALITY_TABLES = tuple(
    f"quality.{table}"
    for table in ("submissions", "rejected_rows", "row_alerts", "file_errors", "rule_counts")
)


def table_dump(conn, tables=RAW_TABLES + QUALITY_TABLES) -> dict[str, list[tuple]]:
    """Every row of these tables (all raw and quality ones), sorted, to compare whole states."""
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in tables
    }


def raw_counts(conn, association_code: str | None = None) -> dict[str, int]:
    where = "WHERE association_code = ?" if association_code else ""
    parameters = [association_code] if association_code else []
    return {
        table: conn.execute(f"SELECT count(*) FROM raw.{table} {where}", parameters).fetchone()[0]
        for table in schema.raw_table_columns()
    }


def submissions(conn) -> list[tuple]:
    return conn.execute(
        f"SELECT association_code, {connection.month_text(conn, 'period')}, version, sha256, "
        "status, "
        "rows_received, rows_accepted, rows_rejected FROM quality.submissions "
        "ORDER BY association_code, period, version"
    ).fetchall()


def test_schema_types_are_explicit_and_creation_idempotent(conn):
    schema.ensure_schema(conn)
    types = dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'pairs'"
        ).fetchall()
    )
    assert types["period"] == "DATE" and types["application_date"] == "DATE"
    assert types["age_at_period_end"] == "INTEGER" and types["has_alerts"] == "BOOLEAN"
    assert "birth_date" not in types and "last_name" not in types


def test_raw_tables_hold_every_non_pii_field_of_their_sheet():
    for sheet in referentiel.sheets():
        if sheet.raw_table:
            stored = {name for name, _ in schema.raw_table_columns()[sheet.raw_table]}
            expected = {c.field for c in referentiel.columns(sheet.sheet_code) if not c.is_pii}
            assert expected <= stored, sheet.sheet_code


def test_a_file_loads_every_sheet_and_is_archived(settings, conn):
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir")
    report = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    assert (report.status, report.version, report.rows_received, report.rows_rejected) == (
        "accepted",
        1,
        8,
        0,
    )
    assert raw_counts(conn) == {
        "pairs": 4,
        "end_questionnaires": 1,
        "mispe_questionnaires": 1,
        "resources": 1,
        "activities": 1,
    }
    assert report.sheet_counts["pairs"] == (4, 4, 0, 0)
    archived = settings.archive_dir / f"{report.sha256}.xlsx"
    assert report.sha256 == sha256_of(path) == sha256_of(archived)
    assert conn.execute("SELECT DISTINCT file_sha256, period FROM raw.pairs").fetchall() == [
        (report.sha256, date(2026, 10, 1))
    ]


def test_ingesting_the_same_file_twice_changes_nothing(settings, conn):
    bad_sex = pair_row("B-050", "Nomrejet", "Prenomrejet", date(2010, 2, 2), Sexe="Martien")
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir", extra_pairs=[bad_sex])
    first = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    state = table_dump(conn)
    second = ingest_file(path, settings, conn, received_at=datetime(2026, 11, 4))
    assert table_dump(conn) == state
    assert (first.version, second.version) == (1, 1)
    assert first.status == second.status == "accepted_with_rejections"
    assert raw_counts(conn)["pairs"] == 4  # the rejected pair is not among them
    assert len(submissions(conn)) == 1
    assert conn.execute("SELECT count(*) FROM quality.rejected_rows").fetchone()[0] >= 1


def test_a_corrected_file_replaces_its_partition_only(settings, conn):
    write_submission(settings.raw_dir, "2026-11", "cap-avenir", pairs=5)
    write_submission(settings.raw_dir, PERIOD, "envol-mentorat", pairs=4)
    for other in discover_files(settings.raw_dir):
        ingest_file(other, settings, conn, received_at=RECEIVED_AT)
    others = table_dump(conn)
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=6)
    ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    corrected = write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=2)
    report = ingest_file(corrected, settings, conn, received_at=datetime(2026, 11, 10))

    assert report.version == 2
    partition = conn.execute(
        "SELECT count(*), min(file_sha256), max(file_sha256) FROM raw.pairs "
        "WHERE association_code = 'cap-avenir' AND period = DATE '2026-10-01'"
    ).fetchone()
    assert partition == (3, report.sha256, report.sha256)
    assert raw_counts(conn, "envol-mentorat")["pairs"] == 5
    for table in ("raw.pairs", "raw.activities"):
        untouched = [
            row for row in table_dump(conn)[table] if row[:2] != (date(2026, 10, 1), "cap-avenir")
        ]
        assert untouched == others[table]
    versions = [row[2] for row in submissions(conn) if row[:2] == ("cap-avenir", PERIOD)]
    assert versions == [1, 2]


def test_a_refused_file_keeps_the_previous_version_in_force(settings, conn):
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir")
    accepted = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    raw_before = table_dump(conn, RAW_TABLES)
    # Same file name, but the workbook says it is September's.
    mismatched = write_submission(settings.raw_dir, PERIOD, "cap-avenir", period="2026-09")
    report = ingest_file(mismatched, settings, conn, received_at=datetime(2026, 11, 5))

    assert report.status == "rejected" and report.version == 2
    assert "2026-09" in report.message_fr
    assert table_dump(conn, RAW_TABLES) == raw_before
    latest = conn.execute(
        "SELECT status, message_fr, rows_received FROM quality.submissions WHERE version = 2"
    ).fetchone()
    assert latest == ("rejected", report.message_fr, None)
    errors = conn.execute(
        "SELECT strftime(period, '%Y-%m'), association_code, file_name, file_sha256, message_fr "
        "FROM quality.file_errors"
    ).fetchall()
    assert errors == [
        (PERIOD, "cap-avenir", f"{PERIOD}/cap-avenir.xlsx", report.sha256, report.message_fr)
    ]
    assert accepted.sha256 != report.sha256


def test_a_corrupt_workbook_is_refused_in_french(settings, conn):
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir")
    ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    path.write_bytes(b"PK\x03\x04 ceci n'est pas un classeur")
    report = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    assert report.status == "rejected"
    assert f"{PERIOD}/cap-avenir.xlsx" in report.message_fr
    assert raw_counts(conn)["pairs"] == 4
    assert (settings.archive_dir / f"{report.sha256}.xlsx").read_bytes() == path.read_bytes()


def test_a_misnamed_file_is_recorded_without_a_partition(settings, conn):
    path = write_submission(settings.raw_dir, PERIOD, "Cap Avenir")
    report = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    assert (report.status, report.period, report.version) == ("rejected", None, None)
    assert conn.execute("SELECT count(*) FROM quality.submissions").fetchone()[0] == 0
    assert conn.execute(
        "SELECT period, association_code, file_name FROM quality.file_errors"
    ).fetchall() == [(None, None, f"{PERIOD}/Cap Avenir.xlsx")]


def test_a_failure_while_loading_rolls_back_to_the_previous_state(settings, conn, monkeypatch):
    path = write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=3)
    ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    state = table_dump(conn)
    real_insert = loader._insert_frame

    def insert_then_fail(conn, table, *args):
        if table == "raw.mispe_questionnaires":
            raise RuntimeError("disque plein (simulé)")
        real_insert(conn, table, *args)

    monkeypatch.setattr(loader, "_insert_frame", insert_then_fail)
    corrected = write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=1)
    with pytest.raises(RuntimeError, match="simulé"):
        ingest_file(corrected, settings, conn, received_at=RECEIVED_AT)
    assert table_dump(conn) == state


def test_the_report_counts_rows_and_lists_the_rejections(settings, conn):
    rejected = [
        pair_row(f"B-06{index}", "Nomrejet", "Prenomrejet", date(2010, 2, 2), Sexe="Martien")
        for index in range(3)
    ]
    path = write_submission(
        settings.raw_dir, PERIOD, "cap-avenir", extra_pairs=rejected, association_name="Cap Avenir"
    )
    report = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    assert report.message_fr == "3 lignes rejetées sur 11 reçues."
    assert (report.rows_received, report.rows_accepted, report.rows_rejected) == (11, 8, 3)
    rejections = report.findings[report.findings["severity"] == "erreur"]
    assert set(rejections["pair_id"]) == {"B-060", "B-061", "B-062"}
    assert set(rejections["column_header"]) == {"Sexe"}


def test_rows_no_indicator_counts_for_the_association_are_loaded_and_flagged(settings, conn):
    # envol-mentorat mentors and takes in no youth (the demo registry): its MIS PE answer is
    # kept, and its file tells it the answer counts in no indicator, and what to do (REG-001).
    path = write_submission(settings.raw_dir, PERIOD, "envol-mentorat")
    report = ingest_file(path, settings, conn, received_at=RECEIVED_AT)
    assert (report.status, report.rows_received, report.rows_rejected) == ("accepted", 8, 0)
    assert raw_counts(conn)["mispe_questionnaires"] == 1
    alerts = conn.execute(
        "SELECT sheet, excel_row, rule_code, message_fr FROM quality.row_alerts"
    ).fetchall()
    assert [alert[:3] for alert in alerts] == [("Questionnaire MIS PE", 2, "REG-001")]
    message = alerts[0][3]
    assert message.startswith(
        f"Fichier {PERIOD}/envol-mentorat.xlsx, onglet « Questionnaire MIS PE », ligne 2, "
    )
    assert "(1 ligne reçue)" in message
    assert "« Associations d'accueil résidentiel (champ MIS PE) »" in message
    # cap-avenir is registered for both: none of its sheets gets the alert.
    other = ingest_file(
        write_submission(settings.raw_dir, PERIOD, "cap-avenir"), settings, conn, RECEIVED_AT
    )
    assert "REG-001" not in set(other.findings["rule_code"])


def test_another_key_is_refused_before_any_youth_gets_a_new_key(settings, conn, monkeypatch):
    # A replaced key would give every youth of the next files a new key: counted twice beside
    # the old one, and reported to its association as a changed identity (DON-057).
    first = write_submission(settings.raw_dir, PERIOD, "cap-avenir")
    ingest_file(first, settings, conn, received_at=RECEIVED_AT)
    state = table_dump(conn)
    monkeypatch.setenv(KEY_ENV_VAR, "b" * 16 + "".join(chr(65 + i) for i in range(26)))
    corrected = write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=4)
    with pytest.raises(PseudonymisationKeyError, match="n'est pas celle avec laquelle"):
        ingest_file(corrected, settings, conn, received_at=datetime(2026, 11, 4))
    assert table_dump(conn) == state
    conn.close()  # the command opens the warehouse itself
    run = run_cli("run")
    assert run.exit_code == 1
    assert run.stderr.startswith(
        "Configuration à corriger : La clé de pseudonymisation configurée n'est pas celle"
    )
    assert "docs/privacy.md" in run.stderr
    with connection.connect(settings.warehouse) as reopened:
        assert table_dump(reopened) == state
        monkeypatch.setenv(KEY_ENV_VAR, TEST_KEY)  # the key back: the file loads
        assert ingest_file(corrected, settings, reopened, datetime(2026, 11, 4)).version == 2


def test_a_partition_is_ingested_from_its_file_in_raw(settings):
    write_submission(settings.raw_dir, PERIOD, "cap-avenir")
    write_submission(settings.raw_dir, "2026-11", "cap-avenir")
    report = ingest_partition(settings, "2026-11", "cap-avenir")
    assert (report.period, report.file_name, report.status) == (
        "2026-11",
        "2026-11/cap-avenir.xlsx",
        "accepted",
    )
    with connection.connect(settings.warehouse, read_only=True) as conn:
        assert submissions(conn) == [
            ("cap-avenir", "2026-11", 1, report.sha256, "accepted", 8, 8, 0)
        ]
    with pytest.raises(FileNotFoundError, match="Aucun fichier"):
        ingest_partition(settings, PERIOD, "envol-mentorat")


def test_discovery_finds_month_files_and_skips_lock_and_hidden_files(tmp_path):
    raw = tmp_path / "raw"
    for name in [
        "2026-10/cap-avenir.xlsx",
        "2026-10/envol.XLSX",
        "2026-10/ancien.xls",
        "2026-10/~$cap-avenir.xlsx",
        "2026-10/.cache",
        "2026-09/b.xlsx",
        "2026-09/old/deep.xlsx",
        "perdu.xlsx",
        "LISEZMOI.md",
        ".cache/x.xlsx",
    ]:
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(b"")
    assert [p.relative_to(raw).as_posix() for p in discover_files(raw)] == [
        "2026-09/b.xlsx",
        "2026-10/ancien.xls",
        "2026-10/cap-avenir.xlsx",
        "2026-10/envol.XLSX",
        "perdu.xlsx",
    ]


def test_worker_processes_load_the_same_as_this_process(settings, conn, tmp_path):
    from ase_impact.intake.ingestion import ingest_partitions

    write_submission(settings.raw_dir, PERIOD, "cap-avenir", pairs=2)
    write_submission(
        settings.raw_dir,
        PERIOD,
        "envol-mentorat",
        extra_pairs=[pair_row("B-050", "Nomerr", "Prenomerr", date(2010, 2, 2), Sexe="Martien")],
    )
    write_submission(settings.raw_dir, PERIOD, "passerelles-jeunes", period="2026-09")  # refused
    partitions = [
        (PERIOD, code) for code in ("cap-avenir", "envol-mentorat", "passerelles-jeunes", "absente")
    ]

    def outcomes(connection, workers):
        return [
            (partition, type(outcome).__name__, getattr(outcome, "status", None))
            for partition, outcome in ingest_partitions(
                connection, settings, partitions, workers=workers
            )
        ]

    in_workers = outcomes(conn, workers=2)
    assert in_workers == [
        ((PERIOD, "cap-avenir"), "IngestionReport", "accepted"),
        ((PERIOD, "envol-mentorat"), "IngestionReport", "accepted_with_rejections"),
        ((PERIOD, "passerelles-jeunes"), "IngestionReport", "rejected"),
        ((PERIOD, "absente"), "NoFileReceived", None),
    ]
    here = connection.connect(tmp_path / "here.duckdb")
    schema.ensure_schema(here)
    assert outcomes(here, workers=1) == in_workers
    # Same rows, reception times aside (each run stamps its own).
    assert _without_reception_times(table_dump(here)) == _without_reception_times(table_dump(conn))
    here.close()


def _without_reception_times(dump: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    return {
        table: sorted(
            (tuple(value for value in row if not isinstance(value, datetime)) for row in rows),
            key=repr,
        )
        for table, rows in dump.items()
    }
