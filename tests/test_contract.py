"""Edge cases of the row contract, with given rows: boundaries, leniency, row numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import rules_of as _rules
from tests.helpers import validate_bytes, validate_rows
from tests.helpers import with_changes as _with


@pytest.mark.parametrize(
    "fte, ok",
    [("1.0", True), ("1", True), ("0.01", True), ("0", False), ("-0.5", False), ("1.01", False)],
)
def test_fte_bounds(clean_rows, fte, ok):
    rules = _rules(validate_rows(_with(clean_rows, fte=fte)))
    assert ("FTE_OUT_OF_RANGE" not in rules) is ok


@pytest.mark.parametrize("day, ok", [(1, True), (30, True)])
def test_leaving_date_first_and_last_day_of_month_are_inside(clean_rows, day, ok):
    rules = _rules(validate_rows(_with(clean_rows, leaving_date=dt.date(2025, 6, day))))
    assert ("LEAVING_DATE_OUTSIDE_MONTH" not in rules) is ok


def test_leaving_date_last_day_of_previous_month_is_outside(clean_rows):
    rules = _rules(validate_rows(_with(clean_rows, leaving_date=dt.date(2025, 5, 31))))
    assert "LEAVING_DATE_OUTSIDE_MONTH" in rules


def test_fixed_term_end_on_period_end_is_not_after_it(clean_rows):
    rows = _with(clean_rows, contract_type="FIXED_TERM", fixed_term_end_date=dt.date(2025, 6, 30))
    assert "FIXED_TERM_END_NOT_AFTER_PERIOD" in _rules(validate_rows(rows))
    rows = _with(clean_rows, contract_type="FIXED_TERM", fixed_term_end_date=dt.date(2025, 7, 1))
    assert "FIXED_TERM_END_NOT_AFTER_PERIOD" not in _rules(validate_rows(rows))


def test_start_date_boundaries(clean_rows):
    assert _rules(validate_rows(_with(clean_rows, start_date_in_role=dt.date(1990, 1, 1)))) == {}
    assert _rules(validate_rows(_with(clean_rows, start_date_in_role=dt.date(2025, 6, 30)))) == {}


def test_codes_match_without_regard_to_case_and_uk_dates_are_read(clean_rows):
    rows = _with(
        clean_rows,
        role_category="senior_psw",
        afc_band="5",
        contract_type="permanent",
        start_date_in_role="04/09/2023",
        reporting_period_end="30/06/2025",
        trust_ods_code="rv3",
        annual_salary_fte_gbp=None,
    )
    result = validate_rows(rows)
    assert result.report.status == "accepted", result.report.to_text()
    first = result.table.slice(0, 1).to_pylist()[0]
    assert first["role_category"] == "SENIOR_PSW"
    assert first["trust_ods_code"] == "RV3"
    assert first["start_date_in_role"] == dt.date(2023, 9, 4)


def test_salary_with_pound_sign_and_thousands_separator_is_a_number(clean_rows):
    rows = _with(clean_rows, afc_band="4", role_category="PSW", annual_salary_fte_gbp="£28,000")
    result = validate_rows(rows)
    assert result.report.status == "accepted", result.report.to_text()
    assert result.table.column("annual_salary_fte_gbp")[0].as_py() == 28000.0


def test_every_breach_in_every_row_is_listed_with_spreadsheet_row_numbers(clean_rows):
    rows = _with(_with(clean_rows, 0, fte="2"), 9, role_category="NURSE", fte="x")
    findings = validate_rows(rows).report.findings
    where = {(f.rule_id, f.row, f.column) for f in findings}
    assert where == {
        ("FTE_OUT_OF_RANGE", 2, "fte"),
        ("CODE_INVALID", 11, "role_category"),
        ("NUMBER_INVALID", 11, "fte"),
    }


def test_blank_rows_are_ignored_but_row_numbers_stay_as_in_the_spreadsheet(clean_rows):
    from psw.synth import to_csv_bytes

    lines = to_csv_bytes(clean_rows[:3]).split(b"\r\n")
    lines.insert(2, b",,,,")  # a blank spreadsheet row 3
    lines[3] = lines[3].replace(b",PERMANENT,", b",NOPE,").replace(b",FIXED_TERM,", b",NOPE,")
    report = validate_bytes(b"\r\n".join(lines)).report
    assert report.rows == 3
    assert [(f.rule_id, f.row) for f in report.findings] == [("CODE_INVALID", 4)]


def test_duplicate_assignment_names_both_rows_without_quoting_the_staff_id(clean_rows):
    rows = [*clean_rows[:5], clean_rows[1]]
    dupes = [f for f in validate_rows(rows).report.findings if f.rule_id == "ASSIGNMENT_DUPLICATE"]
    assert {f.row for f in dupes} == {3, 7}
    assert all("3, 7" in f.message for f in dupes)
    assert all(clean_rows[1]["staff_id"] not in f.message and f.value is None for f in dupes)


def test_missing_required_column_is_reported_and_rows_still_checked(clean_rows, standard):
    columns = [c for c in standard.column_names if c != "disability"]
    rows = _with(clean_rows, fte="9")
    rules = _rules(validate_rows(rows, columns))
    assert rules == {"HEADER_MISSING_COLUMN": 1, "FTE_OUT_OF_RANGE": 1}


def test_optional_columns_may_be_absent(clean_rows, standard):
    columns = [
        c
        for c in standard.column_names
        if c not in ("local_job_title", "annual_salary_fte_gbp", "leaving_date")
    ]
    result = validate_rows(clean_rows, columns)
    assert result.report.status == "accepted", result.report.to_text()
    assert result.table.column("leaving_date").null_count == len(clean_rows)


def test_the_conditional_fixed_term_column_is_needed_only_by_fixed_term_rows(clean_rows, standard):
    columns = [c for c in standard.column_names if c != "fixed_term_end_date"]
    permanent = [dict(row, contract_type="PERMANENT") for row in clean_rows]
    result = validate_rows(permanent, columns)
    assert result.report.status == "accepted", result.report.to_text()
    assert result.table.column("fixed_term_end_date").null_count == len(permanent)

    fixed = [dict(row) for row in permanent]
    fixed[1]["contract_type"] = fixed[3]["contract_type"] = "FIXED_TERM"
    assert _rules(validate_rows(fixed, columns)) == {"FIXED_TERM_END_REQUIRED": 2}


def test_accepted_return_gives_a_typed_table_and_rejected_none(clean_rows, standard):
    accepted = validate_rows(clean_rows)
    assert accepted.table.num_rows == len(clean_rows)
    landed = [c.name for c in standard.columns if c.landed]
    assert accepted.table.column_names == ["source_row", *landed]
    assert "local_job_title" not in landed  # free text is checked, never landed
    assert str(accepted.table.schema.field("reporting_period_end").type) == "date32[day]"
    assert validate_rows(_with(clean_rows, fte="0")).table is None


def test_nil_return_is_accepted(standard):
    from psw.synth import to_csv_bytes

    report = validate_bytes(to_csv_bytes([])).report
    assert (report.status, report.nil_return, report.rows) == ("accepted", True, 0)
