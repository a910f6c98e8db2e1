"""Every rule in the standard is triggered by a file made to break it, and by nothing else.

`psw synth --faults` writes one file per kind of fault with a manifest naming the rule it
must trigger and the status it must get. Each is validated here; a meta-test proves that
every rule in schemas/return_v1.yaml has such a file, so a new rule without a test fails.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from psw.periods import parse_period
from psw.reference import trusts
from psw.synth import build_faults, write_faults
from psw.validation import previous_from_file, validate_return
from tests.helpers import TODAY

PERIODS = ["2025-05", "2025-06"]


@pytest.fixture(scope="module")
def faults_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faults")
    write_faults(folder, trusts()["RV3"], PERIODS, seed=3)
    return folder


def _manifest() -> list[dict]:
    faults, _ = build_faults(trusts()["RV3"], PERIODS, seed=3)
    return [
        {
            "file": f"{f.name}.csv",
            "rule_id": f.rule_id,
            "also": list(f.also),
            "expected_status": f.expected_status,
        }
        for f in faults
    ]


MANIFEST = _manifest()


def test_every_rule_in_the_standard_has_a_fault_file(standard):
    """Intake rules are decided from the key, not the content: tests/test_intake.py."""
    covered = {entry["rule_id"] for entry in MANIFEST}
    content_rules = {r.id for r in standard.rules.values() if r.stage != "intake"}
    assert covered == content_rules, content_rules ^ covered


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_fault_file_gets_its_rule_and_status(faults_dir, entry):
    manifest = {e["file"]: e for e in json.loads((faults_dir / "manifest.json").read_text())}
    fault = manifest[entry["file"]]
    previous = previous_from_file(faults_dir / fault["previous"]) if fault["previous"] else None
    period_end = parse_period(fault["period"])
    today = max(TODAY, dt.date.today()) if fault["rule_id"] != "PERIOD_IN_FUTURE" else None
    report = validate_return(
        faults_dir / fault["file"],
        trust_ods_code=fault["trust"],
        period_end=period_end,
        previous=previous,
        today=today,
    ).report
    # Its rule and nothing else, but for the findings the manifest says come with it.
    assert set(report.rule_counts()) == {fault["rule_id"], *fault["also"]}, report.to_text()
    assert report.status == fault["expected_status"], report.to_text()


def test_clean_file_breaks_no_rule(clean_rows):
    from tests.helpers import validate_rows

    report = validate_rows(clean_rows).report
    assert report.status == "accepted", report.to_text()
    assert report.findings == []
