"""Benchmark of return validation: wall time, rows per second and peak memory by stage.

For each size (100, 10,000 and 100,000 rows by default) a clean synthetic CSV return is
written, then validated in a fresh child process, so peak memory is per size and includes
one-off costs (importing pandas, pandera and Great Expectations). The child validates twice:
"cold" includes the first import of Great Expectations, "warm" is what a long-running
platform process pays. Beside it, the floor: pyarrow reading the same CSV and nothing else.

    make bench                     # or: .venv/bin/python benchmarks/validate_bench.py
    .venv/bin/python benchmarks/validate_bench.py --sizes 100,10000 --json out.json

This is a measurement, not a test: it prints numbers and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

TRUST, PERIOD = "RV3", "2025-06"


def child(path: Path, rows: int) -> dict:
    """Runs in a fresh process: validate twice, read with pyarrow twice, report."""
    import datetime as dt

    import pyarrow.csv as pacsv

    from psw.periods import parse_period
    from psw.validation import validate_return

    def run():
        started = time.perf_counter()
        result = validate_return(
            path, trust_ods_code=TRUST, period_end=parse_period(PERIOD), today=dt.date(2026, 1, 1)
        )
        return time.perf_counter() - started, result

    cold, result = run()
    warm, result = run()
    pacsv.read_csv(path)
    started = time.perf_counter()
    pacsv.read_csv(path)
    floor = time.perf_counter() - started
    t = result.timings
    return {
        "rows": rows,
        "status": result.report.status,
        "read_s": t["read"],
        "pandera_s": t["contract"],
        "gx_s": t["quality"],
        "whole_cold_s": cold,
        "whole_warm_s": warm,
        "rows_per_s_warm": rows / warm,
        "pyarrow_floor_s": floor,
        "floor_rows_per_s": rows / floor,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(rows: int, folder: Path) -> dict:
    from psw.reference import trusts
    from psw.synth import rows_of_size, to_csv_bytes

    path = folder / f"return_{rows}.csv"
    path.write_bytes(to_csv_bytes(rows_of_size(trusts()[TRUST], PERIOD, 1, rows)))
    print(
        f"measuring {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB)...",
        file=sys.stderr,
        flush=True,
    )
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(rows)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if result["status"] != "accepted":
        print(f"WARNING: the clean {rows}-row return was {result['status']}", file=sys.stderr)
    return result


COLUMNS = [
    ("rows", "rows", "{:>9,}"),
    ("read_s", "read s", "{:>7.2f}"),
    ("pandera_s", "pandera s", "{:>9.2f}"),
    ("gx_s", "GX s", "{:>6.2f}"),
    ("whole_cold_s", "whole cold s", "{:>12.2f}"),
    ("whole_warm_s", "whole warm s", "{:>12.2f}"),
    ("rows_per_s_warm", "rows/s warm", "{:>11,.0f}"),
    ("pyarrow_floor_s", "pyarrow floor s", "{:>15.3f}"),
    ("floor_rows_per_s", "floor rows/s", "{:>12,.0f}"),
    ("peak_mb", "peak MB", "{:>7.0f}"),
]


def table(results: list[dict]) -> str:
    widths = [max(len(title), len(fmt.format(0))) for _, title, fmt in COLUMNS]
    lines = [" | ".join(t.rjust(w) for (_, t, _), w in zip(COLUMNS, widths, strict=True))]
    for r in results:
        lines.append(
            " | ".join(
                fmt.format(r[key]).rjust(w)
                for (key, _, fmt), w in zip(COLUMNS, widths, strict=True)
            )
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        results = [measure(n, Path(folder)) for n in sizes]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        "read = reading and normalising the file; pandera = file rules, personal-data scan "
        "and the row contract; GX = Great Expectations suites (warm)"
    )
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
