"""Benchmark of return validation: wall time by stage, rows per second and peak memory.

For each size (100, 10,000 and 100,000 rows by default) one clean synthetic CSV return
(trust RV3, period 2025-06, seed 1) is written to a temporary folder, outside the timing.
Each size is then measured in a fresh child process (this script with a hidden --child
mode), so peak memory is per size and includes the one-off costs: importing pandas,
pandera and Great Expectations. The child calls `validate_return` twice:

- cold: the first call; its GX stage includes `import great_expectations`;
- warm: the second call, what a long-running platform process pays per return.

Stages come from `ValidationResult.timings` of the warm call: read (read and normalise
the file), pandera (file rules, personal-data scan and the row contract) and GX (the Great
Expectations suites). "whole" is the wall time of the whole call, which also includes
typing the frame and building the Arrow table. The floor is `pyarrow.csv.read_csv` alone
on the same file (warm, after one read): the least any validation could cost.
Peak MB is the child's peak RSS (`ru_maxrss`) over everything it did; the JSON also
gives the peak after the cold call alone (one `psw validate`).

    make bench      # runs .venv/bin/python benchmarks/validate_bench.py
    .venv/bin/python benchmarks/validate_bench.py --sizes 100,10000 --json /tmp/bench.json

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

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before anything imports GX

TRUST, PERIOD, SEED = "RV3", "2025-06", 1


def child(path: Path, rows: int) -> dict:
    """In a fresh process: validate twice, read with pyarrow twice, return the figures."""
    started = time.perf_counter()
    import pyarrow.csv as pacsv

    from psw.core.periods import parse_period
    from psw.standard.validation import validate_return

    import_s = time.perf_counter() - started
    period_end = parse_period(PERIOD)

    def run() -> tuple[float, dict]:
        started = time.perf_counter()
        result = validate_return(path, trust_ods_code=TRUST, period_end=period_end)
        whole = time.perf_counter() - started
        status = result.report.status
        if status != "accepted":
            print(f"WARNING: the clean {rows:,}-row return was {status}", file=sys.stderr)
        # A return rejected at the read (e.g. over the row limit) has no later stages.
        stages = {k: result.timings.get(k, 0.0) for k in ("read", "contract", "quality")}
        return whole, {**stages, "status": status}

    cold_s, cold = run()
    peak_cold_mb = _peak_mb()
    warm_s, warm = run()
    peak_validation_mb = _peak_mb()

    pacsv.read_csv(path)  # the floor is measured warm too (page cache, pyarrow's pools)
    started = time.perf_counter()
    read = pacsv.read_csv(path)
    floor_s = time.perf_counter() - started
    assert read.num_rows == rows, f"pyarrow read {read.num_rows} rows, expected {rows}"

    return {
        "rows": rows,
        "status": warm["status"],
        "cold_status": cold["status"],
        "import_s": import_s,
        "read_s": warm["read"],
        "pandera_s": warm["contract"],
        "gx_s": warm["quality"],
        "cold_read_s": cold["read"],
        "cold_pandera_s": cold["contract"],
        "cold_gx_s": cold["quality"],
        "whole_cold_s": cold_s,
        "whole_warm_s": warm_s,
        "other_warm_s": warm_s - warm["read"] - warm["contract"] - warm["quality"],
        "rows_per_s_warm": rows / warm_s,
        "pyarrow_floor_s": floor_s,
        "floor_rows_per_s": rows / floor_s,
        "peak_mb": _peak_mb(),
        "peak_after_cold_mb": peak_cold_mb,
        "peak_before_floor_mb": peak_validation_mb,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(rows: int, folder: Path) -> dict:
    """Write the return for this size, then measure it in a fresh child process."""
    from psw.standard.reference import trusts
    from psw.synth import rows_of_size, to_csv_bytes

    path = folder / f"return_{rows}.csv"
    path.write_bytes(to_csv_bytes(rows_of_size(trusts()[TRUST], PERIOD, SEED, rows)))
    size_mb = path.stat().st_size / 1e6
    print(f"measuring {rows:,} rows ({size_mb:.1f} MB)...", file=sys.stderr, flush=True)
    # stdout carries the one JSON line; the child's stderr (warnings, errors) passes through.
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(rows)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"the child measuring {rows:,} rows failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["file_mb"] = size_mb
    return result


COLUMNS = [  # key, title, format
    ("rows", "rows", "{:,}"),
    ("read_s", "read s", "{:.3f}"),
    ("pandera_s", "pandera s", "{:.3f}"),
    ("gx_s", "GX s", "{:.3f}"),
    ("whole_cold_s", "whole cold s", "{:.3f}"),
    ("whole_warm_s", "whole warm s", "{:.3f}"),
    ("rows_per_s_warm", "rows/s warm", "{:,.0f}"),
    ("pyarrow_floor_s", "pyarrow floor s", "{:.4f}"),
    ("floor_rows_per_s", "floor rows/s", "{:,.0f}"),
    ("peak_mb", "peak MB", "{:,.0f}"),
]


def table(results: list[dict]) -> str:
    cells = [[title for _, title, _ in COLUMNS]]
    cells += [[fmt.format(r[key]) for key, _, fmt in COLUMNS] for r in results]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="row counts, comma-separated")
    parser.add_argument("--json", metavar="OUT", help="also write all results as JSON")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]))), flush=True)
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="psw-bench-") as folder:
        results = [measure(n, Path(folder)) for n in sizes]

    machine = {"cpu_count": os.cpu_count(), "python": platform.python_version()}
    print(f"machine: {machine['cpu_count']} CPUs, Python {machine['python']}")
    print("stage columns are the warm (second) call; cold includes import great_expectations")
    print(table(results))
    print(
        "peak MB is the whole child (two calls and the pyarrow reads); after the cold call alone: "
        + ", ".join(f"{r['rows']:,} rows {r['peak_after_cold_mb']:,.0f}" for r in results)
    )
    for r in results:
        if r["status"] != "accepted" or r["cold_status"] != "accepted":
            print(f"WARNING: {r['rows']:,} rows: {r['cold_status']} cold, {r['status']} warm")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
