"""A backlog shared by worker processes: every upload its own task, both cores busy.

`process_in_workers` is intake's way in: a backlog in this process (`process_batch`,
psw/intake/batches.py) or, with more than one worker, shared between worker processes.
Issue 21 found a thousand uploads of one bucket in one process: a trust's uploads
were one task, to keep its months in order. Now this process (the coordinator) claims
each upload and takes its receipt in processing order, so the order of receipt does not
depend on which worker finishes first, and hands uploads to the workers one by one, the
same month of every trust first. A worker reads and checks a month while the month
before it is still landing elsewhere; only the history rules wait for that month (they
compare with it). The coordinator releases each claim when its upload is done, refreshes
a trust's history once its last upload is done, and stops handing out uploads when the
store cannot be reached.

The workers die with the coordinator: a watchdog thread in each ends it when the
coordinator is gone (issue 21: a `psw run` killed alone left two workers of ~400 MB
each for good). They are forked from a server that imported the heavy libraries once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psw.core.settings import environment, replace_environment
from psw.intake.batches import (
    BatchItem,
    claim_pending,
    in_processing_order,
    key_month,
    process_batch,
    short_fault,
)
from psw.intake.ingest import Settings, process_submission
from psw.intake.submissions import Submission

if TYPE_CHECKING:
    from psw.lake.layout import Claim
    from psw.storage import S3Settings

log = logging.getLogger(__name__)
IN_FLIGHT_EXTRA = 1  # handed out ahead of the workers: none waits for the coordinator
WATCH_SECONDS = 0.5
WAIT_SECONDS = 0.02  # how often a worker looks whether the month before has landed

# Each worker's own: its S3 client, the uploads done (set by the coordinator, shared
# memory), the national picture for the histories it refreshes.
_worker: dict[str, Any] = {}


def process_in_workers(
    store: S3Settings,
    submissions: Iterable[Submission],
    settings: Settings,
    workers: int = 1,
) -> Iterator[BatchItem]:
    """`process_batch` in this process, or the backlog shared by `workers` processes
    (each upload its own task)."""
    from psw.storage import s3_client

    pending = in_processing_order(submissions)
    if workers <= 1 or len(pending) < 2:
        yield from process_batch(s3_client(store), pending, settings)
        return
    yield from process_in_parallel(store, pending, settings, workers)


def dispatch_order(submissions: list[Submission]) -> list[Submission]:
    """Month by month, every trust's upload of a month before any of the next, oldest
    first within a trust-month: workers rarely wait for the month before, and the order
    of receipt within a trust-month is the order of upload."""
    return sorted(submissions, key=lambda s: (key_month(s), s.trust_ods_code, s.uploaded_at, s.key))


def _earlier_months(order: list[Submission]) -> dict[str, list[int]]:
    """Upload id -> the places in `order` of the same trust's uploads of earlier months."""
    seen: dict[str, list[tuple[str, int]]] = {}
    earlier = {}
    for place, s in enumerate(order):
        mine = seen.setdefault(s.trust_ods_code, [])
        earlier[s.id] = [i for month, i in mine if month < key_month(s)]
        mine.append((key_month(s), place))
    return earlier


def process_in_parallel(
    store: S3Settings, submissions: list[Submission], settings: Settings, workers: int
) -> Iterator[BatchItem]:
    """Process uploads in `workers` processes; items in the order they finish."""
    lake = settings.lake
    order = dispatch_order(submissions)
    index = {s.id: i for i, s in enumerate(order)}
    earlier = _earlier_months(order)
    done_ids = lake.processed_ids()
    context = worker_context()
    finished = context.Array("b", len(order), lock=False)  # 1 once an upload is done
    stop = context.Value("b", 0, lock=False)  # 1: the workers try no more uploads
    left_of_trust = Counter(s.trust_ods_code for s in order)
    changed: set[str] = set()
    queue = deque(order)
    running: dict[Future, tuple[Submission, Claim]] = {}
    refreshing: list[Future] = []
    stopped: str | None = None
    with worker_pool(workers, store, finished, stop) as pool:

        def finish(s: Submission, processed: bool) -> None:
            finished[index[s.id]] = 1
            left_of_trust[s.trust_ods_code] -= 1
            changed.update([s.trust_ods_code] if processed else [])
            done_with_trust = left_of_trust[s.trust_ods_code] == 0
            if done_with_trust and s.trust_ods_code in changed and settings.after_trust:
                refreshing.append(
                    pool.submit(_after_trust, settings.after_trust, lake, s.trust_ods_code)
                )

        while queue or running:
            while queue and len(running) < workers + IN_FLIGHT_EXTRA and not stopped:
                submission = queue.popleft()
                skipped, claim = claim_pending(lake, submission, done_ids)
                if claim is None:
                    finish(submission, processed=False)
                    yield BatchItem(submission, skipped=skipped)
                    continue
                try:
                    future = pool.submit(
                        _process, submission, settings, claim.receipt, earlier[submission.id]
                    )
                except BrokenProcessPool:  # a worker was killed: the next pass goes on
                    claim.release()
                    queue.appendleft(submission)
                    stopped = "a worker process died"
                    continue
                running[future] = (submission, claim)
            if not running:
                break
            ready, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in ready:
                submission, claim = running.pop(future)
                claim.release()
                item = _item(future, submission)
                if item.fault and item.fault.startswith(STORE_DOWN):
                    stopped = "the object store cannot be reached"
                elif item.fault and item.fault.startswith(WORKER_DIED):
                    stopped = "a worker process died"
                if stopped:
                    stop.value = 1  # those handed out but not started are not tried
                finish(submission, processed=item.processed is not None)
                yield item
        for submission in queue:  # the store went away, or a worker: none of these was tried
            yield BatchItem(submission, fault=f"not tried: {stopped}")
        for refresh in refreshing:
            # A history that fails is logged by refresh_history; a worker that died while
            # writing one loses nothing (the next publish refreshes every history).
            if refresh.exception() is not None:
                log.warning("a trust's history was not refreshed: %s", refresh.exception())


def worker_context() -> multiprocessing.context.ForkServerContext:
    """Workers are forked from a server process that has imported Great Expectations and
    pandas once (psw/intake/worker_preload.py): a spawned worker imported them itself, about 6 s
    of CPU each, at every pass with a backlog. The server is single-threaded, so forking
    it is safe where forking this (threaded) process is not; it lives as long as this
    process, and ends with it."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["psw.intake.worker_preload"])
    return context


def worker_pool(workers: int, store: S3Settings, finished: Any, stop: Any) -> ProcessPoolExecutor:
    """The pool of a pass: `workers` processes, each with this process's environment as it
    is now (a forked worker would otherwise have the server's, from when it started).
    `finished` and `stop` are the pass's shared flags (`context.Array`/`Value` of "b")."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=worker_context(),
        initializer=_start_worker,
        initargs=(os.getpid(), environment(), store, finished, stop),
    )


def _item(future: Future, submission: Submission) -> BatchItem:
    exc = future.exception()
    if exc is None:
        return future.result()
    return BatchItem(submission, fault=f"{WORKER_DIED}{short_fault(exc)}")


STORE_DOWN = "store unreachable: "
NOT_TRIED = "the pass stopped (the object store, or a worker)"
WORKER_DIED = "worker died: "


# ---- in the worker processes -------------------------------------------------------


def _start_worker(
    coordinator: int, environ: dict[str, str], store: S3Settings, finished, stop
) -> None:
    from psw.storage import s3_client

    replace_environment(environ)
    _worker.update(s3=s3_client(store), finished=finished, stop=stop)
    # The coordinator itself, not the parent: a worker's parent is the fork server, which
    # lives as long as any worker does.
    started = _started(coordinator)
    if started is None:  # gone before this worker started
        os._exit(1)

    def watch() -> None:
        while _started(coordinator) == started:
            time.sleep(WATCH_SECONDS)
        os._exit(1)  # the coordinator is gone: so is the work it handed out

    threading.Thread(target=watch, name="psw-watchdog", daemon=True).start()


def _started(pid: int) -> str | None:
    """When process `pid` started (so a new process given its number is not taken for
    it); None once it has ended, a zombie included. Without /proc: whether it exists."""
    if not Path("/proc/self/stat").exists():
        from psw.core.processes import pid_alive

        return "running" if pid_alive(pid) else None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, *rest = stat.rsplit(")", 1)[1].split()
    return None if state == "Z" else rest[18]  # field 22 of proc(5): the start time


def _process(
    submission: Submission, settings: Settings, receipt: int, earlier: list[int]
) -> BatchItem:
    """One upload in a worker: a platform fault is an item (retried by the next pass)."""
    from psw.storage import store_unreachable

    finished = _worker["finished"]
    if _worker["stop"].value:
        return BatchItem(submission, fault=f"not tried: {NOT_TRIED}")

    def earlier_landed() -> None:
        while not all(finished[i] for i in earlier):
            time.sleep(WAIT_SECONDS)

    started = time.perf_counter()
    try:
        processed = process_submission(
            _worker["s3"], submission, settings, receipt=receipt, earlier_landed=earlier_landed
        )
    except Exception as exc:  # the store or the disk: retried by the next pass
        prefix = ""
        if store_unreachable(exc):
            prefix = STORE_DOWN
            _worker["stop"].value = 1  # set here: this worker's next upload must see it
        return BatchItem(
            submission, fault=prefix + short_fault(exc), seconds=time.perf_counter() - started
        )
    return BatchItem(submission, processed, seconds=time.perf_counter() - started, pid=os.getpid())


def _after_trust(hook, lake, ods: str) -> object:
    """The application's hook for a trust done (its history), in a worker; its cache
    lives as long as the worker, which lives for one pass."""
    return hook(_worker["s3"], lake, ods, _worker.setdefault("after_trust", {}))
