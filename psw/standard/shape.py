"""The shape of `schemas/return_v1.yaml`: which keys each part may have, checked by name.

A label with an unquoted comma inside `{...}` reads in YAML as the label cut at the comma
plus a stray key with no value; a loader that ignored unknown keys accepted that silently
and the cut label reached the spec, the seeds and every page (issue 22). psw/standard/model.py
reads every part through `entry` or `entries`, so an unknown or missing key is an error
that names the entry.
"""

from __future__ import annotations


class StandardError(ValueError):
    """schemas/return_v1.yaml says something the platform cannot use: what and where."""


def keys(required: str, optional: str = "") -> tuple[set[str], set[str]]:
    """(required, optional) key names, each given as one space-separated string."""
    return set(required.split()), set(optional.split())


TOP_KEYS = keys(
    "standard version grain limits columns code_lists ethnic_groups role_families "
    "personal_data_columns rules thresholds data_quality disclosure publication"
)
COLUMN_KEYS = keys(
    "name type required description",
    "example sensitive landed codes pattern format_hint max_length min_exclusive max",
)
CODE_KEYS = keys("code label", "not_stated")
GROUP_KEYS = keys("code label")
RULE_KEYS = keys("id stage severity description message", "expectations faults")
PERSONAL_KEYS = keys("pattern kind")
LIMIT_KEYS = keys("max_bytes max_rows earliest_start_date max_findings_listed")
THRESHOLD_KEYS = keys(
    "psw_atypical_band_from peer_lead_atypical_band_to max_not_stated_ethnicity_share "
    "headcount_swing_share headcount_swing_people"
)
DATA_QUALITY_KEYS = keys("due_day completeness_columns not_stated_columns")
PUBLICATION_KEYS = keys("release_months_after release_day")
DISCLOSURE_KEYS = keys(
    "method perturbation_ratio perturbed_columns exempt_columns pay_min_assignments "
    "pay_rounding_gbp"
)
# Code lists whose entries name a code of a coarser list: the key, and that list.
CODE_LINKS = {
    "ethnic_category": ("group", "ethnic_groups"),
    "role_category": ("family", "role_families"),
}


def entry(value: object, where: str, allowed: tuple[set[str], set[str]]) -> dict:
    """`value` as a mapping with the required keys and no others, or a StandardError
    that names the entry."""
    required, optional = allowed
    if not isinstance(value, dict):
        raise StandardError(f"{where}: expected a mapping, found {value!r}")
    stray = value.keys() - required - optional
    missing = sorted(required - value.keys())
    problems = []
    if stray:
        problems.append(f"unknown key(s) {', '.join(sorted(map(repr, map(str, stray))))}")
        if any(value[k] is None for k in stray):
            problems[-1] += (
                " (a value with a comma inside {...} must be quoted: YAML read the text "
                "after the comma as a key)"
            )
    if missing:
        problems.append(f"missing key(s) {', '.join(missing)}")
    if problems:
        raise StandardError(f"{where}: {'; '.join(problems)}")
    return value


def entries(value: object, where: str, allowed: tuple[set[str], set[str]]) -> list[dict]:
    """A list of mappings, each checked by `entry` and named by its position and code."""
    if not isinstance(value, list):
        raise StandardError(f"{where}: expected a list, found {value!r}")
    return [entry(item, f"{where}[{i}]{named(item)}", allowed) for i, item in enumerate(value)]


def named(item: object) -> str:
    """` (<code, id or name>)` of an entry, for messages; "" when it has none."""
    if isinstance(item, dict):
        for key in ("code", "id", "name"):
            if key in item:
                return f" ({item[key]})"
    return ""


def text(item: dict, key: str, where: str) -> str:
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise StandardError(f"{where}: {key} must be quoted text, found {value!r}")
    return value
