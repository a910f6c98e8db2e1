"""Submissions are partitioned by trust and month: the UI shows a trust-by-month grid.

Trusts are dynamic partitions, added by the upload sensor (and `psw run`) from the
registry as it is now, so a new trust needs no restart or redeploy. Months run from the
first collection month (PSW_FIRST_MONTH) to the current one; uploads for other months are
answered with a report but have no partition.
"""

from __future__ import annotations

import dagster as dg

from psw.standard.reference import trusts

TRUSTS = "trusts"

trust_partitions = dg.DynamicPartitionsDefinition(name=TRUSTS)


def trust_month_partitions(first_month: str) -> dg.MultiPartitionsDefinition:
    """Trusts by months from `first_month` (PSW_FIRST_MONTH, read when the definitions
    are built) to the current one."""
    months = dg.MonthlyPartitionsDefinition(start_date=first_month, fmt="%Y-%m", end_offset=1)
    return dg.MultiPartitionsDefinition({"trust": trust_partitions, "month": months})


def new_trusts(instance: dg.DagsterInstance) -> list[str]:
    """Registered trusts that are not partitions yet."""
    known = set(instance.get_dynamic_partitions(TRUSTS))
    return sorted(set(trusts()) - known)


def add_new_trusts(instance: dg.DagsterInstance) -> list[str]:
    """Add registered trusts that are not partitions yet. Two passes may race to add the
    same trust: the loser's insert fails, and it reads the partitions again."""
    added = new_trusts(instance)
    if added:
        try:
            instance.add_dynamic_partitions(TRUSTS, added)
        except Exception:
            if new_trusts(instance):
                raise
    return added
