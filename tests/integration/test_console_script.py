"""The installed console script as cron or systemd calls it: no virtual environment activated,
a minimal PATH, another working directory, settings from environment variables only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import (
    PATH_SETTINGS,
    PROJECT_ROOT,
    load_settings,
    settings_environment,
)
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import write_submission

CONSOLE_SCRIPT = Path(sys.executable).with_name("ase-impact")


@pytest.mark.slow
def test_the_console_script_runs_from_cron_without_the_virtual_environment(tmp_path):
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    # As a crontab line would set it: the key and the folders, nothing of this shell.
    environment = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PATH": "/usr/bin:/bin",
        KEY_ENV_VAR: TEST_KEY,
        **settings_environment(settings),
    }
    raw_dir, warehouse = (
        environment.pop(PATH_SETTINGS[name][0]) for name in ("raw_dir", "warehouse")
    )
    elsewhere = tmp_path / "cron_cwd"
    elsewhere.mkdir()

    completed = subprocess.run(
        [
            "env",
            "-i",
            *(f"{name}={value}" for name, value in environment.items()),
            str(CONSOLE_SCRIPT),
            "run",
            "--raw-dir",
            raw_dir,
            "--warehouse",
            warehouse,
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=900,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Traceback" not in output
    assert "leaked" not in output  # DuckDB's bindings reporting objects alive at the end
    assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in output
    with duckdb.connect(warehouse, read_only=True) as conn:
        assert conn.execute("select count(*) from marts.fct_indicators").fetchone()[0] > 0
    assert list(elsewhere.iterdir()) == []  # nothing written where cron happened to start it


def test_a_command_ends_with_its_status_and_nothing_on_stderr(tmp_path):
    """The console script ends without Python's finalisation (orchestration/cli.py): each
    command still exits with main()'s status, and DuckDB's bindings, which `check` loads, no
    longer print their « leaked instance » lines on stderr."""

    def console_script(*arguments) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(CONSOLE_SCRIPT), *map(str, arguments)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    template = tmp_path / "modele.xlsx"
    written = console_script(
        "template", "--association", "cap-avenir", "--period", "2026-10", "-o", template
    )
    assert (written.returncode, written.stderr) == (0, "")

    checked = console_script("check", template, "--association", "cap-avenir")
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout
    assert "Résultat : accepté" in checked.stdout
    assert (tmp_path / "modele_retour.xlsx").is_file()

    absent = console_script("check", tmp_path / "absent.xlsx")
    assert absent.returncode == 2  # USAGE_ERROR
    assert absent.stderr == f"Fichier introuvable : {tmp_path / 'absent.xlsx'}\n"

    usage = console_script("nosuch")
    assert usage.returncode == 2  # argparse's SystemExit, raised inside main()
    assert "invalid choice" in usage.stderr


def test_the_console_script_registers_the_first_exit_handler():
    """Its handler ends the process, so it must run last: no exit handler may be registered
    while the console script's module is imported (atexit runs them last in, first out)."""
    registered = subprocess.run(
        [sys.executable, "-c", "import atexit, orchestration.cli; print(atexit._ncallbacks())"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert registered.stdout.strip() == "0"


def test_the_ui_starts_in_dagster_home_whose_dagster_yaml_is_the_projects(tmp_path, monkeypatch):
    """`dagster dev` warns that a dagster.yaml "will not be used" when it starts in a folder
    holding one that is not DAGSTER_HOME: the UI starts in DAGSTER_HOME, which links to the
    project's dagster.yaml, and loads the code from the project folder."""
    from orchestration.runner import ui_command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASE_IMPACT_RAW_DIR", "depots")  # relative: from where the UI started
    settings = load_settings()
    command, folder, environment = ui_command(settings, 3005)

    assert folder == settings.dagster_home
    assert (folder / "dagster.yaml").resolve() == PROJECT_ROOT / "dagster.yaml"
    assert command[command.index("-d") + 1] == str(PROJECT_ROOT)
    assert command[-2:] == ["-p", "3005"]
    assert environment["ASE_IMPACT_RAW_DIR"] == str(tmp_path / "depots")
    assert environment["DAGSTER_HOME"] == str(folder)
    assert "dev_command" in environment["PYTHONWARNINGS"]


def test_a_command_freezes_the_definitions_and_leaves_nothing_frozen():
    """While a run or a rebuild lasts, the definitions (Dagster's, dbt's manifest) are left out
    of Python's full collections; after it, nothing stays frozen in the calling process."""
    import gc

    from orchestration.cli import _definitions_out_of_collections

    assert gc.get_freeze_count() == 0
    with _definitions_out_of_collections():
        frozen = gc.get_freeze_count()
    assert frozen > 100_000
    assert gc.get_freeze_count() == 0
