"""`psw spec`: the spec page and templates derive from the standard and stay published."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from psw.cli import main
from psw.periods import parse_period
from psw.spec import render_html, render_markdown, template_csv, template_xlsx, write_spec
from psw.validation import validate_return

PUBLISHED = Path(__file__).resolve().parents[1] / "docs" / "spec"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec")
    return {p.name: p for p in write_spec(folder)}


def test_page_names_every_column_code_and_rule(written, standard):
    for name in ("return-spec.md", "return-spec.html"):
        text = written[name].read_text()
        for column in standard.column_names:
            assert column in text
        for rule in standard.rules:
            assert rule in text
        for codes in standard.code_lists.values():
            for code in codes:
                assert f"{code.code}" in text


def test_html_page_is_self_contained_and_escaped(written):
    page = written["return-spec.html"].read_text()
    assert '<meta name="viewport"' in page
    assert "<script" not in page and "<link" not in page
    assert "&lt;YYYY-MM&gt;" in page  # angle brackets in the text are escaped
    HTMLParser().feed(page)


@pytest.mark.parametrize("name", ["psw_return_template.csv", "psw_return_template.xlsx"])
def test_blank_templates_validate_as_nil_returns(written, name):
    report = validate_return(
        written[name],
        trust_ods_code="RV3",
        period_end=parse_period("2025-06"),
        today=dt.date(2026, 1, 1),
    ).report
    assert (report.status, report.nil_return, report.rows) == ("accepted", True, 0)


def test_xlsx_template_lists_codes_with_drop_downs(written, standard):
    workbook = openpyxl.load_workbook(written["psw_return_template.xlsx"])
    first, codes = workbook.worksheets
    assert [c.value for c in first[1]] == standard.column_names
    assert first.max_row == 1
    listed = {
        row[1] for row in codes.iter_rows(min_row=2, values_only=True) if row[0] == "role_category"
    }
    assert listed == set(standard.codes("role_category"))
    assert len(first.data_validations.dataValidation) == sum(1 for c in standard.columns if c.codes)


def test_cli_writes_the_four_files(tmp_path):
    assert main(["spec", "--out", str(tmp_path / "x")]) == 0
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == [
        "psw_return_template.csv",
        "psw_return_template.xlsx",
        "return-spec.html",
        "return-spec.md",
    ]


def test_published_spec_in_docs_is_up_to_date(standard):
    """docs/spec/ is what trusts read: regenerate with `make spec` after changing schemas/."""
    assert (PUBLISHED / "return-spec.md").read_text() == render_markdown(standard)
    assert (PUBLISHED / "return-spec.html").read_text() == render_html(standard)
    assert (PUBLISHED / "psw_return_template.csv").read_bytes() == template_csv(standard)
    first = openpyxl.load_workbook(PUBLISHED / "psw_return_template.xlsx").worksheets[0]
    assert [c.value for c in first[1]] == standard.column_names
    assert template_xlsx(standard)[:2] == b"PK"
