"""Reference data shipped with the project: the trust registry and Agenda for Change pay.

Copied from the shared reference folder into `schemas/reference/` (the project reads
nothing outside itself). `PSW_TRUST_REGISTRY` points at another registry CSV with the
same columns (ods_code, trust_name, region_code, region_name, optional bucket) and,
optionally, a trust's lifecycle (docs/interfaces.md): valid_from and valid_to (YYYY-MM, the
first and last month it is expected to submit; empty means open-ended) and
successor_ods_code (who took over its services after valid_to).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from psw.core.paths import reference_dir

# The registry CSV's columns (docs/interfaces.md), as the dbt seed and the warehouses' copy
# carry them; `bucket` is optional and only intake reads it.
REGISTRY_COLUMNS = (
    "ods_code",
    "trust_name",
    "region_code",
    "region_name",
    "valid_from",
    "valid_to",
    "successor_ods_code",
)


@dataclass(frozen=True)
class Trust:
    ods_code: str
    name: str
    region_code: str
    region_name: str
    bucket: str
    valid_from: str | None = None  # YYYY-MM: the first month it is expected to submit
    valid_to: str | None = None  # YYYY-MM: the last month (it closed after it)
    successor_ods_code: str | None = None

    def is_open(self, period: str) -> bool:
        """Whether the trust is expected to submit for a month (YYYY-MM)."""
        return (self.valid_from or period) <= period <= (self.valid_to or period)

    @property
    def open_months(self) -> str:
        """The months it is expected to submit, in words, for reports."""
        if self.valid_from and self.valid_to:
            return f"from {self.valid_from} to {self.valid_to}"
        if self.valid_to:
            return f"up to {self.valid_to}"
        return f"from {self.valid_from}" if self.valid_from else "every month"

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
    from psw.core.settings import current

    return current().trust_registry or reference_dir() / "trusts.csv"


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
                valid_from=_month(path, ods, row, "valid_from"),
                valid_to=_month(path, ods, row, "valid_to"),
                successor_ods_code=(row.get("successor_ods_code") or "").strip().upper() or None,
            )
    return trusts


class RegistryError(ValueError):
    """The trust registry CSV says something the platform cannot read."""


def _month(path: Path, ods: str, row: dict, column: str) -> str | None:
    from psw.core.periods import is_period

    value = (row.get(column) or "").strip()
    if value and not is_period(value):
        raise RegistryError(f"{path}: {ods} has {column} '{value}', not a month written YYYY-MM")
    return value or None


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
    no table for it (its returns get no salary check), else None; None too for text that
    is not a month (a key's folder may be anything)."""
    from psw.core.periods import is_period

    if not is_period(period):
        return None
    year = pay_year(dt.date.fromisoformat(f"{period}-01"))
    return None if year in pay_ranges() else year


def pay_table_warning(years: list[str], returns: int) -> str:
    """What operators are told when accepted returns went without a salary check."""
    return (
        f"{returns} accepted returns for pay year {', '.join(sorted(set(years)))} had no "
        "salary check: schemas/reference/afc_pay.csv has no Agenda for Change table for "
        "that year. Add it (and cite the source in schemas/README.md) once NHS "
        "Employers publishes the year's pay scales for England; the trusts' reports say the "
        "check was not applied."
    )
