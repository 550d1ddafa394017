"""Run the real `dbt build` of the project in-process, into a test's own folders."""

from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from ase_impact.core.settings import DBT_PROJECT_DIR


def run_dbt_build(work_dir: Path) -> dbtRunnerResult:
    """Build every model, seed and test against ASE_IMPACT_WAREHOUSE (set by the caller).

    target/ and logs/ go under work_dir, so tests never share dbt's artefacts.
    """
    return dbtRunner().invoke(
        [
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--quiet",
        ]
    )
