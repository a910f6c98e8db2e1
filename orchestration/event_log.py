"""The embedded instance's event log: Dagster's SQLite event log, keeping its connections.

Dagster's SqliteEventLogStorage makes a new SQLAlchemy engine, opens the file and closes
it again for every statement it runs: two or three times for each event (the run's own
file, then the cross-run index). A marts build writes about 400 events (a materialisation
per model, a check result per dbt test, the planned events when the run is made), and
profiling a pass found 40% of the pass process's CPU in those opens and closes. This
storage keeps one engine, and one open connection, per file it uses, so each event
costs only its statements. Everything else is Dagster's own class, files and layout:
an instance switched to it, or back, reads the same history (decision 0122).

An open SQLite connection outside a transaction holds no lock, so other processes on the
instance (the webserver, the daemon, another pass) write as before. Engines are kept for
the last few files only (a long-lived webserver reads many runs), and a forked child
starts its own.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

KEPT_FILES = 8  # the index, the run being written, and a few being read


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one pooled connection per shard file, kept open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionsEventLogStorage:
        return cls(config_value["base_dir"], inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():  # a forked child: the parent's are not ours
            self._engines = OrderedDict()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                # One kept: _connect holds a lock. Dagster's _initdb opens a second
                # (inspecting the file while connected), closed again when returned.
                pool_size=1,
                max_overflow=4,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            self._engines[shard] = engine
            while len(self._engines) > KEPT_FILES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:
        self._close_all()  # the files go: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()

    def _close_all(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
