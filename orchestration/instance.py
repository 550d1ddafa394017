"""The project's Dagster instance: the same DAGSTER_HOME for `make ui` and headless runs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path

import dagster as dg
import sqlalchemy.exc
import yaml
from dagster_postgres.utils import DagsterPostgresException

from ase_impact.core.errors import ConfigurationError
from ase_impact.core.settings import PROJECT_ROOT
from ase_impact.warehouse.connection import label, storage_failure_fr
from orchestration.partitions import ASSOCIATION

# Where Dagster's SQLite storage keeps runs, events, schedules and compute logs.
STORAGE_FOLDERS = ("history", "history/runs", "schedules", "storage")
PROJECT_CONFIG = PROJECT_ROOT / "dagster.yaml"
# A postgresql:// URL: Dagster's runs, event logs and schedules in that database (dagster-postgres)
# instead of SQLite files under DAGSTER_HOME; the daemon, the UI and `ase-impact run` share them.
DAGSTER_STORAGE_VARIABLE = "ASE_IMPACT_DAGSTER_STORAGE"
GENERATED_MARK = (
    f"# Written by ase-impact from the project's dagster.yaml because {DAGSTER_STORAGE_VARIABLE} "
    "is set; do not edit.\n"
)
# SQLAlchemy 2.1 would open a bare postgresql:// URL with psycopg 3; dagster-postgres and the
# project install psycopg2.
SQLALCHEMY_SCHEME = "postgresql+psycopg2"
# Pooled connections of a headless run's storages: kept at most an hour, and a few more than
# the one kept open while threads write at once.
POOL_RECYCLE_SECONDS = 3600
POOL_OVERFLOW = 10


def _postgres_config(url: str) -> str:
    """The project's dagster.yaml with every storage in the database of a postgresql:// URL."""
    config = yaml.safe_load(PROJECT_CONFIG.read_text(encoding="utf-8"))
    config.pop("event_log_storage", None)  # SQLite's; the database holds the event log
    config["storage"] = {"postgres": {"postgres_url": SQLALCHEMY_SCHEME + url[url.index("://") :]}}
    return GENERATED_MARK + yaml.safe_dump(config, sort_keys=False)


# Dagster's storage failing: its files (SQLite, folders) or its PostgreSQL database.
STORAGE_FAILURES = (OSError, sqlalchemy.exc.SQLAlchemyError, DagsterPostgresException)


class DagsterStorageError(ConfigurationError):
    """Dagster's storage (DAGSTER_HOME, or its PostgreSQL database) cannot be used; the
    message says how to fix it, and whether a run had begun to integrate files."""

    @classmethod
    def of(cls, dagster_home: Path, error: BaseException, run_begun: bool = False):
        if run_begun:
            outcome = (
                "Les fichiers intégrés avant l'arrêt le restent ; relancez pour les autres et "
                "pour la construction."
            )
        else:
            outcome = "Rien n'a été intégré."
        database = os.environ.get(DAGSTER_STORAGE_VARIABLE)
        if database:
            return cls(
                f"Le stockage de Dagster sur PostgreSQL ({label(database)}) ne répond pas : "
                "le serveur est injoignable ou refuse la connexion (adresse, utilisateur, mot "
                "de passe : ~/.pgpass ou PGPASSWORD). Vérifiez-le, puis relancez. " + outcome
            )
        return cls(
            f"Le stockage de Dagster ({dagster_home}) ne peut pas être écrit : "
            f"{storage_failure_fr(error)}. Les runs y sont enregistrés : rendez ce dossier et "
            "ses fichiers accessibles en écriture à l'utilisateur qui lance le pipeline (ou "
            "pointez DAGSTER_HOME vers un dossier qui l'est), puis relancez. " + outcome
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
    """Make DAGSTER_HOME hold the project's dagster.yaml: a link to it, so there is one copy;
    or, with ASE_IMPACT_DAGSTER_STORAGE set, a copy that keeps runs, events and schedules in
    that PostgreSQL database, for every process started on this DAGSTER_HOME."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    url = os.environ.get(DAGSTER_STORAGE_VARIABLE)
    if url:
        text = _postgres_config(url)
        if config.is_symlink() or not config.exists() or config.read_text("utf-8") != text:
            # Read by every process on this DAGSTER_HOME, the daemon's too; 0600 in case the
            # URL holds a password (better kept in ~/.pgpass or PGPASSWORD).
            partial = config.with_name(f".dagster.yaml.{os.getpid()}.tmp")
            partial.touch(mode=0o600)
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, config)
    elif config.is_file() and not config.is_symlink() and _was_generated(config):
        config.unlink()  # storage back to SQLite: the link again
    with contextlib.suppress(FileExistsError):  # another process made it meanwhile
        if not config.exists():
            config.symlink_to(PROJECT_CONFIG)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home


def _was_generated(config: Path) -> bool:
    return config.read_text(encoding="utf-8").startswith(GENERATED_MARK)


def _pool_connections(instance: dg.DagsterInstance) -> None:
    """Keep a connection open per storage instead of one per statement, as dagster-webserver
    does for itself: a run writes several events per step, asset and check, and on PostgreSQL
    each new connection cost more than the event (15 against 4 ms per materialization
    measured). No statement timeout: a run's writes are not the UI's reads. On SQLite this asks
    nothing: the event log keeps its files open itself (orchestration/event_storage.py)."""
    instance.optimize_for_webserver(
        statement_timeout=0, pool_recycle=POOL_RECYCLE_SECONDS, max_overflow=POOL_OVERFLOW
    )


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
            _pool_connections(instance)
            instance.get_runs(limit=1)  # opens (and on first use creates) every storage table
            instance.get_dynamic_partitions(ASSOCIATION)
            fcntl.flock(lock, fcntl.LOCK_UN)
    except STORAGE_FAILURES as error:
        raise DagsterStorageError.of(dagster_home, error) from None
    return instance
