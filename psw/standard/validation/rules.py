"""The rule registry: for each rule of the standard, how it is checked and how it is worded.

A rule's id, stage, severity, wording and example fault files live in its entry in
`schemas/return_v1.yaml`; the check is one function registered here by kind, next to the
other checks of that kind:

  kind        registered in (psw/standard/validation/)  the function gets   returns
  file        file_rules.py     the file as read, the context      hits
  text        personal.py       one cell or column name            True: breaks it
  column      column_rules.py   a column (parsed), context         True per valid row
  row         column_rules.py   the whole frame                    True per valid row
  quality     quality.py        the typed frame, the run           hits
  expectation quality.py        a failed GX result, the run        hits

A few rules are decided where the thing they judge is worked out, not by a check of their
own: `RAISED_ELSEWHERE` names the place. `registry()` is every rule with its check;
tests/test_rules.py proves it matches the standard one to one and that each rule has a
fault file that triggers it and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psw.core.periods import period_of

if TYPE_CHECKING:
    from psw.standard.model import Column, Standard

KINDS = ("file", "text", "column", "row", "quality", "expectation")

# Rules decided by the code that works out what they judge (where the object was put,
# whether its bytes can be read at all), with where that is.
RAISED_ELSEWHERE = {
    "KEY_NOT_A_RETURN": "psw/intake/submissions.py (the object key)",
    "PERIOD_BEFORE_COLLECTION": "psw/intake/submissions.py (the object key)",
    "PERIOD_OUTSIDE_TRUST_DATES": (
        "psw/intake/submissions.py (the key's month, the registry's dates)"
    ),
    "PROCESSING_FAILED": "psw/intake/ingest.py (a fault of the platform)",
    "FILE_UNREADABLE": "psw/standard/validation/reading.py (reading the bytes)",
    "FILE_EMPTY": "psw/standard/validation/reading.py (reading the bytes)",
    "FILE_TOO_LARGE": "psw/standard/validation/reading.py (reading the bytes)",
    "FILE_TOO_MANY_ROWS": "psw/standard/validation/reading.py (reading the bytes)",
}


@dataclass(frozen=True)
class Context:
    """What the checks need besides the file: whose return, for which month, as of when."""

    trust_ods_code: str
    period_end: dt.date
    earliest_start: dt.date = dt.date(1990, 1, 1)
    today: dt.date | None = None

    @property
    def period_start(self) -> dt.date:
        return self.period_end.replace(day=1)

    @property
    def period(self) -> str:
        return period_of(self.period_end)


@dataclass(frozen=True)
class Hit:
    """One place a rule is broken, with what its message needs ({detail}, {expected} ...)."""

    rule_id: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    placeholders: dict[str, str] = field(default_factory=dict)
    # Personal data found: "column" (a whole column) or "cell"; its values are never shown.
    personal: str | None = None


# How a finding of a column or row check is worded: the message's placeholders from the
# context and the column of the standard the finding is on.
Wording = Callable[["Context", "Column", "Standard"], dict[str, str]]
# What `register` and the decorators of each kind return: the function, registered.
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


@dataclass(frozen=True)
class Check:
    """A rule's check: its kind, the function, how its findings are worded, and the
    options of its kind (the column it applies to, a parse, when it is skipped ...)."""

    rule_id: str
    kind: str
    function: Callable[..., Any]
    wording: Wording | None = None
    options: dict[str, Any] = field(default_factory=dict)


_CHECKS: dict[str, Check] = {}


def register(
    rule_id: str, kind: str, *, wording: Wording | None = None, **options: Any
) -> Decorator:
    """Register `function` as the check of `rule_id` (one check per rule)."""
    if kind not in KINDS:
        raise ValueError(f"{rule_id}: kind {kind!r} not in {KINDS}")

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        if rule_id in _CHECKS or rule_id in RAISED_ELSEWHERE:
            raise ValueError(f"{rule_id} has a check already")
        _CHECKS[rule_id] = Check(rule_id, kind, function, wording, options)
        return function

    return decorate


def registry() -> dict[str, Check]:
    """Every registered check, by rule id."""
    return dict(_CHECKS)


def checks(kind: str, standard: Standard) -> list[Check]:
    """The checks of one kind, in the order of the rules in the standard."""
    return [_CHECKS[r] for r in standard.rules if r in _CHECKS and _CHECKS[r].kind == kind]


def wording(rule_id: str) -> Wording | None:
    """How a rule's findings are worded (None: by the hit's placeholders alone)."""
    check = _CHECKS.get(rule_id)
    return check.wording if check else None
