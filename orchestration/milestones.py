"""What `make demo` prints while it runs: its milestones, each with the time since start.

Dagster's and dbt's own output goes to a log file (`$PSW_DATA_DIR/logs/dagster-dev.log`);
the console says only what a person watching needs: the UI is up, every upload has its
report, the marts are published, the national report is built. A thread watches the
platform's files and the UI, as an operator would look, and prints each milestone once.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from psw.lake.layout import Lake

POLL_S = 1.0


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ui_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


class Milestones:
    """Prints each milestone once, as it is reached. `expected()` is how many uploads
    the demo has made so far (late ones arrive while it runs)."""

    def __init__(
        self,
        lake: Lake,
        ui_url: str,
        expected: Callable[[], int],
        say: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lake, self.ui_url, self.expected, self.say, self.clock = (
            lake,
            ui_url,
            expected,
            say,
            clock,
        )
        self.started = clock()
        self.reached: list[str] = []
        self.reported_before = -1
        self._stop = threading.Event()

    @property
    def reached_all(self) -> bool:
        """Every report written once: late uploads after it are announced as they arrive."""
        return "reports" in self.reached

    def mark(self, name: str, text: str) -> None:
        if name not in self.reached:
            self.reached.append(name)
            self.say(f"[{self.clock() - self.started:5.0f} s] {text}")

    def look(self) -> None:
        """One look at the UI and the files; prints what is newly reached."""
        if "ui" not in self.reached and ui_answers(self.ui_url):
            self.mark("ui", f"Dagster UI up: {self.ui_url} (the sensor trust_uploads is on)")
        reported = sum(1 for _ in self.lake.ledger_entries())
        expected = self.expected()
        if reported != self.reported_before and reported < expected and not self.reached_all:
            step = max(expected // 4, 1)
            if reported // step != max(self.reported_before, 0) // step and reported:
                self.say(f"[{self.clock() - self.started:5.0f} s] {reported} of {expected} reports")
            self.reported_before = reported
        if reported < expected:
            return
        self.mark("reports", f"every report written ({reported} uploads, in each feedback/)")
        landed = [e.modified for e in self.lake.landed_entries()]
        serving = self.lake.serving
        if serving.exists() and landed and serving.stat().st_mtime > max(landed):
            self.mark("published", f"marts published: {serving}")
            index = Path(serving.parent) / "report" / "index.html"
            if index.exists() and index.stat().st_mtime >= serving.stat().st_mtime:
                self.mark("report", f"national report built: {index}")

    def watch(self) -> threading.Thread:
        def run() -> None:
            while not self._stop.wait(POLL_S):
                try:
                    self.look()
                except Exception as exc:  # a file mid-write: look again next time
                    self.say(f"(milestones: {type(exc).__name__}: {exc}; looking again)")

        thread = threading.Thread(target=run, name="milestones", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
