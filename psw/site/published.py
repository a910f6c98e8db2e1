"""The serving database's `published` tables, as the pages read them.

Only `published` is read: every figure a page shows is one analysts can already see, with
its disclosure control (every count perturbed; docs/disclosure-control.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Published:
    """One read-only connection to a serving database, and the queries pages need."""

    def __init__(self, serving: Path, release: dict[str, str] | None = None):
        import duckdb

        self.db = duckdb.connect(str(serving), read_only=True)
        self.latest: dt.date | None = self.value(
            "select max(period_end) from published.psw_headcount"
        )
        self.regions: list[tuple[str, str]] = self.rows(
            "select region_code, region_name from published.regions order by region_code"
        )
        self.trusts: list[tuple[str, str, str]] = self.rows(
            "select trust_ods_code, trust_name, region_code from published.trusts "
            "order by trust_ods_code"
        )
        self.built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        # A serving file published by an earlier version (kept as the last good publish)
        # may lack tables added since: their sections are left out, not the report.
        self.tables = {
            name
            for (name,) in self.rows(
                "select table_name from duckdb_tables() where schema_name = 'published'"
            )
        }

        # Official releases made so far (psw/warehouse/releases.py); `release` (its
        # manifest) when these are a release's own frozen figures.
        self.releases: list[str] = (
            [m for (m,) in self.rows("select release_month from published.releases order by 1")]
            if "releases" in self.tables
            else []
        )
        self.release = release

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Published:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.db.execute(sql, list(params)).fetchall()

    def value(self, sql: str, params: Sequence = ()) -> Any:
        row = self.db.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    def reference_population(self, dimension: str) -> dict[str, tuple]:
        """category -> (share, source, source_url, note) of the cited population a
        dimension is compared with (published.ref_population); empty when none."""
        if "ref_population" not in self.tables:
            return {}
        rows = self.rows(
            "select category, share, source, source_url, note from published.ref_population "
            "where dimension = ? order by category",
            [dimension],
        )
        return {row[0]: tuple(row[1:]) for row in rows}

    def region_name(self, code: str) -> str:
        return dict(self.regions).get(code, code)

    def trend(self, level: str, code: str) -> list[tuple]:
        """(period_end, headcount, fte, joiners, leavers, turnover, trusts submitted,
        trusts expected, revised) by month."""
        return self.rows(
            "select period_end, headcount, fte, joiners, leavers, turnover_rate, "
            "trusts_submitted, trusts_expected, revised "
            "from published.psw_headcount where geography_level = ? and geography_code = ? "
            "order by period_end",
            [level, code],
        )

    def breakdown(self, level: str, code: str, dimension: str) -> list[tuple]:
        """(label, headcount, share, code) of the latest month, in the standard's order."""
        if dimension == "afc_band":
            sql = (
                "select afc_band_label, headcount, headcount_share, afc_band "
                "from published.psw_pay_bands where geography_level = ? and geography_code = ? "
                "and period_end = ? order by sort_order"
            )
            return self.rows(sql, [level, code, self.latest])
        sql = (
            "select category_label, headcount, headcount_share, category "
            "from published.psw_role_diversity where geography_level = ? and geography_code = ? "
            "and period_end = ? and dimension = ? order by sort_order"
        )
        return self.rows(sql, [level, code, self.latest, dimension])

    def pay(self, level: str, code: str) -> list[tuple]:
        """(breakdown, category label, assignments, lower quartile, median, upper
        quartile, mean) of the latest month: all, then bands, role families, roles."""
        if "psw_pay" not in self.tables:
            return []
        return self.rows(
            "select breakdown, category_label, assignments, lower_quartile_salary_fte, "
            "median_salary_fte, upper_quartile_salary_fte, mean_salary_fte "
            "from published.psw_pay where geography_level = ? and geography_code = ? "
            "and period_end = ? order by case breakdown when 'all' then 0 "
            "when 'afc_band' then 1 when 'role_family' then 2 else 3 end, sort_order",
            [level, code, self.latest],
        )

    def pay_rule(self) -> tuple[int, int]:
        """(least assignments a pay figure needs, pounds it is rounded to), as published."""
        rule = dict(
            self.rows(
                "select parameter, value from published.disclosure_control "
                "where parameter in ('pay_min_assignments', 'pay_rounding_gbp')"
            )
        )
        return int(rule.get("pay_min_assignments", 10)), int(rule.get("pay_rounding_gbp", 100))

    def retention(self, level: str, code: str) -> list[tuple]:
        """(month, cohort, stayers, stability index, 12-month leavers, mean headcount,
        12-month turnover, stability trusts, turnover trusts) of every month with either
        measure."""
        if "psw_retention" not in self.tables:
            return []
        return self.rows(
            "select strftime(period_end, '%Y-%m'), stability_cohort, stability_stayers, "
            "stability_index, turnover_12m_leavers, turnover_12m_mean_headcount, "
            "turnover_12m, stability_trusts, turnover_trusts from published.psw_retention "
            "where geography_level = ? and geography_code = ? "
            "and (stability_cohort is not null or turnover_12m_leavers is not null) "
            "order by period_end",
            [level, code],
        )

    def progression(self, level: str, code: str) -> tuple[str | None, list[tuple]]:
        """The latest month with 12-month outcomes, and its (role family label, band
        label, outcome, headcount) in the standard's order."""
        if "psw_progression" not in self.tables:
            return None, []
        month = self.value(
            "select max(period_end) from published.psw_progression "
            "where geography_level = ? and geography_code = ?",
            [level, code],
        )
        if month is None:
            return None, []
        return f"{month:%B %Y}", self.rows(
            "select role_family_label, afc_band_label, outcome, headcount "
            "from published.psw_progression where geography_level = ? "
            "and geography_code = ? and period_end = ? "
            "order by role_family_sort_order, afc_band_sort_order, outcome_sort_order",
            [level, code, month],
        )

    def crosstab(self, level: str, code: str, rows: str, cols: str) -> list[tuple]:
        """(row label, column label, headcount, column order) of a pair of dimensions,
        latest month."""
        if "psw_crosstab" not in self.tables:
            return []
        return self.rows(
            "select row_category_label, col_category_label, headcount, col_sort_order "
            "from published.psw_crosstab where geography_level = ? and geography_code = ? "
            "and period_end = ? and row_dimension = ? and col_dimension = ? "
            "order by row_sort_order, col_sort_order",
            [level, code, self.latest, rows, cols],
        )

    def band_mix(self, level: str, code: str) -> list[tuple]:
        """(month, band label, share) over every month: the band mix over time."""
        return self.rows(
            "select strftime(period_end, '%Y-%m'), afc_band_label, headcount_share "
            "from published.psw_pay_bands where geography_level = ? and geography_code = ? "
            "order by period_end, sort_order",
            [level, code],
        )

    def effective_categories(self, level: str, code: str, dimension: str) -> float | None:
        """The diversity index (effective number of categories) of the latest month."""
        return self.value(
            "select effective_categories from published.psw_diversity_index "
            "where geography_level = ? and geography_code = ? and dimension = ? "
            "and period_end = ?",
            [level, code, dimension, self.latest],
        )

    def headline(self, level: str, code: str) -> tuple | None:
        """(headcount, fte, turnover, trusts submitted, expected) of the latest month."""
        rows = self.rows(
            "select headcount, fte, turnover_rate, trusts_submitted, "
            "trusts_expected from published.psw_headcount where geography_level = ? "
            "and geography_code = ? and period_end = ?",
            [level, code, self.latest],
        )
        return rows[0] if rows else None

    def status(self, ods: str) -> str | None:
        """A trust's status in the latest month (None when it was not open)."""
        return self.value(
            "select status from published.submission_status where trust_ods_code = ? "
            "and period_end = ?",
            [ods, self.latest],
        )

    def regions_latest(self) -> list[tuple]:
        """(code, name, headcount, fte, turnover, submitted, expected) per region."""
        return self.rows(
            "select geography_code, geography_name, headcount, fte, "
            "turnover_rate, trusts_submitted, trusts_expected from published.psw_headcount "
            "where geography_level = 'region' and period_end = ? order by geography_name",
            [self.latest],
        )

    def quality(self, ods: str) -> list[tuple]:
        """A trust's data-quality measure by month beside the median of all trusts and of
        its region: (month, status, completeness, stated, clean, on time, score, national
        median, region median)."""
        return self.rows(
            "with scored as (select q.*, t.region_code as home from published.data_quality q "
            "join published.trusts t using (trust_ods_code)), "
            "nation as (select period_end, median(score) as national from scored "
            "group by period_end), "
            "region as (select period_end, home, median(score) as regional from scored "
            "group by period_end, home) "
            "select strftime(q.period_end, '%Y-%m'), q.status, q.completeness, q.stated, "
            "q.clean, q.is_on_time, q.score, nation.national, region.regional "
            "from scored as q join nation using (period_end) "
            "join region on region.period_end = q.period_end and region.home = q.home "
            "where q.trust_ods_code = ? order by q.period_end",
            [ods],
        )

    def quality_nationally(self) -> list[tuple]:
        """By month: (month, trusts scored, median score, on-time share, median
        completeness, median stated, median clean)."""
        return self.rows(
            "select strftime(period_end, '%Y-%m'), count(score), median(score), "
            "avg(is_on_time::int), median(completeness), median(stated), median(clean) "
            "from published.data_quality group by period_end order by period_end"
        )

    def coverage(self) -> list[tuple]:
        """By month, newest first: (month, trusts expected, and of them with a return
        accepted, accepted with warnings, nil, rejected (and nothing accepted), missing)."""
        return self.rows(
            "select strftime(period_end, '%Y-%m'), count(*) filter (where expected), "
            "count(*) filter (where expected and status = 'accepted'), "
            "count(*) filter (where expected and status = 'accepted_with_warnings'), "
            "count(*) filter (where expected and status = 'nil_return'), "
            "count(*) filter (where expected and status = 'rejected'), "
            "count(*) filter (where expected and status = 'missing') "
            "from published.submission_status group by period_end order by period_end desc"
        )

    def grid(self, region: str | None) -> list[tuple]:
        """(ods, name, month, status) of every trust-month (of one region when given)."""
        return self.rows(
            "select trust_ods_code, trust_name, strftime(period_end, '%Y-%m'), status "
            "from published.submission_status where ? is null or region_code = ? "
            "order by 1, 3",
            [region, region],
        )
