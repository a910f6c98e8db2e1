"""Reference data shipped with the project: the trust registry and Agenda for Change pay.

Copied from the shared reference folder into `schemas/reference/` (the project reads
nothing outside itself). `PSW_TRUST_REGISTRY` points at another registry CSV with the
same columns (ods_code, trust_name, region_code, region_name, optional bucket).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from psw.paths import reference_dir


@dataclass(frozen=True)
class Trust:
    ods_code: str
    name: str
    region_code: str
    region_name: str
    bucket: str

    @staticmethod
    def default_bucket(ods_code: str) -> str:
        return f"psw-{ods_code.lower()}"


@dataclass(frozen=True)
class PayRange:
    pay_year: str
    band: str
    min_gbp: float
    max_gbp: float


def trust_registry_path() -> Path:
    override = os.environ.get("PSW_TRUST_REGISTRY")
    return Path(override) if override else reference_dir() / "trusts.csv"


@cache
def _load_trusts(path: Path, stamp: tuple[int, int] | None = None) -> dict[str, Trust]:
    """The registry at `path`; `stamp` (mtime, size) makes an edited file load anew."""
    trusts: dict[str, Trust] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            ods = row["ods_code"].strip().upper()
            bucket = (row.get("bucket") or "").strip() or Trust.default_bucket(ods)
            trusts[ods] = Trust(
                ods_code=ods,
                name=row["trust_name"].strip(),
                region_code=row["region_code"].strip(),
                region_name=row["region_name"].strip(),
                bucket=bucket,
            )
    return trusts


def trusts() -> dict[str, Trust]:
    """Registered trusts by ODS code (upper case), re-read when the registry file changes:
    a trust added to PSW_TRUST_REGISTRY is picked up without a restart."""
    path = trust_registry_path()
    stat = path.stat()
    return _load_trusts(path, (stat.st_mtime_ns, stat.st_size))


def trust(ods_code: str) -> Trust | None:
    return trusts().get(ods_code.strip().upper())


@cache
def pay_ranges() -> dict[str, dict[str, PayRange]]:
    """Pay ranges by pay year ("2025/26") then band ("5")."""
    table: dict[str, dict[str, PayRange]] = {}
    with (reference_dir() / "afc_pay.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            r = PayRange(
                row["pay_year"], row["afc_band"], float(row["min_gbp"]), float(row["max_gbp"])
            )
            table.setdefault(r.pay_year, {})[r.band] = r
    return table


def pay_year(period_end: dt.date) -> str:
    """The Agenda for Change pay year (April to March) a date falls in, as '2025/26'."""
    start = period_end.year if period_end.month >= 4 else period_end.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def pay_table_missing(period: str) -> str | None:
    """The pay year of a month ("2026-05" -> "2026/27") when the shipped pay tables have
    no table for it (its returns get no salary check), else None."""
    year = pay_year(dt.date.fromisoformat(f"{period}-01"))
    return None if year in pay_ranges() else year


def pay_table_warning(years: list[str], returns: int) -> str:
    """What operators are told when accepted returns went without a salary check."""
    return (
        f"{returns} accepted returns for pay year {', '.join(sorted(set(years)))} had no "
        "salary check: schemas/reference/afc_pay.csv has no Agenda for Change table for "
        "that year. Add it (and cite the source in schemas/reference/README.md) once NHS "
        "Employers publishes the year's pay scales for England; the trusts' reports say the "
        "check was not applied."
    )
