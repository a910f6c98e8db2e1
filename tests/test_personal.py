"""Personal data: detection, rejection, and no personal value in either report."""

from __future__ import annotations

import unicodedata

import pytest

from psw.core.periods import parse_period
from psw.standard.model import load_standard
from psw.standard.validation import validate_return
from psw.standard.validation.personal import (
    contains_ni_number,
    is_valid_nhs_number,
    personal_column_kind,
    personal_value_rule,
)
from psw.standard.validation.reading import normalise_column_name
from psw.synth import to_csv_bytes
from tests.helpers import TODAY, validate_bytes

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


# ---- personal data in disguise (issue 9) ------------------------------------------------

DISGUISED = [
    # (how a trust might write it, the rule it must trigger)
    ("943 476 5919", "PERSONAL_DATA_NHS_NUMBER"),
    ("943.476.5919", "PERSONAL_DATA_NHS_NUMBER"),
    ("943/476/5919", "PERSONAL_DATA_NHS_NUMBER"),
    ("943  476  5919", "PERSONAL_DATA_NHS_NUMBER"),
    ("943\u2013476\u20135919", "PERSONAL_DATA_NHS_NUMBER"),  # en dashes
    ("943 \u2014 476 \u2014 5919", "PERSONAL_DATA_NHS_NUMBER"),  # em dashes with spaces
    ("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", "PERSONAL_DATA_NHS_NUMBER"),
    ("NHS no 943\u00a0476\u00a05919", "PERSONAL_DATA_NHS_NUMBER"),  # no-break spaces
    ("AB.12.34.56.C", "PERSONAL_DATA_NI_NUMBER"),
    ("AB-12-34-56-C", "PERSONAL_DATA_NI_NUMBER"),
    ("ab/12/34/56/c", "PERSONAL_DATA_NI_NUMBER"),
    ("\uff21\uff22\uff11\uff12\uff13\uff14\uff15\uff16\uff23", "PERSONAL_DATA_NI_NUMBER"),
    ("Jane Smith, DOB 01/02/1980", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("date of birth: 1 Feb 1980", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("d.o.b. 1980-02-01", "PERSONAL_DATA_DATE_OF_BIRTH"),
    # issue 20: underscores, invisible characters, other wordings, other kinds
    ("943_476_5919", "PERSONAL_DATA_NHS_NUMBER"),
    ("943\u200b476\u200b5919", "PERSONAL_DATA_NHS_NUMBER"),  # zero-width spaces
    ("9\u00ad43\u00ad476\u00ad5919", "PERSONAL_DATA_NHS_NUMBER"),  # soft hyphens
    ("943\u2060476\u20605919", "PERSONAL_DATA_NHS_NUMBER"),  # word joiners
    ("AB_12_34_56_C", "PERSONAL_DATA_NI_NUMBER"),
    ("A\u200bB 12 34 56 C", "PERSONAL_DATA_NI_NUMBER"),
    ("DoB 1st March 1981", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("born on 3 May 1979", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("Born in 1981", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("date of birth March 1, 1981", "PERSONAL_DATA_DATE_OF_BIRTH"),
    ("jane.smith@nhs.net", "PERSONAL_DATA_EMAIL"),
    ("jane.smith (at) nhs (dot) net", "PERSONAL_DATA_EMAIL"),
    ("07700 900123", "PERSONAL_DATA_PHONE"),
    ("+44 (0) 7700 900 123", "PERSONAL_DATA_PHONE"),
    ("020 7946 0958", "PERSONAL_DATA_PHONE"),  # even a switchboard: no phone belongs here
    ("0161_496_0000", "PERSONAL_DATA_PHONE"),
    ("SW1A 1AA", "PERSONAL_DATA_POSTCODE"),
    ("m1 5ab", "PERSONAL_DATA_POSTCODE"),
]


@pytest.mark.parametrize("text, rule", DISGUISED)
def test_disguised_identifiers_are_recognised(text, rule):
    assert personal_value_rule(text) == rule
    assert personal_value_rule(f"Peer Support Worker ({text})") == rule


@pytest.mark.parametrize(
    "text",
    [
        "Peer Support Worker - Crisis Team",
        "Band 4 PSW, 2023/24 cohort",
        "943 476 5918",  # fails the modulus 11 check
        "Senior Peer Support Worker 0.8 WTE",
        "Started 01/02/2020",  # a date without a birth word
        "Peer Lead, Band 8A, 2025/26",
        "PSW1 2AB",  # no postcode inside a longer code
        "Reborn Peer Lead",
    ],
)
def test_ordinary_text_is_not_personal(text):
    assert personal_value_rule(text) is None


def _rendered(report) -> str:
    return report.to_json() + report.to_html() + report.to_text()


def _fingerprints(text: str) -> set[str]:
    """Forms in which the value could leak: as written, and its bare digits (where there
    are enough of them to mean something: a report's timestamp has short runs)."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    return {text} | ({digits} if len(digits) >= 6 else set())


@pytest.mark.parametrize("text, rule", DISGUISED)
@pytest.mark.parametrize("column", ["local_job_title", "assignment_id", "notes"])
def test_a_disguised_identifier_rejects_the_file_and_is_never_repeated(
    clean_rows, standard, text, rule, column
):
    rows = [dict(r) for r in clean_rows[:5]]
    rows[2][column] = text
    columns = [*standard.column_names, "notes"]
    result = validate_bytes(to_csv_bytes(rows, columns))
    assert result.report.status == "rejected"
    assert result.table is None  # nothing to land
    hits = [f for f in result.report.findings if f.rule_id == rule]
    assert [(f.row, f.column) for f in hits] == [(4, column)]
    rendered = _rendered(result.report)
    for leak in _fingerprints(text):
        assert leak not in rendered


@pytest.mark.parametrize(
    "header, kind",
    [
        ("NHS No.", "an NHS number"),
        ("NHS Number(s)", "an NHS number"),
        ("D.O.B", "a date of birth"),
        ("Date of Birth", "a date of birth"),
        ("Name of worker", "a person's name"),
        ("Forename(s)", "a person's name"),
        ("Staff Member Name", "a person's name"),
        ("Name of trust", None),  # not a person
        ("Team name", None),
        ("\uff2e\uff28\uff33 \uff2e\uff4f", "an NHS number"),  # full-width "NHS No"
    ],
)
def test_column_names_are_read_however_they_are_punctuated(header, kind, standard):
    assert personal_column_kind(normalise_column_name(header), standard) == kind


@pytest.mark.parametrize("header", ["NHS No.", "D.O.B", "Name of worker"])
def test_a_personal_column_rejects_the_file_not_a_warning(clean_rows, standard, header):
    rows = [dict(r, **{header: "x"}) for r in clean_rows[:3]]
    report = validate_bytes(to_csv_bytes(rows, [*standard.column_names, header])).report
    assert report.status == "rejected"
    assert report.rule_counts().get("PERSONAL_DATA_COLUMN") == 1
    assert "UNKNOWN_COLUMN" not in report.rule_counts()


@pytest.mark.parametrize("header", ["943 476 5919", "943.476.5919", "AB-12-34-56-C"])
def test_a_header_cell_that_is_an_identifier_is_never_echoed(clean_rows, standard, header):
    rows = [dict(r, **{header: "1"}) for r in clean_rows[:3]]
    report = validate_bytes(to_csv_bytes(rows, [*standard.column_names, header])).report
    assert report.status == "rejected"
    header_hits = [f for f in report.findings if f.row == 1]
    assert len(header_hits) == 1 and header_hits[0].rule_id.startswith("PERSONAL_DATA_")
    assert header_hits[0].column == f"(column {len(standard.column_names) + 1}: not shown)"
    assert "UNKNOWN_COLUMN" not in report.rule_counts()
    for leak in _fingerprints(header):
        assert leak not in _rendered(report)


def test_the_job_title_is_checked_but_never_landed(clean_rows, standard):
    """Minimum necessary: free text that passes every check (a bare name cannot be told
    from a job title) still never reaches the landed table."""
    rows = [dict(r) for r in clean_rows]
    rows[0]["local_job_title"] = "Jane Smith"
    rows[1]["local_job_title"] = "Peer Support Worker - Crisis Team"
    result = validate_bytes(to_csv_bytes(rows, standard.column_names))
    assert result.report.accepted
    assert "local_job_title" not in result.table.column_names
    assert "role_category" in result.table.column_names
    assert "Jane Smith" not in str(result.table.to_pydict())


# ---- personal data in every disguise, nothing repeated (issue 20) ---------------------


def _workbook(rows: list[list], hidden_rows: list[list], state: str) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    hidden = book.create_sheet("Lookups")
    for row in hidden_rows:
        hidden.append(row)
    hidden.sheet_state = state
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("state", ["veryHidden", "hidden", "visible"])
def test_personal_data_on_any_sheet_rejects_the_workbook(clean_rows, standard, state):
    """A return is its first sheet, but a second sheet (even "very hidden", which Excel's
    menus cannot show) full of names and NHS numbers is found, and never repeated."""
    first = [standard.column_names] + [
        [r.get(c) for c in standard.column_names] for r in clean_rows[:3]
    ]
    secret = [["Name", "NHS number"], ["Jane Smith", "943 476 5919"], ["Ann Lee", VALID_NHS]]
    result = validate_bytes(_workbook(first, secret, state))
    assert result.report.status == "rejected" and result.table is None
    hits = [f for f in result.report.findings if f.rule_id == "PERSONAL_DATA_NHS_NUMBER"]
    where = "sheet 2" + ("" if state == "visible" else f", {state}")
    assert [(f.row, f.column) for f in hits] == [
        (2, f"{where}, column B"),
        (3, f"{where}, column B"),
    ]
    rendered = _rendered(result.report)
    for leak in ("Jane Smith", "943 476 5919", VALID_NHS, "Lookups"):
        assert leak not in rendered


def test_a_row_short_of_a_cell_repeats_no_name_it_moves_under_a_code(clean_rows, standard):
    """One missing cell moves the job title ("Jane Smith") under the next column, a code
    column: the finding names row and column and says the value is withheld."""
    text = to_csv_bytes(clean_rows[:3], standard.column_names).decode()
    lines = text.splitlines()
    cells = lines[2].split(",")
    title = standard.column_names.index("local_job_title")
    cells[title] = "Jane Smith"
    del cells[title - 1]  # the cell before the title is missing: everything moves left
    lines[2] = ",".join(cells)
    report = validate_bytes(("\n".join(lines) + "\n").encode()).report
    assert report.status == "rejected"
    moved = [f for f in report.findings if f.row == 3 and f.value_withheld]
    assert moved and all(f.value is None for f in moved)
    assert "Jane Smith" not in _rendered(report)
    assert "value withheld" in report.to_text() and "value withheld" in report.to_html()


def test_a_name_in_a_date_column_is_not_repeated_but_a_date_is(clean_rows):
    rows = [dict(r) for r in clean_rows[:3]]
    rows[0]["start_date_in_role"] = "Jane Smith 01/02/1980"
    rows[1]["start_date_in_role"] = "2019-13-45"
    report = validate_bytes(to_csv_bytes(rows)).report
    dates = {f.row: f for f in report.findings if f.column == "start_date_in_role"}
    assert dates[2].value is None and dates[2].value_withheld
    assert dates[3].value == "2019-13-45" and not dates[3].value_withheld  # safe: a date
    assert "Jane Smith" not in _rendered(report)


@pytest.mark.parametrize(
    "header",
    ["jane.smith@nhs.net", "Jane Smith 07700 900123", "Jane Smith", "Notes for\u202eJane"],
)
def test_a_header_cell_is_repeated_only_when_it_is_a_plain_name(clean_rows, standard, header):
    rows = [dict(r, **{header: "1"}) for r in clean_rows[:3]]
    report = validate_bytes(to_csv_bytes(rows, [*standard.column_names, header])).report
    position = len(standard.column_names) + 1
    shown = {f.column for f in report.findings if f.column and f.column.startswith("(column ")}
    assert shown & {f"(column {position}: not shown)", f"(column {position}: name not shown)"}
    rendered = _rendered(report)
    assert header not in rendered and "Jane" not in rendered and "\u202e" not in rendered


def test_control_and_direction_characters_never_reach_a_report(clean_rows):
    """A file name or a value can hold a terminal escape or a right-to-left override that
    rewrites the line a reader sees (a fake "ACCEPTED"): every report shows them as codes."""
    rows = [dict(r) for r in clean_rows[:3]]
    rows[0]["role_category"] = "\x1b[2K\rACCEPTED"
    rows[1]["afc_band"] = "5\u202e DETPECCA"
    name = "june\x1b[2J\u202eACCEPTED.csv"
    report = validate_return(
        to_csv_bytes(rows),
        trust_ods_code="RV3",
        period_end=parse_period("2025-06"),
        file_name=name,
        today=TODAY,
    ).report
    assert report.status == "rejected"
    for text in (report.to_text(), report.to_html(), report.to_json()):
        assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    assert "\\u001b" in report.to_text() and "\\u202e" in report.to_text()


def test_an_assignment_id_is_pseudonymised_before_it_lands():
    import pyarrow as pa

    from psw.intake.ingest import pseudonymise_ids, pseudonymiser

    table = pa.table({"staff_id": ["S1", "S2"], "assignment_id": ["NHS_543_231_9489", None]})
    landed = pseudonymise_ids(table, pseudonymiser("k"))
    assert landed.column_names == ["assignment_id", "staff_key"]
    first, missing = landed.column("assignment_id").to_pylist()
    assert len(first) == 64 and missing is None
    assert first not in landed.column("staff_key").to_pylist()
    assert "NHS_543_231_9489" not in str(landed.to_pydict())
