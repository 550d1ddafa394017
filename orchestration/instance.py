"""The project's Dagster instance: the same DAGSTER_HOME for `make ui` and headless runs."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path

import dagster as dg
import sqlalchemy.exc

from ase_impact.core.errors import ConfigurationError
from ase_impact.core.settings import PROJECT_ROOT
from ase_impact.warehouse.connection import storage_failure_fr
from orchestration.partitions import ASSOCIATION

# Where Dagster's SQLite storage keeps runs, events, schedules and compute logs.
STORAGE_FOLDERS = ("history", "history/runs", "schedules", "storage")


class DagsterStorageError(ConfigurationError):
    """Dagster's storage (DAGSTER_HOME) cannot be written; the message says how to fix it."""

    @classmethod
    def of(cls, dagster_home: Path, error: BaseException) -> DagsterStorageError:
        return cls(
            f"Le stockage de Dagster ({dagster_home}) ne peut pas être écrit : "
            f"{storage_failure_fr(error)}. Les runs y sont enregistrés : rendez ce dossier et "
            "ses fichiers accessibles en écriture à l'utilisateur qui lance le pipeline (ou "
            "pointez DAGSTER_HOME vers un dossier qui l'est), puis relancez. Rien n'a été "
            "intégré."
        )


def check_storage_writable(dagster_home: Path) -> None:
    """Refuse, before anything runs, a DAGSTER_HOME whose folders or SQLite files are read-only:
    Dagster would fail later, in the middle of a run, with a database traceback."""
    folders = [dagster_home] + [dagster_home / name for name in STORAGE_FOLDERS]
    try:
        for folder in folders:
            if not folder.is_dir():
                continue
            probe = folder / f".ecriture-{uuid.uuid4().hex}"
            probe.touch()
            probe.unlink()
            for database in folder.glob("*.db"):
                with open(database, "r+b"):
                    pass
    except OSError as error:
        raise DagsterStorageError.of(dagster_home, error) from None


def prepare_dagster_home(dagster_home: Path) -> Path:
    """Make DAGSTER_HOME hold the project's dagster.yaml (a link, so there is one copy)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.symlink_to(PROJECT_ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def project_instance(dagster_home: Path) -> dg.DagsterInstance:
    """The instance of DAGSTER_HOME, its storage created by one process at a time.

    Two runs started together on a new DAGSTER_HOME would otherwise both create the same
    SQLite tables and one would fail.
    """
    try:
        prepare_dagster_home(dagster_home)
        check_storage_writable(dagster_home)
        with open(dagster_home / ".storage_init.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            instance = dg.DagsterInstance.get()
            instance.get_runs(limit=1)  # opens (and on first use creates) every storage table
            instance.get_dynamic_partitions(ASSOCIATION)
            fcntl.flock(lock, fcntl.LOCK_UN)
    except (OSError, sqlalchemy.exc.SQLAlchemyError) as error:
        raise DagsterStorageError.of(dagster_home, error) from None
    return instance
