"""The data contract, in one place: what lives where in the lake and the data dir.

Ingestion writes, dbt reads (through the globs below), the warehouse module builds and
publishes, and the benchmarks measure: all of them ask this module for keys and paths.

The lake, under `PSW_LAKE_URL` (a local folder, by default `$PSW_DATA_DIR` itself, or an
S3 prefix; psw/lakestore.py):

  validated/trust=<ODS>/period=<YYYY-MM>/<submission id>.parquet   accepted returns
  submissions/trust=<ODS>/period=<YYYY-MM>/<submission id>.json    the ledger: every filed upload
  submissions/trust=<ODS>/unfiled/<submission id>.json             uploads that fit no month

This machine's files, under `$PSW_DATA_DIR`:

  claims/<submission id>.lock                                      who is processing what (flock)
  warehouse.duckdb, .lock, .build, .built, serving/psw.duckdb      the marts (psw/warehouse.py,
                                                                   psw/publish.py)

"Unfiled" uploads (a key that is not `returns/<YYYY-MM>/<file>`, or a month outside the
collection) get a report and a ledger entry, but no month: dbt's globs do not see them.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from psw.lakestore import Entry, LakeStore, LocalLakeStore, lake_url, open_store

if TYPE_CHECKING:
    import pyarrow as pa

LANDED_GLOB = "validated/trust=*/period=*/*.parquet"
LEDGER_GLOB = "submissions/trust=*/period=*/*.json"
UNFILED_GLOB = "submissions/trust=*/unfiled/*.json"


class Status(StrEnum):
    """A submission's outcome (the ledger), and a trust-month's status (the marts)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    NIL_RETURN = "nil_return"
    REJECTED = "rejected"
    MISSING = "missing"  # marts only: a registered trust with no file that month

    @property
    def in_force(self) -> bool:
        """Whether a submission with this outcome can be the trust-month's return."""
        return self in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS, Status.NIL_RETURN)


# "The last good file wins", written once. Of a trust-month's submissions with a status
# in force, the newest is the one the platform received last (its receipt, taken when it
# claims the upload: a store's LastModified can be set by the client), then, for entries
# written before receipts, the one the store received last, then processed last, then
# the greatest id (a stable tie). The dbt macros newest_file_first() and
# in_force_statuses() are generated from these (`make spec`).
NEWEST_FIRST = ("receipt", "received_at", "processed_at", "submission_id")


def recency(record: Mapping[str, object]) -> tuple:
    """Sort key of a ledger record by NEWEST_FIRST: the greater is the newer (an entry
    without a receipt is older than every one with one, as dbt's `nulls last`)."""
    receipt = record.get("receipt")
    rest = tuple(str(record.get(name) or "") for name in NEWEST_FIRST[1:])
    return (-1 if receipt is None else int(str(receipt)), *rest)


@dataclass(frozen=True)
class Lake:
    """The platform's state under one data directory, and the lake (`store`).

    The warehouse, the serving database and the locks are files of this machine, under
    `root`; the landed returns and the ledger are objects of the lake's store, a local
    folder (by default `root` itself) or an S3 prefix (`PSW_LAKE_URL`, psw/lakestore.py).
    """

    root: Path
    store: LakeStore = field(default=None)  # type: ignore[assignment]  # set below

    def __post_init__(self) -> None:
        if self.store is None:
            object.__setattr__(self, "store", LocalLakeStore(Path(self.root)))

    @classmethod
    def from_env(cls, root: Path, env: Mapping[str, str] | None = None) -> Lake:
        """The lake the environment names (PSW_LAKE_URL; the data dir by default)."""
        return cls(Path(root), open_store(lake_url(root, env)))

    @property
    def url(self) -> str:
        """Where dbt reads the lake: an absolute local path or s3://bucket/prefix."""
        return self.store.url()

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def writer_lock(self) -> Path:
        return self.root / "warehouse.lock"

    @property
    def build_record(self) -> Path:
        """Which process runs dbt for which (psw/warehouse.py: an orphan is stopped)."""
        return self.root / "warehouse.build"

    @property
    def build_outcome(self) -> Path:
        """Present while the warehouse holds a finished, successful build (psw/warehouse.py)."""
        return self.root / "warehouse.built"

    @property
    def serving(self) -> Path:
        return self.root / "serving" / "psw.duckdb"

    @property
    def report(self) -> Path:
        """The national report's folder (psw/pages/national.py), rebuilt after each publish."""
        return self.root / "serving" / "report"

    # ---- the lake: landed returns ----------------------------------------------------

    @staticmethod
    def landed_key(ods: str, period: str, submission_id: str) -> str:
        return f"validated/trust={ods}/period={period}/{submission_id}.parquet"

    def write_landed(self, ods: str, period: str, submission_id: str, data: bytes) -> None:
        self.store.put(self.landed_key(ods, period, submission_id), data)

    def has_landed(self, ods: str, period: str, submission_id: str) -> bool:
        return self.store.exists(self.landed_key(ods, period, submission_id))

    def read_landed(self, outcome: Mapping[str, object], columns: list[str]) -> pa.Table:
        """The Parquet an accepted ledger entry landed, as a pyarrow table."""
        import io

        import pyarrow.parquet as pq

        key = self.landed_key(
            str(outcome["trust_ods_code"]), str(outcome["period"]), str(outcome["submission_id"])
        )
        data = self.store.get(key)
        if data is None:
            raise FileNotFoundError(f"{self.store.url(key)} is not in the lake")
        return pq.read_table(io.BytesIO(data), columns=columns)

    def landed_entries(self) -> Iterator[Entry]:
        return (e for e in self.store.entries("validated/") if e.key.endswith(".parquet"))

    # ---- the lake: the submissions ledger --------------------------------------------

    @staticmethod
    def ledger_key(ods: str, period: str | None, submission_id: str) -> str:
        folder = f"period={period}" if period else "unfiled"
        return f"submissions/trust={ods}/{folder}/{submission_id}.json"

    def write_outcome(
        self, ods: str, period: str | None, submission_id: str, record: Mapping[str, Any]
    ) -> None:
        data = json.dumps(record, indent=2).encode()
        self.store.put(self.ledger_key(ods, period, submission_id), data)

    def ledger_entries(self, ods: str | None = None, unfiled: bool = True) -> Iterator[Entry]:
        """Every ledger entry (of one trust when given; with the unfiled ones unless not)."""
        prefix = f"submissions/trust={ods}/" if ods else "submissions/"
        for entry in self.store.entries(prefix):
            parts = entry.key.split("/")
            if (
                len(parts) != 4
                or not parts[1].startswith("trust=")
                or not parts[3].endswith(".json")
            ):
                continue
            if parts[2].startswith("period=") or (unfiled and parts[2] == "unfiled"):
                yield entry

    def processed_ids(self) -> set[str]:
        """Submission ids with an outcome (filed or not): one listing, not a read per id."""
        return {_stem(e.key) for e in self.ledger_entries()}

    def trusts_with_uploads(self) -> list[str]:
        """ODS codes of the trusts with at least one ledger entry."""
        return sorted({e.key.split("/")[1].removeprefix("trust=") for e in self.ledger_entries()})

    def outcome(self, ods: str, submission_id: str) -> dict | None:
        """A submission's ledger entry, filed under a month or not; None before it has one."""
        for entry in self.ledger_entries(ods):
            if _stem(entry.key) == submission_id:
                data = self.store.get(entry.key)
                return None if data is None else json.loads(data)
        return None

    def has_outcome(self, ods: str, submission_id: str) -> bool:
        return any(_stem(e.key) == submission_id for e in self.ledger_entries(ods))

    def outcomes(self, ods: str | None = None, unfiled: bool = False) -> Iterator[dict]:
        """Every filed ledger entry (of one trust when given; with the unfiled ones too
        when asked)."""
        keys = [e.key for e in self.ledger_entries(ods, unfiled=unfiled)]
        for data in self.store.get_many(keys):
            if data is not None:  # gone between the listing and the read
                yield json.loads(data)

    @contextmanager
    def claim(self, submission_id: str) -> Iterator[int | None]:
        """`try_claim` for a `with` block: yields the receipt, or None when another
        process holds the submission; released at the end of the block."""
        held = self.try_claim(submission_id)
        try:
            yield None if held is None else held.receipt
        finally:
            if held is not None:
                held.release()

    def try_claim(self, submission_id: str) -> Claim | None:
        """An exclusive, non-blocking claim on one submission, across processes, with the
        platform's receipt of it (`take_receipt`); None when another process holds it.

        An flock: the kernel frees it when the holder dies, so a killed pass never leaves
        an upload claimed for good. The lock file goes when the claim is released (a
        thousand uploads left a thousand files); a claim on a file another holder has
        just removed is taken again on the new one. The claim is this host's
        (docs/decisions/0089: with a shared Dagster instance, runs of other hosts are
        kept apart by run keys, and an outcome written twice is the same).
        """
        folder = self.root / "claims"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{submission_id}.lock"
        while True:
            handle = path.open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                return None
            if _same_file(handle, path):
                return Claim(path, handle, self.take_receipt())
            handle.close()  # removed by the holder before us: claim the new file

    def take_receipt(self) -> int:
        """The next number of the platform's own order of receipt (issue 21: a store's
        LastModified is the client's to set on some stores). Nanoseconds of this host's
        clock, always above the last one taken: a lost counter file loses no order."""
        path = self.root / "claims" / "receipts"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+") as counter:
            fcntl.flock(counter, fcntl.LOCK_EX)
            counter.seek(0)
            try:
                last = int(counter.read().strip() or 0)
            except ValueError:  # a torn write: the clock still orders what follows
                last = 0
            receipt = max(time.time_ns(), last + 1)
            counter.seek(0)
            counter.truncate()
            counter.write(str(receipt))
            counter.flush()
            os.fsync(counter.fileno())
        return receipt


@dataclass
class Claim:
    """A held claim (Lake.try_claim): the lock file, open, and the receipt taken."""

    path: Path
    handle: IO[str]
    receipt: int

    def release(self) -> None:
        self.path.unlink(missing_ok=True)  # before the unlock: no one claims a removed file
        self.handle.close()


def _same_file(handle, path: Path) -> bool:
    """Whether an open file is still the one at `path` (not removed or replaced)."""
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _stem(key: str) -> str:
    return key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
