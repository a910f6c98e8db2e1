"""Synthetic returns: deterministic, realistic, and clean files are accepted."""

from __future__ import annotations

import pytest

from psw.standard.reference import trusts
from psw.synth import SynthOptions, simulate, write_synthetic
from tests.helpers import validate_bytes


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    options = SynthOptions(trusts=["RV3", "TAJ"], first_period="2025-04", last_period="2025-06")
    write_synthetic(tmp_path / "a", options)
    write_synthetic(tmp_path / "b", options)
    options.seed = 2
    write_synthetic(tmp_path / "c", options)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert len(a) == 6 and a == b and a != c
    assert sorted(str(k) for k in a)[0] == "psw-rv3/returns/2025-04/RV3_PSW_2025-04.csv"


def test_workforce_changes_realistically_month_to_month():
    months = list(
        simulate(trusts()["RWK"], [f"2025-{m:02d}" for m in range(4, 13)], seed=5, staff=120)
    )
    joiners = leavers = 0
    for (_, before), (_, after) in zip(months, months[1:], strict=False):
        in_post_before = {r["staff_id"] for r in before if r["leaving_date"] is None}
        left_before = {r["staff_id"] for r in before if r["leaving_date"] is not None}
        ids_after = {r["staff_id"] for r in after}
        assert not left_before & ids_after, "a reported leaver came back"
        assert in_post_before <= ids_after, "someone vanished without a leaving_date"
        joiners += len(ids_after - in_post_before)
        leavers += sum(1 for r in after if r["leaving_date"] is not None)
    assert joiners > 10 and leavers > 5
    rows = months[-1][1]
    ids = [r["staff_id"] for r in rows]
    assert len(ids) > len(set(ids)), "nobody has two assignments"
    assert {r["fte"] for r in rows} > {1.0, 0.5}
    assert {"PSW", "SENIOR_PSW", "PEER_LEAD"} <= {r["role_category"] for r in rows}


@pytest.mark.slow
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "parquet"])
def test_every_clean_file_is_accepted(tmp_path, file_format):
    options = SynthOptions(
        trusts=["RV3", "RWK", "TAJ", "RX4"],
        first_period="2025-02",
        last_period="2025-05",
        file_format=file_format,
        seed=11,
    )
    paths = write_synthetic(tmp_path, options)
    assert len(paths) == 16
    for path in paths:
        period, trust = path.parent.name, path.name.split("_")[0]
        report = validate_bytes(path.read_bytes(), period=period, trust=trust).report
        assert report.status == "accepted", report.to_text()
        assert report.rows > 0


def test_careers_move_over_two_years_and_the_annual_award_lifts_pay():
    """Issue 22: over two years a trust's people are promoted (a band up, or up the peer
    ladder), change role at their band, now and then take a lower band, move up their
    band's pay range on their start's anniversary, and April's pay table lifts everyone
    who stays in their band."""
    from psw.core.periods import months

    periods = months("2024-04", "2026-03")
    history = dict(simulate(trusts()["RWK"], periods, seed=5, staff=150))

    def primary(rows):
        return {r["staff_id"]: r for r in rows if r["assignment_id"] == "1"}

    bands = ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]
    moves = {"band_up": 0, "band_down": 0, "role_changed": 0, "pay_rise_in_band": 0}
    for before, after in zip(periods, periods[1:], strict=False):
        then, now = primary(history[before]), primary(history[after])
        for staff, row in now.items():
            old = then.get(staff)
            if old is None or "NON_AFC" in (old["afc_band"], row["afc_band"]):
                continue
            step = bands.index(row["afc_band"]) - bands.index(old["afc_band"])
            moves["band_up"] += step > 0
            moves["band_down"] += step < 0
            moves["role_changed"] += step == 0 and row["role_category"] != old["role_category"]
            if step == 0 and old["annual_salary_fte_gbp"] and row["annual_salary_fte_gbp"]:
                moves["pay_rise_in_band"] += (
                    row["annual_salary_fte_gbp"] > old["annual_salary_fte_gbp"]
                )
    assert moves["band_up"] >= 15 and moves["role_changed"] >= 5, moves
    assert moves["band_down"] >= 1 and moves["pay_rise_in_band"] >= 100, moves
    march, april = primary(history["2025-03"]), primary(history["2025-04"])
    awarded = [
        s
        for s, r in april.items()
        if s in march
        and r["afc_band"] == march[s]["afc_band"] == "4"
        and r["annual_salary_fte_gbp"]
        and march[s]["annual_salary_fte_gbp"]
    ]
    assert awarded and all(
        april[s]["annual_salary_fte_gbp"] > march[s]["annual_salary_fte_gbp"] for s in awarded
    ), "the 2025/26 pay table did not lift band 4's pay in April"
