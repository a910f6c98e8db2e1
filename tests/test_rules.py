"""Every rule has one check, and files made to break it that trigger it and nothing else.

The registry (psw/standard/validation/rules.py) maps each rule to its check; each rule's `faults`
in the standard are recipes for files that must trigger exactly that rule (and the
findings the recipe says come with it). `psw synth --faults` writes them with a manifest;
each is validated here, and a rule without a fault file fails the coverage test.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
from pathlib import Path

import pytest
import yaml

from psw.core.paths import schemas_dir
from psw.core.periods import parse_period
from psw.standard.model import load_standard
from psw.standard.reference import trusts
from psw.standard.validation import previous_from_file, quality, validate_return
from psw.standard.validation.rules import _CHECKS, KINDS, RAISED_ELSEWHERE, registry
from psw.synth import build_faults, write_faults
from psw.synth.faults import fault_names
from tests.helpers import TODAY

PERIODS = ["2025-05", "2025-06"]


@pytest.fixture(scope="module")
def faults_dir(tmp_path_factory, worker_id) -> Path:
    """Every fault file, built once per run (about 10 s): with two pytest workers the
    first builds them in the folder both share, under a lock, and the other reads them."""
    if worker_id == "master":  # no workers: this run's own folder
        folder = tmp_path_factory.mktemp("faults")
        write_faults(folder, trusts()["RV3"], PERIODS, seed=3)
        return folder
    shared = tmp_path_factory.getbasetemp().parent  # the run's, shared by its workers
    folder = shared / "faults"
    with open(shared / "faults.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "manifest.json").exists():  # written last: a whole set
            write_faults(folder, trusts()["RV3"], PERIODS, seed=3)
    return folder


# Each fault file, named from the rules' recipes without building one: the files are
# built once, by the module's fixture (building them at collection cost every worker
# seconds before the first test).
FAULT_FILES = [f"{name}.csv" for name in fault_names(load_standard())]


def _manifest(faults_dir: Path) -> dict[str, dict]:
    return {e["file"]: e for e in json.loads((faults_dir / "manifest.json").read_text())}


def test_every_rule_has_exactly_one_check(standard):
    checked = registry()
    assert not set(checked) & set(RAISED_ELSEWHERE)
    assert set(checked) | set(RAISED_ELSEWHERE) == set(standard.rules)
    assert {c.kind for c in checked.values()} == set(KINDS)  # every kind in use
    assert all(callable(c.function) for c in checked.values())


# Rules decided from the object key or by a platform fault: no file content can trigger
# them, so tests/test_intake.py and tests/test_ingest.py cover each.
KEY_RULES = {r.id for r in load_standard().rules.values() if r.stage == "intake"}


@pytest.mark.slow  # every fault file built and validated: the full tier
def test_every_rule_has_a_fault_file(faults_dir):
    manifest = _manifest(faults_dir)
    assert list(manifest) == FAULT_FILES  # the names collected are the files built
    covered = {entry["rule_id"] for entry in manifest.values()}
    expected = (set(registry()) | set(RAISED_ELSEWHERE)) - KEY_RULES
    assert covered == expected, expected ^ covered
    assert {
        "KEY_NOT_A_RETURN",
        "PERIOD_BEFORE_COLLECTION",
        "PERIOD_OUTSIDE_TRUST_DATES",
        "PROCESSING_FAILED",
    } == KEY_RULES


@pytest.mark.slow  # every fault file built and validated: the full tier
@pytest.mark.parametrize("file", FAULT_FILES)
def test_fault_file_gets_its_rule_and_status(faults_dir, file):
    fault = _manifest(faults_dir)[file]
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


def _contributing_example() -> tuple[dict, str]:
    """The YAML entry and the Python check of CONTRIBUTING.md's new warning rule."""
    text = (Path(__file__).parents[1] / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("### Example: a new warning rule", 1)[1].split("\n## ", 1)[0]
    yaml_block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    python_block = section.split("```python\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(yaml_block)[0], python_block


@pytest.mark.slow
def test_a_new_warning_rule_is_its_yaml_entry_and_one_function(tmp_path, standard):
    """CONTRIBUTING.md's example, run: a copy of the standard with the rule's entry, its
    one registered function, and nothing else changed, gives a working rule."""
    entry, check = _contributing_example()
    raw = yaml.safe_load((schemas_dir() / "return_v1.yaml").read_text(encoding="utf-8"))
    raw["rules"].append(entry)
    (tmp_path / "return_v1.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    extended = load_standard(tmp_path / "return_v1.yaml")
    exec(check, dict(vars(quality)))  # as if written in quality.py: registers the check
    try:
        faults, _ = build_faults(trusts()["RV3"], PERIODS, seed=3, standard=extended)
        (fault,) = [f for f in faults if f.rule_id == entry["id"]]
        assert fault.expected_status == "accepted_with_warnings"
        result = validate_return(
            fault.data,
            trust_ods_code="RV3",
            period_end=parse_period(fault.period),
            today=TODAY,
            standard=extended,
        )
        assert result.report.rule_counts() == {entry["id"]: 1}, result.report.to_text()
        (finding,) = result.report.findings
        assert (finding.row, finding.column, finding.value) == (4, "fte", "0.05")
        assert finding.message == entry["message"]
        # The rule is the new standard's only: the shipped one neither knows nor checks it.
        assert entry["id"] not in standard.rules
    finally:
        _CHECKS.pop(entry["id"], None)


@pytest.mark.parametrize(
    "recipe, says",
    [({"bites": ""}, "['bites'] unknown"), ({"row": 2, "set": {"fte": "$tomorrow"}}, "$tomorrow")],
)
@pytest.mark.slow
def test_a_fault_recipe_the_builder_cannot_follow_is_refused(tmp_path, recipe, says):
    """A typo in a recipe fails loudly, naming the rule, rather than building a clean file."""
    from psw.standard.model import StandardError

    raw = yaml.safe_load((schemas_dir() / "return_v1.yaml").read_text(encoding="utf-8"))
    (rule,) = [r for r in raw["rules"] if r["id"] == "FTE_OUT_OF_RANGE"]
    rule["faults"] = [recipe]
    (tmp_path / "return_v1.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    broken = load_standard(tmp_path / "return_v1.yaml")
    with pytest.raises(StandardError, match=f"rule FTE_OUT_OF_RANGE: .*{re.escape(says)}"):
        build_faults(trusts()["RV3"], PERIODS, seed=3, standard=broken)
