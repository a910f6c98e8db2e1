"""Detecting personal data in a return: column names, header cells and values.

A file with personal data is rejected and its content never reaches the platform's data.
The findings name the column and row, never the value: callers blank the value of every
finding on a flagged cell or column (see `engine`), and a header cell that is itself
personal is replaced by its position before anything else sees it
(`mask_personal_headers`).

People write identifiers in many ways, so every check reads the text in one canonical
form first (`canonical`): compatibility forms folded (full-width digits and letters read
as ASCII), every dash, dot, slash and space between the groups allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from psw.standard import Standard, load_standard
from psw.validation.rules import checks, register

if TYPE_CHECKING:
    from psw.validation.reading import RawReturn

# Between the groups of an identifier: spaces (any), dots, slashes and dashes of any kind,
# at most three (so "943 - 476 - 5919" is one number and "943 ... 476" is not).
_SEP = r"[\s./\\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d\uff0e\uff0f]{0,3}"
# 10 digits written 3-3-4 with or without separators, not inside a longer number. Python's
# \d is Unicode-aware, so the cheap pre-filter also catches full-width digits.
_NHS_CANDIDATE = re.compile(rf"(?<!\d)(\d{{3}}){_SEP}(\d{{3}}){_SEP}(\d{{4}})(?!\d)")
# HMRC format: two prefix letters (not D, F, I, Q, U, V; second not O; not the
# administrative prefixes BG GB KN NK NT TN ZZ), six digits, suffix A-D.
_NI_NUMBER = re.compile(
    r"(?<![A-Z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    rf"{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}[A-D](?![A-Z0-9])"
)
# "DOB 01/02/1980", "date of birth: 1 Feb 1980", "born 1980-02-01": a birth word, then a date.
_DATE_OF_BIRTH = re.compile(
    r"\b(?:d\s*\.?\s*o\s*\.?\s*b\b|date\s+of\s+birth|birth\s*date|born)\W{0,4}"
    r"(?:\d{1,4}\W{1,3}(?:\d{1,2}|[a-z]{3,9})\W{1,3}\d{2,4})",
    re.IGNORECASE,
)
# One pass over each column finds the candidates of all three checks: 3-3-4 digits, a
# letter before three pairs of digits, or a birth word. Dates and amounts are not
# candidates, so the exact checks run on few cells.
_PREFILTER = (
    rf"\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{4}}"
    rf"|[^\W\d_]{_SEP}\d\d{_SEP}\d\d{_SEP}\d\d"
    r"|(?i:d\W?o\W?b|birth|born)"
)


def canonical(text: str) -> str:
    """Full-width and other compatibility forms as their plain equivalents, upper case."""
    return unicodedata.normalize("NFKC", text).upper()


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number modulus 11 check on a string of exactly 10 digits."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# The checks of the personal-data value rules (kind "text": canonical text in, True when
# the text breaks the rule). They run on every cell and every column name.


@register("PERSONAL_DATA_NHS_NUMBER", "text")
def has_nhs_number(text: str) -> bool:
    return any(is_valid_nhs_number("".join(m.groups())) for m in _NHS_CANDIDATE.finditer(text))


@register("PERSONAL_DATA_NI_NUMBER", "text")
def has_ni_number(text: str) -> bool:
    return _NI_NUMBER.search(text) is not None


@register("PERSONAL_DATA_DATE_OF_BIRTH", "text")
def has_date_of_birth(text: str) -> bool:
    return _DATE_OF_BIRTH.search(text) is not None


@cache
def _text_checks() -> tuple[tuple[str, Callable[[str], bool]], ...]:
    """Each rule with its check, in the standard's order (the order a cell is reported under)."""
    return tuple((c.rule_id, c.function) for c in checks("text", load_standard()))


def personal_value_rule(text: str) -> str | None:
    """The personal-data rule a piece of text breaks, or None (read in canonical form once)."""
    text = canonical(text)
    return next((rule for rule, check in _text_checks() if check(text)), None)


def contains_ni_number(text: str) -> bool:
    return has_ni_number(canonical(text))


def name_key(name: str) -> str:
    """A column name reduced to lower-case words joined by '_' ("NHS No." -> "nhs_no",
    "D.O.B" -> "d_o_b", "Forename(s)" -> "forename"), for the name patterns."""
    text = unicodedata.normalize("NFKC", name).lower()
    key = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return key.removesuffix("_s")  # a plural written "(s)"


def personal_column_kind(normalised_name: str, standard: Standard) -> str | None:
    """What kind of personal data a column name suggests, or None."""
    if normalised_name in standard.column_names:
        return None
    key = name_key(normalised_name)
    for candidate in standard.personal_data_columns:
        if candidate.pattern.fullmatch(key):
            return candidate.kind
    return None


def scan_values(frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """Cells holding an NHS number, NI number or date of birth: (rule id, row, column), in
    row order. Cheap vectorised pre-filters keep the exact checks to the few candidates."""
    hits: list[tuple[str, int, str]] = []
    for column in frame.columns:
        values = frame[column].dropna()
        if values.empty:
            continue
        text = values.astype(str)
        for row, value in text[text.str.contains(_PREFILTER, regex=True)].items():
            rule = personal_value_rule(value)
            if rule:
                hits.append((rule, int(row), column))
    hits.sort(key=lambda h: (h[1], h[2]))
    return hits


def mask_personal_headers(raw: RawReturn) -> list[tuple[str, str]]:
    """Replace every column name that is itself personal data (an NHS number typed into
    row 1) by its position, in place, so no finding, report or log can repeat it.

    Returns (rule id, the name it now has) for each. A duplicate of such a name is
    dropped from `raw.duplicate_columns` (it would quote the name)."""
    masked: list[tuple[str, str]] = []
    renames: dict[str, str] = {}
    for position, column in enumerate(raw.columns, start=1):
        rule = personal_value_rule(raw.original_names.get(column, column))
        if rule:
            renames[column] = f"(column {position}: not shown)"
            masked.append((rule, renames[column]))
    if not renames:
        return masked
    raw.columns = [renames.get(c, c) for c in raw.columns]
    raw.original_names = {
        renames.get(c, c): renames.get(c, o) for c, o in raw.original_names.items()
    }
    raw.frame = raw.frame.rename(columns=renames)
    raw.duplicate_columns = [c for c in raw.duplicate_columns if c not in renames]
    return masked
