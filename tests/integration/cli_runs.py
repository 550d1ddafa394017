"""`ase-impact` as the integration tests run it: in this process, or as a subprocess.

Either way in the caller's environment: wrap the call in tests.conftest.isolated_environment.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass

from orchestration.cli import main

# The command line of a subprocess, with the interpreter running the tests.
CLI_COMMAND = (sys.executable, "-m", "orchestration.cli")


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*arguments: str) -> CliRun:
    """`ase-impact <arguments>` in this process, its exit code and output captured."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        exit_code = main(list(arguments))
    return CliRun(exit_code, stdout.getvalue(), stderr.getvalue())
