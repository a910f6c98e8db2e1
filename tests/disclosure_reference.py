"""Cell-key perturbation worked out in plain Python from docs/disclosure-control.md, to
check what dbt publishes against: record keys from pseudonyms, cell keys, the noise."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable

KEY_SPACE = 2**32


def staff_key(secret: str, staff_id: str) -> str:
    """The pseudonym the platform lands (HMAC-SHA-256 of the staff id)."""
    return hmac.new(secret.encode(), staff_id.encode(), hashlib.sha256).hexdigest()


def record_key(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16)


def cell_key(record_keys: Iterable[int]) -> int:
    return sum(record_keys) % KEY_SPACE


def derived_key(key: int, purpose: str) -> int:
    return record_key(f"{key}:{purpose}")


def noise(key: int, ratio: float) -> int:
    u = (key + 0.5) / KEY_SPACE
    if u < ratio / (1 + ratio):
        return -math.floor(math.log(u * (1 + ratio)) / math.log(ratio))
    if u > 1 / (1 + ratio):
        return math.floor(math.log((1 - u) * (1 + ratio)) / math.log(ratio))
    return 0


def perturb(count: int | None, key: int, ratio: float) -> int | None:
    if count is None:
        return None
    return 0 if count == 0 else max(0, count + noise(key, ratio))
