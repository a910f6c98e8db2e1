"""The marts scenario (issues 4 and 9): synthetic returns for six trusts over four
months (a resubmission, a nil return, a missing month, a rejected file, a trust that closes
in a merger, a trust that opens) go through `psw run` against the real local S3 server,
real Dagster and real dbt, once a test session. Three modules test it, in this order on one
worker: test_marts_figures.py (every figure against an independent computation, in
plain Python, from the rows uploaded), test_marts_operations.py (revisions, rebuilds, the
registry, other stores and engines; it adds an August upload) and test_marts_pages.py (the
national report and the trusts' histories). This module holds the scenario, its fixtures
(registered in tests/conftest.py) and the independent computations.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

from psw.standard.model import load_standard
from psw.standard.reference import _load_trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import simulate, to_csv_bytes
from tests import disclosure_reference as ref
from tests.helpers import platform_env
from tests.helpers import psw_run as run_psw

MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07"]
REGISTRY = [  # ods, name, region code, region name, PSWs at the start
    ("RV3", "Central and North West London", "Y56", "London", 40),
    ("RWK", "East London", "Y56", "London", 12),
    ("RX4", "Cumbria, Northumberland, Tyne and Wear", "Y63", "North East and Yorkshire", 30),
    ("TAJ", "Black Country Healthcare", "Y60", "Midlands", 6),
    ("RPG", "Oxleas", "Y56", "London", 9),
    ("RXM", "Derbyshire Healthcare", "Y60", "Midlands", 10),
]
# The trusts' lifecycle (registry columns valid_from, valid_to, successor_ods_code): RPG
# closes after May and RV3 takes over its services (June is RV3's merger month); RXM opens
# in June.
LIFECYCLE = {"RPG": ("", "2025-05", "RV3"), "RXM": ("2025-06", "", "")}
MERGER_MONTHS = {("RV3", "2025-06")}


def is_open(ods: str, period: str) -> bool:
    valid_from, valid_to, _ = LIFECYCLE.get(ods, ("", "", ""))
    return (valid_from or period) <= period <= (valid_to or period)


def write_registry(path: Path, leave_out: str | None = None) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ods_code", "trust_name", "region_code", "region_name"]
            + ["valid_from", "valid_to", "successor_ods_code"]
        )
        for ods, *rest in REGISTRY:
            if ods != leave_out:
                writer.writerow([ods, *rest[:3], *LIFECYCLE.get(ods, ("", "", ""))])


# docs/measures.md's role families, written out here apart from the standard's YAML.
ROLE_FAMILY = {
    "PSW": "PEER_SUPPORT_WORK",
    "SENIOR_PSW": "PEER_SUPPORT_WORK",
    "PEER_SUPERVISOR": "PEER_LEADERSHIP",
    "PEER_LEAD": "PEER_LEADERSHIP",
}


def category_of(row: dict, breakdown: str, group_of: dict) -> str:
    """A row's category in a breakdown, from the standard's definitions."""
    if breakdown == "ethnic_group":
        return group_of[row["ethnic_category"]]
    if breakdown == "role_family":
        return ROLE_FAMILY.get(row["role_category"], "SPECIALIST_PEER")
    return row[breakdown]


BREAKDOWNS = [
    "afc_band",
    "role_category",
    "role_family",
    "service_setting",
    "employing_sector",
    "contract_type",
    "ethnic_group",
    "gender_identity",
    "age_band",
    "disability",
    "peer_supervision",
    "training",
]


@pytest.fixture(scope="session")
def marts_world(tmp_path_factory):
    """The S3 server, buckets and data folder of the scenario, one per test session: the
    three test_marts_* modules share it, in order, on one worker (tests/conftest.py)."""
    root = tmp_path_factory.mktemp("marts")
    registry = root / "registry.csv"
    write_registry(registry)
    with LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server:
        env = platform_env(server, root, PSW_TRUST_REGISTRY=str(registry))
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        yield client, env, root / "data"


@pytest.fixture(scope="module")
def marts_platform(marts_world):
    """The scenario's platform, its trust registry the one this process reads while a
    module of the scenario runs (the registry is put back for the modules after)."""
    client, env, data = marts_world
    os.environ["PSW_TRUST_REGISTRY"] = env["PSW_TRUST_REGISTRY"]
    try:
        yield client, env, data
    finally:
        os.environ.pop("PSW_TRUST_REGISTRY", None)
        _load_trusts.cache_clear()


def psw_run(env, process: bool = False) -> str:
    return run_psw(env, process=process).stdout


@pytest.fixture(scope="session")
def marts_scenario_run(marts_world):
    """Upload the returns, run the platform twice (the resubmission comes late): once a
    session. `built` is what the scenario built, before any test adds uploads of its own."""
    from tests.helpers import warehouse_tables

    client, env, data = marts_world
    result = run_scenario(client, env)
    built = {
        "tables": warehouse_tables(data / "warehouse.duckdb"),
        "landed": len(list(data.glob("validated/trust=*/period=*/*.parquet"))),
        "ledger": len(list(data.glob("submissions/trust=*/*/*.json"))),
        "revisions": warehouse_tables(
            data / "serving" / "psw.duckdb", schemas=("published",), leave_out=NOT_COMPARED
        )["published.revisions"],
    }
    return {**result, "client": client, "data": data, "env": env, "built": built}


@pytest.fixture(scope="module")
def scenario(marts_platform, marts_scenario_run):
    return marts_scenario_run


# Tables of 12-month cohorts, which need 13 months: this scenario's four have none
# (tests/test_research_end_to_end.py builds them).
YEAR_LONG = {"int_retention_cohorts", "int_progression_cells", "psw_progression"}

# Columns of the serving file that differ between two runs of the same uploads: the
# `revised` mark (the tables of the warehouse have none), and when a revision was made and
# its cause (which names the store's upload times).
NOT_COMPARED = ("revised", "revised_at", "caused_by")


def run_scenario(client, env, late_run: bool = True) -> dict:
    """The scenario's uploads and `psw run`s; with late_run=False the resubmission is
    uploaded before the one run (the same returns in force, one build)."""
    trusts = _load_trusts(Path(env["PSW_TRUST_REGISTRY"]))
    workforce = {
        ods: dict(
            simulate(trusts[ods], [m for m in MONTHS if is_open(ods, m)], seed=11 + i, staff=staff)
        )
        for i, (ods, *_, staff) in enumerate(REGISTRY)
    }
    in_force: dict[tuple[str, str], list[dict]] = {}
    status: dict[tuple[str, str], str] = {}

    def upload(ods, period, rows, name="return.csv"):
        key = f"returns/{period}/{name}"
        client.put_object(Bucket=f"psw-{ods.lower()}", Key=key, Body=to_csv_bytes(rows))
        return key

    for ods, months in workforce.items():
        for period, rows in months.items():
            if ods == "RX4" and period == "2025-05":
                continue  # a missing month
            if ods == "RWK" and period == "2025-06":
                upload(ods, period, [])  # a nil return
                in_force[ods, period], status[ods, period] = [], "nil_return"
                continue
            if ods == "TAJ" and period == "2025-05":
                bad = [dict(r) for r in rows]
                bad[0]["afc_band"] = "1"  # band 1 is closed: rejected
                upload(ods, period, bad)
                status[ods, period] = "rejected"
                continue
            upload(ods, period, rows)
            in_force[ods, period], status[ods, period] = rows, "accepted"
    # RPG, closed after May, sends a June file: refused, and told who reports for it now.
    june = [
        dict(r, reporting_period_end=r["reporting_period_end"].replace(month=6, day=30))
        for r in workforce["RPG"]["2025-05"]
    ]
    upload("RPG", "2025-06", june)
    runs = [psw_run(env)] if late_run else []

    # A resubmission of RV3's May return, after the first build: three rows fewer.
    time.sleep(1.1)  # the store's clock has whole seconds
    corrected = workforce["RV3"]["2025-05"][:-3]
    upload("RV3", "2025-05", corrected, name="return-v2.csv")
    in_force["RV3", "2025-05"] = corrected
    runs.append(psw_run(env))
    return {
        "in_force": in_force,
        "status": status,
        "runs": runs,
        "rv3_may_first": workforce["RV3"]["2025-05"],
    }


def expected_members(in_force) -> dict[tuple[str, str], dict]:
    """Who each trust month's counts count, from the uploaded rows: (ods, period) ->
    {"headcount" | "joiners" | "leavers" | (dimension, category): staff ids}; joiners and
    leavers only where the previous month is in force and it is no merger month."""
    group_of = {c.code: c.group for c in load_standard().code_lists["ethnic_category"]}
    people = {}  # (ods, period) -> {staff_id: in post?}
    for key, rows in in_force.items():
        staff: dict[str, bool] = {}
        for row in rows:
            staff[row["staff_id"]] = staff.get(row["staff_id"], False) or not row["leaving_date"]
        people[key] = staff
    members = {}
    for (ods, period), rows in in_force.items():
        in_post = [r for r in rows if not r["leaving_date"]]
        cells: dict = {"headcount": {r["staff_id"] for r in in_post}}
        previous = MONTHS[MONTHS.index(period) - 1] if MONTHS.index(period) else None
        merger = (ods, period) in MERGER_MONTHS  # staff cannot be linked across trusts
        if previous and (ods, previous) in people and not merger:
            now, before = people[ods, period], people[ods, previous]
            before_in_post = {s for s, p in before.items() if p}
            cells["joiners"] = {s for s, p in now.items() if p and s not in before_in_post}
            cells["leavers"] = {s for s, p in now.items() if not p} | (
                before_in_post - {s for s, p in now.items() if p}
            )
        for bd in BREAKDOWNS:
            for r in in_post:
                cells.setdefault((bd, category_of(r, bd, group_of)), set()).add(r["staff_id"])
        members[ods, period] = cells
    return members


def expected_marts(in_force, status):
    """The marts computed from the uploaded rows, in plain Python."""
    region_of = {r[0]: r[2] for r in REGISTRY}
    headcount = {}
    for (ods, period), cells in expected_members(in_force).items():
        in_post = [r for r in in_force[ods, period] if not r["leaving_date"]]
        headcount[("trust", ods, period)] = {
            "headcount": len(cells["headcount"]),
            "fte": sum(float(r["fte"]) for r in in_post),
            "joiners": len(cells["joiners"]) if "joiners" in cells else None,
            "leavers": len(cells["leavers"]) if "leavers" in cells else None,
        }
        for cell, ids in cells.items():
            if isinstance(cell, tuple):
                headcount[("trust", ods, period, *cell)] = len(ids)

    for period in MONTHS:
        for level, members in [
            ("national", {"ENG": [r[0] for r in REGISTRY]}),
            (
                "region",
                {
                    reg: [o for o, rg in region_of.items() if rg == reg]
                    for reg in set(region_of.values())
                },
            ),
        ]:
            for code, trusts in members.items():
                rows = [
                    headcount[("trust", o, period)]
                    for o in trusts
                    if ("trust", o, period) in headcount
                ]
                compared = [f for f in rows if f["joiners"] is not None]
                headcount[(level, code, period)] = {
                    "headcount": sum(f["headcount"] for f in rows) if rows else None,
                    "fte": sum(f["fte"] for f in rows) if rows else None,
                    "joiners": sum(f["joiners"] for f in compared) if compared else None,
                    "leavers": sum(f["leavers"] for f in compared) if compared else None,
                    "trusts_submitted": len(rows),
                    "trusts_expected": sum(1 for o in trusts if is_open(o, period)),
                    "merger_in_month": any((o, period) in MERGER_MONTHS for o in trusts),
                }
    return headcount


def expected_cells(in_force, secret: str) -> dict[tuple, list]:
    """Every published people count's true value and cell key, worked out here from the
    uploaded rows: (level, code, period, measure) for psw_headcount and (level, code,
    period, dimension, category) for the breakdowns -> [count, cell key]."""
    region_of = {r[0]: r[2] for r in REGISTRY}
    cells: dict[tuple, list] = defaultdict(lambda: [0, 0])  # -> [count, cell key]
    for (ods, period), members in expected_members(in_force).items():
        for cell, ids in members.items():
            name = cell if isinstance(cell, tuple) else (cell,)
            key = ref.cell_key(ref.record_key(ref.staff_key(secret, i)) for i in ids)
            for level, code in (("trust", ods), ("region", region_of[ods]), ("national", "ENG")):
                total = cells[(level, code, period, *name)]
                total[0] += len(ids)
                total[1] = (total[1] + key) % ref.KEY_SPACE
    return cells


def expected_published(in_force, secret: str) -> dict[tuple, int]:
    """expected_cells perturbed as docs/disclosure-control.md says."""
    ratio = load_standard().disclosure.perturbation_ratio
    cells = expected_cells(in_force, secret)
    return {where: ref.perturb(count, key, ratio) for where, (count, key) in cells.items()}


def published_counts(db) -> dict[tuple, int]:
    """The same keys as expected_published, read from the published tables."""
    shown = {}
    for level, code, period, *values in db.execute(
        "select geography_level, geography_code, strftime(period_end, '%Y-%m'), headcount, "
        "joiners, leavers from published.psw_headcount"
    ).fetchall():
        for measure, value in zip(("headcount", "joiners", "leavers"), values, strict=True):
            if value is not None:
                shown[(level, code, period, measure)] = value
    for level, code, period, dimension, category, value in db.execute(
        "select geography_level, geography_code, strftime(period_end, '%Y-%m'), dimension, "
        "category, headcount from published.psw_role_diversity"
    ).fetchall():
        shown[(level, code, period, dimension, category)] = value
    return shown


def _quantile(values: list[float], q: float) -> float:
    """A continuous quantile: linear interpolation at position (n - 1) q, as the standard
    says (DuckDB's quantile_cont), written out here apart from the SQL."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_pay(in_force, secret: str) -> dict[tuple, tuple[list[float], int]]:
    """(level, code, period, breakdown, category) -> (salaries, cell key), from the
    uploaded rows: assignments in post with a salary and fte above 0. A person brings
    their record key once to a cell, and a derived one for each further assignment."""
    region_of = {r[0]: r[2] for r in REGISTRY}
    salaries: dict[tuple, list[float]] = defaultdict(list)
    members: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (ods, period), rows in in_force.items():
        for r in rows:
            salary, fte = r.get("annual_salary_fte_gbp"), r.get("fte")
            if r["leaving_date"] or salary in (None, "") or not float(fte or 0) > 0:
                continue
            for breakdown in ("all", "afc_band", "role_category", "role_family"):
                category = "all" if breakdown == "all" else category_of(r, breakdown, {})
                for level, code in (
                    ("trust", ods),
                    ("region", region_of[ods]),
                    ("national", "ENG"),
                ):
                    where = (level, code, period, breakdown, category)
                    salaries[where].append(float(salary))
                    members[where][f"{ods}|{r['staff_id']}"] += 1
    expected = {}
    for where, values in salaries.items():
        keys = []
        for member, assignments in members[where].items():
            pseudonym = ref.staff_key(secret, member.split("|", 1)[1])
            keys.append(ref.record_key(pseudonym))
            keys += [ref.record_key(f"{pseudonym}:assignment")] * (assignments - 1)
        expected[where] = (values, ref.cell_key(keys))
    return expected
