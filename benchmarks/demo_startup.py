"""`make demo` on a fresh data dir: how long until every demo upload has its report and
the serving database is published from every accepted one.

    .venv/bin/python benchmarks/demo_startup.py [--workdir /tmp/psw-demo-bench]

Starts `psw demo` (the same command `make demo` runs) with a fresh PSW_DATA_DIR, polls
the ledger, the trusts' feedback/ folders and the serving database, prints when each
milestone was reached, then stops the demo with SIGINT as Ctrl-C would.
A measurement, not a test. It prints numbers.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/psw-demo-bench"))
    parser.add_argument("--limit", type=float, default=600)
    args = parser.parse_args()

    from orchestration.demo import DEMO_TRUSTS, FAULTS, FIRST, LAST, LATE
    from psw.core.periods import months
    from psw.lake.layout import Lake

    work = args.workdir.resolve()
    subprocess.run(["rm", "-rf", str(work)], check=True)
    lake = Lake(work / "data")
    expected = len(DEMO_TRUSTS) * len(months(FIRST, LAST)) + len(FAULTS)
    env = {**os.environ, "PSW_DATA_DIR": str(lake.root)}
    env.pop("DAGSTER_HOME", None)
    started = time.monotonic()
    demo = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "demo"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    seen: dict[str, float] = {}

    def mark(name: str) -> None:
        if name not in seen:
            seen[name] = time.monotonic() - started
            print(f"{seen[name]:6.1f} s  {name}", flush=True)

    try:
        while time.monotonic() - started < args.limit:
            entries = list(lake.ledger_entries())
            if entries:
                mark("first report")
            if len(entries) >= expected - len(LATE):
                mark(f"every upload before the UI started has its report ({expected - len(LATE)})")
            if len(entries) >= expected:
                mark(
                    f"every demo upload has its report ({expected}, {len(LATE)} late ones included)"
                )
                newest = max(e.modified for e in lake.landed_entries())
                if lake.serving.exists() and lake.serving.stat().st_mtime > newest:
                    mark("serving database published from every accepted upload")
                    break
            time.sleep(0.5)
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
    return 0 if "serving database published from every accepted upload" in seen else 1


if __name__ == "__main__":
    sys.exit(main())
