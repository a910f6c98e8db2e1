"""The return standard, loaded from `schemas/return_v1.yaml` (its single source of truth).

Everything that knows about columns, codes, rules or thresholds asks this module: the
pandera contract, the Great Expectations parameters, the spec page, the templates, the
synthetic generator and the dbt seeds and sources (psw/warehouse/dbt_artifacts.py).

One module (about 350 lines): each section of the YAML has its dataclass here and, beside
it, the loader's checks of that section, so what a key means and what values it may take
are read in one place (psw/standard/shape.py checks only which keys are present).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from psw.core.paths import schemas_dir
from psw.standard import shape as shape
from psw.standard.shape import StandardError

SEVERITIES = ("error", "warning", "info")
STAGES = ("intake", "file", "contract", "quality", "history")


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    group: str | None = None  # an ethnic category's aggregation group
    not_stated: bool = False  # "not stated / not known": counts against data quality
    family: str | None = None  # a role code's role family


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
    """A rule: its wording here; its check is registered in psw/standard/validation/rules.py."""

    id: str
    stage: str
    severity: str
    description: str
    message: str
    # The Great Expectations configurations of a warning rule (psw/standard/validation/suites.py).
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
    pay_min_assignments: int = 10  # pay figures only for cells of at least this many
    pay_rounding_gbp: int = 100  # published pay to the nearest this many pounds

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
class Publication:
    """The release calendar (see the YAML): when each month's official release is due."""

    release_months_after: int
    release_day: int

    def release_due(self, month: str) -> dt.date:
        """The day the official release of `month` (YYYY-MM) is due."""
        year, number = (int(part) for part in month.split("-"))
        index = year * 12 + number - 1 + self.release_months_after
        return dt.date(index // 12, index % 12 + 1, self.release_day)


@dataclass(frozen=True)
class Standard:
    name: str
    version: str
    grain: str
    limits: dict
    columns: tuple[Column, ...]
    code_lists: dict[str, tuple[Code, ...]]
    ethnic_groups: tuple[Code, ...]
    role_families: tuple[Code, ...]
    personal_data_columns: tuple[PersonalColumnPattern, ...]
    rules: dict[str, Rule]
    thresholds: dict
    disclosure: Disclosure
    data_quality: DataQuality
    publication: Publication
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


def _codes(raw: dict, name: str, items: list[dict]) -> tuple[Code, ...]:
    link, target = shape.CODE_LINKS.get(name, (None, None))
    keys = (shape.CODE_KEYS[0] | ({link} if link else set()), shape.CODE_KEYS[1])
    codes = []
    for i, item in enumerate(shape.entries(items, f"code_lists.{name}", keys)):
        where = f"code_lists.{name}[{i}]{shape.named(item)}"
        # YAML 1.1 reads 25_34 as 2534 and Y as true: every code must be quoted text.
        if not isinstance(item["code"], str):
            raise StandardError(f"code {item['code']!r} in {name} must be quoted")
        label = shape.text(item, "label", where)
        linked = None
        if link:
            linked = shape.text(item, link, where)
            if linked not in {g["code"] for g in raw[target]}:
                raise StandardError(f"{where}: {link} {linked!r} is not a code of {target}")
        not_stated = item.get("not_stated", False)
        if not isinstance(not_stated, bool):
            raise StandardError(f"{where}: not_stated must be true or false")
        codes.append(
            Code(
                item["code"],
                label,
                group=linked if link == "group" else None,
                not_stated=not_stated,
                family=linked if link == "family" else None,
            )
        )
    if len({c.code for c in codes}) != len(codes):
        raise StandardError(f"code_lists.{name}: a code appears twice")
    return tuple(codes)


def _groups(raw: dict, name: str) -> tuple[Code, ...]:
    items = shape.entries(raw[name], name, shape.GROUP_KEYS)
    return tuple(
        Code(shape.text(g, "code", f"{name}[{i}]"), shape.text(g, "label", f"{name}[{i}]"))
        for i, g in enumerate(items)
    )


def _load(path: Path) -> Standard:
    raw = shape.entry(yaml.safe_load(path.read_text(encoding="utf-8")), path.name, shape.TOP_KEYS)
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
        for c in shape.entries(raw["columns"], "columns", shape.COLUMN_KEYS)
    )
    if not isinstance(raw["code_lists"], dict):
        raise StandardError("code_lists: expected a mapping of list name to codes")
    code_lists = {name: _codes(raw, name, items) for name, items in raw["code_lists"].items()}
    rule_entries = shape.entries(raw["rules"], "rules", shape.RULE_KEYS)
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
        for r in rule_entries
    }
    if len(rules) != len(rule_entries):
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
        limits=shape.entry(raw["limits"], "limits", shape.LIMIT_KEYS),
        columns=columns,
        code_lists=code_lists,
        ethnic_groups=_groups(raw, "ethnic_groups"),
        role_families=_groups(raw, "role_families"),
        personal_data_columns=tuple(
            PersonalColumnPattern(re.compile(p["pattern"]), p["kind"])
            for p in shape.entries(
                raw["personal_data_columns"], "personal_data_columns", shape.PERSONAL_KEYS
            )
        ),
        rules=rules,
        thresholds=shape.entry(raw["thresholds"], "thresholds", shape.THRESHOLD_KEYS),
        disclosure=_disclosure(shape.entry(raw["disclosure"], "disclosure", shape.DISCLOSURE_KEYS)),
        data_quality=_data_quality(
            shape.entry(raw["data_quality"], "data_quality", shape.DATA_QUALITY_KEYS), columns
        ),
        publication=_publication(
            shape.entry(raw["publication"], "publication", shape.PUBLICATION_KEYS)
        ),
        _by_name={c.name: c for c in columns},
    )


def _publication(raw: dict) -> Publication:
    publication = Publication(int(raw["release_months_after"]), int(raw["release_day"]))
    if not 1 <= publication.release_day <= 28:
        raise StandardError(f"publication: release_day must be 1-28, not {publication.release_day}")
    if not 1 <= publication.release_months_after <= 12:
        raise StandardError(
            "publication: release_months_after must be 1-12, not "
            f"{publication.release_months_after}"
        )
    return publication


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
        int(raw["pay_min_assignments"]),
        int(raw["pay_rounding_gbp"]),
    )
    if disclosure.pay_min_assignments < 1 or disclosure.pay_rounding_gbp < 1:
        raise StandardError("disclosure: pay_min_assignments and pay_rounding_gbp must be >= 1")
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
