"""`psw validate` as a trust runs it: exit codes, JSON, HTML and --previous."""

from __future__ import annotations

import json

import pytest

from orchestration.cli import main
from psw.synth import to_csv_bytes
from tests.helpers import validate_argv, write


@pytest.fixture()
def clean_file(tmp_path, clean_rows):
    return write(tmp_path, "RV3_2025-06.csv", to_csv_bytes(clean_rows))


def test_accepted_exits_0_and_writes_html(tmp_path, clean_file, capsys):
    html = tmp_path / "report.html"
    code = main(validate_argv(str(clean_file), "--html", str(html)))
    assert code == 0
    assert "ACCEPTED" in capsys.readouterr().out
    assert "Accepted" in html.read_text()


def test_rejected_exits_1_with_json(tmp_path, clean_rows, capsys):
    rows = [dict(r) for r in clean_rows]
    rows[0]["fte"] = "2"
    path = write(tmp_path, "bad.csv", to_csv_bytes(rows))
    code = main(validate_argv(str(path), "--json"))
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "rejected"
    assert report["findings"][0]["rule_id"] == "FTE_OUT_OF_RANGE"


def test_a_different_trust_gets_trust_mismatch(clean_file, capsys):
    assert main(validate_argv(str(clean_file), trust="RWK")) == 1
    assert "TRUST_MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "missing.csv", "--trust", "RV3", "--period", "2025-06"],
        ["validate", "{file}", "--trust", "ZZZ", "--period", "2025-06"],
        ["validate", "{file}", "--trust", "RV3", "--period", "June"],
        ["validate", "{file}", "--trust", "RV3"],
        ["validate", "{file}", "--trust", "RV3", "--period", "2025-06", "--previous", "nope.csv"],
    ],
)
def test_usage_errors_exit_2(clean_file, args, capsys):
    """In process (a subprocess each cost a second): an exception escaping `main` would be
    the traceback a user sees; argparse's own refusals exit 2 through SystemExit."""
    args = [a.replace("{file}", str(clean_file)) for a in args]
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip()  # said why


def test_previous_enables_the_month_to_month_checks(tmp_path, clean_rows, previous_rows, capsys):
    previous = write(tmp_path, "may.csv", to_csv_bytes(previous_rows))
    gone = next(r["staff_id"] for r in previous_rows if r["leaving_date"] is None)
    current = write(
        tmp_path, "june.csv", to_csv_bytes([r for r in clean_rows if r["staff_id"] != gone])
    )
    code = main(validate_argv(str(current), "--previous", str(previous), "--json"))
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "accepted_with_warnings"
    assert report["rule_counts"] == {"LEAVER_NOT_REPORTED": 1}


def test_report_before_anything_is_published_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PSW_DATA_DIR", str(tmp_path))
    assert main(["report"]) == 2
    err = capsys.readouterr().err
    assert "no serving database" in err and "`psw run` builds it" in err
    assert not (tmp_path / "serving" / "report").exists()


def test_version_names_the_platform_and_its_standard(capsys):
    """`psw --version` (issue 23): what an operator quotes in a support request."""
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert (
        capsys.readouterr().out.strip() == "psw 0.1.0 (return standard: PSW workforce return 1.0)"
    )
