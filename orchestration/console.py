"""What `psw run` shows in the terminal, and where everything else goes.

The terminal gets the pass's own lines: a line per upload (or, on a backlog, a progress
bar), each stage and the outcome. Dagster's run logs, dbt's output, library warnings and
whatever a worker or dbt process writes go to `$PSW_DATA_DIR/logs/psw-run.log`, which
the terminal names when something fails. A run launched by the sensor in `dagster dev`
has no listener: its lines are in the Dagster UI only.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

LIST_UP_TO = 20  # uploads listed a line each; more are a progress bar
BAR_WIDTH = 30
LOG_KEEP_BYTES = 20_000_000  # a log over this is moved to psw-run.log.1 first

_listener: Callable[[int, int, str], None] | None = None


def upload_done(number: int, total: int, line: str) -> None:
    """Called by the intake op for each upload it finished (nothing without a listener)."""
    if _listener is not None:
        _listener(number, total, line)


@contextlib.contextmanager
def listening(listener: Callable[[int, int, str], None]) -> Iterator[None]:
    global _listener
    previous, _listener = _listener, listener
    try:
        yield
    finally:
        _listener = previous


class UploadProgress:
    """A line per upload for a few, a bar for a backlog: redrawn in place on a terminal,
    a line every tenth elsewhere (a CI log, a file)."""

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.clock = out, clock
        self.started = clock()
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.shown_tenth = -1

    def __call__(self, number: int, total: int, line: str) -> None:
        if total <= LIST_UP_TO:
            self._write(f"[{number}/{total}] {line}\n")
            return
        tenth = number * 10 // total
        if not self.tty and tenth == self.shown_tenth and number != total:
            return
        self.shown_tenth = tenth
        done = BAR_WIDTH * number // total
        rate = number / max(self.clock() - self.started, 1e-9)
        bar = f"intake [{'#' * done}{'.' * (BAR_WIDTH - done)}] {number}/{total} ({rate:.1f}/s)"
        if self.tty:
            self._write("\r" + bar + ("\n" if number == total else ""))
        else:
            self._write(bar + "\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def log_file(data_dir: Path) -> Path:
    path = data_dir / "logs" / "psw-run.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > LOG_KEEP_BYTES:
        path.replace(path.with_name(path.name + ".1"))
    return path


@contextlib.contextmanager
def noise_to(path: Path) -> Iterator[TextIO]:
    """Everything written while inside goes to `path` (Python's stdout and stderr, the
    process's file descriptors 1 and 2 for dbt and the workers, warnings, logging);
    yields the terminal as it was, to write the pass's own lines to."""
    terminal = sys.stdout
    saved_fds: list[int] = []
    with path.open("a", encoding="utf-8", buffering=1) as log:
        log.write(f"\n==== psw run {time.strftime('%Y-%m-%d %H:%M:%S')} (pid {os.getpid()})\n")
        # A terminal whose stream sits on fd 1 keeps a copy of it: fd 1 is the log's next.
        if _fileno(terminal) == 1:
            terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout.flush()
        sys.stderr.flush()
        for fd in (1, 2):
            saved_fds.append(os.dup(fd))
            os.dup2(log.fileno(), fd)
        sys.stdout, sys.stderr = log, log  # warnings and logging's last resort too
        try:
            yield terminal
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
            if terminal is not old_out:
                terminal.close()


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
