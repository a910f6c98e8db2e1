"""The worst files for the personal-data scan: CPU seconds to validate each, and the scan.

Each file is about 820 KB of rows of a clean return (trust RV3, 2025-06) whose job title is
built to be slow to check: a date of birth with runs of white space between its letters
(what made the old pattern backtrack for minutes), runs of would-be email local parts,
long runs of digits and separators, invisible characters between every digit, and
postcode-like fragments; every cell different, as the scan reads each distinct value once.
Each is validated in this process (Great Expectations imported
first, outside the timing) and its CPU time printed, with the scan's own share. The goal
(issue 20): every one under 10 s of CPU; the scan also stops itself at SCAN_SECONDS.

    .venv/bin/python benchmarks/hostile_bench.py
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

CELLS = {
    "padded date of birth": "d" + " " * 300 + "o" + "\t" * 300 + "b" + " " * 300 + "01/02/1980",
    "email local parts": ("a" * 64 + "@") * 15,
    "digits and separators": "0" + "1 " * 490,
    "invisible characters": "\u200b".join("9434765919" * 40)[:990],
    "postcode fragments": "SW1 1A " * 140,
    "birth words": "born on the " * 80,
}


def main() -> int:
    import great_expectations  # noqa: F401  (imported once, outside every timing)

    from psw.core.periods import parse_period
    from psw.standard.model import load_standard
    from psw.standard.reference import trusts
    from psw.standard.validation import personal, validate_return
    from psw.standard.validation.reading import read_return
    from psw.synth import simulate, to_csv_bytes

    standard = load_standard()
    clean = dict(simulate(trusts()["RV3"], ["2025-06"], seed=1, staff=40))["2025-06"]
    print(f"{'file':24} {'KB':>5} {'CPU s':>6} {'scan s':>7}  status")
    for name, cell in CELLS.items():
        # Every cell different (the scan reads each distinct value of a column once).
        rows = [
            dict(clean[i % len(clean)], local_job_title=f"{cell[: 990 - len(str(i))]}{i}")
            for i in range(820)
        ]
        data = to_csv_bytes(rows, standard.column_names)
        started = time.process_time()
        report = validate_return(
            data, trust_ods_code="RV3", period_end=parse_period("2025-06"), file_name="x.csv"
        ).report
        whole = time.process_time() - started
        frame = read_return(data).frame
        started = time.process_time()
        with contextlib.suppress(personal.ScanTooLong):  # it stops itself: still timed
            personal.scan_values(frame)
        scan = time.process_time() - started
        print(f"{name:24} {len(data) / 1024:5.0f} {whole:6.2f} {scan:7.2f}  {report.status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
