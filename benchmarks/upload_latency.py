"""Upload-to-report latency with `make demo` running: one upload at a time, or a burst.

Start `make demo` in another terminal and let its backlog drain (every demo upload has
its report), then:

    .venv/bin/python benchmarks/upload_latency.py              # 10 uploads, one at a time
    .venv/bin/python benchmarks/upload_latency.py --burst 49   # month end: 49 trusts at once

One at a time: each upload is a new clean return of trust RW4 (the demo does not use it),
and the time until its report is in RW4's feedback/ is split using the Dagster run record
(read from $PSW_DATA_DIR/dagster):

  sensor wait    upload -> intake run created by the sensor (tick interval and listing)
  run start      run created -> run started (queue, new process, loading the code)
  processing     run started -> report in the bucket (imports, read, archive, validation,
                 writing; the first upload of a run pays the imports)

Burst: one new month for each of the first N registered trusts, uploaded as fast as the
client can, then the time from the last upload until every report is in its bucket.
A measurement, not a test. It prints numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def wait_for(client, bucket: str, key: str, since: float, limit: float = 600) -> float:
    while True:
        try:
            client.head_object(Bucket=bucket, Key=key)
            return time.time()
        except client.exceptions.ClientError:
            if time.time() - since > limit:
                raise TimeoutError(f"no report {bucket}/{key} after {limit:.0f} s") from None
            time.sleep(0.1)


def intake_run_for(instance, key: str, after: float):
    """The intake run whose batch holds this key."""
    import dagster as dg

    for record in instance.get_run_records(filters=dg.RunsFilter(job_name="intake"), limit=20):
        if record.create_timestamp.timestamp() < after - 1:
            continue
        config = record.dagster_run.run_config["ops"]["process_uploads"]["config"]
        if any(s["key"] == key for s in config["submissions"]):
            return record
    return None


def one_at_a_time(client, count: int, trust_code: str) -> None:
    import dagster as dg

    from psw.core.periods import months
    from psw.standard.reference import trusts
    from psw.synth import encode, simulate

    trust = trusts()[trust_code]
    rows = []
    stamp = int(time.time())
    for period, data in simulate(trust, months("2024-04", "2026-09")[:count], seed=42):
        key = f"returns/{period}/{trust.ods_code}-{stamp}.csv"
        client.put_object(Bucket=trust.bucket, Key=key, Body=encode(data, "csv"))
        uploaded = time.time()
        feedback = f"feedback/{period}/{trust.ods_code}-{stamp}.csv.report.json"
        reported = wait_for(client, trust.bucket, feedback, uploaded)
        with dg.DagsterInstance.get() as instance:
            record = intake_run_for(instance, key, uploaded)
        created = record.create_timestamp.timestamp()
        started = record.start_time or created
        rows.append(
            {
                "total": reported - uploaded,
                "sensor": created - uploaded,
                "start": started - created,
                "processing": reported - started,
            }
        )
        r = rows[-1]
        print(
            f"{period}: {r['total']:.1f} s (sensor {r['sensor']:.1f}, run start "
            f"{r['start']:.1f}, processing {r['processing']:.1f})",
            flush=True,
        )
        time.sleep(2)  # let the run finish: each upload meets an idle platform
    for part in ("total", "sensor", "start", "processing"):
        values = [r[part] for r in rows]
        print(f"{part:>10}: median {statistics.median(values):5.1f} s, worst {max(values):5.1f} s")


def burst(client, count: int) -> None:
    from psw.standard.reference import trusts
    from psw.synth import encode, simulate

    stamp = int(time.time())
    uploads = []
    chosen = sorted(trusts().values(), key=lambda t: t.ods_code)[:count]
    bodies = [(t, encode(dict(simulate(t, ["2026-10"], seed=7))["2026-10"], "csv")) for t in chosen]
    for trust, body in bodies:
        key = f"returns/2026-10/{trust.ods_code}-{stamp}.csv"
        client.put_object(Bucket=trust.bucket, Key=key, Body=body)
        uploads.append((trust.bucket, f"feedback/2026-10/{trust.ods_code}-{stamp}.csv.report.json"))
    last = time.time()
    times = [wait_for(client, bucket, key, last) - last for bucket, key in uploads]
    print(
        f"burst of {count}: every report {max(times):.1f} s after the last upload "
        f"(median {statistics.median(times):.1f} s, first {min(times):.1f} s)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--trust", default="RW4")
    parser.add_argument("--burst", type=int, default=0, help="N trusts uploading at once")
    args = parser.parse_args()

    os.environ.setdefault("PSW_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    os.environ.setdefault("DAGSTER_HOME", str(Path("data/dagster").resolve()))
    from psw.storage import s3_client

    client = s3_client()
    if args.burst:
        burst(client, args.burst)
    else:
        one_at_a_time(client, args.uploads, args.trust)
    return 0


if __name__ == "__main__":
    sys.exit(main())
