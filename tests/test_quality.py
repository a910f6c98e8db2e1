"""Warning rules run through Great Expectations: thresholds, boundaries and parameters."""

from __future__ import annotations

import datetime as dt

import pytest

from psw.standard.model import load_standard
from psw.standard.reference import pay_ranges, pay_year
from psw.standard.validation import PreviousReturn
from psw.standard.validation.quality import afc_bands_in_order
from psw.standard.validation.suites import load_suite_json, render_suites
from tests.helpers import rules_of as _rules
from tests.helpers import validate_rows
from tests.helpers import with_changes as _with


def test_pay_year_runs_april_to_march():
    assert pay_year(dt.date(2025, 3, 31)) == "2024/25"
    assert pay_year(dt.date(2025, 4, 30)) == "2025/26"


def test_salary_range_comes_from_the_pay_year_of_the_period(clean_rows):
    # 27,000 is inside band 4 in 2024/25 (26,530-29,114) but below it in 2025/26 (27,485-).
    def salary_rows(period_end):
        return [
            dict(
                r,
                reporting_period_end=period_end,
                leaving_date=None,
                afc_band="4",
                role_category="PSW",
                annual_salary_fte_gbp=27000.0,
            )
            for r in clean_rows[:5]
        ]

    march = validate_rows(salary_rows(dt.date(2025, 3, 31)), period="2025-03")
    april = validate_rows(salary_rows(dt.date(2025, 4, 30)), period="2025-04")
    assert "SALARY_OUTSIDE_BAND" not in _rules(march)
    assert _rules(april)["SALARY_OUTSIDE_BAND"] == 5


def test_salary_at_the_band_limits_is_inside(clean_rows):
    band = pay_ranges()["2025/26"]["5"]
    rows = _with(
        _with(
            clean_rows,
            0,
            afc_band="5",
            role_category="SENIOR_PSW",
            annual_salary_fte_gbp=band.min_gbp,
        ),
        1,
        afc_band="5",
        role_category="SENIOR_PSW",
        annual_salary_fte_gbp=band.max_gbp,
    )
    assert "SALARY_OUTSIDE_BAND" not in _rules(validate_rows(rows))
    rows = _with(rows, 1, annual_salary_fte_gbp=band.max_gbp + 1)
    finding = [f for f in validate_rows(rows).report.findings if f.rule_id == "SALARY_OUTSIDE_BAND"]
    assert [(f.row, f.value) for f in finding] == [(3, f"{band.max_gbp + 1:g}")]
    assert "£31,049 to £37,796" in finding[0].message


@pytest.mark.parametrize(
    "role, band, warned",
    [
        ("PSW", "5", False),
        ("PSW", "6", True),
        ("PSW", "NON_AFC", False),
        ("PEER_LEAD", "5", False),
        ("PEER_LEAD", "4", True),
    ],
)
def test_role_band_atypical(clean_rows, role, band, warned):
    rows = _with(clean_rows, role_category=role, afc_band=band, annual_salary_fte_gbp=None)
    assert ("ROLE_BAND_ATYPICAL" in _rules(validate_rows(rows))) is warned


@pytest.mark.parametrize("unstated, warned", [(8, False), (9, True)])
def test_ethnicity_not_stated_over_20_percent(clean_rows, unstated, warned):
    rows = [dict(r, ethnic_category="A") for r in clean_rows[:40]]
    for i in range(unstated):
        rows[i]["ethnic_category"] = "Z" if i % 2 else "99"
    assert ("ETHNICITY_NOT_STATED_HIGH" in _rules(validate_rows(rows))) is warned


def _staff(n, period_end=dt.date(2025, 5, 31)):
    return PreviousReturn(period_end, {f"RV3-{i:05d}": i + 2 for i in range(n)})


def _current(clean_rows, n):
    rows = []
    for i in range(n):
        rows.append(
            dict(
                clean_rows[i % len(clean_rows)],
                staff_id=f"RV3-{i:05d}",
                assignment_id="1",
                leaving_date=None,
            )
        )
    return rows


@pytest.mark.parametrize(
    "before, now, warned",
    [
        (10, 13, False),
        (10, 14, True),
        (10, 7, False),
        (10, 6, True),
        (100, 125, False),
        (100, 126, True),
        (100, 75, False),
        (100, 74, True),
    ],
)
def test_headcount_swing_over_25_percent_and_over_3_people(clean_rows, before, now, warned):
    rows = _current(clean_rows, now)
    previous = _staff(before)
    rules = _rules(validate_rows(rows, previous=previous, staff_key=lambda s: s))
    assert ("HEADCOUNT_SWING" in rules) is warned


def test_unreported_leaver_points_to_the_previous_row_without_the_id(clean_rows):
    rows = _current(clean_rows, 10)
    previous = _staff(11)  # RV3-00010 (row 12 of last month) has vanished
    findings = validate_rows(rows, previous=previous).report.findings
    leavers = [f for f in findings if f.rule_id == "LEAVER_NOT_REPORTED"]
    assert len(leavers) == 1
    assert "row 12" in leavers[0].message and "2025-05" in leavers[0].message
    assert "RV3-00010" not in leavers[0].message and leavers[0].value is None


def test_unreported_leaver_needs_the_previous_month_itself(clean_rows):
    rows = _current(clean_rows, 10)
    older = _staff(11, period_end=dt.date(2025, 3, 31))  # months in between unknown
    assert "LEAVER_NOT_REPORTED" not in _rules(validate_rows(rows, previous=older))


def test_staff_key_maps_current_ids_into_the_previous_return_form(clean_rows):
    rows = _current(clean_rows, 10)
    hashed = PreviousReturn(dt.date(2025, 5, 31), {f"h:RV3-{i:05d}": i + 2 for i in range(10)})
    plain = _rules(validate_rows(rows, previous=hashed))
    keyed = _rules(validate_rows(rows, previous=hashed, staff_key=lambda s: "h:" + s))
    assert plain["LEAVER_NOT_REPORTED"] == 10
    assert "LEAVER_NOT_REPORTED" not in keyed


def test_unknown_extra_column_is_warned_and_dropped(clean_rows, standard):
    rows = [dict(r, Team=1) for r in clean_rows]
    result = validate_rows(rows, [*standard.column_names, "Team"])
    unknown = [f for f in result.report.findings if f.rule_id == "UNKNOWN_COLUMN"]
    assert [f.column for f in unknown] == ["team"]
    assert "team" not in result.table.column_names


@pytest.mark.parametrize("band", afc_bands_in_order(load_standard()))
def test_every_band_is_checked_against_its_own_range(clean_rows, band):
    """Two expectations check every band at once, against each row's band range."""
    pay = pay_ranges()["2025/26"][band]
    rows = [dict(r, annual_salary_fte_gbp=None) for r in clean_rows]
    rows = _with(
        rows, 0, afc_band=band, role_category="OTHER_PEER", annual_salary_fte_gbp=pay.min_gbp
    )
    rows = _with(
        rows, 1, afc_band=band, role_category="OTHER_PEER", annual_salary_fte_gbp=pay.max_gbp
    )
    rows = _with(
        rows, 2, afc_band=band, role_category="OTHER_PEER", annual_salary_fte_gbp=pay.min_gbp - 1
    )
    rows = _with(
        rows, 3, afc_band=band, role_category="OTHER_PEER", annual_salary_fte_gbp=pay.max_gbp + 1
    )
    rows = _with(rows, 4, afc_band="NON_AFC", role_category="OTHER_PEER", annual_salary_fte_gbp=1.0)
    found = [f for f in validate_rows(rows).report.findings if f.rule_id == "SALARY_OUTSIDE_BAND"]
    assert sorted(f.row for f in found) == [4, 5]  # spreadsheet rows of list items 2 and 3
    assert all(f"band {band} " in f.message for f in found)


def test_the_pay_table_covers_every_band_of_the_standard():
    assert set(pay_ranges()["2025/26"]) == set(afc_bands_in_order(load_standard()))


def test_the_suites_in_expectations_are_the_rules_expectations():
    """The suites are written from the standard by `make spec`: edit the rules, not them."""
    rendered = render_suites(load_standard())
    assert set(rendered) == {"psw_return_v1_quality", "psw_return_v1_history"}
    for name, suite in rendered.items():
        assert load_suite_json(name) == suite, f"expectations/{name}.json is stale: make spec"
        assert suite["expectations"], name


def test_a_month_without_a_pay_table_is_named_with_its_pay_year():
    from psw.standard.reference import pay_table_missing

    assert pay_table_missing("2025-06") is None  # 2025/26 is shipped
    assert pay_table_missing("2026-03") is None  # still 2025/26 (April to March)
    assert pay_table_missing("2026-04") == "2026/27"
    # A key's folder may be anything: never a crash in `psw run`'s warning.
    assert pay_table_missing("2025-13") is None
    assert pay_table_missing("not-a-month") is None
