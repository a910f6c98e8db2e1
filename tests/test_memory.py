"""`psw validate` on a legitimate 100,000-row return stays within 500 MB (issue 8; it was
1 GB in issue 2), measured as the validating process's own peak."""

from __future__ import annotations

import subprocess
import sys

from psw.standard.reference import trusts
from psw.synth import rows_of_size, to_csv_bytes
from tests.helpers import validate_argv

# VmHWM: this process's own peak (ru_maxrss would include the pytest process it forked from).
PEAK = (
    "import sys\n"
    "from orchestration.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
    "print(f'PEAK {int(status.split()[0]) / 1024:.0f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_validating_100k_rows_peaks_under_500_mb(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(to_csv_bytes(rows_of_size(trusts()["RV3"], "2025-06", 1, 100_000)))
    result = subprocess.run(
        [sys.executable, "-c", PEAK, *validate_argv(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "100000 rows" in result.stdout
    peak_mb = float(next(x for x in result.stderr.splitlines() if x.startswith("PEAK"))[5:])
    print(f"peak RSS validating 100,000 rows: {peak_mb:.0f} MB")
    assert peak_mb < 500
