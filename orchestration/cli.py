"""The `ase-impact` console script: the library's commands, run by Dagster.

Only this light module is imported for --help; Dagster is imported when a run or the UI
starts.
"""

from __future__ import annotations

import sys

from ase_impact.cli import main as cli
from ase_impact.portal import commands as portal_commands


class DagsterOrchestrator:
    """Runs through the project's Dagster instance, so runs show in the UI's history."""

    def run(self, settings, period):
        from orchestration.runner import run_pipeline

        return run_pipeline(settings, period=period)

    def ui(self, settings, port: int) -> int:
        from orchestration.runner import open_ui

        return open_ui(settings, port)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, DagsterOrchestrator(), extensions=[portal_commands.register])


if __name__ == "__main__":
    sys.exit(main())
