"""The data directory contract, in one place: what lives where under `$PSW_DATA_DIR`.

Ingestion writes, dbt reads (through the globs below), the warehouse module builds and
publishes, and the benchmarks measure: all of them ask this module for paths.

  validated/trust=<ODS>/period=<YYYY-MM>/<submission id>.parquet   accepted returns
  submissions/trust=<ODS>/period=<YYYY-MM>/<submission id>.json    the ledger: every filed upload
  submissions/trust=<ODS>/unfiled/<submission id>.json             uploads that fit no month
  claims/<submission id>.lock                                      who is processing what (flock)
  warehouse.duckdb, .lock, .build, serving/psw.duckdb              the marts (psw/warehouse.py)

"Unfiled" uploads (a key that is not `returns/<YYYY-MM>/<file>`, or a month outside the
collection) get a report and a ledger entry, but no month: dbt's globs do not see them.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

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
# in force, the newest is the one the store received last, then processed last (a store
# may give whole seconds), then the greatest id (a stable tie). The dbt macros
# newest_file_first() and in_force_statuses() are generated from these (`make spec`).
NEWEST_FIRST = ("received_at", "processed_at", "submission_id")


def recency(record: Mapping[str, object]) -> tuple[str, ...]:
    """Sort key of a ledger record by NEWEST_FIRST: the greater is the newer."""
    return tuple(str(record.get(name) or "") for name in NEWEST_FIRST)


@dataclass(frozen=True)
class Lake:
    """Paths under one data directory."""

    root: Path

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
    def serving(self) -> Path:
        return self.root / "serving" / "psw.duckdb"

    @property
    def report(self) -> Path:
        """The national report's folder (psw/pages/national.py), rebuilt after each publish."""
        return self.root / "serving" / "report"

    def landed(self, ods: str, period: str, submission_id: str) -> Path:
        return (
            self.root
            / "validated"
            / f"trust={ods}"
            / f"period={period}"
            / f"{submission_id}.parquet"
        )

    def ledger_entry(self, ods: str, period: str | None, submission_id: str) -> Path:
        folder = f"period={period}" if period else "unfiled"
        return self.root / "submissions" / f"trust={ods}" / folder / f"{submission_id}.json"

    def ledger_files(self) -> Iterator[Path]:
        yield from self.root.glob(LEDGER_GLOB)
        yield from self.root.glob(UNFILED_GLOB)

    def processed_ids(self) -> set[str]:
        """Submission ids with an outcome (filed or not): one listing, not a read per id."""
        return {p.stem for p in self.ledger_files()}

    def trusts_with_uploads(self) -> list[str]:
        """ODS codes of the trusts with at least one ledger entry."""
        folders = (self.root / "submissions").glob("trust=*")
        return sorted(p.name.removeprefix("trust=") for p in folders if p.is_dir())

    def outcome(self, ods: str, submission_id: str) -> dict | None:
        """A submission's ledger entry, filed under a month or not; None before it has one."""
        for path in (self.root / "submissions" / f"trust={ods}").glob(f"*/{submission_id}.json"):
            return json.loads(path.read_text())
        return None

    def has_outcome(self, ods: str, submission_id: str) -> bool:
        return self.outcome(ods, submission_id) is not None

    def outcomes(self, ods: str | None = None, unfiled: bool = False) -> Iterator[dict]:
        """Every filed ledger entry (of one trust when given; with the unfiled ones too
        when asked)."""
        pattern = f"submissions/trust={ods or '*'}/{'*' if unfiled else 'period=*'}/*.json"
        for path in self.root.glob(pattern):
            yield json.loads(path.read_text())

    @contextmanager
    def claim(self, submission_id: str) -> Iterator[bool]:
        """An exclusive, non-blocking claim on one submission, across processes.

        Yields False when another process holds it. An flock: the kernel frees it when the
        holder dies, so a killed pass never leaves an upload claimed for good.
        """
        folder = self.root / "claims"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{submission_id}.lock"
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
