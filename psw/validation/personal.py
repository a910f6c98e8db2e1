"""Detecting personal data in a return: column names and values.

A file with personal data is rejected and its content never reaches the warehouse. The
findings name the column and row, never the value: callers blank the value of every
finding on a flagged cell or column (see `engine`).
"""

from __future__ import annotations

import re

import pandas as pd

from psw.standard import Standard

# 10 digits, optionally written 3-3-4 with spaces or hyphens, not inside a longer number.
_NHS_CANDIDATE = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
# HMRC format: two prefix letters (not D, F, I, Q, U, V; second not O; not the
# administrative prefixes BG GB KN NK NT TN ZZ), six digits, suffix A-D.
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_NHS_PREFILTER = r"\d{3}[ -]?\d{3}[ -]?\d{4}"
_NI_PREFILTER = r"\d{2} ?\d{2} ?\d{2}"


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number modulus 11 check on a string of exactly 10 digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    return any(is_valid_nhs_number("".join(m.groups())) for m in _NHS_CANDIDATE.finditer(text))


def contains_ni_number(text: str) -> bool:
    return _NI_NUMBER.search(text.upper()) is not None


def personal_column_kind(normalised_name: str, standard: Standard) -> str | None:
    """What kind of personal data a column name suggests, or None."""
    if normalised_name in standard.column_names:
        return None
    for candidate in standard.personal_data_columns:
        if candidate.pattern.fullmatch(normalised_name):
            return candidate.kind
    return None


def scan_values(frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """Cells holding an NHS or NI number: (rule id, row, column), in row order.

    A cheap vectorised pre-filter keeps the exact checks to the few candidate cells.
    """
    hits: list[tuple[str, int, str]] = []
    for column in frame.columns:
        values = frame[column].dropna()
        if values.empty:
            continue
        text = values.astype(str)
        for row, value in text[text.str.contains(_NHS_PREFILTER, regex=True)].items():
            if contains_nhs_number(value):
                hits.append(("PERSONAL_DATA_NHS_NUMBER", int(row), column))
        for row, value in text[text.str.contains(_NI_PREFILTER, regex=True)].items():
            if contains_ni_number(value):
                hits.append(("PERSONAL_DATA_NI_NUMBER", int(row), column))
    hits.sort(key=lambda h: (h[1], h[2]))
    return hits
