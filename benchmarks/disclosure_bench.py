"""How much disclosure control costs and what an attacker still gets: prints numbers.

Builds the national scenario of tests/test_disclosure.py (49 trusts, mostly small, 14
months, five corrected returns) with dbt on DuckDB and publishes it, or measures a serving
and warehouse pair you name (`--serving`, `--warehouse`: an older build, say), then prints
per table and level (and dimension, for psw_role_diversity):
- cells: published counts whose true value is not 0 (0 stays 0);
- withheld: the share of those published as NULL (the suppression of issues 4-9);
- changed: the share whose published value differs from the true one;
- mean |error|: the mean absolute difference, published - true, where both exist;
- 1-7 exact: of the true counts of 1-7, the share published as exactly the true value
  (what a reader who takes a figure at face value gets right);
and what attackers get: the independent attacker of tests/attacker.py (figures
recovered exactly by arithmetic), and a guessing one who takes the median of every
published view of a trust's headcount of 1-7 (its own figure and each breakdown's total).

    .venv/bin/python benchmarks/disclosure_bench.py [--workdir /tmp/psw-sdc-bench]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.attacker, tests.test_disclosure

QUERIES = {
    "psw_headcount": (
        "select geography_level, m.{c}, p.{c} from marts.psw_headcount m "
        "join {s}.psw_headcount p using (period_end, geography_level, geography_code)"
    ),
    "psw_role_diversity": (
        "select m.dimension || ', ' || geography_level, m.headcount, p.headcount "
        "from marts.psw_role_diversity m "
        "join {s}.psw_role_diversity p "
        "using (period_end, geography_level, geography_code, dimension, category)"
    ),
    "psw_pay_bands": (
        "select geography_level, m.headcount, p.headcount from marts.psw_pay_bands m "
        "join {s}.psw_pay_bands p using (period_end, geography_level, geography_code, afc_band)"
    ),
    "psw_pay": (
        "select m.breakdown || ', ' || geography_level, m.assignments, p.assignments "
        "from marts.psw_pay m join {s}.psw_pay p "
        "using (period_end, geography_level, geography_code, breakdown, category)"
    ),
    "psw_retention": (
        "select geography_level, m.{c}, p.{c} from marts.psw_retention m "
        "join {s}.psw_retention p using (period_end, geography_level, geography_code)"
    ),
    "psw_progression": (
        "select m.role_family || ', ' || geography_level, m.headcount, p.headcount "
        "from marts.psw_progression m join {s}.psw_progression p using (period_end, "
        "geography_level, geography_code, role_family, afc_band, outcome)"
    ),
    "psw_crosstab": (
        "select m.row_dimension || ' x ' || m.col_dimension || ', ' || geography_level, "
        "m.headcount, p.headcount from marts.psw_crosstab m join {s}.psw_crosstab p "
        "using (period_end, geography_level, geography_code, row_dimension, row_category, "
        "col_dimension, col_category)"
    ),
    "submission_status": (
        "select 'trust', m.{c}, p.{c} from marts.submission_status m "
        "join {s}.submission_status p using (period_end, trust_ods_code) "
        "where m.status != 'rejected'"
    ),
}
COLUMNS = {
    "psw_headcount": ["headcount", "joiners", "leavers"],
    "psw_role_diversity": [None],
    "psw_pay_bands": [None],
    "psw_pay": [None],
    "psw_retention": ["stability_cohort", "stability_stayers", "turnover_12m_leavers"],
    "psw_progression": [None],
    "psw_crosstab": [None],
    "submission_status": ["data_rows", "warnings"],
}


def measure(serving: Path, warehouse: Path) -> None:
    import duckdb

    from tests import attacker

    stats: dict[tuple, list] = defaultdict(list)
    with duckdb.connect(str(warehouse), read_only=True) as db:
        db.execute(f"attach '{serving}' as serving (read_only)")
        for table, sql in QUERIES.items():
            for column in COLUMNS[table]:
                name = f"{table}.{column}" if column else table
                for level, true, shown in db.execute(
                    sql.format(c=column, s="serving.published")
                ).fetchall():
                    if true:
                        stats[(name, level)].append((true, shown))
    print(
        f"{'table':32} {'level':40} {'cells':>7} {'withheld':>9} {'changed':>8} "
        f"{'mean |error|':>12} {'1-7 exact':>10}"
    )
    for (name, level), pairs in sorted(stats.items()):
        shown = [(t, s) for t, s in pairs if s is not None]
        small = [(t, s) for t, s in pairs if 1 <= t <= 7]
        withheld = 1 - len(shown) / len(pairs)
        changed = sum(1 for t, s in shown if s != t) / len(shown) if shown else 0
        error = sum(abs(s - t) for t, s in shown) / len(shown) if shown else float("nan")
        exact_small = sum(1 for t, s in small if s == t) / len(small) if small else float("nan")
        print(
            f"{name:32} {level:40} {len(pairs):7} {withheld:9.1%} {changed:8.1%} "
            f"{error:12.2f} {exact_small:10.1%}"
        )
    pay_rule(serving)
    guessing(serving, warehouse)
    started = time.monotonic()
    attack = attacker.attack(serving, **attacker.public_rules())
    found = attack.recovered()
    small = sum(1 for v in found.values() if 1 <= v <= 7)
    print(
        f"attacker: {len(found)} figures recovered exactly, {small} of them 1-7 "
        f"({len(attack.low)} unknowns, {len(attack.constraints)} relations, "
        f"{time.monotonic() - started:.1f} s)"
    )


def pay_rule(serving: Path) -> None:
    """How many pay cells the pay rule leaves without pay (fewer than 10 assignments),
    by breakdown and level: counts are never withheld, pay figures are."""
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as db:
        rows = db.execute(
            "select breakdown, geography_level, count(*), "
            "count(*) filter (where median_salary_fte is null) "
            "from published.psw_pay group by all order by all"
        ).fetchall()
    print(f"{'pay rule: pay withheld':32} {'level':9} {'cells':>7} {'withheld':>9}")
    for breakdown, level, cells, withheld in rows:
        print(f"{'psw_pay, ' + breakdown:32} {level:9} {cells:7} {withheld / cells:9.1%}")


def guessing(serving: Path, warehouse: Path) -> None:
    """How often the median of a trust headcount's published views is its true 1-7."""
    import statistics

    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as db:
        db.execute(f"attach '{serving}' as serving (read_only)")
        true = db.execute(
            "select period_end, geography_code, headcount from marts.psw_headcount "
            "where geography_level = 'trust' and headcount between 1 and 7"
        ).fetchall()
        direct = {
            (period, code): value
            for period, code, value in db.execute(
                "select period_end, geography_code, headcount "
                "from serving.published.psw_headcount where geography_level = 'trust'"
            ).fetchall()
        }
        views: dict[tuple, list] = defaultdict(list)
        for period, code, value in db.execute(
            "select period_end, geography_code, sum(headcount) "
            "from serving.published.psw_role_diversity where geography_level = 'trust' "
            "group by period_end, geography_code, dimension union all "
            "select period_end, geography_code, sum(headcount) "
            "from serving.published.psw_pay_bands where geography_level = 'trust' "
            "group by period_end, geography_code"
        ).fetchall():
            views[(period, code)].append(value)
    if not true:
        return
    for where, value in direct.items():
        views[where].append(value)
    face = sum(1 for p, c, t in true if direct[(p, c)] == t) / len(true)
    median = sum(1 for p, c, t in true if round(statistics.median(views[(p, c)])) == t)
    print(
        f"guessing: of {len(true)} trust headcounts of 1-7, the published figure is the true "
        f"one for {face:.0%}; the median of its {len(views[true[0][:2]])} views for "
        f"{median / len(true):.0%}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/psw-sdc-bench"))
    parser.add_argument("--serving", type=Path)
    parser.add_argument("--warehouse", type=Path)
    args = parser.parse_args()
    if args.serving and args.warehouse:
        measure(args.serving, args.warehouse)
        return 0

    from psw.standard.reference import trusts
    from tests.test_disclosure import PERIODS, build_national_scenario

    shutil.rmtree(args.workdir, ignore_errors=True)
    data = args.workdir / "data"
    started = time.monotonic()
    published = build_national_scenario(data)
    rows = sum(published.tables.get(t, 0) for t in ("psw_headcount",))
    print(
        f"{len(trusts())} trusts x {len(PERIODS)} months, built and published twice in "
        f"{time.monotonic() - started:.0f} s ({rows} headcount rows, "
        f"{published.tables['revisions']} revisions)"
    )
    measure(published.path, data / "warehouse.duckdb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
