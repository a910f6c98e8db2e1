"""Reading returns: formats, encodings, headers, limits and clear rejections."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from psw.standard.validation.reading import UnreadableFile, normalise_column_name, read_return
from psw.synth import to_csv_bytes, to_parquet_bytes, to_xlsx_bytes
from tests.helpers import validate_bytes


def test_header_names_are_normalised():
    assert normalise_column_name(" Staff ID ") == "staff_id"
    assert normalise_column_name("Reporting-Period-End") == "reporting_period_end"
    assert normalise_column_name("\ufeffTRUST  ODS code") == "trust_ods_code"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_csv_encodings_and_line_endings(clean_rows, encoding, newline):
    rows = [dict(r) for r in clean_rows[:3]]
    rows[0]["local_job_title"] = "Peer Support Worker – Café £"
    text = to_csv_bytes(rows).decode("utf-8").replace("\r\n", newline)
    raw = read_return(text.encode(encoding))
    assert raw.frame.loc[2, "local_job_title"] == "Peer Support Worker – Café £"
    assert raw.row_count == 3
    assert validate_bytes(text.encode(encoding)).report.status == "accepted"


def test_values_are_trimmed_and_empty_rows_ignored():
    data = b"Staff ID , FTE\r\n  AB12 ,  0.5 \r\n,\r\n , \r\nCD34,1\r\n"
    raw = read_return(data)
    assert raw.columns == ["staff_id", "fte"]
    assert raw.frame.to_dict("index") == {
        2: {"staff_id": "AB12", "fte": "0.5"},
        5: {"staff_id": "CD34", "fte": "1"},
    }


def test_xlsx_with_real_date_and_number_cells(clean_rows):
    data = to_xlsx_bytes(clean_rows[:4])
    raw = read_return(data)
    assert raw.format == "xlsx"
    assert raw.frame.loc[2, "reporting_period_end"] == "2025-06-30"
    assert raw.frame.loc[2, "fte"] in {"1", "0.8", "0.6", "0.5", "0.4", "0.2", "0.3"}
    assert validate_bytes(data).report.status == "accepted"


def test_parquet_with_typed_columns(clean_rows):
    data = to_parquet_bytes(clean_rows)
    raw = read_return(data)
    assert raw.format == "parquet"
    assert raw.frame.loc[2, "start_date_in_role"] == clean_rows[0]["start_date_in_role"].isoformat()
    assert validate_bytes(data).report.status == "accepted"


def test_size_limit_is_enforced_before_reading():
    with pytest.raises(UnreadableFile) as caught:
        read_return(b"staff_id\r\n" + b"A" * 2000, max_bytes=1000)
    assert caught.value.rule_id == "FILE_TOO_LARGE"


def test_row_limit_is_enforced_while_streaming(clean_rows):
    for data in (to_csv_bytes(clean_rows), to_xlsx_bytes(clean_rows), to_parquet_bytes(clean_rows)):
        with pytest.raises(UnreadableFile) as caught:
            read_return(data, max_rows=10)
        assert caught.value.rule_id == "FILE_TOO_MANY_ROWS"


def _zip_not_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, rule",
    [
        (b"", "FILE_EMPTY"),
        (b"\xef\xbb\xbf  \r\n", "FILE_EMPTY"),
        (b",,,\r\n", "FILE_EMPTY"),
        (bytes(range(256)) * 8, "FILE_UNREADABLE"),
        (b"%PDF-1.4 ...", "FILE_UNREADABLE"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "FILE_UNREADABLE"),
        (_zip_not_xlsx(), "FILE_UNREADABLE"),
        (b"PAR1 not really parquet", "FILE_UNREADABLE"),
        (b"staff_id\r\nAB\x81\x8d\r\n", "FILE_UNREADABLE"),  # neither UTF-8 nor Windows-1252
        (b"Dear team,\r\nhere are our numbers for June.\r\n", "FILE_UNREADABLE"),
    ],
)
def test_unreadable_files_get_a_clear_rejection(data, rule):
    report = validate_bytes(data).report
    assert report.status == "rejected"
    assert [f.rule_id for f in report.findings] == [rule]
    assert "Traceback" not in report.to_json()


def test_unnamed_columns(clean_rows):
    """A value under a trailing unnamed column is a row error; a named gap is an unknown column."""
    lines = to_csv_bytes(clean_rows[:2]).decode().split("\r\n")
    trailing = [lines[0] + ",,", lines[1] + ",surprise,", lines[2] + ",,"]
    report = validate_bytes("\r\n".join(trailing).encode()).report
    assert [(f.rule_id, f.row) for f in report.findings] == [("ROW_TOO_MANY_VALUES", 2)]

    gap = [lines[0].replace(",fte,", ",,fte,", 1)]
    gap += [line.replace(",", ",x,", 7).replace(",x,", ",", 6) for line in lines[1:3]]
    raw = read_return("\r\n".join(gap).encode())
    assert "(column 8 has no name)" in raw.columns
    assert raw.frame.loc[2, "(column 8 has no name)"] == "x"


def test_row_with_more_values_than_names(clean_rows):
    lines = to_csv_bytes(clean_rows[:3]).split(b"\r\n")
    lines[2] += b",extra"
    findings = validate_bytes(b"\r\n".join(lines)).report.findings
    assert [(f.rule_id, f.row) for f in findings] == [("ROW_TOO_MANY_VALUES", 3)]


def test_excel_date_and_number_cells_are_text_as_typed():
    from psw.standard.validation.reading import _cell_text

    assert _cell_text(dt.datetime(2025, 6, 30)) == "2025-06-30"
    assert _cell_text(27485.0) == "27485"
    assert _cell_text(0.8) == "0.8"
    assert _cell_text(True) == "TRUE"
    assert _cell_text(None) is None
