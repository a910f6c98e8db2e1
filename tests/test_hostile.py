"""Bounded work per file: a corpus of hostile files (bombs are small files), each answered
by `psw validate` in its own process within 10 s and 500 MB with a rejection and a report,
never a traceback; and in intake beside good uploads, which go on.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from psw.intake.batches import process_batch
from psw.intake.discovery import list_submissions
from psw.intake.ingest import Settings
from psw.lake.layout import Lake
from psw.standard.reference import trusts
from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
from psw.synth import to_csv_bytes
from tests.helpers import TODAY, validate_argv

SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _template(standard) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(standard.column_names)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(template: bytes, write_sheet) -> bytes:
    """The template workbook with its first sheet's XML written by `write_sheet(handle)`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as handle:
                    write_sheet(handle)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def _sheet(rows: str, dimension: str = "A1:U2"):
    def write(handle):
        handle.write(f'<worksheet {NS}><dimension ref="{dimension}"/><sheetData>'.encode())
        handle.write(rows.encode())
        handle.write(b"</sheetData></worksheet>")

    return write


def _empty_rows(count: int):
    def write(handle):
        handle.write(f'<worksheet {NS}><dimension ref="A1:U{count}"/><sheetData>'.encode())
        handle.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>trust_ods_code</t></is></c></row>')
        chunk = 100_000
        for start in range(2, count, chunk):
            stop = min(start + chunk, count)
            handle.write("".join(f'<row r="{n}"/>' for n in range(start, stop)).encode())
        handle.write(b"</sheetData></worksheet>")

    return write


def _one_huge_cell(size: int):
    def write(handle):
        handle.write(
            f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'.encode()
        )
        block = b"A" * 1_048_576
        for _ in range(size // len(block)):
            handle.write(block)
        handle.write(b"</t></is></c></row></sheetData></worksheet>")

    return write


def _long_titles(standard) -> bytes:
    rows = 100_000
    columns = {name: pa.array(["x"] * rows) for name in standard.column_names}
    title = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), ["t" * 30_000])
    columns["local_job_title"] = title
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def _padded_text(standard, clean_rows) -> bytes:
    """About 820 KB of rows whose job title is a date of birth padded with runs of white
    space between its letters: what made the old date-of-birth pattern backtrack for
    minutes (about 0.4 CPU s a cell)."""
    padded = "d" + " " * 300 + "o" + "\t" * 300 + "b" + " " * 300 + "01/02/1980"
    rows = [  # every cell different: the scan reads each distinct value once
        dict(clean_rows[i % len(clean_rows)], local_job_title=f"{padded} {i}") for i in range(820)
    ]
    return to_csv_bytes(rows, standard.column_names)


def _corrupt_parquet(clean_rows) -> bytes:
    out = io.BytesIO()
    table = pa.Table.from_pylist([{k: str(v) for k, v in r.items()} for r in clean_rows])
    pq.write_table(table, out, compression="none")
    data = bytearray(out.getvalue())
    middle = len(data) // 3
    data[middle : middle + 400] = b"\xff" * 400
    return bytes(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, standard, clean_rows) -> dict:
    folder = tmp_path_factory.mktemp("hostile")
    template = _template(standard)
    header = ",".join(standard.column_names)
    files = {
        "xlsx-cell-bomb.xlsx": _with_sheet(template, _one_huge_cell(1_536 * 1_048_576)),
        "xlsx-3m-empty-rows.xlsx": _with_sheet(template, _empty_rows(3_000_000)),
        "xlsx-1021-columns.xlsx": _with_sheet(template, _sheet("", "A1:AMG100000")),
        "xlsx-bad-shared-string.xlsx": _with_sheet(
            template, _sheet('<row r="2"><c r="A2" t="s"><v>999999</v></c></row>')
        ),
        "xlsx-bad-number.xlsx": _with_sheet(
            template, _sheet('<row r="2"><c r="A2"><v>twelve</v></c></row>')
        ),
        "xlsx-bad-date.xlsx": _with_sheet(
            template, _sheet('<row r="2"><c r="A2" t="d"><v>not-a-date</v></c></row>')
        ),
        "csv-100000-columns.csv": (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(),
        "csv-2000-columns.csv": (",".join(f"c{i}" for i in range(2_000)) + "\n").encode(),
        "csv-40mb-cell.csv": (header + "\nRV3," + "x" * 40_000_000 + "\n").encode(),
        "parquet-long-titles.parquet": _long_titles(standard),
        "parquet-corrupt-page.parquet": _corrupt_parquet(clean_rows),
        "csv-padded-text.csv": _padded_text(standard, clean_rows),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in files}


# VmHWM: this process's own peak (ru_maxrss would include the pytest process it forked from).
MEASURE = (
    "import sys, time\n"
    "from orchestration.cli import main\n"
    "started = time.monotonic()\n"
    "code = main(sys.argv[1:])\n"
    "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
    "peak = int(status.split()[0]) / 1024\n"
    "print(f'MEASURED {time.monotonic() - started:.2f} {peak:.0f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.mark.parametrize(
    "name",
    [
        "xlsx-cell-bomb.xlsx",
        "xlsx-3m-empty-rows.xlsx",
        "xlsx-1021-columns.xlsx",
        "xlsx-bad-shared-string.xlsx",
        "xlsx-bad-number.xlsx",
        "xlsx-bad-date.xlsx",
        "csv-100000-columns.csv",
        "csv-2000-columns.csv",
        "csv-40mb-cell.csv",
        "parquet-long-titles.parquet",
        "parquet-corrupt-page.parquet",
        "csv-padded-text.csv",
    ],
)
def test_a_hostile_file_is_rejected_within_10_s_and_500_mb(corpus, name):
    size = corpus[name].stat().st_size
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *validate_argv(corpus[name], "--json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    measured = [line for line in result.stderr.splitlines() if line.startswith("MEASURED")]
    assert measured, result.stderr[-3000:]  # no traceback, the command finished
    seconds, peak_mb = map(float, measured[0].split()[1:])
    print(f"{name}: {size / 1024:,.0f} KB, {seconds:.1f} s, {peak_mb:.0f} MB")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1  # rejected, with a report
    report = json.loads(result.stdout)
    assert report["status"] == "rejected"
    assert seconds <= 10 and peak_mb <= 500, (seconds, peak_mb)


def test_hostile_uploads_are_answered_and_good_ones_go_on(corpus, clean_rows, tmp_path):
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        for name in ("xlsx-cell-bomb.xlsx", "xlsx-bad-date.xlsx", "parquet-corrupt-page.parquet"):
            client.put_object(
                Bucket="psw-rv3", Key=f"returns/2025-06/{name}", Body=corpus[name].read_bytes()
            )
        client.put_object(
            Bucket="psw-rv3", Key="returns/2025-06/zz-good.csv", Body=to_csv_bytes(clean_rows)
        )
        settings = Settings("psw-platform", Lake(tmp_path / "data"), "k", today=TODAY)
        items = list(process_batch(client, list_submissions(client, trusts()["RV3"]), settings))
        outcome = {i.submission.key.rsplit("/", 1)[-1]: i.processed.outcome for i in items}
        assert outcome["zz-good.csv"].status == "accepted"
        for name in ("xlsx-cell-bomb.xlsx", "xlsx-bad-date.xlsx", "parquet-corrupt-page.parquet"):
            assert outcome[name].status == "rejected" and outcome[name].error is None
            body = client.get_object(Bucket="psw-rv3", Key=f"feedback/2025-06/{name}.report.json")
            assert json.loads(body["Body"].read())["rule_counts"] == {"FILE_UNREADABLE": 1}
