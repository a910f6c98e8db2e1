"""Vectorised parsing of the text values of a return into dates, numbers and codes.

Shared by the contract (which asks "does this parse?") and the cast to typed data (which
keeps the parsed value), so the two can never disagree.
"""

from __future__ import annotations

import pandas as pd

_ISO = r"^\d{4}-\d{2}-\d{2}$"
_UK = r"^\d{1,2}/\d{1,2}/\d{4}$"


def parse_dates(values: pd.Series) -> pd.Series:
    """YYYY-MM-DD or DD/MM/YYYY to datetime64; anything else (or empty) to NaT."""
    text = values.astype("string")
    iso = pd.to_datetime(
        text.where(text.str.match(_ISO, na=False)), format="%Y-%m-%d", errors="coerce"
    )
    uk = pd.to_datetime(
        text.where(text.str.match(_UK, na=False)), format="%d/%m/%Y", errors="coerce"
    )
    return iso.fillna(uk)


def parse_numbers(values: pd.Series, money: bool = False) -> pd.Series:
    """Plain decimals to float; with money=True a leading '£' and thousands commas are allowed."""
    text = values.astype("string")
    if money:
        text = text.str.replace(r"^£\s*", "", regex=True).str.replace(
            r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True
        )
    text = text.where(text.str.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", na=False))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def canonical_codes(values: pd.Series, codes: list[str]) -> pd.Series:
    """Codes are matched without regard to case and returned as the standard writes them.

    Values that match no code are returned unchanged (so a report can quote them).
    """
    lookup = {c.lower(): c for c in codes}
    text = values.astype("string")
    mapped = text.str.lower().map(lookup)
    return mapped.fillna(text).astype(object).where(values.notna(), None)
