"""Run the real `dbt build` of the project in-process, into a test's own folders."""

from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from ase_impact.core.registry import load_registry
from ase_impact.core.settings import DBT_PROJECT_DIR, load_settings
from ase_impact.warehouse.connection import locked_connection
from ase_impact.warehouse.loader import replace_registry


def run_dbt_build(work_dir: Path, *options: str) -> dbtRunnerResult:
    """Build every model, seed and test against ASE_IMPACT_WAREHOUSE (set by the caller),
    with dbt's options (`--full-refresh`).

    As the pipeline's build does, the registry (ASE_IMPACT_REGISTRY) is first loaded into
    raw.associations. target/ and logs/ go under work_dir, so tests never share dbt's artefacts.
    """
    settings = load_settings()
    with locked_connection(settings.warehouse) as conn:
        replace_registry(conn, load_registry(settings.registry))
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
            *options,
        ]
    )
