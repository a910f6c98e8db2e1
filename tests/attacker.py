"""An attacker with nothing but the serving file and the published rules.

Written apart from the disclosure mechanism (it imports nothing of dbt's models or
psw.warehouse.publish): it reads every table of schema `published`, turns each published count
into what the rules say about the true count (an interval), writes down every equality
and inequality the published schema implies between true counts, and tightens the
intervals until nothing moves. A count whose interval closes to one value is recovered.

What it knows, as any reader of the docs would:
- a count's flag, where there is one: exact, rounded (to 5), suppressed (1-7), secondary
  (withheld, so 0 or at least 8); with `published.disclosure_control` instead, every count
  is the true count plus noise of at most `largest_perturbation`, and never below 0
  (a published 0 may hide a small count; a positive one is at least 1);
- the return standard (public): which breakdowns every person is in, which columns the
  data-quality shares count;
- the measures: England is the sum of its regions and a region of its trusts (every
  count: headcount, joiners, leavers, each breakdown category), a category is at most its
  geography's headcount and a required breakdown's categories sum to at least it,
  joiners are at most the headcount, a return's rows at least its headcount, and the
  data-quality shares are the stated ratios rounded to 2 places;
- revisions: the previous value of a revised figure, and its cause; where one trust's
  return alone caused a month's revisions, every level changed by the same true amount;
- role families (the standard groups role codes): a person in a role is in its family,
  and a family's people are in its roles, so each role is at most its family and the
  family at most the sum of its roles;
- pay (`psw_pay`): a row exists only for a cell with at least one assignment; its pay
  figures are shown only when its true `assignments` is at least the pay rule's
  minimum, else it is below it; each assignment has exactly one band, role and family,
  so within a place each breakdown's cells sum to the `all` cell, a family's to its
  roles', and every level sums up the hierarchy.

Sound by construction: every constraint holds for the true counts, so a recovered value
is the true one (the test checks that against the warehouse too).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

INF = math.inf
SMALL = 7  # the largest count the baseline rule withholds
ROUNDING_HALF = 2  # rounded to 5: within 2 of the published value
DQ_PLACES = 2
# Flags that publish a count exactly (nothing to recover).
EXACT = "exact"
RETENTION = ("stability_cohort", "stability_stayers", "turnover_12m_leavers")
# What names one published figure in `published.revisions`.
REVISED = ("period_end", "geography_level", "geography_code", "table_name", "breakdown", "measure")

Key = tuple


@dataclass
class Constraint:
    terms: list[tuple[int, Key]]
    equality: bool  # sum(terms) + constant == 0, else <= 0
    constant: int = 0


@dataclass
class Attack:
    low: dict[Key, float] = field(default_factory=dict)
    high: dict[Key, float] = field(default_factory=dict)
    not_small: set[Key] = field(default_factory=set)  # 0 or above SMALL
    protected: set[Key] = field(default_factory=set)  # not published exactly
    constraints: list[Constraint] = field(default_factory=list)
    ratios: list[tuple] = field(
        default_factory=list
    )  # (numerator, denominator, scale, value, kind)
    contradictions: list[str] = field(default_factory=list)

    # -- what a figure says ------------------------------------------------------------
    def variable(self, key: Key, protected: bool = True) -> Key:
        self.low.setdefault(key, 0)
        self.high.setdefault(key, INF)
        if protected:
            self.protected.add(key)
        return key

    def observe(self, key: Key, value, flag: str | None, noise: int | None, national: bool):
        """What one published count says about its true value."""
        if flag is None and noise is None:
            flag = EXACT
        if noise is not None and flag is None:
            low, high = (0, noise) if value == 0 else (max(1, value - noise), value + noise)
        elif flag == EXACT:
            low = high = value
        elif flag == "rounded":
            low, high = max(0, value - ROUNDING_HALF), value + ROUNDING_HALF
            if not national:
                low = max(low, SMALL + 1)
        elif flag == "suppressed":
            low, high = 1, SMALL
        elif flag == "secondary":
            low, high = 0, INF
            self.not_small.add(key)
        else:
            raise ValueError(f"unknown flag {flag!r}")
        self.variable(key, protected=flag != EXACT)
        self._narrow(key, low, high)

    # -- what the measures say ---------------------------------------------------------
    def between(self, key: Key, low: float, high: float) -> None:
        """What a rule says of a true count outright (a pay cell's size)."""
        self._narrow(key, low, high)

    def total(self, whole: Key, parts: Iterable[Key]) -> None:
        self.constraints.append(Constraint([(1, whole)] + [(-1, p) for p in parts], True))

    def at_most(self, smaller: Key, larger: Key) -> None:
        self.constraints.append(Constraint([(1, smaller), (-1, larger)], False))

    def parts_at_least(self, parts: list[Key], whole: Key) -> None:
        self.constraints.append(Constraint([(1, whole)] + [(-1, p) for p in parts], False))

    def same_change(self, a_now: Key, a_before: Key, b_now: Key, b_before: Key) -> None:
        self.constraints.append(
            Constraint([(1, a_now), (-1, a_before), (-1, b_now), (1, b_before)], True)
        )

    def within(self, a: Key, b: Key, distance: int) -> None:
        """|a - b| <= distance (a perturbed count and the true one)."""
        self.constraints.append(Constraint([(1, a), (-1, b)], False, -distance))
        self.constraints.append(Constraint([(1, b), (-1, a)], False, -distance))

    def ratio(self, numerator: Key, denominator: Key, scale: int, value: float, kind: str):
        """value == round(f(numerator / (denominator * scale)), 2), f by kind: 'share'
        (the ratio), 'complement' (1 - ratio, at least 0)."""
        self.ratios.append((numerator, denominator, scale, value, kind))

    # -- tightening --------------------------------------------------------------------
    def _narrow(self, key: Key, low: float, high: float) -> bool:
        low = max(self.low[key], math.ceil(low - 1e-9) if low != -INF else low)
        high = min(self.high[key], math.floor(high + 1e-9) if high != INF else high)
        if key in self.not_small:
            if low >= 1:
                low = max(low, SMALL + 1)
            if high <= SMALL:
                high = min(high, 0)
        if low > high:
            self.contradictions.append(f"{key}: [{low}, {high}]")
            return False
        changed = low != self.low[key] or high != self.high[key]
        self.low[key], self.high[key] = low, high
        return changed

    def _propagate(self, c: Constraint) -> set[Key]:
        changed = set()
        low, high = self.low, self.high
        mins = [coef * (low[k] if coef > 0 else high[k]) for coef, k in c.terms]
        maxs = [coef * (high[k] if coef > 0 else low[k]) for coef, k in c.terms]
        for i, (coef, key) in enumerate(c.terms):
            others_min = sum(m for j, m in enumerate(mins) if j != i) + c.constant
            others_max = sum(m for j, m in enumerate(maxs) if j != i) + c.constant
            # coef * x + others == 0 (or <= 0)
            if c.equality:
                lo, hi = -others_max / coef, -others_min / coef
                if coef < 0:
                    lo, hi = hi, lo
            elif coef > 0:
                lo, hi = -INF, -others_min / coef
            else:
                lo, hi = -others_min / coef, INF
            lo = -INF if math.isnan(lo) else lo
            hi = INF if math.isnan(hi) else hi
            if self._narrow(key, lo, hi):
                changed.add(key)
        return changed

    def _ratio_pass(self) -> set[Key]:
        changed = set()
        for numerator, denominator, scale, value, kind in self.ratios:
            lo_d, hi_d = self.low[denominator], self.high[denominator]
            if hi_d - lo_d > 1000 or (kind == "complement" and value == 0):
                continue  # too wide to try, or clamped at 0 (a lower bound only)
            fits_n, fits_d = set(), set()
            for d in range(int(max(lo_d, 1)), int(hi_d) + 1):
                share = value if kind == "share" else 1 - value
                centre = share * d * scale
                for n in range(
                    max(int(self.low[numerator]), int(centre) - d * scale // 100 - 3),
                    int(min(self.high[numerator], centre + d * scale / 100 + 3)) + 1,
                ):
                    ratio = n / (d * scale)
                    shown = ratio if kind == "share" else max(0.0, 1 - ratio)
                    if _round_half_away(shown, DQ_PLACES) == value:
                        fits_n.add(n)
                        fits_d.add(d)
            if not fits_n:
                self.contradictions.append(f"ratio {numerator}/{denominator} = {value}")
                continue
            if self._narrow(numerator, min(fits_n), max(fits_n)):
                changed.add(numerator)
            if self._narrow(denominator, min(fits_d), max(fits_d)):
                changed.add(denominator)
        return changed

    def solve(self, rounds: int = 200) -> None:
        touching: dict[Key, list[Constraint]] = defaultdict(list)
        for c in self.constraints:
            for _, key in c.terms:
                touching[key].append(c)
        queue = list(self.constraints)
        for _ in range(rounds):
            changed: set[Key] = set()
            for c in queue:
                changed |= self._propagate(c)
            changed |= self._ratio_pass()
            if not changed:
                return
            queue = list({id(c): c for k in changed for c in touching[k]}.values())

    def recovered(self) -> dict[Key, int]:
        """Protected counts whose interval closed: 1-7 anywhere, or anything protected."""
        found = {}
        for key in self.low:
            if key[0] == "shown":
                continue  # a perturbed value a share was computed from, not a true count
            if self.low[key] == self.high[key]:
                value = int(self.low[key])
                if key in self.protected or 1 <= value <= SMALL:
                    found[key] = value
        return found


def _round_half_away(value: float, places: int) -> float:
    scaled = value * 10**places
    return math.floor(abs(scaled) + 0.5 + 1e-9) * (1 if scaled >= 0 else -1) / 10**places


# -- reading the serving file ----------------------------------------------------------


def read_published(serving: Path) -> dict[str, list[dict]]:
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as db:
        names = [
            r[0]
            for r in db.execute(
                "select table_name from duckdb_tables() where schema_name = 'published'"
            ).fetchall()
        ]
        out = {}
        for name in names:
            cursor = db.execute(f"select * from published.{name}")
            columns = [d[0] for d in cursor.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return out


def noise_bound(published: dict[str, list[dict]]) -> int | None:
    """The largest perturbation the rules allow, when counts are perturbed."""
    for row in published.get("disclosure_control", []):
        if row["parameter"] == "largest_perturbation":
            return int(float(row["value"]))
    return None


def cell(period, level, code, measure, category=None) -> Key:
    return ("cell", str(period), level, code, measure, category)


def attack(
    serving: Path,
    required_dimensions: Iterable[str],
    not_stated_columns: int,
    completeness_columns: int,
    role_families: dict[str, str] | None = None,
) -> Attack:
    """Everything the published tables give away, tightened."""
    published = read_published(serving)
    noise = noise_bound(published)
    role_families = role_families or {}
    a = Attack()
    region_of = {r["trust_ods_code"]: r["region_code"] for r in published["trusts"]}
    headcount_rows = published["psw_headcount"]

    def count(key, row, column):
        value = row[column]
        flag = row.get(f"{column}_flag")
        if value is None and flag is None:
            return None  # not published (no comparison month)
        a.observe(key, value, flag, noise, row.get("geography_level") == "national")
        return key

    # Headcount, joiners, leavers at every level, summed up the hierarchy.
    present: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in headcount_rows:
        for measure in ("headcount", "joiners", "leavers"):
            key = cell(row["period_end"], row["geography_level"], row["geography_code"], measure)
            if count(key, row, measure) is not None:
                present[(str(row["period_end"]), measure, None)][row["geography_level"]].add(
                    row["geography_code"]
                )
        if row.get("joiners") is not None or row.get("joiners_flag") is not None:
            a.at_most(
                cell(row["period_end"], row["geography_level"], row["geography_code"], "joiners"),
                cell(row["period_end"], row["geography_level"], row["geography_code"], "headcount"),
            )
    # Breakdowns: pay bands and role diversity are the same cells.
    for table, dimension_of in (
        ("psw_role_diversity", lambda r: (r["dimension"], r["category"])),
        ("psw_pay_bands", lambda r: ("afc_band", r["afc_band"])),
    ):
        for row in published.get(table, []):
            dimension, category = dimension_of(row)
            key = cell(
                row["period_end"],
                row["geography_level"],
                row["geography_code"],
                dimension,
                category,
            )
            if count(key, row, "headcount") is not None:
                present[(str(row["period_end"]), dimension, category)][row["geography_level"]].add(
                    row["geography_code"]
                )
    by_place: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for (period, measure, category), levels in present.items():
        regions = defaultdict(list)
        for trust in levels.get("trust", ()):
            regions[region_of[trust]].append(cell(period, "trust", trust, measure, category))
        for region in levels.get("region", ()):
            a.total(cell(period, "region", region, measure, category), regions.get(region, []))
        if "national" in levels:
            a.total(
                cell(period, "national", "ENG", measure, category),
                [cell(period, "region", r, measure, category) for r in levels.get("region", ())],
            )
        if category is not None:
            for level, codes in levels.items():
                for code in codes:
                    by_place[(period, level, code)][measure].append(
                        cell(period, level, code, measure, category)
                    )
    for (period, level, code), dimensions in by_place.items():
        total = cell(period, level, code, "headcount")
        if total not in a.low:
            continue
        for dimension, cells in dimensions.items():
            for one in cells:
                a.at_most(one, total)
            if dimension in required_dimensions:
                a.parts_at_least(cells, total)

    # Submission status: a return's rows, errors and warnings; rows cover its headcount.
    in_force = {"accepted", "accepted_with_warnings"}
    for row in published.get("submission_status", []):
        period, trust = str(row["period_end"]), row["trust_ods_code"]
        for measure in ("data_rows", "errors", "warnings"):
            count(("status", period, trust, measure), row, measure)
        rows = ("status", period, trust, "data_rows")
        if (
            row["status"] in in_force
            and rows in a.low
            and cell(period, "trust", trust, "headcount") in a.low
        ):
            a.at_most(cell(period, "trust", trust, "headcount"), rows)

    # Data quality: shares of the return's rows.
    status = {
        (str(r["period_end"]), r["trust_ods_code"]): r
        for r in published.get("submission_status", [])
    }
    for row in published.get("data_quality", []):
        period, trust = str(row["period_end"]), row["trust_ods_code"]
        if (
            row.get("completeness") is None
            or status.get((period, trust), {}).get("status") not in in_force
        ):
            continue
        rows = ("status", period, trust, "data_rows")
        warnings = ("status", period, trust, "warnings")
        if rows not in a.low:
            continue
        given = a.variable(("hidden", period, trust, "values_given"))
        not_stated = a.variable(("hidden", period, trust, "values_not_stated"))
        if noise is not None:
            # Shares are of perturbed counts (the published rows and warnings, perturbed
            # counts of values given and not stated), each within the noise of the truth.
            published_row = status[(period, trust)]
            rows = _shown(a, rows, noise, published_row["data_rows"])
            given = _shown(a, given, noise)
            not_stated = _shown(a, not_stated, noise)
            if warnings in a.low:
                warnings = _shown(a, warnings, noise, published_row["warnings"])
        a.ratio(given, rows, completeness_columns, row["completeness"], "share")
        a.ratio(not_stated, rows, not_stated_columns, row["stated"], "complement")
        if warnings in a.low:
            a.ratio(warnings, rows, 1, row["clean"], "complement")

    _role_families(a, published, role_families)
    _pay(a, published, noise, region_of, role_families)
    from tests import attacker_research as research

    rules = {"required_dimensions": set(required_dimensions), "role_families": role_families}
    research.crosstab(a, published, noise, region_of, rules)
    retained = research.retention(a, published, noise, region_of)
    research.progression(a, published, noise, region_of, retained)
    _revisions(a, published, noise, region_of)
    a.solve()
    return a


def _role_families(a: Attack, published, role_families: dict[str, str]) -> None:
    """Each role at most its family's headcount; the family at most its roles' sum."""
    roles: dict[tuple, list[Key]] = defaultdict(list)
    for row in published.get("psw_role_diversity", []):
        if row["dimension"] == "role_category" and row["category"] in role_families:
            place = (row["period_end"], row["geography_level"], row["geography_code"])
            family = cell(*place, "role_family", role_families[row["category"]])
            role = cell(*place, "role_category", row["category"])
            if family in a.low and role in a.low:
                a.at_most(role, family)
                roles[family].append(role)
    for family, members in roles.items():
        a.parts_at_least(members, family)


def _pay(a: Attack, published, noise, region_of, role_families: dict[str, str]) -> None:
    """psw_pay's assignments: perturbed counts of at least 1 (a row exists), at least the
    pay rule's minimum where pay is shown and below it where not, adding up within a
    place (breakdowns to `all`, roles to families) and up the geography."""
    rows = published.get("psw_pay", [])
    if not rows:
        return
    least = next(
        int(float(r["value"]))
        for r in published["disclosure_control"]
        if r["parameter"] == "pay_min_assignments"
    )
    places: dict[tuple, dict[tuple, Key]] = defaultdict(dict)
    for row in rows:
        place = (str(row["period_end"]), row["geography_level"], row["geography_code"])
        key = ("pay", *place, row["breakdown"], row["category"])
        a.variable(key)
        a.observe(key, row["assignments"], None, noise, place[1] == "national")
        shown = row["median_salary_fte"] is not None
        a.between(key, least if shown else 1, INF if shown else least - 1)
        places[place][(row["breakdown"], row["category"])] = key

    def pay_key(place, breakdown, category):
        return places[place].get((breakdown, category))  # None: no such row, so 0

    for place, cells in places.items():
        whole = pay_key(place, "all", "all")
        for breakdown in ("afc_band", "role_category", "role_family"):
            parts = [k for (b, _), k in cells.items() if b == breakdown]
            if whole is not None:
                a.total(whole, parts)
        for family in set(role_families.values()):
            roles = [
                k
                for (b, c), k in cells.items()
                if b == "role_category" and role_families.get(c) == family
            ]
            family_key = pay_key(place, "role_family", family)
            if family_key is not None:
                a.total(family_key, roles)
    by_cell: dict[tuple, dict[str, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for (period, level, code), cells in places.items():
        for what in cells:
            by_cell[(period, *what)][level].append(code)
    for (period, *what), levels in by_cell.items():
        trusts_of: dict[str, list[Key]] = defaultdict(list)
        for trust in levels.get("trust", ()):
            trusts_of[region_of[trust]].append(pay_key((period, "trust", trust), *what))
        for region in levels.get("region", ()):
            a.total(pay_key((period, "region", region), *what), trusts_of.get(region, []))
        if "national" in levels:
            a.total(
                pay_key((period, "national", "ENG"), *what),
                [pay_key((period, "region", r), *what) for r in levels.get("region", ())],
            )


def _shown(a: Attack, true: Key, noise: int, published: int | None = None) -> Key:
    """The perturbed count a share is computed from: within the noise of the true count,
    and equal to the published count where there is one. Not itself protected."""
    shown = a.variable(("shown", *true[1:]), protected=False)
    if published is not None:
        a.observe(shown, published, EXACT, None, False)
        a.protected.discard(shown)
    a.within(shown, true, noise)
    return shown


def _revisions(a: Attack, published, noise, region_of) -> None:
    """A revised figure's previous value, and where one trust alone caused a month's
    revisions, the same true change at trust, region and England."""
    current = {}  # (period, level, code, table, breakdown, measure) -> (value, flag)

    def keep(row, table, breakdown, measure):
        where = (str(row["period_end"]), row["geography_level"], row["geography_code"])
        current[(*where, table, breakdown, measure)] = (row[measure], row.get(f"{measure}_flag"))

    for row in published.get("psw_headcount", []):
        for measure in ("headcount", "joiners", "leavers"):
            keep(row, "psw_headcount", "total", measure)
    for row in published.get("psw_pay_bands", []):
        keep(row, "psw_pay_bands", f"afc_band={row['afc_band']}", "headcount")
    for row in published.get("psw_role_diversity", []):
        breakdown = f"{row['dimension']}={row['category']}"
        keep(row, "psw_role_diversity", breakdown, "headcount")
    for row in published.get("psw_pay", []):
        keep(row, "psw_pay", f"{row['breakdown']}={row['category']}", "assignments")
    for row in published.get("psw_retention", []):
        for measure in RETENTION:
            keep(row, "psw_retention", "total", measure)
    for row in published.get("psw_progression", []):
        where = f"{row['role_family']},{row['afc_band']}={row['outcome']}"
        keep(row, "psw_progression", where, "headcount")
    for row in published.get("psw_crosstab", []):
        where = (
            f"{row['row_dimension']}={row['row_category']},"
            f"{row['col_dimension']}={row['col_category']}"
        )
        keep(row, "psw_crosstab", where, "headcount")

    def revised_figure(r: dict) -> tuple:
        return tuple(str(r[name]) if name == "period_end" else r[name] for name in REVISED)

    revisions = [r for r in published.get("revisions", []) if revised_figure(r) in current]
    times_revised = defaultdict(int)
    for r in revisions:
        times_revised[revised_figure(r)] += 1

    def cell_of(period, level, code, table, breakdown, measure):
        if table in ("psw_headcount", "psw_retention"):
            return cell(period, level, code, measure)
        if table == "psw_progression":
            start, outcome = breakdown.split("=")
            return ("prog", period, level, code, *start.split(","), outcome)
        if table == "psw_crosstab":
            rows, cols = breakdown.split(",")
            return ("cross", period, level, code, *rows.split("="), *cols.split("="))
        dimension, category = breakdown.split("=", 1)
        if table == "psw_pay":
            return ("pay", period, level, code, dimension, category)
        return cell(period, level, code, dimension, category)

    events = defaultdict(list)
    for r in revisions:
        events[
            (
                r["revised_at"],
                str(r["period_end"]),
                r["table_name"],
                r["breakdown"],
                r["measure"],
                r["caused_by"],
            )
        ].append(r)
    for (when, period, table, breakdown, measure, caused_by), rows in events.items():
        causes = {part.split(" ", 1)[0] for part in (caused_by or "").split("; ") if part}
        if len(causes) != 1:
            continue
        (trust,) = causes
        if trust not in region_of:
            continue
        places = [("trust", trust), ("region", region_of[trust]), ("national", "ENG")]
        pairs = []
        for level, code in places:
            where = (period, level, code, table, breakdown, measure)
            if where not in current or times_revised[where] > 1:
                break
            now = cell_of(*where)
            before = ("before", str(when)) + now
            revised = next((r for r in rows if r["geography_level"] == level), None)
            if revised is not None:
                if revised["previous_flag"] == "not published":
                    break
                value, flag = revised["previous_value"], revised["previous_flag"]
            else:
                value, flag = current[where]
            if value is None and flag is None:
                break
            a.observe(
                before, int(value) if value is not None else None, flag, noise, level == "national"
            )
            pairs.append((now, before))
        if len(pairs) == 3:
            (t_now, t_before), (r_now, r_before), (n_now, n_before) = pairs
            a.same_change(n_now, n_before, t_now, t_before)
            a.same_change(r_now, r_before, t_now, t_before)


def truth(warehouse: Path) -> dict[Key, int]:
    """The exact counts behind the published cells (the warehouse's `marts`), to check
    that what the attacker recovers is true: the test's oracle, not the attacker's."""
    import duckdb

    exact: dict[Key, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as db:
        for period, level, code, *values in db.execute(
            "select period_end, geography_level, geography_code, headcount, joiners, leavers "
            "from marts.psw_headcount"
        ).fetchall():
            for measure, value in zip(("headcount", "joiners", "leavers"), values, strict=True):
                if value is not None:
                    exact[cell(period, level, code, measure)] = int(value)
        for period, level, code, dimension, category, value in db.execute(
            "select period_end, geography_level, geography_code, dimension, category, headcount "
            "from marts.psw_role_diversity"
        ).fetchall():
            exact[cell(period, level, code, dimension, category)] = int(value)
        for period, level, code, breakdown, category, value in db.execute(
            "select period_end, geography_level, geography_code, breakdown, category, "
            "assignments from marts.psw_pay"
        ).fetchall():
            exact[("pay", str(period), level, code, breakdown, category)] = int(value)
        for period, level, code, *values in db.execute(
            "select period_end, geography_level, geography_code, stability_cohort, "
            "stability_stayers, turnover_12m_leavers from marts.psw_retention"
        ).fetchall():
            for measure, value in zip(RETENTION, values, strict=True):
                if value is not None:
                    exact[cell(period, level, code, measure)] = int(value)
        for period, level, code, *what, value in db.execute(
            "select period_end, geography_level, geography_code, row_dimension, row_category, "
            "col_dimension, col_category, headcount from marts.psw_crosstab"
        ).fetchall():
            exact[("cross", str(period), level, code, *what)] = int(value)
        for period, level, code, *what, value in db.execute(
            "select period_end, geography_level, geography_code, role_family, afc_band, "
            "outcome, headcount from marts.psw_progression"
        ).fetchall():
            exact[("prog", str(period), level, code, *what)] = int(value)
        for period, trust, *values in db.execute(
            "select period_end, trust_ods_code, data_rows, errors, warnings "
            "from marts.submission_status"
        ).fetchall():
            for measure, value in zip(("data_rows", "errors", "warnings"), values, strict=True):
                if value is not None:
                    exact[("status", str(period), trust, measure)] = int(value)
    return exact


def public_rules() -> dict:
    """What the attacker reads in the return standard (public): the breakdowns every
    person in post is in (their column is required), and how many columns each
    data-quality share counts."""
    from psw.standard.model import load_standard

    standard = load_standard()
    required = {c.name for c in standard.columns if c.is_required and c.codes}
    dimensions = {d for d in BREAKDOWN_SOURCES if BREAKDOWN_SOURCES[d] in required}
    return {
        "required_dimensions": dimensions,
        "not_stated_columns": len(standard.data_quality.not_stated_columns),
        "completeness_columns": len(standard.data_quality.completeness_columns),
        "role_families": {c.code: c.family for c in standard.code_lists["role_category"]},
    }


# Published breakdown -> the return column it is read from (docs/interfaces.md, docs/measures.md).
BREAKDOWN_SOURCES = {
    "afc_band": "afc_band",
    "role_category": "role_category",
    "role_family": "role_category",
    "service_setting": "service_setting",
    "employing_sector": "employing_sector",
    "contract_type": "contract_type",
    "ethnic_group": "ethnic_category",
    "gender_identity": "gender_identity",
    "age_band": "age_band",
    "disability": "disability",
    "peer_supervision": "peer_supervision",
    "training": "training",
}
