"""Realistic synthetic PSW workforce returns, and files made to break each rule.

- `workforce`: a trust's simulated workforce, month by month (clean returns).
- `encoding`: rows as CSV, Excel or Parquet bytes.
- `faults`: one file per fault recipe in the standard, with a manifest of what each must
  trigger (the recipes are data: each rule's `faults` in schemas/return_v1.yaml).

`write_synthetic` (`psw synth`) writes a national set of returns into trusts' bucket folders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from psw.core.periods import months, parse_period
from psw.standard.reference import Trust, trusts
from psw.synth.encoding import encode, to_csv_bytes, to_parquet_bytes, to_xlsx_bytes
from psw.synth.faults import Fault, build_faults, write_faults
from psw.synth.workforce import TrustWorkforce, rows_of_size, simulate


@dataclass
class SynthOptions:
    trusts: list[str] | None = None
    first_period: str = "2025-04"
    last_period: str = "2026-03"
    seed: int = 1
    staff_per_trust: int | None = None
    file_format: str = "csv"
    faults: bool = False
    rows: int | None = None


def return_key(trust: Trust, period: str, file_format: str) -> str:
    return f"returns/{period}/{trust.ods_code}_PSW_{period}.{file_format}"


def write_synthetic(
    out: Path, options: SynthOptions, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write returns to out/<bucket>/returns/<YYYY-MM>/..., and faults to out/faults/."""
    registry = trusts()
    codes = options.trusts or list(registry)
    unknown = [c for c in codes if c not in registry]
    if unknown:
        raise SystemExit(f"psw synth: not registered trusts: {', '.join(unknown)}")
    periods = months(options.first_period, options.last_period)
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    if options.rows is not None:
        trust = registry[codes[0]]
        rows = rows_of_size(trust, periods[-1], options.seed, options.rows)
        write(
            out / trust.bucket / return_key(trust, periods[-1], options.file_format),
            encode(rows, options.file_format),
        )
        return written

    for i, code in enumerate(codes, start=1):
        trust = registry[code]
        uk = TrustWorkforce(trust, options.seed, parse_period(periods[0]), 0).uk_dates
        for period, rows in simulate(trust, periods, options.seed, options.staff_per_trust):
            write(
                out / trust.bucket / return_key(trust, period, options.file_format),
                encode(rows, options.file_format, uk_dates=uk),
            )
        if progress and (i % 10 == 0 or i == len(codes)):
            progress(f"# {i}/{len(codes)} trusts written")
    if options.faults:
        written.extend(write_faults(out / "faults", registry[codes[0]], periods, options.seed))
    return written


__all__ = [
    "Fault",
    "SynthOptions",
    "TrustWorkforce",
    "build_faults",
    "encode",
    "return_key",
    "rows_of_size",
    "simulate",
    "to_csv_bytes",
    "to_parquet_bytes",
    "to_xlsx_bytes",
    "write_faults",
    "write_synthetic",
]
