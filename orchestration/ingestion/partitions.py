"""Submissions are partitioned by trust and month: the UI shows a trust-by-month grid."""

from __future__ import annotations

import dagster as dg

from psw.reference import trusts

FIRST_MONTH = "2024-04"  # the start of the 2024/25 pay year, the earliest pay table shipped

month_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", end_offset=1)
trust_partitions = dg.StaticPartitionsDefinition(sorted(trusts()))
trust_month_partitions = dg.MultiPartitionsDefinition(
    {"trust": trust_partitions, "month": month_partitions}
)


def partition_key(ods_code: str, period: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"trust": ods_code, "month": period})
