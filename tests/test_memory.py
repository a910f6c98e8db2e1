"""`psw validate` on a 100,000-row return stays within 1 GB (the issue's acceptance)."""

from __future__ import annotations

import resource
import subprocess
import sys

from psw.reference import trusts
from psw.synth import rows_of_size, to_csv_bytes
from tests.conftest import validate_argv


def test_validating_100k_rows_peaks_under_1_gb(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(to_csv_bytes(rows_of_size(trusts()["RV3"], "2025-06", 1, 100_000)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-m", "psw.cli", *validate_argv(path)],
        capture_output=True,
        text=True,
    )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS validating 100,000 rows: {peak_mb:.0f} MB")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "100000 rows" in result.stdout
    assert before < 1024 * 1024, "an earlier child already used over 1 GB: measure is void"
    assert peak_mb < 1024
