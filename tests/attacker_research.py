"""What the attacker (tests/attacker.py) learns from the research's tables (issue 22):
psw_crosstab, psw_retention and psw_progression, each tied to the one-way breakdowns,
the headcounts and one another by the arithmetic their definitions imply
(docs/measures.md). Written from the definitions, not from the
models: a published row exists only where someone is counted, so an absent cell is 0.
"""

from __future__ import annotations

import calendar
from collections import defaultdict

from tests.attacker import INF, Attack, Key, _shown, cell

OUTCOMES_STAYING = ("band_up", "band_down", "role_changed", "no_change")


def month_shift(period: str, months: int) -> str:
    """The month end `months` after (or before) a month end, as text."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    year, month = divmod(index, 12)
    return f"{year}-{month + 1:02d}-{calendar.monthrange(year, month + 1)[1]:02d}"


def _place(row) -> tuple[str, str, str]:
    return (str(row["period_end"]), row["geography_level"], row["geography_code"])


def _roll_up(a: Attack, cells: dict[tuple, Key], region_of: dict[str, str]) -> None:
    """cells: (period, level, code, *what) -> key. A region is the sum of its trusts'
    cells, England of its regions' (an absent cell is 0)."""
    by_what: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for period, level, code, *what in cells:
        by_what[(period, *what)][level].append(code)
    for (period, *what), levels in by_what.items():
        trusts_of: dict[str, list[Key]] = defaultdict(list)
        for trust in levels.get("trust", ()):
            trusts_of[region_of[trust]].append(cells[(period, "trust", trust, *what)])
        for region in levels.get("region", ()):
            a.total(cells[(period, "region", region, *what)], trusts_of.get(region, []))
        if "national" in levels:
            a.total(
                cells[(period, "national", "ENG", *what)],
                [cells[(period, "region", r, *what)] for r in levels.get("region", ())],
            )


def crosstab(a: Attack, published, noise, region_of, rules: dict) -> None:
    """A cell is at most either of its one-way cells; where the other dimension is
    required, a category's cells together hold at least its one-way count; a role family
    is at most the sum of its roles' cells and at least each."""
    required, families = rules["required_dimensions"], rules["role_families"]
    cells: dict[tuple, Key] = {}
    for row in published.get("psw_crosstab", []):
        what = (
            row["row_dimension"],
            row["row_category"],
            row["col_dimension"],
            row["col_category"],
        )
        key = ("cross", *_place(row), *what)
        a.observe(key, row["headcount"], None, noise, row["geography_level"] == "national")
        a.between(key, 1, INF)
        cells[(*_place(row), *what)] = key
    lines: dict[tuple, list[Key]] = defaultdict(list)  # one category against a dimension
    for (period, level, code, rd, rc, cd, cc), key in cells.items():
        for dimension, category, other in ((rd, rc, cd), (cd, cc, rd)):
            one_way = cell(period, level, code, dimension, category)
            if one_way in a.low:
                a.at_most(key, one_way)
            lines[(period, level, code, dimension, category, other, rd, cd)].append(key)
    for (period, level, code, dimension, category, other, *_), keys in lines.items():
        one_way = cell(period, level, code, dimension, category)
        if other in required and one_way in a.low:
            a.parts_at_least(keys, one_way)
    roles: dict[tuple, list[Key]] = defaultdict(list)
    for (period, level, code, rd, rc, cd, cc), key in cells.items():
        if rd == "role_category" and rc in families:
            roles[(period, level, code, families[rc], cd, cc)].append(key)
    for (period, level, code, family, cd, cc), members in roles.items():
        family_key = cells.get((period, level, code, "role_family", family, cd, cc))
        if family_key is None:
            continue
        a.parts_at_least(members, family_key)
        for member in members:
            a.at_most(member, family_key)
    _roll_up(a, cells, region_of)


def retention(a: Attack, published, noise, region_of) -> dict[tuple, Key]:
    """A trust's cohort is its headcount 12 months before (the same people), its stayers
    at most that and its headcount now, its 12-month leavers the sum of its monthly
    leavers; regions and England sum the trusts that qualify. The mean headcount of a
    region is half the sum of two perturbed headcounts of the qualifying trusts. Returns
    the cohort and stayer cells for progression."""
    rows = published.get("psw_retention", [])
    measures = ("stability_cohort", "stability_stayers", "turnover_12m_leavers")
    cells: dict[tuple, Key] = {}
    for row in rows:
        for measure in measures:
            if row[measure] is None:
                continue
            key = cell(*_place(row), measure)
            a.observe(key, row[measure], None, noise, row["geography_level"] == "national")
            cells[(*_place(row), measure)] = key
    _roll_up(a, cells, region_of)
    turnover_trusts: dict[tuple, list[str]] = defaultdict(list)
    for row in rows:
        period, level, code = _place(row)
        if level != "trust":
            continue
        before = cell(month_shift(period, -12), "trust", code, "headcount")
        now = cell(period, "trust", code, "headcount")
        cohort, stayers = (
            cell(period, level, code, measures[0]),
            cell(period, level, code, measures[1]),
        )
        if cohort in a.low and before in a.low:
            a.total(cohort, [before])
        if stayers in a.low:
            a.at_most(stayers, cohort)
            if now in a.low:
                a.at_most(stayers, now)
        leavers = cell(period, level, code, measures[2])
        monthly = [cell(month_shift(period, -k), "trust", code, "leavers") for k in range(12)]
        if leavers in a.low:
            turnover_trusts[(period, region_of[code])].append(code)
            if all(m in a.low for m in monthly):
                a.total(leavers, monthly)
    for row in rows:
        period, level, code = _place(row)
        mean = row.get("turnover_12m_mean_headcount")
        if level == "trust" or mean is None:
            continue
        trusts = (
            [t for (p, _), ts in turnover_trusts.items() if p == period for t in ts]
            if level == "national"
            else turnover_trusts.get((period, code), [])
        )
        if not trusts or noise is None:
            continue
        ends = []
        for shift, name in ((-12, "start"), (0, "end")):
            true = a.variable(("turnover_headcount", period, level, code, name))
            parts = [cell(month_shift(period, shift), "trust", t, "headcount") for t in trusts]
            if not all(p in a.low for p in parts):
                break
            a.total(true, parts)
            ends.append(_shown(a, true, noise))
        if len(ends) == 2:
            doubled = a.variable(("turnover_doubled_mean", period, level, code), protected=False)
            a.between(doubled, round(2 * mean), round(2 * mean))
            a.total(doubled, ends)
    return cells


def progression(a: Attack, published, noise, region_of, retained: dict[tuple, Key]) -> None:
    """A trust's outcomes add up to its cohort, the staying ones to its stayers; the
    people of a starting family and band are at most that family's and band's one-way
    counts 12 months before; regions and England are sums."""
    cells: dict[tuple, Key] = {}
    for row in published.get("psw_progression", []):
        what = (row["role_family"], row["afc_band"], row["outcome"])
        key = ("prog", *_place(row), *what)
        a.observe(key, row["headcount"], None, noise, row["geography_level"] == "national")
        a.between(key, 1, INF)
        cells[(*_place(row), *what)] = key
    _roll_up(a, cells, region_of)
    by_place: dict[tuple, list[tuple]] = defaultdict(list)
    for (period, level, code, family, band, outcome), key in cells.items():
        by_place[(period, level, code)].append((family, band, outcome, key))
    for place, members in by_place.items():
        cohort = retained.get((*place, "stability_cohort"))
        stayers = retained.get((*place, "stability_stayers"))
        if cohort is not None:
            a.total(cohort, [k for *_, k in members])
        if stayers is not None:
            a.total(stayers, [k for _, _, o, k in members if o in OUTCOMES_STAYING])
        starts: dict[tuple, list[Key]] = defaultdict(list)
        for family, band, _, key in members:
            starts[(family, band)].append(key)
        before = (month_shift(place[0], -12), *place[1:])
        for (family, band), keys in starts.items():
            start = a.variable(("progression_start", *place, family, band), protected=False)
            a.total(start, keys)
            for dimension, category in (("role_family", family), ("afc_band", band)):
                one_way = cell(*before, dimension, category)
                if one_way in a.low:
                    a.at_most(start, one_way)
