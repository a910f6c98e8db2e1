"""Benchmark of the trusts' portal: upload-to-result latency in the browser's path.

Starts what the portal tests start (a local S3 server, a real OpenID Connect provider, a
mail server, the portal under uvicorn, its validator warmed at start), signs in as RV3's
data officer, then uploads N returns of R rows each (default 20 of 500, a large trust's
month), one after another, each with a fresh CSRF token as a browser would have. The
latency of one upload is from the start of the POST (the file sent) to the end of the
GET of the result page it redirects to: stored in the bucket, validated, receipted and
shown. Prints p50, p90 and worst.

    .venv/bin/python benchmarks/portal_bench.py [--uploads 20] [--rows 500]

This is a measurement, not a test: it prints numbers and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()

    from psw.standard.reference import trusts
    from psw.synth import encode, simulate
    from tests.portal_servers import csrf_of, portal_platform

    rows = dict(simulate(trusts()["RV3"], ["2025-06"], seed=1, staff=args.rows))["2025-06"]
    rows = (rows * (args.rows // len(rows) + 1))[: args.rows]  # exactly R rows
    data = encode(rows, "csv")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with portal_platform(Path(tmp), PSW_PORTAL_UPLOADS_PER_HOUR="1000") as site:
            print(f"portal up (validator warmed) in {time.perf_counter() - started:.1f} s")
            client = site.signed_in("alice")
            seconds = []
            for number in range(args.uploads):
                token = csrf_of(client.get("/trusts/RV3/").text)
                began = time.perf_counter()
                posted = client.post(
                    "/trusts/RV3/returns",
                    data={"period": "2025-06", "csrf_token": token},
                    files={"file": (f"RV3_June_{number}.csv", data, "text/csv")},
                )
                result = client.get(posted.headers["location"])
                seconds.append(time.perf_counter() - began)
                assert result.status_code == 200 and "Receipt" in result.text
    ordered = sorted(seconds)
    print(
        f"{args.uploads} uploads of {args.rows} rows ({len(data):,} bytes each), "
        "upload to result shown:"
    )
    print(
        f"  p50 {statistics.median(ordered):.3f} s, "
        f"p90 {ordered[int(0.9 * (len(ordered) - 1))]:.3f} s, "
        f"worst {ordered[-1]:.3f} s, first {seconds[0]:.3f} s"
    )


if __name__ == "__main__":
    main()
