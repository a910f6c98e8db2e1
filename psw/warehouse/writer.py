"""The warehouse DuckDB file (docs/interfaces.md), dbt's way in, and the one-writer rule.

`$PSW_DATA_DIR/warehouse.duckdb` is written by dbt only, one build at a time
(`writer_lock`): DuckDB allows one writer process or many readers, never both. This
module gives dbt its environment and manifest, holds the lock, stops a build its owner
left behind, and marks a finished successful build (what psw/warehouse/publish.py may publish).

One module, over 300 lines: the build marker is written under the lock, names the
project's code and says what the build holds; apart, each half would import the other.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psw.core.paths import dbt_project_dir
from psw.core.processes import pid_alive
from psw.core.settings import environment, exported
from psw.lake.layout import Lake


def warehouse_path(data_dir: Path) -> Path:
    return Lake(data_dir).warehouse


def serving_path(data_dir: Path) -> Path:
    return Lake(data_dir).serving


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv need not be on PATH)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def dbt_command(*args: str) -> list[str]:
    """A dbt command line on this project (its profiles beside it)."""
    project = str(dbt_project_dir())
    return [dbt_executable(), *args, "--project-dir", project, "--profiles-dir", project]


def dbt_environment(data_dir: Path) -> dict[str, str]:
    """Environment for a dbt process: an absolute data dir, the lake's location (its
    credentials are the platform's, from the environment), nothing phoning home."""
    from psw.warehouse.engines import warehouse_kind

    env = {
        "PSW_DATA_DIR": str(data_dir.resolve()),
        "PSW_LAKE_URL": Lake.from_env(data_dir).url,
        "PSW_WAREHOUSE": warehouse_kind(),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if env["PSW_WAREHOUSE"] == "spark":
        # The metastore's log (derby.log) beside the metastore, not in whatever folder
        # dbt runs from: a JVM option, so set before pyspark starts the JVM.
        home = data_dir.resolve() / "spark"
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--driver-java-options -Dderby.system.home={home} pyspark-shell"
        )
    return env


@contextmanager
def environment_for_dbt(data_dir: Path) -> Iterator[None]:
    """dbt_environment set for the dbt process started inside, and restored after.

    dagster-dbt's `DbtCliResource.cli` starts dbt with a copy of os.environ and takes no
    environment of its own; setting it only around that call keeps a `psw run` (one
    process for intake and marts) free of dbt's settings afterwards."""
    with exported(dbt_environment(data_dir)):
        yield


@contextmanager
def writer_lock(data_dir: Path, wait_seconds: float = 1800) -> Iterator[None]:
    """Hold the warehouse's writer lock (an flock, freed if the process dies).

    Once held, a dbt build left running by a holder that was killed is stopped: it would
    hold DuckDB's own lock on the warehouse and fail the next build."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with Lake(data_dir).writer_lock.open("a") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("another build held the warehouse too long") from None
                time.sleep(0.5)
        try:
            stop_orphaned_build(data_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record_build(data_dir: Path, dbt_pid: int) -> None:
    """Note which process runs dbt for whom, for `stop_orphaned_build`."""
    Lake(data_dir).build_record.write_text(f"{os.getpid()} {dbt_pid}\n")


def mark_build(
    data_dir: Path, succeeded: bool, code: str | None = None, started: float | None = None
) -> None:
    """Whether the warehouse now holds a whole successful build. Unmarked when a build
    starts, marked when dbt finished without error: a build that failed or was killed
    part way leaves a mix of new and old tables, which must never be published. The mark
    holds when the build started (every ledger entry older than that is in it), the
    project's code the incremental models were built with (`code`, this project's by
    default; "" for none, so that the next build is whole) and the warehouse's engine."""
    from psw.warehouse.engines import warehouse_kind

    marker = Lake(data_dir).build_outcome
    if succeeded:
        code = project_fingerprint() if code is None else code
        at = time.time() if started is None else started
        marker.write_text(f"{at:.6f}\n{code}\n{warehouse_kind()}\n")
    else:
        marker.unlink(missing_ok=True)


def _marker(data_dir: Path) -> list[str]:
    """The build marker's lines (started, code, engine), [] without a successful build of
    this engine: a build on another PSW_WAREHOUSE holds nothing of this one's."""
    from psw.warehouse.engines import warehouse_kind

    try:
        lines = Lake(data_dir).build_outcome.read_text().split("\n")
    except OSError:
        return []
    return lines if len(lines) > 2 and lines[2] == warehouse_kind() else []


def warehouse_holds_ledger(lake: Lake) -> bool:
    """Whether the warehouse's last successful build started after every ledger entry
    was written: then a lost or corrupt serving file is published again from it, without
    a dbt build (issue 21)."""
    try:
        started = float(_marker(lake.root)[0])
    except (IndexError, ValueError):
        return False
    return all(e.modified < started for e in lake.ledger_entries())


def built_with(data_dir: Path) -> str:
    """The project code the last successful build's incremental models were built with
    ("" when none is known: no build, a failed or killed one, a lake made again, or a
    build on another engine). A build whose project_fingerprint() differs rebuilds them
    whole (dbt's --full-refresh): a changed model, macro, seed or setting may compute
    every row differently, and a failed build may have left them part updated. Otherwise
    it adds only the submissions newly in force (dbt_project/macros/in_force_increments.sql)."""
    lines = _marker(data_dir)
    return lines[1] if len(lines) > 1 else ""


def build_whole_next(data_dir: Path) -> None:
    """The next build reads the whole lake (after `psw lake rebuild` made returns again,
    whose rows the incremental models may hold as they were). The warehouse's last build
    stays publishable: it is whole and consistent, only older."""
    marker = Lake(data_dir).build_outcome
    with writer_lock(data_dir):  # never between a build's start and its mark
        if marker.exists():
            marker.write_text(marker.read_text().split("\n", 1)[0] + "\n")


def project_fingerprint() -> str:
    """A hash of every file of the dbt project that decides what a build computes."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(_project_sources()):
        digest.update(f"{path.relative_to(dbt_project_dir())}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _project_sources() -> list[Path]:
    project = dbt_project_dir()
    sources = [project / "dbt_project.yml", project / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (project / folder).rglob("*") if p.is_file()]
    return sources


def holds_successful_build(data_dir: Path) -> bool:
    return Lake(data_dir).build_outcome.exists()


def stop_orphaned_build(data_dir: Path) -> int | None:
    """Kill a recorded dbt build whose owner is gone; its pid when one was stopped."""
    import signal

    record = Lake(data_dir).build_record
    if not record.exists():
        return None
    owner, dbt_pid = (int(x) for x in record.read_text().split())
    record.unlink()
    if owner == os.getpid() or pid_alive(owner) or not _is_dbt(dbt_pid):
        return None
    os.kill(dbt_pid, signal.SIGKILL)
    return dbt_pid


def _is_dbt(pid: int) -> bool:
    """Whether a live process is a dbt command (a recycled pid is left alone)."""
    try:
        return b"dbt" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def remove_leftovers(folder: Path, name: str) -> list[Path]:
    """Files and folders a killed publish or report build left beside `name`
    (`.<name>.<pid>.new`, `.old`, `.tmp`, and their `.wal`), when that process is gone."""
    import shutil

    removed = []
    for path in folder.glob(f".{name}.*"):
        parts = path.name.removeprefix(f".{name}.").split(".")
        if len(parts) >= 2 and parts[0].isdigit() and not pid_alive(int(parts[0])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def serving_identity(path: Path) -> str:
    """Which serving file this is (a publish makes a new one): the report records the one
    it was built from, so a report left behind by a kill is known (issue 21)."""
    info = path.stat()
    return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}"


def report_is_stale(lake: Lake) -> bool:
    """Whether the national report was built from another serving file than the one
    served (or not at all): a pass killed between the publish and the report left it."""
    if not lake.serving.exists():
        return False
    marker = lake.report / REPORT_SOURCE
    try:
        return marker.read_text().strip() != serving_identity(lake.serving)
    except OSError:
        return True


REPORT_SOURCE = ".source"  # in the report's folder: serving_identity of its serving file


def manifest_path() -> Path:
    return dbt_project_dir() / "target" / "manifest.json"


def manifest_is_stale() -> bool:
    """Whether the dbt manifest is missing or older than any file of the project."""
    manifest = manifest_path()
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in _project_sources())


def prepare_manifest(data_dir: Path) -> Path:
    """`dbt parse` when the manifest is missing or stale (what prepare_if_dev does only
    under `dagster dev`); tests, CI and `psw run` call this before loading definitions."""
    import subprocess

    if manifest_is_stale():
        subprocess.run(
            dbt_command("parse"),
            env={**environment(), **dbt_environment(data_dir)},
            check=True,
            capture_output=True,
            text=True,
        )
    return manifest_path()


def serving_is_stale(lake: Lake) -> bool:
    """Whether the serving file is missing, unreadable (issue 21: a corrupt one blocked
    every publish) or older than an outcome in the ledger (a new upload, or a build that
    failed after one)."""
    if not lake.serving.exists() or not _looks_like_duckdb(lake.serving):
        return True
    built = lake.serving.stat().st_mtime
    return any(e.modified > built for e in lake.ledger_entries())


def _looks_like_duckdb(path: Path) -> bool:
    """A DuckDB file's magic bytes (offset 8): cheap, and an analyst's lock cannot fail it."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except OSError:
        return False
