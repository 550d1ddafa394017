"""Two `ase-impact run` started at the same time on one warehouse: both succeed, in turn."""

import subprocess

import duckdb
import pytest

from ase_impact.core.settings import load_settings
from tests.integration.cli_runs import CLI_COMMAND
from tests.integration.sample_rows import write_submission

pytestmark = pytest.mark.slow  # whole `ase-impact run`s: make test-e2e


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
