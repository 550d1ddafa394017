"""Two `ase-impact run` at once on one warehouse (a scheduled run and a manual one): both
succeed, in turn, and no file is recorded twice.

In the second test the first run is paused between finding the new files and ingesting them
(monkeypatched in its own process; production code has no test hook), the moment the second
one starts: it waits for the first to have ingested them, then finds them ingested.
"""

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import PROJECT_ROOT, load_settings
from ase_impact.intake.pseudonymise import KEY_ENV_VAR
from tests.conftest import isolated_environment
from tests.integration.cli_runs import CLI_COMMAND
from tests.integration.conftest import TEST_KEY
from tests.integration.sample_rows import write_submission

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e

RUN_TIMEOUT_SECONDS = 600
PAUSE_SECONDS = 10

# The first run: paused once it has planned its runs, before any file is ingested.
RUN_PAUSED_AFTER_PLANNING = f"""
import sys, time
from pathlib import Path

import orchestration.runner as runner

marker = Path(sys.argv[1])
register = runner.register_associations

def paused(*args, **kwargs):
    marker.write_text("planned")
    time.sleep({PAUSE_SECONDS})
    return register(*args, **kwargs)

runner.register_associations = paused

from orchestration.cli import main
sys.exit(main(["run"]))
"""


def test_two_simultaneous_runs_queue_instead_of_failing_on_the_duckdb_lock():
    settings = load_settings()
    write_submission(settings.raw_dir, "2026-10", "cap-avenir")
    write_submission(settings.raw_dir, "2026-10", "envol-mentorat")
    runs = [
        subprocess.Popen([*CLI_COMMAND, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0].decode() for run in runs]

    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
        assert "lock" not in output.lower(), output
        assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in output
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from quality.submissions").fetchone() == (2,)
        assert conn.execute("select max(version) from quality.submissions").fetchone() == (1,)
        assert conn.execute("select count(*) from raw.pairs").fetchone() == (8,)


def _run(arguments: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as output:
        return subprocess.Popen(
            [sys.executable, *arguments], cwd=PROJECT_ROOT, stdout=output, stderr=output
        )


def test_a_second_run_waits_for_the_first_to_ingest_and_records_nothing_twice(tmp_path):
    with isolated_environment(tmp_path, {KEY_ENV_VAR: TEST_KEY}):
        settings = load_settings()
        for code in ("cap-avenir", "envol-mentorat"):
            write_submission(settings.raw_dir, "2026-10", code, pairs=2)
        marker = tmp_path / "planned"
        first = _run(["-c", RUN_PAUSED_AFTER_PLANNING, str(marker)], tmp_path / "first.log")
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not marker.exists():
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline, "the first run never planned"
            time.sleep(0.1)
        second = _run(["-m", "orchestration.cli", "run"], tmp_path / "second.log")
        for run in (first, second):
            run.wait(timeout=RUN_TIMEOUT_SECONDS)
        with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
            versions = conn.execute(
                "SELECT association_code, version FROM quality.submissions ORDER BY 1, 2"
            ).fetchall()

    first_said, second_said = ((tmp_path / f"{n}.log").read_text() for n in ("first", "second"))
    assert (first.returncode, second.returncode) == (0, 0), first_said + second_said
    assert versions == [("cap-avenir", 1), ("envol-mentorat", 1)]
    assert "Une autre exécution intègre les fichiers déposés pour l'entrepôt" in second_said
    assert "sans intégrer une seconde fois les mêmes fichiers" in second_said
    assert "Intégration de" in first_said and "Intégration de" not in second_said
    for said in (first_said, second_said):
        assert "Construction (marts dbt, contrôle de publication, sorties) : réussie" in said
