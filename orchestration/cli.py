"""The `ase-impact` console script: the library's commands, run by Dagster.

Only this light module is imported for --help; Dagster is imported when a run or the UI
starts. SIGTERM and SIGINT stop a command in order (ase_impact.cli.interrupt): a French
message, the warehouse's lock released, dbt's process stopped, a non-zero exit.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn

from ase_impact.cli import interrupt
from ase_impact.cli import main as cli
from ase_impact.portal import commands as portal_commands


class DagsterOrchestrator:
    """Runs through the project's Dagster instance, so runs show in the UI's history."""

    def run(self, settings, period, full_refresh):
        from orchestration.runner import run_pipeline

        with _storage_errors_in_french(settings), _definitions_out_of_collections():
            return run_pipeline(settings, period=period, full_refresh=full_refresh)

    def rebuild(self, settings):
        from orchestration.runner import rebuild_pipeline

        with _storage_errors_in_french(settings), _definitions_out_of_collections():
            return rebuild_pipeline(settings)

    def ui(self, settings, port: int) -> int:
        from orchestration.runner import open_ui

        return open_ui(settings, port)


class _storage_errors_in_french:  # noqa: N801 — a context manager, named as it reads
    """Dagster's storage failing mid-run (read-only, full disk) is said in French."""

    def __init__(self, settings):
        self.settings = settings

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        import sqlalchemy.exc
        from dagster_postgres.utils import DagsterPostgresException

        from orchestration.instance import DagsterStorageError

        if isinstance(error, sqlalchemy.exc.OperationalError | DagsterPostgresException):
            raise DagsterStorageError.of(
                self.settings.dagster_home, error, run_begun=True
            ) from None
        return False


@contextlib.contextmanager
def _definitions_out_of_collections():
    """Dagster's definitions and dbt's manifest, loaded once, live as long as the command: each
    full collection of Python's cyclic garbage collector would traverse their millions of
    objects again. Frozen (gc.freeze), they are left out; unfrozen after, so that a caller in
    the same process (the tests) keeps nothing frozen."""
    import orchestration.definitions  # noqa: F401 — what is frozen

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def main(argv: list[str] | None = None) -> int:
    with interrupt.signals_stop_the_command():
        return cli.main(argv, DagsterOrchestrator(), extensions=[portal_commands.register])


def console_script() -> int:
    """`ase-impact`: main(), then Python's exit up to its exit handlers (threads joined,
    worker pools stopped, logs flushed, temporary files removed), but not its finalisation,
    whose last full collection traversed every object still alive (about 2 s after a run's
    summary was printed) for memory released whole anyway. Freezing those objects instead
    left DuckDB's bindings to report them on stderr as leaks, forty lines after every run."""
    # Registered before any other exit handler (test_console_script.py), so run after them all.
    status: dict[str, int | str | None] = {"code": 1}  # an exception escaping main()
    atexit.register(_end_without_finalising, status)
    try:
        exit_code = main()
    except SystemExit as stop:  # argparse: --help, a usage error
        status["code"] = stop.code
        raise
    status["code"] = exit_code
    return exit_code


def _end_without_finalising(status: dict[str, int | str | None]) -> NoReturn:
    """The last exit handler: the process ends with main()'s status, as sys.exit gives it."""
    code = status["code"]
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else int(code is not None))


if __name__ == "__main__":
    sys.exit(console_script())
