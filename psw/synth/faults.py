"""Files made to break one rule each, built from the recipes in the standard.

Each rule's `faults` in schemas/return_v1.yaml lists recipes; each recipe is one file,
named after its rule (`<RULE>` or `<RULE>-<name>`). A recipe starts from a clean simulated
return of the trust for the month and says what to change, with these keys:

  name            a suffix for the file name when a rule has several files
  period          future (the month after next) | no_pay_table (the first month of a pay
                  year without a pay table); default: the month given
  previous        true: the file is checked against the previous month's return
  bytes           the whole file, as text (\\xNN escapes give single bytes)
  random_bytes    the whole file: that many random bytes (and two NULs)
  over_limit      bytes | rows: one over the standard's limit
  add_columns     {name: value, or a list cycled over the rows}
  drop_columns    [names]
  set             {column: value} on the rows chosen by `row` (a 0-based row of the
                  list) or `every` (every n-th row); on every row when neither is given
  extra_value     a value added to the end of the line of `row`, past the last column
  repeat_row      the row at that index appears twice
  leavers         that share of the people in post leave this month
  unreported_leaver  true: someone in post last month is missing without a leaving_date
  also            other rules the file triggers by nature

Values may name dates of the month: $period_end, $period_end+N (days), $period_start,
$mid_month, $previous_period_end; and $another_trust (a registered trust other than the
file's). Findings that come with a month rather than the fault (SALARY_CHECK_NOT_APPLIED
for a month without a pay table) are added to `also` here. The expected status follows
from the severities of the rule and its `also`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psw.core.periods import parse_period, period_of, previous_period
from psw.standard.model import Standard, StandardError, load_standard
from psw.standard.reference import Trust, pay_ranges, pay_year, trusts
from psw.synth.encoding import to_csv_bytes
from psw.synth.workforce import rows_of_size, simulate

STATUS_BY_WORST = {"error": "rejected", "warning": "accepted_with_warnings", "info": "accepted"}
RECIPE_KEYS = {
    "name",
    "period",
    "previous",
    "bytes",
    "random_bytes",
    "over_limit",
    "add_columns",
    "drop_columns",
    "set",
    "row",
    "every",
    "extra_value",
    "repeat_row",
    "leavers",
    "unreported_leaver",
    "also",
}
PREVIOUS_FILE = "previous.csv"

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Fault:
    name: str  # file stem; starts with the rule id it must trigger
    rule_id: str
    expected_status: str
    period: str
    data: bytes
    trust: str = ""
    previous: str | None = None  # file name of the previous return, for history rules
    # Findings the fault brings with it by nature, and only those (tests/test_rules.py
    # asserts the file triggers exactly rule_id and these).
    also: tuple[str, ...] = ()


def fault_name(rule_id: str, recipe: dict[str, Any]) -> str:
    """A fault file's stem: the rule's id, and the recipe's name when a rule has several."""
    return f"{rule_id}-{recipe['name']}" if "name" in recipe else rule_id


def fault_names(standard: Standard) -> list[str]:
    """Every fault file's stem, in build_faults' order, without building one (cheap)."""
    return [fault_name(r.id, recipe) for r in standard.rules.values() for recipe in r.faults]


def build_faults(
    trust: Trust, periods: list[str], seed: int, standard: Standard | None = None
) -> tuple[list[Fault], bytes]:
    """Every fault file of every rule, for a trust and the last of `periods`; and the
    clean previous month's return the history faults are checked against."""
    if len(periods) < 2:
        periods = [period_of(previous_period(parse_period(periods[0]))), periods[0]]
    standard = standard or load_standard()
    history = list(simulate(trust, periods[-2:], seed, staff=40))
    (_, previous_rows), (period, rows) = history
    maker = _Maker(standard, trust, seed, period, rows, previous_rows)
    faults = [
        maker.fault(rule_id, recipe)
        for rule_id, rule in standard.rules.items()
        for recipe in rule.faults
    ]
    return faults, to_csv_bytes(previous_rows)


def write_faults(folder: Path, trust: Trust, periods: list[str], seed: int) -> list[Path]:
    """The fault files, the previous month's return and a manifest.json saying what each
    file must trigger."""
    faults, previous = build_faults(trust, periods, seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREVIOUS_FILE).write_bytes(previous)
    written = [folder / PREVIOUS_FILE]
    manifest = []
    for fault in faults:
        path = folder / f"{fault.name}.csv"
        path.write_bytes(fault.data)
        written.append(path)
        manifest.append(
            {
                "file": path.name,
                "rule_id": fault.rule_id,
                "trust": fault.trust,
                "period": fault.period,
                "previous": fault.previous,
                "expected_status": fault.expected_status,
                "also": list(fault.also),
            }
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    written.append(folder / "manifest.json")
    return written


class _Maker:
    """Builds fault files from recipes, all from the same clean return."""

    def __init__(
        self,
        standard: Standard,
        trust: Trust,
        seed: int,
        period: str,
        rows: Rows,
        previous_rows: Rows,
    ) -> None:
        self.standard: Standard = standard
        self.trust: Trust = trust
        self.seed: int = seed
        self.period: str = period
        self.rows: Rows = rows
        self.previous_rows: Rows = previous_rows
        self.rng = random.Random(seed)

    def fault(self, rule_id: str, recipe: dict[str, Any]) -> Fault:
        unknown = set(recipe) - RECIPE_KEYS
        if unknown:
            raise StandardError(f"rule {rule_id}: fault recipe keys {sorted(unknown)} unknown")
        try:
            period = self._period(recipe.get("period"))
            data = self._data(recipe, period)
        except StandardError as exc:
            raise StandardError(f"rule {rule_id}: {exc}") from None
        also = list(recipe.get("also", ()))
        if rule_id != "SALARY_CHECK_NOT_APPLIED" and pay_year(parse_period(period)) not in (
            pay_ranges()
        ):
            also.append("SALARY_CHECK_NOT_APPLIED")  # the month's, not the fault's
        severities = {self.standard.rule(r).severity for r in (rule_id, *also)}
        worst = next(s for s in ("error", "warning", "info") if s in severities)
        return Fault(
            name=fault_name(rule_id, recipe),
            rule_id=rule_id,
            expected_status=STATUS_BY_WORST[worst],
            period=period,
            data=data,
            trust=self.trust.ods_code,
            previous=PREVIOUS_FILE if recipe.get("previous") else None,
            also=tuple(also),
        )

    def _period(self, which: str | None) -> str:
        if which is None:
            return self.period
        if which == "future":
            return period_of(dt.date.today().replace(day=28) + dt.timedelta(days=40))
        if which == "no_pay_table":
            return f"{int(max(pay_ranges())[:4]) + 1}-04"
        raise StandardError(f"fault recipe: period {which!r} is not future or no_pay_table")

    def _data(self, recipe: dict[str, Any], period: str) -> bytes:
        if "bytes" in recipe:
            return recipe["bytes"].encode("latin-1")
        if "random_bytes" in recipe:
            return bytes(self.rng.randrange(256) for _ in range(recipe["random_bytes"])) + b"\0\0"
        if recipe.get("over_limit") == "bytes":
            header = to_csv_bytes([])
            return header + b" " * (self.standard.max_bytes + 1 - len(header))
        if recipe.get("over_limit") == "rows":
            return to_csv_bytes(
                rows_of_size(self.trust, period, self.seed, self.standard.max_rows + 1)
            )
        if period == self.period:
            rows = self.rows
        else:  # another month's clean return
            rows = next(iter(simulate(self.trust, [period], self.seed, staff=20)))[1]
        end = parse_period(period)
        rows, columns = self._rows(recipe, rows, end), self._columns(recipe, rows)
        data = to_csv_bytes(rows, columns)
        if "extra_value" in recipe:
            lines = data.split(b"\r\n")
            lines[recipe["row"] + 1] += b"," + str(recipe["extra_value"]).encode()
            data = b"\r\n".join(lines)
        return data

    def _rows(self, recipe: dict[str, Any], rows: Rows, end: dt.date) -> Rows:
        rows = [dict(r) for r in rows]
        if "set" in recipe:
            changes = {k: self._value(v, end) for k, v in recipe["set"].items()}
            for i in _chosen(recipe, len(rows)):
                rows[i].update(changes)
        if "repeat_row" in recipe:
            rows.append(dict(rows[recipe["repeat_row"]]))
        for column, value in recipe.get("add_columns", {}).items():
            values = itertools.cycle(value) if isinstance(value, list) else itertools.repeat(value)
            for row in rows:
                row[column] = next(values)
        if "leavers" in recipe:
            in_post = [r["staff_id"] for r in rows if r["leaving_date"] is None]
            going = set(in_post[: int(len(in_post) * recipe["leavers"])])
            rows = [dict(r, leaving_date=end) if r["staff_id"] in going else r for r in rows]
        if recipe.get("unreported_leaver"):
            here = {r["staff_id"] for r in rows}
            gone = next(
                r["staff_id"]
                for r in self.previous_rows
                if r["leaving_date"] is None and r["staff_id"] in here
            )
            rows = [r for r in rows if r["staff_id"] != gone]
        return rows

    def _columns(self, recipe: dict[str, Any], rows: Rows) -> list[str]:
        dropped = set(recipe.get("drop_columns", ()))
        columns = [c for c in self.standard.column_names if c not in dropped]
        return columns + list(recipe.get("add_columns", {}))

    def _value(self, value: Any, end: dt.date) -> Any:
        if not isinstance(value, str) or not value.startswith("$"):
            return value
        if value == "$another_trust":
            return next(c for c in trusts() if c != self.trust.ods_code)
        shifted = re.fullmatch(r"\$period_end([+-]\d+)?", value)
        if shifted:
            return end + dt.timedelta(days=int(shifted.group(1) or 0))
        named = {
            "$period_start": end.replace(day=1),
            "$mid_month": end.replace(day=15),
            "$previous_period_end": previous_period(end),
        }
        if value not in named:
            raise StandardError(f"fault recipe: {value} is not a value it knows")
        return named[value]


def _chosen(recipe: dict[str, Any], count: int) -> range:
    if "row" in recipe:
        return range(recipe["row"], recipe["row"] + 1)
    return range(0, count, recipe.get("every", 1))
