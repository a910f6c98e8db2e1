"""Detecting personal data in a return: column names, header cells, values, every sheet.

A file with personal data is rejected and its content never reaches the platform's data.
The findings name the column and row, never the value: callers blank the value of every
finding on a flagged cell or column (see `engine`), and a header cell that is itself
personal is replaced by its position before anything else sees it
(`mask_personal_headers`).

People write identifiers in many ways, so every check reads the text in one canonical
form first (`canonical`): compatibility forms folded (full-width digits and letters read
as ASCII), invisible characters dropped (zero-width spaces and joiners, soft hyphens, word
joiners, direction marks, control characters), runs of white space read as one space, and
every dash, dot, slash, underscore and space between the groups allowed.

Every pattern runs in time linear in the text: no unbounded quantifier sits beside
another that can match the same characters (the backtracking that let a date-of-birth
pattern spend 0.4 s on one cell of padded text), separators are bounded ({0,3}), and
white space is collapsed before any pattern sees it. A scan also has a CPU budget
(`SCAN_SECONDS`), like the read deadline.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

from psw.standard.model import Standard, load_standard
from psw.standard.validation.rules import checks, register

if TYPE_CHECKING:
    from psw.standard.validation.reading import RawReturn

# CPU seconds the value scan of one file may take (a real return takes well under 1 s).
SCAN_SECONDS = 5.0

# Between the groups of an identifier: spaces, dots, slashes, underscores and dashes of any
# kind, at most three (so "943 - 476 - 5919" is one number and "943 ... 476" is not).
_SEP = r"[ ._/\\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d\uff0e\uff0f]{0,3}"
# 10 digits written 3-3-4 with or without separators, not inside a longer number.
_NHS_CANDIDATE = re.compile(rf"(?<!\d)(\d{{3}}){_SEP}(\d{{3}}){_SEP}(\d{{4}})(?!\d)")
# HMRC format: two prefix letters (not D, F, I, Q, U, V; second not O; not the
# administrative prefixes BG GB KN NK NT TN ZZ), six digits, suffix A-D.
_NI_NUMBER = re.compile(
    r"(?<![A-Z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    rf"{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}[A-D](?![A-Z0-9])"
)
# A birth word ("DOB", "D.O.B.", "date of birth", "birth date", "birthday", "born", "born
# on", "born in"), then a date: in figures (01/03/1981, 1981-03-01), in words (1st March
# 1981, March 1, 1981, 1 of March 81) or a year alone ("born in 1981").
_MONTH = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]{0,6}"
_DAY = r"\d{1,2}(?:ST|ND|RD|TH)?"
_DATE = (
    rf"(?:\d{{1,4}}[ ./\-]{{1,3}}(?:\d{{1,2}}|{_MONTH})[ ./\-]{{1,3}}\d{{2,4}}"
    rf"|{_DAY}(?: OF)? {_MONTH},? \d{{2,4}}"
    rf"|{_MONTH} {_DAY},? \d{{2,4}}"
    r"|(?:19|20)\d\d(?!\d))"
)
_DATE_OF_BIRTH = re.compile(
    r"(?:\bD\.? ?O\.? ?B\b\.?|\bDATE OF BIRTH|\bBIRTH ?DATE|\bBIRTHDAY|\bBORN\b(?: ON| IN)?)"
    rf"[ :,;=\-(]{{0,4}}(?:THE )?{_DATE}"
)
# An email address, also written with (at) / [at] and (dot). Possessive quantifiers: a
# part never gives back characters (the at sign and the dots are not in the parts'
# classes, so no match is lost), which keeps a long run of would-be local parts from
# being tried at every length.
_EMAIL = re.compile(
    r"[A-Z0-9._%+\-]{1,64}+ ?(?:@|\(AT\)|\[AT\]) ?[A-Z0-9\-]{1,63}+"
    r"(?:(?:\.| ?\(DOT\) ?| ?\[DOT\] ?)[A-Z0-9\-]{1,63}+){1,8}+"
)
# A UK phone number: +44 or 0, a non-zero digit, then 8 or 9 more digits, with spaces,
# dots, dashes, underscores or brackets between them; not inside a longer code.
_PHONE = re.compile(
    r"(?<![A-Z0-9])(?:\+ ?44 ?(?:\(0\) ?)?|\(?0)[1-9](?:[ ._\-)]{0,2}\d){8,9}(?!\d)"
)
# A UK postcode (outward code, optional space, inward code), not inside a longer code.
_POSTCODE = re.compile(
    r"(?<![A-Z0-9])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?![A-Z0-9])"
)
# One pass over each column finds the candidates of every check: 3-3-4 digits, a letter
# before three pairs of digits, a birth word, an at sign, a phone's start, a postcode's
# inward code. Most cells (codes, dates, amounts) are not candidates, so the exact checks
# run on few cells.
_PREFILTER = (
    rf"\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{4}}"
    rf"|[^\W\d_]{_SEP}\d\d{_SEP}\d\d{_SEP}\d\d"
    r"|(?i:d\W?o\W?b|birth|born|@|\(at\)|\[at\])"
    r"|\+ ?44|(?<![\d.,])\(?0[1-9]"
    r"|(?i:\d[a-z]{2}\b)"
)
# Characters no identifier is written with but that can hide one: format characters
# (zero-width space and joiners, soft hyphen, word joiner, direction marks and overrides,
# byte-order mark) and control characters.
_INVISIBLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"\s+")
# A cell that needs the full canonical form: anything beyond printable ASCII.
_NOT_PLAIN = r"[^\x20-\x7e]"


def canonical(text: str) -> str:
    """Compatibility forms as their plain equivalents, invisible characters dropped (tabs
    and line breaks are white space), white space collapsed, upper case."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub(lambda m: " " if m.group() in "\t\n\r\x0b\x0c" else "", text)
    return _SPACES.sub(" ", text).upper()


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


@register("PERSONAL_DATA_EMAIL", "text")
def has_email(text: str) -> bool:
    return _EMAIL.search(text) is not None


@register("PERSONAL_DATA_PHONE", "text")
def has_phone_number(text: str) -> bool:
    return _PHONE.search(text) is not None


@register("PERSONAL_DATA_POSTCODE", "text")
def has_postcode(text: str) -> bool:
    return _POSTCODE.search(text) is not None


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


class ScanTooLong(Exception):
    """The value scan ran over its CPU budget (a file built to be slow to check)."""


def scan_values(frame: pd.DataFrame, until: float | None = None) -> list[tuple[str, int, str]]:
    """Cells holding personal data: (rule id, row, column), in row order. Each distinct
    value of a column is read once (codes and dates repeat on every row), through cheap
    vectorised steps (the canonical form only for values beyond plain ASCII, white space
    collapsed, a pre-filter) that keep the exact checks to the few candidates. Raises
    ScanTooLong once the process's CPU time passes `until` (default: SCAN_SECONDS on)."""
    until = time.process_time() + SCAN_SECONDS if until is None else until
    hits: list[tuple[str, int, str]] = []
    for column in frame.columns:
        values = frame[column].dropna()
        if values.empty:
            continue
        written = values.astype(str)
        distinct = written.unique()
        text = pd.Series(distinct)
        unusual = text.str.contains(_NOT_PLAIN, regex=True)
        if unusual.any():
            text = text.where(~unusual, text[unusual].map(canonical))
        text = text.str.replace(r"\s{2,}", " ", regex=True)
        found: dict[str, str] = {}
        for position, value in text[text.str.contains(_PREFILTER, regex=True)].items():
            rule = personal_value_rule(value)
            if rule:
                found[distinct[position]] = rule
            if time.process_time() > until:
                raise ScanTooLong
        if found:
            for row, value in written[written.isin(list(found))].items():
                hits.append((found[value], int(row), column))
        if time.process_time() > until:
            raise ScanTooLong
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
