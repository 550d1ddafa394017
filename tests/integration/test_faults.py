"""Faults: a run killed while loading, reruns, a read-only warehouse and a full disk.

Two runs started at once queue on the warehouse lock instead of failing on DuckDB's own lock:
that case is tests/integration/test_concurrent_runs.py and is not repeated here.
"""

import contextlib
import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import PROJECT_ROOT, Settings, load_settings
from ase_impact.intake.discovery import pending_files
from ase_impact.intake.ingestion import ingest_partition
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from ase_impact.publish import snapshot
from ase_impact.publish.snapshot import SnapshotError, publish_snapshot
from ase_impact.warehouse import connection, queries, schema
from orchestration.instance import DAGSTER_STORAGE_VARIABLE, project_instance
from tests.conftest import DEMO_REGISTRY, isolated_environment
from tests.integration.cli_runs import CliRun, run_cli
from tests.integration.conftest import TEST_KEY
from tests.integration.processes import lock_is_free
from tests.integration.sample_rows import write_submission
from tests.integration.test_loading import table_dump

PERIOD, ASSOCIATION, OTHER_ASSOCIATION = "2026-10", "cap-avenir", "envol-mentorat"
CHILD_TIMEOUT_SECONDS = 120
BUILD_SUCCEEDED = "Construction (marts dbt, contrôle de publication, sorties) : réussie"

# Loads a partition in a child process that stops for good just before COMMIT: the raw rows
# are already deleted and re-inserted inside the open transaction (replace_partition writes the
# submission row last). The pause is monkeypatched here, production code has no test hook.
LOAD_PAUSED_BEFORE_COMMIT = """
import sys, time
from pathlib import Path
from ase_impact.warehouse import connection, loader, schema
from ase_impact.intake.ingestion import ingest_partition
from ase_impact.core.settings import load_settings

def pause_inside_the_transaction(*args, **kwargs):
    Path(sys.argv[1]).write_text("in transaction")
    time.sleep(600)

loader._upsert_submission = pause_inside_the_transaction
ingest_partition(load_settings(), sys.argv[2], sys.argv[3])
"""


def _lock_file(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".lock")


def _wait_for(marker: Path, child: subprocess.Popen, child_log: Path) -> None:
    deadline = time.monotonic() + CHILD_TIMEOUT_SECONDS
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the child ended before pausing: {child_log.read_text()}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the child never reached the transaction")
        time.sleep(0.1)


def test_a_run_killed_inside_the_load_transaction_leaves_the_previous_state(settings, tmp_path):
    write_submission(settings.raw_dir, PERIOD, ASSOCIATION, pairs=3)
    write_submission(settings.raw_dir, PERIOD, OTHER_ASSOCIATION, pairs=2)
    ingest_partition(settings, PERIOD, ASSOCIATION)
    ingest_partition(settings, PERIOD, OTHER_ASSOCIATION)
    with connection.locked_connection(settings.warehouse) as conn:
        before = table_dump(conn)
    write_submission(settings.raw_dir, PERIOD, ASSOCIATION, pairs=5)  # a corrected file

    marker, child_log = tmp_path / "paused", tmp_path / "child.log"
    with open(child_log, "w") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", LOAD_PAUSED_BEFORE_COMMIT, str(marker), PERIOD, ASSOCIATION],
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_for(marker, child, child_log)
    lock_file = _lock_file(settings)
    assert not lock_is_free(lock_file)  # the child is inside exclusive_access
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=CHILD_TIMEOUT_SECONDS)
    assert child.returncode == -signal.SIGKILL

    # The lock is an flock on a file that stays behind: the kernel released it with the
    # process, so the stale file blocks nobody.
    assert lock_file.exists() and lock_is_free(lock_file)
    with connection.locked_connection(settings.warehouse) as conn:
        assert table_dump(conn) == before
        pending = pending_files(settings, queries.latest_sha256_by_partition(conn))
    assert list(pending.new_or_changed) == [(PERIOD, ASSOCIATION)]
    assert pending.unchanged == [(PERIOD, OTHER_ASSOCIATION)]

    report = ingest_partition(settings, PERIOD, ASSOCIATION)
    assert (report.version, report.status) == (2, "accepted")
    with connection.locked_connection(settings.warehouse, read_only=True) as conn:
        pairs = conn.execute(
            "select association_code, count(*) from raw.pairs group by all order by all"
        ).fetchall()
        versions = conn.execute(
            "select association_code, version from quality.submissions order by all"
        ).fetchall()
    assert pairs == [(ASSOCIATION, 6), (OTHER_ASSOCIATION, 3)]
    assert versions == [(ASSOCIATION, 1), (ASSOCIATION, 2), (OTHER_ASSOCIATION, 1)]


@contextlib.contextmanager
def _disk_full_after(tables: int, error: Exception):
    """The disk fills up while the snapshot is copied, once `tables` tables are written.

    Yields the names of the tables copied into the temporary file before it filled up.
    """
    copy_table, copied = snapshot._copy_table, []

    def copy_until_the_disk_is_full(conn, schema, table):
        if len(copied) == tables:
            raise error
        copied.append(table)
        return copy_table(conn, schema, table)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshot, "_copy_table", copy_until_the_disk_is_full)
        yield copied


# --- Reruns and a full disk, through `ase-impact run` -------------------------------------

# Between two warehouses loaded from the same files, only the moment each file was received
# differs: it is when that warehouse first ingested it. A rerun in the same warehouse keeps it
# (the file is unchanged, so it is not ingested again), so that rerun must match in full.
RECEPTION_COLUMNS = {"mart_submissions": ("received_at", "first_received_at")}
# Approved versions exist only once a month is approved, which these runs never do.
APPROVAL_MARTS = {"fct_indicators_approved", "mart_approvals"}


@dataclass
class PipelineRuns:
    rerun_root: Path
    runs: dict[str, CliRun]
    first_hashes: dict[str, tuple[int, str]]
    rerun_hashes: dict[str, tuple[int, str]]
    fresh_hashes: dict[str, tuple[int, str]]
    first_hashes_without_reception: dict[str, tuple[int, str]]
    fresh_hashes_without_reception: dict[str, tuple[int, str]]
    snapshot_before_rerun: str
    files_before_rerun: list[str]


def _settings_of(root: Path) -> Settings:
    """The settings of a run with every path under root."""
    with isolated_environment(root):
        return load_settings()


def _run_in(root: Path) -> CliRun:
    """`ase-impact run` with every path under root, as a fresh shell there would run it."""
    with isolated_environment(root, {KEY_ENV_VAR: TEST_KEY}):
        return run_cli("run")


def _mart_hashes(root: Path, excluded=None) -> dict[str, tuple[int, str]]:
    """marts table → (row count, MD5 of its rows as text, sorted); excluded columns left out."""
    excluded = excluded or {}
    hashes = {}
    with duckdb.connect(str(_settings_of(root).warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name"
        ).fetchall()
        for (table,) in tables:
            columns = excluded.get(table)
            source = (
                f"(select * exclude ({', '.join(columns)}) from marts.{table})"
                if columns
                else f"marts.{table}"
            )
            hashes[table] = conn.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) "
                f"order by cast(t as varchar)), '')) from {source} as t"
            ).fetchone()
    return hashes


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture(scope="module")
def pipeline_runs(tmp_path_factory) -> PipelineRuns:
    """The same files run in one warehouse, then in a fresh one, then rerun in the first.

    A full run costs tens of seconds (the dbt build), so the rerun doubles as the full-disk
    case: the disk fills up only when the snapshot is copied, after dbt has rebuilt every
    mart, so the rebuilt marts are still compared in full.
    """
    rerun_root = tmp_path_factory.mktemp("rerun")
    fresh_root = tmp_path_factory.mktemp("fresh")
    raw_dir = _settings_of(rerun_root).raw_dir
    write_submission(raw_dir, PERIOD, ASSOCIATION)
    write_submission(raw_dir, PERIOD, OTHER_ASSOCIATION, pairs=2)
    write_submission(raw_dir, "2026-11", ASSOCIATION, pairs=4)
    # The very same bytes in both (a workbook written twice differs by its timestamps).
    shutil.copytree(raw_dir, _settings_of(fresh_root).raw_dir)

    runs = {"first": _run_in(rerun_root), "fresh": _run_in(fresh_root)}
    first_hashes = _mart_hashes(rerun_root)
    published = _settings_of(rerun_root).published_warehouse
    snapshot_before_rerun = _file_sha256(published) if published.exists() else ""
    files_before_rerun = _folder_listing(published.parent)
    with _disk_full_after(2, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))):
        runs["rerun_with_full_disk"] = _run_in(rerun_root)
    return PipelineRuns(
        rerun_root=rerun_root,
        runs=runs,
        first_hashes=first_hashes,
        rerun_hashes=_mart_hashes(rerun_root),
        fresh_hashes=_mart_hashes(fresh_root),
        first_hashes_without_reception=_mart_hashes(rerun_root, RECEPTION_COLUMNS),
        fresh_hashes_without_reception=_mart_hashes(fresh_root, RECEPTION_COLUMNS),
        snapshot_before_rerun=snapshot_before_rerun,
        files_before_rerun=files_before_rerun,
    )


@pytest.mark.slow
def test_a_rerun_in_the_same_warehouse_leaves_every_mart_identical(pipeline_runs):
    for name in ("first", "fresh"):
        run = pipeline_runs.runs[name]
        assert run.exit_code == 0, run.stdout + run.stderr
        assert BUILD_SUCCEEDED in run.stdout
    rerun = pipeline_runs.runs["rerun_with_full_disk"]
    assert "Fichiers intégrés : 0 · inchangés (déjà intégrés) : 3" in rerun.stdout
    assert {"fct_indicators", "mart_submissions"} <= set(pipeline_runs.first_hashes)
    row_counts = {table: rows for table, (rows, _) in pipeline_runs.first_hashes.items()}
    assert {table for table, rows in row_counts.items() if rows == 0} == APPROVAL_MARTS
    assert pipeline_runs.rerun_hashes == pipeline_runs.first_hashes


@pytest.mark.slow
def test_a_fresh_warehouse_from_the_same_files_differs_only_by_reception_times(pipeline_runs):
    first, fresh = pipeline_runs.first_hashes, pipeline_runs.fresh_hashes
    assert set(fresh) == set(first)
    differing = {table for table in first if fresh[table] != first[table]}
    assert differing <= set(RECEPTION_COLUMNS)
    assert (
        pipeline_runs.fresh_hashes_without_reception == pipeline_runs.first_hashes_without_reception
    )


@pytest.mark.slow
def test_a_full_disk_while_publishing_fails_the_run_in_french_and_keeps_the_snapshot(
    pipeline_runs,
):
    run = pipeline_runs.runs["rerun_with_full_disk"]
    published = _settings_of(pipeline_runs.rerun_root).published_warehouse
    assert run.exit_code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert "Construction : ÉCHEC technique" in run.stdout
    assert (
        f"étape outputs__published_snapshot : La copie publiée {published} n'a pas pu être "
        "écrite : le disque est plein (détail technique : [Errno 28] No space left on device). "
        "La copie précédente, s'il y en a une, reste en place, inchangée" in run.stdout
    )
    assert _file_sha256(published) == pipeline_runs.snapshot_before_rerun
    # No temporary snapshot, nor its write-ahead log, is left behind.
    assert _folder_listing(published.parent) == pipeline_runs.files_before_rerun


# --- Fast cases: the snapshot writer and a read-only warehouse ------------------------------


def _previous_snapshot(settings) -> tuple[Path, str]:
    """Load one file and publish its snapshot; return the snapshot's path and hash."""
    write_submission(settings.raw_dir, PERIOD, ASSOCIATION)
    ingest_partition(settings, PERIOD, ASSOCIATION)
    publish_snapshot(settings.warehouse, settings.published_warehouse)
    return settings.published_warehouse, _file_sha256(settings.published_warehouse)


@pytest.mark.parametrize(
    "disk_full",
    [
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
        # How DuckDB itself reports it when a write of its own fails.
        duckdb.IOException('Could not write file "x.tmp": No space left on device'),
    ],
    ids=["os-error", "duckdb-error"],
)
@pytest.mark.parametrize("had_snapshot", [True, False], ids=["previous", "first"])
def test_a_full_disk_leaves_the_previous_snapshot_or_none(settings, disk_full, had_snapshot):
    if had_snapshot:
        published, previous = _previous_snapshot(settings)
    else:
        with connection.locked_connection(settings.warehouse) as conn:
            schema.ensure_schema(conn)
        published = settings.published_warehouse
    folder_before = _folder_listing(published.parent)

    with _disk_full_after(1, disk_full) as copied, pytest.raises(SnapshotError) as raised:
        publish_snapshot(settings.warehouse, published)

    assert copied  # one table did reach the temporary file before the disk was full
    assert raised.value.message_fr.startswith(
        f"La copie publiée {published} n'a pas pu être écrite : le disque est plein ("
    )
    assert _folder_listing(published.parent) == folder_before
    if had_snapshot:
        assert _file_sha256(published) == previous
    else:
        assert not published.exists()


@contextlib.contextmanager
def _read_only(folder: Path, files: list[Path]):
    """Make the folder and files read-only for this process, even when it runs as root.

    chmod does not stop root, so as root the immutable attribute (chattr +i, which root
    itself must remove before writing) is set instead.
    """
    targets = [*files, folder]
    if os.geteuid() != 0:
        for target in targets:
            target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            for target in targets:
                target.chmod(0o755 if target.is_dir() else 0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a folder read-only")
    result = subprocess.run(["chattr", "+i", *map(str, targets)], capture_output=True)
    try:
        if result.returncode != 0:
            pytest.skip(f"the filesystem refuses chattr +i: {result.stderr.decode().strip()}")
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, targets)], capture_output=True)


@pytest.mark.parametrize(
    "lock_file_writable", [True, False], ids=["lock-writable", "lock-read-only"]
)
def test_a_read_only_warehouse_fails_the_run_in_french_and_changes_nothing(
    settings, lock_file_writable
):
    published, previous = _previous_snapshot(settings)
    write_submission(settings.raw_dir, "2026-11", ASSOCIATION)  # something new to load
    folder = settings.warehouse.parent
    lock_file = _lock_file(settings)
    # Either only the database files are protected (the run fails opening DuckDB), or the
    # lock file too, as `chmod -R a-w warehouse/` does (the run fails taking the lock).
    protected = [settings.warehouse, published] + ([] if lock_file_writable else [lock_file])
    warehouse_before = _file_sha256(settings.warehouse)
    folder_before = _folder_listing(folder)

    with _read_only(folder, protected):
        with pytest.raises(PermissionError):
            (folder / "proof-of-read-only").touch()
        run = run_cli("run")

    assert run.exit_code == 1
    assert run.stdout == ""
    message = run.stderr
    assert message.startswith("Échec technique : ")
    assert "(fichier ou dossier en lecture seule)" in message
    assert f"Rien n'est resté écrit à moitié dans l'entrepôt {settings.warehouse}" in message
    assert "Traceback" not in message
    assert _file_sha256(settings.warehouse) == warehouse_before
    assert _file_sha256(published) == previous
    assert _folder_listing(folder) == folder_before


# --- Configuration checked once, before any file (issue 15, items 14 to 16) ------------------


def _refused_configuration(run: CliRun) -> str:
    """A run refused for its configuration: exit 1, one French message, nothing read."""
    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr.count("Configuration à corriger : ") == 1, run.stderr
    return run.stderr


@pytest.fixture
def three_files(settings) -> Settings:
    for code in (ASSOCIATION, OTHER_ASSOCIATION, "les-tilleuls"):
        write_submission(settings.raw_dir, PERIOD, code, pairs=1)
    return settings


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            "abc",
            "La variable ASE_IMPACT_MIN_CELL vaut « abc » : le seuil de diffusion doit être "
            "un nombre entier",
        ),
        ("11.5", "La variable ASE_IMPACT_MIN_CELL vaut « 11.5 »"),
        (
            "0",
            "Le seuil de diffusion (ASE_IMPACT_MIN_CELL) vaut 0 : il doit être un nombre "
            "entier d'au moins 3",
        ),
    ],
)
def test_a_bad_disclosure_threshold_stops_the_run_before_any_file(
    three_files, monkeypatch, value, said
):
    monkeypatch.setenv("ASE_IMPACT_MIN_CELL", value)
    message = _refused_configuration(run_cli("run"))
    assert said in message
    assert not three_files.archive_dir.exists()  # no file was even archived


@pytest.mark.parametrize(
    ("key_bytes", "said"),
    [
        (bytes(range(128, 256)) * 2, "ne contient pas du texte (octets illisibles en UTF-8)"),
        (b"a" * 32, "est trop faible : ses caractères se répètent trop (entropie estimée 0 bits"),
    ],
    ids=["random bytes", "32 times a"],
)
def test_a_bad_key_file_is_said_once_before_any_file(three_files, monkeypatch, key_bytes, said):
    monkeypatch.delenv(KEY_ENV_VAR)
    key_file = three_files.key_file
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(key_bytes)
    key_file.chmod(0o600)
    message = _refused_configuration(run_cli("run"))
    assert str(key_file) in message
    assert said in message
    assert not three_files.archive_dir.exists()


@pytest.mark.parametrize("command", [("run",), ("portal", "--port", "1")])
def test_a_deadline_day_no_month_has_stops_the_run_and_the_portal(
    three_files, monkeypatch, command
):
    monkeypatch.setenv("ASE_IMPACT_DEADLINE_DAY", "31")
    message = _refused_configuration(run_cli(*command))
    assert "ASE_IMPACT_DEADLINE_DAY doit être un jour du mois entre 1 et 28" in message
    assert not three_files.archive_dir.exists()


def test_a_raw_folder_that_does_not_exist_stops_the_run(three_files, tmp_path):
    mistyped = tmp_path / "depots-mal-orthographie"
    message = _refused_configuration(run_cli("run", "--raw-dir", str(mistyped)))
    assert f"le dossier des dépôts {mistyped} n'existe pas" in message
    assert not three_files.archive_dir.exists() and not mistyped.exists()


def test_an_unreachable_postgresql_server_is_said_in_french_without_its_password(three_files):
    # Port 1 of loopback: nothing listens there, the connection is refused.
    url = "postgresql://pipeline:s3cr%40t%2Fpw@127.0.0.1:1/entrepot"
    run = run_cli("run", "--warehouse", url)
    assert run.exit_code == 1
    assert run.stderr.startswith(
        "Échec technique : le serveur PostgreSQL est injoignable ou refuse la connexion"
    )
    assert "postgresql://pipeline@127.0.0.1:1/entrepot ;" in run.stderr
    assert "copie publiée" not in run.stderr
    assert "s3cr" not in run.stdout + run.stderr
    assert not three_files.archive_dir.exists()  # nothing was read


def test_a_malformed_registry_stops_the_run_naming_its_line(three_files, monkeypatch, tmp_path):
    registry = tmp_path / "registre.csv"
    registry.write_text(DEMO_REGISTRY.read_text(encoding="utf-8") + "Cap,,,,,,\n", encoding="utf-8")
    monkeypatch.setenv("ASE_IMPACT_REGISTRY", str(registry))
    message = _refused_configuration(run_cli("run"))
    assert f"Registre des associations {registry}, ligne 9 : le code « Cap »" in message


def test_a_read_only_dagster_storage_is_said_in_french_before_any_file(three_files):
    dagster_home = three_files.dagster_home
    project_instance(dagster_home).dispose()  # its storage exists, then becomes read-only
    history = dagster_home / "history"
    databases = sorted(history.rglob("*.db"))
    assert len(databases) == 2  # runs, and the event log's index
    with _read_only(history, [*databases, history / "runs"]):
        message = _refused_configuration(run_cli("run"))
    assert message.startswith(
        f"Configuration à corriger : Le stockage de Dagster ({dagster_home}) ne peut pas être "
        "écrit : "
    )
    assert "(fichier ou dossier en lecture seule)" in message
    assert not three_files.archive_dir.exists()


def test_an_unreachable_dagster_database_is_said_in_french_before_any_file(
    three_files, monkeypatch
):
    # Port 1 of loopback: nothing listens there.
    monkeypatch.setenv(DAGSTER_STORAGE_VARIABLE, "postgresql://dagster:s3cr%40t@127.0.0.1:1/runs")
    message = _refused_configuration(run_cli("run"))
    assert message.startswith(
        "Configuration à corriger : Le stockage de Dagster sur PostgreSQL "
        "(postgresql://dagster@127.0.0.1:1/runs) ne répond pas"
    )
    assert message.rstrip().endswith("Rien n'a été intégré.")
    assert "s3cr" not in message and "Traceback" not in message
    assert not three_files.archive_dir.exists()


# --- The warehouse's lock: re-entrant in a process, its holder named (item 3) ----------------


def test_the_lock_is_reentrant_within_a_process(settings):
    # Before: a block nested in another of the same process waited for itself, for ever.
    lock_file = _lock_file(settings)
    with connection.exclusive_access(settings.warehouse):
        with (
            connection.exclusive_access(settings.warehouse),
            connection.exclusive_access(settings.warehouse, wait=False),
        ):
            assert not lock_is_free(lock_file)
        assert not lock_is_free(lock_file)  # the outer block still holds it
        assert f"le processus {os.getpid()} " in lock_file.read_text()
    assert lock_is_free(lock_file)
    assert lock_file.read_text() == ""


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from ase_impact.warehouse.connection import exclusive_access

with exclusive_access(Path(sys.argv[1])):
    Path(sys.argv[2]).write_text("held")
    time.sleep(600)
"""


def test_a_process_waiting_for_the_lock_names_its_holder(settings, tmp_path):
    marker, child_log = tmp_path / "held", tmp_path / "child.log"
    with open(child_log, "w") as log:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_LOCK, str(settings.warehouse), str(marker)],
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(marker, holder, child_log)
        said: list[str] = []
        with (
            pytest.raises(connection.WarehouseBusy),
            connection.exclusive_access(settings.warehouse, wait=False),
        ):
            pass

        def stop_the_holder(message: str) -> None:
            said.append(message)
            holder.send_signal(signal.SIGTERM)  # the lock comes free with its process

        with connection.exclusive_access(settings.warehouse, notify=stop_the_holder):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=CHILD_TIMEOUT_SECONDS)
    [message] = said
    assert message.startswith(
        f"Entrepôt {settings.warehouse} occupé — attendu : le processus {holder.pid} ("
    )
    assert "tient l'entrepôt depuis le " in message


# --- A damaged warehouse: the message names the recovery (item 17) ---------------------------


def test_a_damaged_warehouse_names_the_rebuild_command(settings):
    settings.raw_dir.mkdir(parents=True)
    settings.warehouse.parent.mkdir(parents=True)
    settings.warehouse.write_bytes(os.urandom(64 * 1024))
    run = run_cli("run")
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(
        f"Échec technique : l'entrepôt {settings.warehouse} est endommagé (détail technique : "
    )
    assert "Recréez-le depuis l'archive avec « ase-impact rebuild »" in run.stderr


# --- An analyst's connection kept open in one process (item 18) ------------------------------


def test_a_connection_kept_open_in_a_process_sees_the_snapshot_it_opened(settings):
    # DuckDB keeps one database per file and process: while a connection to the published copy
    # is open, a new connect() in the same process gets that same (old) database. Closing every
    # connection of the process to the file, then connecting again, reads the new copy
    # (docs/reliability.md).
    published, _ = _previous_snapshot(settings)
    analyst = duckdb.connect(str(published), read_only=True)
    before = analyst.execute("select count(*) from quality.submissions").fetchone()

    write_submission(settings.raw_dir, PERIOD, OTHER_ASSOCIATION)
    ingest_partition(settings, PERIOD, OTHER_ASSOCIATION)
    publish_snapshot(settings.warehouse, published)

    again = duckdb.connect(str(published), read_only=True)
    assert again.execute("select count(*) from quality.submissions").fetchone() == before
    again.close()
    analyst.close()
    with duckdb.connect(str(published), read_only=True) as reopened:
        after = reopened.execute("select count(*) from quality.submissions").fetchone()
    assert after == (before[0] + 1,)
