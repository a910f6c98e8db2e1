"""The return standard, loaded from `schemas/return_v1.yaml` (its single source of truth).

Everything that knows about columns, codes, rules or thresholds asks this module: the
pandera contract, the Great Expectations parameters, the spec page, the templates, the
synthetic generator and the dbt seeds and sources (psw/dbt_artifacts.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from psw.paths import schemas_dir

SEVERITIES = ("error", "warning", "info")
STAGES = ("intake", "file", "contract", "quality", "history")


class StandardError(ValueError):
    """schemas/return_v1.yaml says something the platform cannot use: what and where."""


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    group: str | None = None
    not_stated: bool = False  # "not stated / not known": counts against data quality


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | code | date | decimal
    required: str  # Y | C | N
    description: str
    example: str = ""
    sensitive: bool = False
    landed: bool = True  # False: checked, then dropped before anything is stored
    codes: str | None = None
    pattern: str | None = None
    format_hint: str | None = None
    max_length: int | None = None
    min_exclusive: float | None = None
    max: float | None = None

    @property
    def is_required(self) -> bool:
        return self.required == "Y"

    @property
    def code_list(self) -> str:
        """The name of a code column's list (the loader refuses a code column without one)."""
        if self.codes is None:
            raise StandardError(f"column {self.name} has no code list")
        return self.codes


@dataclass(frozen=True)
class Rule:
    """A rule: its wording here; its check is registered in psw/validation/rules.py."""

    id: str
    stage: str
    severity: str
    description: str
    message: str
    # The Great Expectations configurations of a warning rule (psw/validation/suites.py).
    expectations: tuple[dict, ...] = ()
    # Files made to break it and nothing else, as recipes for psw/synth/faults.py.
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class PersonalColumnPattern:
    pattern: re.Pattern[str]
    kind: str


@dataclass(frozen=True)
class Disclosure:
    """Statistical disclosure control of every published count: cell-key perturbation
    (docs/disclosure-control.md)."""

    method: str
    perturbation_ratio: float  # P(noise = k + 1) / P(noise = k) for k >= 0
    perturbed_columns: dict[str, str]  # integer columns that count people -> what
    exempt_columns: dict[str, str]  # integer columns that count no people -> why

    KEY_BITS = 32  # a cell key is a sum of record keys modulo 2 ** KEY_BITS

    @property
    def largest_perturbation(self) -> int:
        """The largest noise a cell key can pick: the inverse of the noise's distribution
        at the smallest key, (0.5 / 2 ** KEY_BITS) * (1 + ratio) = ratio ** k."""
        ratio = self.perturbation_ratio
        smallest = 0.5 / 2**self.KEY_BITS * (1 + ratio)
        return math.floor(math.log(smallest) / math.log(ratio))


@dataclass(frozen=True)
class DataQuality:
    """How the data-quality measure of a trust and month is worked out (see the YAML)."""

    due_day: int  # a month's return is on time by this day of the following month
    completeness_columns: tuple[str, ...]
    not_stated_columns: tuple[str, ...]


@dataclass(frozen=True)
class Standard:
    name: str
    version: str
    grain: str
    limits: dict
    columns: tuple[Column, ...]
    code_lists: dict[str, tuple[Code, ...]]
    ethnic_groups: tuple[Code, ...]
    personal_data_columns: tuple[PersonalColumnPattern, ...]
    rules: dict[str, Rule]
    thresholds: dict
    disclosure: Disclosure
    data_quality: DataQuality
    _by_name: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def find_column(self, name: str | None) -> Column | None:
        """The column of that name, or None (unknown, extra or no column)."""
        return self._by_name.get(name) if name else None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        # A conditional column (C) may be left out when no row needs it: a file without
        # FIXED_TERM rows needs no fixed_term_end_date column (the row rule covers the rest).
        return [c.name for c in self.columns if c.required == "Y"]

    def codes(self, list_name: str) -> list[str]:
        return [c.code for c in self.code_lists[list_name]]

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    @property
    def max_bytes(self) -> int:
        return int(self.limits["max_bytes"])

    @property
    def max_rows(self) -> int:
        return int(self.limits["max_rows"])


def _load(path: Path) -> Standard:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            required=c["required"],
            description=" ".join(str(c["description"]).split()),
            example=str(c.get("example", "")),
            sensitive=bool(c.get("sensitive", False)),
            landed=bool(c.get("landed", True)),
            codes=c.get("codes"),
            pattern=c.get("pattern"),
            format_hint=c.get("format_hint"),
            max_length=c.get("max_length"),
            min_exclusive=c.get("min_exclusive"),
            max=c.get("max"),
        )
        for c in raw["columns"]
    )
    for name, items in raw["code_lists"].items():
        for item in items:
            # YAML 1.1 reads 25_34 as 2534 and Y as true: every code must be quoted text.
            if not isinstance(item["code"], str):
                raise StandardError(f"code {item['code']!r} in {name} must be quoted")
    code_lists = {
        name: tuple(
            Code(i["code"], i["label"], i.get("group"), bool(i.get("not_stated", False)))
            for i in items
        )
        for name, items in raw["code_lists"].items()
    }
    rules = {
        r["id"]: Rule(
            r["id"],
            r["stage"],
            r["severity"],
            " ".join(r["description"].split()),
            r["message"],
            tuple(r.get("expectations", ())),
            tuple(r.get("faults", ())),
        )
        for r in raw["rules"]
    }
    if len(rules) != len(raw["rules"]):
        raise StandardError("two rules have the same id")
    for rule in rules.values():
        if rule.severity not in SEVERITIES:
            raise StandardError(f"rule {rule.id}: severity {rule.severity!r} not in {SEVERITIES}")
        if rule.stage not in STAGES:
            raise StandardError(f"rule {rule.id}: stage {rule.stage!r} not in {STAGES}")
    for col in columns:
        if col.codes is not None and col.codes not in code_lists:
            raise StandardError(f"column {col.name}: no code list named {col.codes!r}")
        if col.type == "code" and col.codes is None:
            raise StandardError(f"column {col.name}: a code column needs `codes`")
    return Standard(
        name=raw["standard"],
        version=str(raw["version"]),
        grain=" ".join(raw["grain"].split()),
        limits=raw["limits"],
        columns=columns,
        code_lists=code_lists,
        ethnic_groups=tuple(Code(g["code"], g["label"]) for g in raw["ethnic_groups"]),
        personal_data_columns=tuple(
            PersonalColumnPattern(re.compile(p["pattern"]), p["kind"])
            for p in raw["personal_data_columns"]
        ),
        rules=rules,
        thresholds=raw["thresholds"],
        disclosure=_disclosure(raw["disclosure"]),
        data_quality=_data_quality(raw["data_quality"], columns),
        _by_name={c.name: c for c in columns},
    )


def _data_quality(raw: dict, columns: tuple[Column, ...]) -> DataQuality:
    quality = DataQuality(
        int(raw["due_day"]),
        tuple(raw["completeness_columns"]),
        tuple(raw["not_stated_columns"]),
    )
    by_name = {c.name: c for c in columns}
    if not 1 <= quality.due_day <= 28:
        raise StandardError(f"data_quality: due_day must be 1-28, not {quality.due_day}")
    for name in quality.completeness_columns:
        if name not in by_name or by_name[name].is_required or not by_name[name].landed:
            raise StandardError(f"data_quality: {name} is not an optional landed column")
    for name in quality.not_stated_columns:
        if name not in by_name or not by_name[name].codes:
            raise StandardError(f"data_quality: {name} is not a coded column")
    return quality


def _disclosure(raw: dict) -> Disclosure:
    disclosure = Disclosure(
        str(raw["method"]),
        float(raw["perturbation_ratio"]),
        dict(raw["perturbed_columns"]),
        dict(raw["exempt_columns"]),
    )
    if disclosure.method != "cell_key_perturbation":
        raise StandardError(f"disclosure: unknown method {disclosure.method!r}")
    if not 0 < disclosure.perturbation_ratio < 1:
        raise StandardError(f"disclosure: perturbation_ratio must be in (0, 1): {raw}")
    both = disclosure.perturbed_columns.keys() & disclosure.exempt_columns.keys()
    if both:
        raise StandardError(f"disclosure: both perturbed and exempt: {sorted(both)}")
    return disclosure


@cache
def load_standard(path: Path | None = None) -> Standard:
    return _load(path or schemas_dir() / "return_v1.yaml")
