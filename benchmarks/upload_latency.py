"""Upload-to-report latency with `make demo` running: median and worst of N uploads.

Start `make demo` in another terminal and let its backlog drain (the Runs page shows no
queued runs), then:

    .venv/bin/python benchmarks/upload_latency.py            # 10 uploads, trust RW4

Each upload is a new clean return (one month of trust RW4, which the demo does not use),
sent one at a time. The time until its report appears in the trust's feedback/ folder is
split using the Dagster run record (read from $PSW_DATA_DIR/dagster):

  sensor wait    upload -> run created by the sensor (tick interval and listing)
  run start      run created -> run started (queue, process start, loading the code)
  processing     run started -> report in the bucket (download, archive, validation, writing)

A measurement, not a test. It prints numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--trust", default="RW4")
    args = parser.parse_args()

    os.environ.setdefault("PSW_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    os.environ.setdefault("DAGSTER_HOME", str(Path("data/dagster").resolve()))
    import dagster as dg

    from psw.periods import months
    from psw.reference import trusts
    from psw.storage import s3_client
    from psw.synth import encode, return_key, simulate

    client, trust = s3_client(), trusts()[args.trust]
    periods = months("2024-04", "2026-09")[: args.uploads]
    rows = []
    for period, data in simulate(trust, periods, seed=42):
        key = return_key(trust, period, "csv").replace(".csv", f"-{int(time.time())}.csv")
        client.put_object(Bucket=trust.bucket, Key=key, Body=encode(data, "csv"))
        uploaded = time.time()
        feedback = key.replace("returns/", "feedback/", 1) + ".report.json"
        while True:
            try:
                client.head_object(Bucket=trust.bucket, Key=feedback)
                break
            except client.exceptions.ClientError:
                if time.time() - uploaded > 600:
                    print(f"no report for {key} after 10 minutes", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        reported = time.time()
        with dg.DagsterInstance.get() as instance:
            record = instance.get_run_records(
                filters=dg.RunsFilter(tags={"psw/key": key}), limit=1
            )[0]
        created = record.create_timestamp.timestamp()
        rows.append(
            {
                "period": period,
                "total": reported - uploaded,
                "sensor": created - uploaded,
                "start": record.start_time - created,
                "processing": reported - record.start_time,
            }
        )
        r = rows[-1]
        print(
            f"{period}: {r['total']:.1f} s (sensor {r['sensor']:.1f}, run start "
            f"{r['start']:.1f}, processing {r['processing']:.1f})",
            flush=True,
        )
    for part in ("total", "sensor", "start", "processing"):
        values = [r[part] for r in rows]
        print(f"{part:>10}: median {statistics.median(values):5.1f} s, worst {max(values):5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
