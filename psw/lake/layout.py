"""The data contract, in one place: what lives where in the lake and the data dir.

Ingestion writes, dbt reads (through the globs below), the warehouse module builds and
publishes, and the benchmarks measure: all of them ask this module for keys and paths.

The lake, under `PSW_LAKE_URL` (a local folder, by default `$PSW_DATA_DIR` itself, or an
S3 prefix; psw/lake/store.py):

  validated/trust=<ODS>/period=<YYYY-MM>/<submission id>.parquet   accepted returns
  submissions/trust=<ODS>/period=<YYYY-MM>/<submission id>.json    the ledger: every filed upload
  submissions/trust=<ODS>/unfiled/<submission id>.json             uploads that fit no month

This machine's files, under `$PSW_DATA_DIR`:

  claims/<submission id>.lock                                      who is processing what (flock)
  warehouse.duckdb, .lock, .build, .built, serving/psw.duckdb      the marts (psw/warehouse/:
                                                                   writer.py, publish.py)

"Unfiled" uploads (a key that is not `returns/<YYYY-MM>/<file>`, or a month outside the
collection) get a report and a ledger entry, but no month: dbt's globs do not see them.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from psw.lake.claims import Claim, try_claim
from psw.lake.ledger import (
    Quarantined,
    Status,
    UnreadableEntry,
    is_quarantine_of,
    log,
    parse_entry,
    quarantine_key,
)
from psw.lake.store import Entry, LakeStore, LocalLakeStore, lake_url, open_store

if TYPE_CHECKING:
    import pyarrow as pa

LANDED_GLOB = "validated/trust=*/period=*/*.parquet"
LEDGER_GLOB = "submissions/trust=*/period=*/*.json"
UNFILED_GLOB = "submissions/trust=*/unfiled/*.json"


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


Record = TypeVar("Record", bound=Mapping[str, Any])


def standing(records: Iterable[Record]) -> Record | None:
    """What stands for one trust-month among its uploads: the newest in force (the last
    good file wins, as in the national figures), else the newest; None without uploads."""
    newest_first = sorted(records, key=recency, reverse=True)
    in_force = [r for r in newest_first if Status(str(r["status"])).in_force]
    return in_force[0] if in_force else (newest_first[0] if newest_first else None)


@dataclass(frozen=True)
class Lake:
    """The platform's state under one data directory, and the lake (`store`).

    The warehouse, the serving database and the locks are files of this machine, under
    `root`; the landed returns and the ledger are objects of the lake's store, a local
    folder (by default `root` itself) or an S3 prefix (`PSW_LAKE_URL`, psw/lake/store.py).
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
        """Which process runs dbt for which (psw/warehouse/writer.py: an orphan is stopped)."""
        return self.root / "warehouse.build"

    @property
    def build_outcome(self) -> Path:
        """Present while the warehouse holds a finished, successful build
        (psw/warehouse/writer.py)."""
        return self.root / "warehouse.built"

    @property
    def dbt_builds(self) -> Path:
        """dbt's folder per build (run results, compiled SQL) and the parse it keeps
        between builds (psw/warehouse/dbt_builds.py: the profile names this data dir)."""
        return self.root / "dbt"

    @property
    def serving(self) -> Path:
        return self.root / "serving" / "psw.duckdb"

    @property
    def last_published(self) -> Path:
        """The platform's own copy of the last serving file, which analysts never open:
        the next publish compares with it (psw/warehouse/publish.py)."""
        return self.root / "published.duckdb"

    @property
    def report(self) -> Path:
        """The national report's folder (psw/site/national.py), rebuilt after each publish."""
        return self.root / "serving" / "report"

    @property
    def chart_cache(self) -> Path:
        """Charts already drawn, by the hash of their specification (psw/site/charts.py)."""
        return self.root / "cache" / "charts"

    @property
    def docs_cache(self) -> Path:
        """The static dbt docs, by version of the dbt project (psw/warehouse/dbt_docs.py)."""
        return self.root / "cache" / "dbt-docs"

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
        """Submission ids with an outcome (filed or not, or set aside in the quarantine):
        one listing, not a read per id."""
        return {_stem(e.key) for e in self.ledger_entries()} | {
            _stem(key) for key in self.quarantined()
        }

    def trusts_with_uploads(self) -> list[str]:
        """ODS codes of the trusts with at least one ledger entry."""
        return sorted({e.key.split("/")[1].removeprefix("trust=") for e in self.ledger_entries()})

    def outcome(self, ods: str, submission_id: str) -> dict | None:
        """A submission's ledger entry, filed under a month or not; None before it has one
        (or when it was unreadable, and set aside)."""
        for entry in self.ledger_entries(ods):
            if _stem(entry.key) == submission_id:
                data = self.store.get(entry.key)
                return None if data is None else self.read_entry(entry.key, data)
        return None

    def has_outcome(self, ods: str, submission_id: str) -> bool:
        return any(_stem(e.key) == submission_id for e in self.ledger_entries(ods)) or any(
            _stem(key) == submission_id for key in self.quarantined(ods)
        )

    def outcomes(
        self, ods: str | None = None, unfiled: bool = False, skip: Container[str] = ()
    ) -> Iterator[dict]:
        """Every filed ledger entry (of one trust when given; with the unfiled ones too
        when asked), but those whose submission ids are in `skip` (not even read). An
        unreadable entry is set aside (psw/lake/ledger.py) and left out: the build
        publishes nothing until `psw lake rebuild` has made it again."""
        keys = [
            e.key for e in self.ledger_entries(ods, unfiled=unfiled) if _stem(e.key) not in skip
        ]
        for key, data in zip(keys, self.store.get_many(keys), strict=True):
            if data is not None:  # gone between the listing and the read
                record = self.read_entry(key, data)
                if record is not None:
                    yield record

    def check_ledger(self) -> list[Quarantined]:
        """Read every ledger entry and set aside the unreadable ones (before a build)."""
        found: list[Quarantined] = []
        keys = [e.key for e in self.ledger_entries()]
        for key, data in zip(keys, self.store.get_many(keys), strict=True):
            if data is not None:
                self.read_entry(key, data, found)
        return found

    def quarantined(self, ods: str | None = None) -> list[str]:
        """Keys of the ledger entries set aside and not yet made again."""
        prefix = quarantine_key(f"submissions/trust={ods}/" if ods else "submissions/")
        return sorted(e.key for e in self.store.entries(prefix) if is_quarantine_of(e.key))

    def clear_quarantine(self, submission_id: str) -> None:
        """Forget a set-aside entry once the ledger holds the submission again."""
        for key in self.quarantined():
            if _stem(key) == submission_id:
                self.store.delete(key)

    def read_entry(
        self, key: str, data: bytes, found: list[Quarantined] | None = None
    ) -> dict | None:
        """A ledger entry's record; None when it is unreadable, and then set aside (and
        added to `found` when given)."""
        try:
            return parse_entry(key, data)
        except UnreadableEntry as exc:
            self.store.put(quarantine_key(key), data)
            self.store.delete(key)
            moved = Quarantined(key, exc.reason, self.store.url(quarantine_key(key)))
            log.error("%s: `psw lake rebuild` makes it again from the archive", moved.line)
            if found is not None:
                found.append(moved)
            return None

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
        """An exclusive claim on one submission with its receipt (psw/lake/claims.py)."""
        return try_claim(self.root / "claims", submission_id)


def _stem(key: str) -> str:
    return key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
