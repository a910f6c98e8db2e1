"""What people see in the terminal: `make demo`'s milestones once each, in order; a busy
port in one line (not a traceback); `psw run`'s line per upload or bar for a backlog, with
everything else in its log file."""

from __future__ import annotations

import http.server
import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orchestration.console import UploadProgress, listening, noise_to, upload_done
from orchestration.milestones import Milestones
from psw.lake.layout import Lake
from psw.storage import free_port

ROOT = Path(__file__).resolve().parents[1]


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.send_response(200 if self.path == "/server_info" else 404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_milestones_are_printed_once_each_as_they_are_reached(tmp_path):
    lake = Lake(tmp_path)
    said: list[str] = []
    ui = http.server.HTTPServer(("127.0.0.1", free_port()), _Answers)
    threading.Thread(target=ui.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{ui.server_address[1]}"
    uploads = [8]
    watcher = Milestones(lake, url, lambda: sum(uploads), say=said.append)
    try:
        watcher.look()
        assert said == [said[0]] and "Dagster UI up: " + url in said[0]

        for i in range(4):
            lake.store.put(f"submissions/trust=RV3/period=2025-0{i + 1}/s{i}.json", b"{}")
        lake.store.put("validated/trust=RV3/period=2025-01/s0.parquet", b"x")
        watcher.look()
        assert said[-1].endswith("4 of 8 reports")

        for i in range(4, 8):
            lake.store.put(f"submissions/trust=RV3/period=2025-0{i + 1}/s{i}.json", b"{}")
        watcher.look()
        assert "every report written (8 uploads" in said[-1]

        uploads.append(2)  # late uploads: the reports are no longer all written
        watcher.look()
        assert "every report written" in said[-1] and len(said) == 3

        for i in range(8, 10):
            lake.store.put(f"submissions/trust=RV4/period=2025-0{i - 7}/s{i}.json", b"{}")
        time.sleep(0.01)
        lake.serving.parent.mkdir(parents=True)
        lake.serving.write_bytes(b"db")
        watcher.look()
        assert "marts published: " in said[-1]
        report = lake.serving.parent / "report" / "index.html"
        report.parent.mkdir()
        report.write_text("<html>")
        watcher.look()
        watcher.look()
        assert said[-1].startswith("[") and "national report built: " in said[-1]
        names = [line.split("] ", 1)[1].split(":")[0] for line in said]
        assert names == [
            "Dagster UI up",
            "4 of 8 reports",
            "every report written (8 uploads, in each feedback/)",
            "marts published",
            "national report built",
        ]
    finally:
        ui.shutdown()


@pytest.mark.slow
def test_a_busy_ui_port_stops_the_demo_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            **os.environ,
            "PSW_DATA_DIR": str(tmp_path),
            "PSW_UI_PORT": str(port),
            "PSW_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        }
        done = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "demo"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"psw: error: port {port} on 127.0.0.1 is in use (another psw demo, or a Dagster UI "
        "or S3 server?): stop it, or set PSW_UI_PORT to a free port"
    ]
    assert not (tmp_path / "s3").exists()  # refused before anything started


def test_a_data_folder_that_cannot_be_written_stops_the_run_in_one_line(tmp_path):
    """A file where the folder should be (any user: root writes past permissions)."""
    blocked = tmp_path / "data"
    blocked.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"],
        env={**os.environ, "PSW_DATA_DIR": str(blocked)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("psw run: cannot write the log under PSW_DATA_DIR: ")
    assert str(blocked) in line and "Traceback" not in done.stderr


def test_a_few_uploads_are_a_line_each_and_a_backlog_is_a_bar():
    few = io.StringIO()
    with listening(UploadProgress(few)):
        for n in range(1, 4):
            upload_done(n, 3, f"RV3 returns/2025-0{n}/f.csv: accepted")
    upload_done(1, 3, "no listener: nowhere")
    assert few.getvalue().splitlines() == [
        f"[{n}/3] RV3 returns/2025-0{n}/f.csv: accepted" for n in range(1, 4)
    ]
    backlog, ticks = io.StringIO(), iter(range(1000))
    progress = UploadProgress(backlog, clock=lambda: float(next(ticks)))
    for n in range(1, 201):
        progress(n, 200, "line")
    lines = backlog.getvalue().splitlines()
    assert len(lines) == 11  # the first, then a line every tenth: not a line an upload
    assert lines[-1].startswith("intake [" + "#" * 30 + "] 200/200")


def test_noise_goes_to_the_log_and_the_pass_lines_to_the_terminal(tmp_path, capfd):
    log = tmp_path / "psw-run.log"
    with noise_to(log) as terminal:
        print("a library's chatter")
        os.write(1, b"a child process's output\n")
        os.write(2, b"a warning on fd 2\n")
        terminal.write("the pass's own line\n")
    print("after: the terminal again")
    seen = capfd.readouterr()
    assert "the pass's own line" in seen.out and "after: the terminal again" in seen.out
    assert "chatter" not in seen.out + seen.err and "child" not in seen.out + seen.err
    text = log.read_text()
    for line in ("a library's chatter", "a child process's output", "a warning on fd 2"):
        assert line in text
