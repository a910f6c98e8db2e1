"""Marts at national scale: `dbt build` and `psw run` times, and the two database sizes.

All registered trusts (49) over 24 months of synthetic returns at ~100 PSWs per trust
(`--staff 100`) or ten times that (`--staff 1000`):

    .venv/bin/python benchmarks/marts_bench.py --staff 100 [--workdir /tmp/bench]

Steps, each timed:
  1. synthetic returns written straight into the local S3 server's folder (not timed);
  2. `psw run` from empty: every upload validated, landed, then dbt build and publish;
  3. `dbt build` alone on that data (warm);
  4. one new return (a resubmission), then `psw run` again, twice (the second is the
     steady state: the charts of places the upload did not change are kept);
  5. sizes of warehouse.duckdb and serving/psw.duckdb.

`--skip-ingest` lands the Parquet and ledger directly (the same code path as the platform,
without S3 and Dagster) to time dbt at sizes where ingesting every file would take hours.
A measurement, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def months(first: str, count: int) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def timed(label: str, command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    lines = result.stdout.strip().splitlines() if result.stdout else []
    print(f"{label}: {seconds:.1f} s (exit {result.returncode}) {' '.join(lines[-1:])[:160]}")
    for line in lines:  # psw run's own breakdown: intake and build
        if line.startswith(("intake:", "marts built")):
            print(f"    {line}", flush=True)
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/psw-marts-bench"))
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()

    from psw.standard.reference import trusts
    from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
    from psw.synth import simulate, to_csv_bytes
    from psw.synth.landing import land_directly
    from psw.warehouse.writer import dbt_command, dbt_environment, serving_path, warehouse_path

    work = args.workdir.resolve()
    subprocess.run(["rm", "-rf", str(work)], check=True)
    data = work / "data"
    # The history ends with last month: a return for a month not yet ended is rejected.
    today = dt.date.today()
    back = today.year * 12 + today.month - 1 - args.months
    periods = months(f"{back // 12:04d}-{back % 12 + 1:02d}", args.months)
    endpoint = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "PSW_DATA_DIR": str(data),
        "DAGSTER_HOME": str(work / "dagster"),
        "PSW_S3_ENDPOINT_URL": endpoint,
        "PSW_PSEUDONYMISATION_KEY": "bench",
        **dbt_environment(data),
    }
    env.pop("PSW_TRUST_REGISTRY", None)
    dbt_build = dbt_command("build")
    print(
        f"{len(trusts())} trusts x {len(periods)} months, ~{args.staff} PSWs per trust", flush=True
    )
    with LocalS3Server(work / "s3", endpoint) as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        if args.skip_ingest:
            started = time.monotonic()
            # the key intake uses, so a resubmission keeps its staff's pseudonyms
            rows = land_directly(data, periods, args.staff, secret=env["PSW_PSEUDONYMISATION_KEY"])
            print(f"landed {rows} rows directly in {time.monotonic() - started:.0f} s", flush=True)
            timed("dbt build from empty", dbt_build, env)
        else:
            started = time.monotonic()
            rows = 0
            for i, trust in enumerate(trusts().values()):
                for period, month_rows in simulate(trust, periods, seed=100 + i, staff=args.staff):
                    key = f"returns/{period}/{trust.ods_code}_{period}.csv"
                    client.put_object(Bucket=trust.bucket, Key=key, Body=to_csv_bytes(month_rows))
                    rows += len(month_rows)
            print(f"uploaded {rows} rows in {time.monotonic() - started:.0f} s", flush=True)
            timed(
                "psw run from empty (ingest + dbt build + publish)",
                [sys.executable, "-m", "orchestration.cli", "run"],
                env,
            )
        timed("dbt build again (warm, nothing new)", dbt_build, env)
        trust = next(iter(trusts().values()))
        last = dict(simulate(trust, periods, seed=100, staff=args.staff))[periods[-1]]
        # The first pass after a build from outside draws every chart; the second is a
        # month's upload in the steady state (the charts of unchanged places kept).
        for attempt, label in enumerate(("first", "second")):
            client.put_object(
                Bucket=trust.bucket,
                Key=f"returns/{periods[-1]}/{trust.ods_code}_resubmission{attempt}.csv",
                Body=to_csv_bytes(last[: -2 - attempt]),
            )
            timed(
                f"psw run with one new return ({label})",
                [sys.executable, "-m", "orchestration.cli", "run"],
                env,
            )
    for label, path in [("warehouse", warehouse_path(data)), ("serving", serving_path(data))]:
        size = path.stat().st_size / 1e6 if path.exists() else float("nan")
        print(f"{label}.duckdb: {size:.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
