"""What a report may repeat of what a trust wrote.

A report quotes a value only when it is known to be safe: a code of one of the standard's
code lists (in whatever column it sits: a row short of a cell moves codes along), a
number in a numeric column, a date in a date column, a trust's ODS code. Anything else
(free text, a name moved under a code column, a date of birth in a date column) reads
"value withheld" with its row and column. A column name is quoted when it is one of the
standard's, or one plain word (letters, digits, underscores); any other header cell is
shown by its position. Every text a report renders passes `printable` first, so a control
or direction character (a terminal escape, a right-to-left override faking a line) shows
as its code instead of acting.
"""

from __future__ import annotations

import re
import unicodedata

from psw.standard.model import Standard

WITHHELD = "value withheld"
_NUMBER = re.compile(r"[£$]?-?\d[\d,]{0,11}(\.\d{1,6})?")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}( \d{1,2}:\d{2}(:\d{2})?)?")
_ODS_CODE = re.compile(r"[A-Z0-9]{3,6}")
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


_CODES: dict[int, frozenset[str]] = {}  # per standard object (a Standard is not hashable)


def _all_codes(standard: Standard) -> frozenset[str]:
    if id(standard) not in _CODES:
        _CODES[id(standard)] = frozenset(
            code.code.upper() for codes in standard.code_lists.values() for code in codes
        )
    return _CODES[id(standard)]


def safe_value(standard: Standard, column: str | None, value: str) -> bool:
    """Whether a report may quote `value`, found in `column` (a normalised name)."""
    text = value.strip()
    if not text or len(text) > 40:
        return False
    if text.upper() in _all_codes(standard):
        return True
    described = standard.find_column(column)
    if described is None:
        return False
    if described.type == "decimal":
        return _NUMBER.fullmatch(text) is not None
    if described.type == "date":
        return _DATE.fullmatch(text) is not None
    if described.name == "trust_ods_code":
        return _ODS_CODE.fullmatch(text.upper()) is not None
    return False


def safe_column_name(standard: Standard, written: str, normalised: str) -> bool:
    """Whether a report may quote a header cell as the trust wrote it."""
    return standard.find_column(normalised) is not None or (
        _PLAIN_NAME.fullmatch(written.strip()) is not None
    )


def printable(text: str) -> str:
    """Control, format (direction overrides, zero-width) and separator characters shown as
    \\u codes: a report line can then never be rewritten by what a trust wrote."""
    return "".join(
        f"\\u{ord(ch):04x}"
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn") and ch not in "\n"
        else ch
        for ch in text
    )
