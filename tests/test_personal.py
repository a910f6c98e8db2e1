"""Personal data: detection, rejection, and no personal value in either report."""

from __future__ import annotations

import pytest

from psw.standard import load_standard
from psw.synth import to_csv_bytes
from psw.validation.personal import (
    contains_ni_number,
    is_valid_nhs_number,
    personal_column_kind,
)
from tests.conftest import validate_bytes

VALID_NHS = "9434765919"  # the NHS Data Dictionary's worked example


def test_nhs_number_modulus_11():
    assert is_valid_nhs_number(VALID_NHS)
    assert not is_valid_nhs_number("9434765918")  # wrong check digit
    assert not is_valid_nhs_number("1234567890")  # check digit would be 10: never valid
    assert not is_valid_nhs_number("943476591")


@pytest.mark.parametrize(
    "text, found",
    [
        ("AB123456C", True),
        ("ab 12 34 56 c", True),
        ("JK 12 34 56 D", True),
        ("QQ123456C", False),
        ("GB123456A", False),
        ("AB123456E", False),
        ("RV3-00042", False),
        ("XAB123456CX", False),
    ],
)
def test_ni_number_format(text, found):
    assert contains_ni_number(text) is found


@pytest.mark.parametrize(
    "name, personal",
    [
        ("surname", True),
        ("first_name", True),
        ("staff_name", True),
        ("name", True),
        ("nhs_number", True),
        ("nhs_no", True),
        ("ni_number", True),
        ("national_insurance", True),
        ("dob", True),
        ("date_of_birth", True),
        ("home_address", True),
        ("postcode", True),
        ("email", True),
        ("email_address", True),
        ("phone", True),
        ("mobile_number", True),
        ("trust_name", False),
        ("local_job_title", False),
        ("staff_id", False),
        ("team", False),
        ("training", False),
        ("notes", False),
    ],
)
def test_personal_column_names(name, personal):
    assert (personal_column_kind(name, load_standard()) is not None) is personal


def test_a_rejected_file_never_repeats_a_personal_value(clean_rows, standard):
    rows = [dict(r) for r in clean_rows]
    rows[0].update(surname="Featherstonehaugh", staff_id="Jane Featherstonehaugh")
    rows[1].update(local_job_title=f"PSW {VALID_NHS}", fte="lots")
    rows[2].update(notes="NI AB123456C", role_category=VALID_NHS)
    rows[3].update(staff_id="JK123456D", assignment_id="1")
    rows[4].update(local_job_title="x" * 130 + " Featherstonehaugh")
    columns = [*standard.column_names, "surname", "notes"]
    report = validate_bytes(to_csv_bytes(rows, columns)).report
    assert report.status == "rejected"
    rules = report.rule_counts()
    assert rules["PERSONAL_DATA_COLUMN"] == 1
    assert rules["PERSONAL_DATA_NHS_NUMBER"] == 2
    assert rules["PERSONAL_DATA_NI_NUMBER"] == 2
    assert rules["NUMBER_INVALID"] == 1  # the other rows are still checked
    rendered = report.to_json() + report.to_html() + report.to_text()
    for secret in ("Featherstonehaugh", VALID_NHS, "943 476 5919", "AB123456C", "JK123456D"):
        assert secret not in rendered
    nhs = [f for f in report.findings if f.rule_id == "PERSONAL_DATA_NHS_NUMBER"]
    assert {(f.row, f.column) for f in nhs} == {(3, "local_job_title"), (4, "role_category")}
    assert all(
        f.value is None
        for f in report.findings
        if f.row in (2, 3, 4, 5, 6) and f.column in ("staff_id", "local_job_title", "role_category")
    )


def test_staff_ids_are_never_quoted_even_when_malformed(clean_rows):
    rows = [dict(r) for r in clean_rows[:3]]
    rows[0]["staff_id"] = "Bad Id With Spaces"
    report = validate_bytes(to_csv_bytes(rows)).report
    assert report.rule_counts() == {"TEXT_FORMAT": 1}
    assert "Bad Id With Spaces" not in report.to_json() + report.to_html()
