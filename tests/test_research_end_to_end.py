"""Issue 22 acceptance: the research's measures end to end. Four trusts upload 14 months
of synthetic returns (careers that move: promotions, role changes, leavers, joiners) to
the real local S3 server; one `psw run` validates, lands and builds with real Dagster and
dbt. psw_retention, psw_progression and psw_crosstab at national level are compared with
figures computed here in plain Python from the uploaded rows, following docs/measures.md
(not the models); below national level the published counts obey disclosure control,
and the report shows each measure at every level.

RWK misses a month (October 2024): it counts in a stability index whose two months it
sent, and in no 12-month turnover whose window holds the gap.
"""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pytest

from psw.core.periods import months
from psw.standard.reference import trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import simulate, to_csv_bytes
from tests.helpers import platform_env
from tests.helpers import psw_run as run_psw

MONTHS = months("2024-04", "2025-05")
TRUSTS = {"RV3": 40, "RWK": 25, "RX4": 30, "TAJ": 20}  # PSWs at the start
GAP = ("RWK", "2024-10")
BANDS = ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]  # NON_AFC: not compared
FAMILY = {
    "PSW": "PEER_SUPPORT_WORK",
    "SENIOR_PSW": "PEER_SUPPORT_WORK",
    "PEER_SUPERVISOR": "PEER_LEADERSHIP",
    "PEER_LEAD": "PEER_LEADERSHIP",
}
PAIRS = [
    ("role_category", "afc_band"),
    ("role_family", "afc_band"),
    ("role_family", "peer_supervision"),
    ("role_family", "training"),
    ("afc_band", "training"),
    ("role_family", "employing_sector"),
    ("role_family", "contract_type"),
]


@pytest.fixture(scope="module")
def research(tmp_path_factory):
    root = tmp_path_factory.mktemp("research")
    registry = trusts()
    uploaded: dict[str, dict[str, list[dict]]] = {}
    with LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server:
        env = platform_env(server, root)
        env.pop("PSW_TRUST_REGISTRY", None)
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        for i, (ods, staff) in enumerate(TRUSTS.items()):
            for period, rows in simulate(registry[ods], MONTHS, seed=40 + i, staff=staff):
                if (ods, period) == GAP:
                    continue
                key = f"returns/{period}/{ods}_PSW_{period}.csv"
                client.put_object(Bucket=registry[ods].bucket, Key=key, Body=to_csv_bytes(rows))
                uploaded.setdefault(ods, {})[period] = rows
        run_psw(env)
        yield {"data": root / "data", "uploaded": uploaded}


# -- the definitions, in plain Python --------------------------------------------------


def family(role: str) -> str:
    return FAMILY.get(role, "SPECIALIST_PEER")


def in_post(rows: list[dict]) -> dict[str, list[dict]]:
    people: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["leaving_date"] is None:
            people[r["staff_id"]].append(r)
    return people


def primary(assignments: list[dict]) -> dict:
    """Highest fte; ties: the higher band (NON_AFC below 2), then the role code first."""

    def rank(r):
        return BANDS.index(r["afc_band"]) + 1 if r["afc_band"] in BANDS else 0

    return sorted(assignments, key=lambda r: (-r["fte"], -rank(r), r["role_category"]))[0]


def outcome(then: dict, now: dict | None) -> str:
    if now is None:
        return "left"
    bands = then["afc_band"], now["afc_band"]
    if all(band in BANDS for band in bands):
        step = BANDS.index(bands[1]) - BANDS.index(bands[0])
        if step:
            return "band_up" if step > 0 else "band_down"
    return "role_changed" if now["role_category"] != then["role_category"] else "no_change"


def leavers(returns: dict[str, list[dict]], period: str) -> int | None:
    """Not in post now and either reported leaving this month or in post last month."""
    before = months(MONTHS[0], period)[-2] if period != MONTHS[0] else None
    if before not in returns or period not in returns:
        return None
    now, last = in_post(returns[period]), in_post(returns[before])
    reported = {r["staff_id"] for r in returns[period] if r["leaving_date"] is not None}
    return len((reported | set(last)) - set(now))


def expected_national(uploaded) -> dict[str, dict]:
    retention: dict[str, dict] = {}
    progression: dict[tuple, int] = defaultdict(int)
    for end in MONTHS[12:]:
        start = MONTHS[MONTHS.index(end) - 12]
        r = dict.fromkeys(("cohort", "stayers", "leavers", "start", "end"), 0)
        for returns in uploaded.values():
            if start in returns and end in returns:
                then, now = in_post(returns[start]), in_post(returns[end])
                r["cohort"] += len(then)
                r["stayers"] += len(set(then) & set(now))
                for staff, assignments in then.items():
                    first = primary(assignments)
                    last = primary(now[staff]) if staff in now else None
                    key = (end, family(first["role_category"]), first["afc_band"])
                    progression[(*key, outcome(first, last))] += 1
            window = months(start, end)
            counted = [leavers(returns, m) for m in window[1:]]
            if all(p in returns for p in window) and None not in counted:
                r["leavers"] += sum(counted)  # type: ignore[arg-type]
                r["start"] += len(in_post(returns[start]))
                r["end"] += len(in_post(returns[end]))
        retention[end] = r
    crosstab: dict[tuple, int] = defaultdict(int)
    last = MONTHS[-1]
    for returns in uploaded.values():
        cells = set()
        for staff, assignments in in_post(returns.get(last, [])).items():
            for a in assignments:
                values = {**a, "role_family": family(a["role_category"])}
                for rows, cols in PAIRS:
                    cells.add((staff, rows, values[rows], cols, values[cols]))
        for _, *cell in cells:
            crosstab[tuple(cell)] += 1
    return {"retention": retention, "progression": progression, "crosstab": crosstab}


# -- the tests -------------------------------------------------------------------------


def test_every_new_mart_matches_an_independent_computation_at_national_level(research):
    expected = expected_national(research["uploaded"])
    with duckdb.connect(str(research["data"] / "warehouse.duckdb"), read_only=True) as db:
        retention = {
            str(r[0])[:7]: r[1:]
            for r in db.execute(
                "select period_end, stability_cohort, stability_stayers, turnover_12m_leavers, "
                "turnover_12m_start_headcount, turnover_12m_end_headcount, stability_index, "
                "turnover_12m from marts.psw_retention where geography_level = 'national' "
                "and stability_cohort is not null"
            ).fetchall()
        }
        progression = {
            (str(r[0])[:7], *r[1:4]): r[4]
            for r in db.execute(
                "select period_end, role_family, afc_band, outcome, headcount "
                "from marts.psw_progression where geography_level = 'national'"
            ).fetchall()
        }
        crosstab = {
            tuple(r[:4]): r[4]
            for r in db.execute(
                "select row_dimension, row_category, col_dimension, col_category, headcount "
                "from marts.psw_crosstab where geography_level = 'national' "
                "and period_end = (select max(period_end) from marts.psw_crosstab)"
            ).fetchall()
        }
    assert sorted(retention) == MONTHS[12:]
    for month, r in expected["retention"].items():
        cohort, stayers, gone, start, end, index, turnover = retention[month]
        assert (cohort, stayers, gone, start, end) == (
            r["cohort"],
            r["stayers"],
            r["leavers"],
            r["start"],
            r["end"],
        ), month
        assert index == pytest.approx(r["stayers"] / r["cohort"])
        assert turnover == pytest.approx(r["leavers"] / ((r["start"] + r["end"]) / 2))
    assert progression == dict(expected["progression"])
    assert crosstab == dict(expected["crosstab"])
    # The careers the generator makes reach every outcome, so each one is checked.
    assert {k[-1] for k in progression} == {
        "left",
        "band_up",
        "band_down",
        "role_changed",
        "no_change",
    }


def test_the_gap_leaves_a_trust_out_of_turnover_but_not_out_of_stability(research):
    with duckdb.connect(str(research["data"] / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute(
            "select strftime(period_end, '%Y-%m'), stability_trusts, turnover_trusts "
            "from marts.psw_retention where geography_level = 'region' "
            "and geography_code = 'Y56' and stability_trusts > 0 order by 1"
        ).fetchall()
    # RWK misses October 2024: its April and May 2025 stability months stand, and every
    # 12-month window to April and May 2025 holds the gap (or the month after it, whose
    # leavers cannot be counted).
    assert rows == [("2025-04", 2, 1), ("2025-05", 2, 1)]


def test_below_national_level_the_published_counts_are_protected(research):
    """Each count is its true value plus bounded noise; the same people give the same
    published value in every table (a trust's cohort is its headcount a year before);
    rates are worked out from the published counts."""
    serving = research["data"] / "serving" / "psw.duckdb"
    with duckdb.connect(str(serving), read_only=True) as db:
        db.execute(f"attach '{research['data'] / 'warehouse.duckdb'}' as w (read_only)")
        largest = int(
            db.execute(
                "select value from published.disclosure_control "
                "where parameter = 'largest_perturbation'"
            ).fetchone()[0]
        )
        moved = db.execute(
            "select count(*), count(*) filter (where p.headcount <> m.headcount), "
            "max(abs(p.headcount - m.headcount)) from published.psw_crosstab p "
            "join w.marts.psw_crosstab m using (period_end, geography_level, geography_code, "
            "row_dimension, row_category, col_dimension, col_category) "
            "where p.geography_level <> 'national'"
        ).fetchone()
        assert moved[0] > 500 and 0 < moved[1] < moved[0] and moved[2] <= largest
        same_people = db.execute(
            "select count(*), count(*) filter (where r.stability_cohort = h.headcount) "
            "from published.psw_retention r join published.psw_headcount h "
            "on h.geography_level = 'trust' and h.geography_code = r.geography_code "
            "and h.period_end = last_day(r.period_end - interval 12 month) "
            "where r.geography_level = 'trust' and r.stability_cohort is not null"
        ).fetchone()
        assert same_people[0] == 8 and same_people[1] == same_people[0]  # 4 trusts, 2 months
        rates = db.execute(
            "select stability_cohort, stability_stayers, stability_index, turnover_12m_leavers, "
            "turnover_12m_mean_headcount, turnover_12m from published.psw_retention "
            "where stability_cohort > 0"
        ).fetchall()
        for cohort, stayers, index, gone, mean, turnover in rates:
            assert abs(index - min(1.0, stayers / cohort)) <= 0.0005 + 1e-9
            if mean:
                assert abs(turnover - gone / mean) <= 0.0005 + 1e-9
        columns = {
            c
            for (c,) in db.execute(
                "select column_name from duckdb_columns() where schema_name = 'published' "
                "and table_name in ('psw_retention', 'psw_progression', 'psw_crosstab')"
            ).fetchall()
        }
        assert not [c for c in columns if c.endswith("_key")]
        assert {"turnover_12m_start_headcount", "staff_key"}.isdisjoint(columns)


def test_the_report_shows_each_measure_at_every_level_in_a_real_browser(research):
    """England, a region and a trust as headless chromium renders them: each new section
    has its chart drawn and its table, and the page logs nothing to the console."""
    import re

    from tests.test_marts_pages import _render

    report = research["data"] / "serving" / "report"
    for page in ("index.html", "region-Y56.html", "trust-RWK.html"):
        dom, console = _render(report / page)
        assert not console, (page, console)
        sections = {
            heading: body
            for heading, body in re.findall(r"<section><h2>([^<]*)</h2>(.*?)</section>", dom, re.S)
        }
        for heading in (
            "Retention over 12 months",
            "Progression over 12 months, to May 2025",
            "Supervision by role, May 2025",
            "Training by role, May 2025",
        ):
            body = sections.get(heading)
            assert body is not None, (page, heading, list(sections))
            assert "<svg" in body and "<path" in body and "<table>" in body, (page, heading)
