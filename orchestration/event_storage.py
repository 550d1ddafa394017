"""Dagster's SQLite event log, its database files kept open between events.

Named in dagster.yaml (`event_log_storage`), so the CLI's runs, the daemon's and the UI all use
it. The files are Dagster's own (one per run under history/runs/, plus index.db): the stock
class reads them as well.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from dagster._config import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

# Runs whose files stay open besides the index: the CLI writes one run at a time, the UI reads a
# few; an engine falling out of the window closes its file.
OPEN_RUN_FILES = 4


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine (and its pooled connection) per database file.

    The stock class builds a new engine, opens the file and syncs it to disk for every statement:
    an incremental build writes 828 events (a planned and an evaluated event per dbt test, per
    model a planned, an output and a materialization), 5.3 s of them replayed into a new file
    against 0.85 s here, on the process that also drives dbt. Commits are in WAL mode with
    `synchronous=NORMAL`, SQLite's advice for WAL: an application crash loses nothing, a power
    cut may lose the last events, never the file.
    """

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value: Mapping[str, Any]):
        # Where Dagster's default SQLite storage keeps them, under DAGSTER_HOME.
        base_dir = os.path.join(config_value["dagster_home"], "history", "runs")
        return cls(base_dir, inst_data=inst_data)

    def has_table(self, table_name: str) -> bool:
        # Asked again for every asset check event, each time on a new engine; Dagster's
        # migrations only ever add tables.
        if table_name not in self._tables_present and super().has_table(table_name):
            self._tables_present.add(table_name)
        return table_name in self._tables_present

    def run_connection(self, run_id: str | None = None):
        return self._pooled_connection(run_id)

    def index_connection(self):
        return self._pooled_connection(INDEX_SHARD_NAME)

    @contextmanager
    def _pooled_connection(self, shard: str) -> Iterator[sa.Connection]:
        # One statement at a time per process, as the stock class does: its threads (the event
        # watcher, a step's) would otherwise wait on each other's SQLite locks.
        with self._engines_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.get(shard)
        if engine is None:
            with super().run_connection(shard):
                pass  # the stock class creates the file and its tables on first use
            engine = sa.create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            sa.event.listen(engine, "connect", _sync_normally)
            self._engines[shard] = engine
            self._close_least_recent()
        self._engines.move_to_end(shard)
        return engine

    def _close_least_recent(self) -> None:
        runs = [shard for shard in self._engines if shard != INDEX_SHARD_NAME]
        for shard in runs[: max(0, len(runs) - OPEN_RUN_FILES)]:
            self._engines.pop(shard).dispose()

    def _close_all(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_all()  # the run files are deleted
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def _sync_normally(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
