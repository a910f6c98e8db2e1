"""Claims on uploads and the platform's order of receipt, across the processes of a host.

A claim is an flock on `claims/<submission id>.lock` under the data dir: the kernel frees
it when the holder dies, so a killed pass never leaves an upload claimed for good. Taking
a claim takes a receipt, the platform's own order of the uploads it received (issue 21: a
store's LastModified is the client's to set on some stores), which the ledger keeps and
"the last good file wins" orders by (psw/lake/layout.py NEWEST_FIRST).
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass
class Claim:
    """A held claim (Lake.try_claim): the lock file, open, and the receipt taken."""

    path: Path
    handle: IO[str]
    receipt: int

    def release(self) -> None:
        self.path.unlink(missing_ok=True)  # before the unlock: no one claims a removed file
        self.handle.close()

    close = release  # for contextlib.closing


def try_claim(folder: Path, submission_id: str) -> Claim | None:
    """An exclusive, non-blocking claim on one submission, across processes, with the
    platform's receipt of it (`take_receipt`); None when another process holds it.

    An flock: the kernel frees it when the holder dies, so a killed pass never leaves
    an upload claimed for good. The lock file goes when the claim is released (a
    thousand uploads left a thousand files); a claim on a file another holder has
    just removed is taken again on the new one. The claim is this host's
    (docs/decisions/0089: with a shared Dagster instance, runs of other hosts are
    kept apart by run keys, and an outcome written twice is the same).
    """
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
            return Claim(path, handle, take_receipt(folder))
        handle.close()  # removed by the holder before us: claim the new file


def take_receipt(folder: Path) -> int:
    """The next number of the platform's own order of receipt (issue 21: a store's
    LastModified is the client's to set on some stores). Nanoseconds of this host's
    clock, always above the last one taken: a lost counter file loses no order."""
    path = folder / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
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


def _same_file(handle, path: Path) -> bool:
    """Whether an open file is still the one at `path` (not removed or replaced)."""
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
