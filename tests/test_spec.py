"""`psw spec`: the spec page and templates derive from the standard and stay published."""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from orchestration.cli import main
from psw.core.periods import parse_period
from psw.standard.spec import render_html, render_markdown, template_csv, template_xlsx, write_spec
from psw.standard.validation import validate_return

PUBLISHED = Path(__file__).resolve().parents[1] / "docs" / "spec"
FILES = [
    "return-spec.md",
    "return-spec.html",
    "psw_return_template.csv",
    "psw_return_template.xlsx",
]
# Every tag the renderer writes; an unescaped '<' in the text would show up as another.
HTML_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "ul",
    "li", "code", "div", "table", "thead", "tbody", "tr", "th", "td", "caption", "header",
    "footer", "span", "a",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec")
    paths = write_spec(folder)
    assert [p.name for p in paths] == FILES
    return {p.name: p for p in paths}


def test_page_names_every_column_code_and_rule(written, standard):
    md = written["return-spec.md"].read_text(encoding="utf-8")
    page = written["return-spec.html"].read_text(encoding="utf-8")
    for text in (md, page):
        assert f"{standard.name}: data standard v{standard.version}" in text
        for column in standard.column_names:
            assert column in text
        for rule in standard.rules:
            assert rule in text
    for codes in standard.code_lists.values():
        for code in codes:
            assert f"\n| {code.code} | " in md  # a row of the code list's table
            assert f'<td class="nhsuk-table__cell"><code>{escape(code.code)}</code></td>' in page
    for group in standard.ethnic_groups:
        assert group.label in md and escape(group.label) in page


def test_format_choice_writes_one_page(tmp_path):
    assert [p.name for p in write_spec(tmp_path / "md", "md")] == [FILES[0], *FILES[2:]]
    assert [p.name for p in write_spec(tmp_path / "html", "html")] == FILES[1:]


def test_html_page_is_self_contained_and_escaped(written):
    page = written["return-spec.html"].read_text(encoding="utf-8")
    assert '<meta name="viewport"' in page
    assert "<script" not in page and "<link" not in page and "<style>" in page
    assert "&lt;YYYY-MM&gt;" in page  # angle brackets in the text are escaped
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.tags <= HTML_TAGS
    # every table scrolls inside its box on a narrow screen
    assert page.count("<table") == page.count('<div class="psw-scroll" tabindex="0" role="region"')


def test_markdown_has_no_raw_angle_brackets(written):
    """GitHub reads `<YYYY-MM>` outside a code span as an HTML tag and hides it."""
    md = written["return-spec.md"].read_text(encoding="utf-8")
    for line in md.splitlines()[1:]:  # line 1 is the "generated" comment
        outside_code = re.sub(r"`[^`]*`", "", line)
        assert not re.search(r"(?<!\\)<", outside_code), line
    assert "`returns/<YYYY-MM>/<file name>`" in md


def test_csv_template_is_the_header_row(written, standard):
    data = written["psw_return_template.csv"].read_bytes()
    assert data == (",".join(standard.column_names) + "\r\n").encode("utf-8")


@pytest.mark.parametrize("name", ["psw_return_template.csv", "psw_return_template.xlsx"])
def test_blank_templates_validate_as_nil_returns(written, name):
    report = validate_return(
        written[name],
        trust_ods_code="RV3",
        period_end=parse_period("2025-06"),
        today=dt.date(2026, 1, 1),
    ).report
    assert report.status == "accepted"
    assert report.nil_return is True
    assert report.rows == 0


def test_xlsx_template_lists_codes_with_drop_downs_that_refuse_others(written, standard):
    workbook = openpyxl.load_workbook(written["psw_return_template.xlsx"])
    assert workbook.sheetnames == ["PSW return", "Guidance", "Codes"]  # the return first
    first, codes = workbook["PSW return"], workbook["Codes"]
    assert [c.value for c in first[1]] == standard.column_names
    assert first.max_row == 1 and first.freeze_panes == "A2" and first["A1"].font.b
    listed = {
        row[1] for row in codes.iter_rows(min_row=2, values_only=True) if row[0] == "role_category"
    }
    assert listed == set(standard.codes("role_category"))
    by_letter = {get_column_letter(i): c for i, c in enumerate(standard.columns, start=1)}
    validations = {
        str(dv.sqref).split(":")[0][:-1]: dv for dv in first.data_validations.dataValidation
    }
    for letter, dv in validations.items():
        column = by_letter[letter]
        assert str(dv.sqref) == f"{letter}2:{letter}5000"
        assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.error  # refuses, says why
        assert dv.showInputMessage and dv.prompt == column.description[:255]
        if column.codes:
            assert dv.type == "list"
            sheet, cells = dv.formula1.lstrip("=").split("!")
            values = [c.value for row in codes[cells.replace("$", "")] for c in row]
            assert (sheet, values) == ("Codes", standard.codes(column.codes))
            assert first.column_dimensions[letter].number_format == "@"  # band 4 stays "4"
    kinds = {by_letter[k].name: (dv.type, dv.operator) for k, dv in validations.items()}
    assert kinds["fte"] == ("decimal", "between")
    assert kinds["start_date_in_role"] == ("date", "between")
    assert kinds["annual_salary_fte_gbp"] == ("decimal", "greaterThanOrEqual")
    assert kinds["local_job_title"] == ("textLength", "lessThanOrEqual")
    coded = {c.name for c in standard.columns if c.codes}
    assert coded <= set(kinds)
    guidance = [row for row in workbook["Guidance"].iter_rows(values_only=True)]
    described = {row[0]: row for row in guidance if row[0] in standard.column_names}
    assert set(described) == set(standard.column_names)
    assert described["fte"][2] == standard.column("fte").description


def test_cli_writes_the_four_files(tmp_path, capsys):
    assert main(["spec", "--out", str(tmp_path / "x")]) == 0
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == sorted(FILES)
    assert capsys.readouterr().out.count("\n") == 4


def test_published_spec_in_docs_is_up_to_date(standard):
    """docs/spec/ is what trusts read: regenerate with `make spec` after changing schemas/."""
    assert (PUBLISHED / "return-spec.md").read_text(encoding="utf-8") == render_markdown(standard)
    assert (PUBLISHED / "return-spec.html").read_text(encoding="utf-8") == render_html(standard)
    assert (PUBLISHED / "psw_return_template.csv").read_bytes() == template_csv(standard)
    first = openpyxl.load_workbook(PUBLISHED / "psw_return_template.xlsx").worksheets[0]
    assert [c.value for c in first[1]] == standard.column_names
    assert template_xlsx(standard)[:2] == b"PK"


def test_role_families_are_the_standards_definition(standard):
    """docs/measures.md: PEER_SUPPORT_WORK = PSW, SENIOR_PSW; PEER_LEADERSHIP =
    PEER_SUPERVISOR, PEER_LEAD; SPECIALIST_PEER = every other role code."""
    families = {c.code: c.family for c in standard.code_lists["role_category"]}
    named = {"PSW", "SENIOR_PSW", "PEER_SUPERVISOR", "PEER_LEAD"}
    assert families == {
        "PSW": "PEER_SUPPORT_WORK",
        "SENIOR_PSW": "PEER_SUPPORT_WORK",
        "PEER_SUPERVISOR": "PEER_LEADERSHIP",
        "PEER_LEAD": "PEER_LEADERSHIP",
        **{code: "SPECIALIST_PEER" for code in families if code not in named},
    }
    assert [f.code for f in standard.role_families] == [
        "PEER_SUPPORT_WORK",
        "PEER_LEADERSHIP",
        "SPECIALIST_PEER",
    ]


def test_no_label_of_the_standard_is_cut_at_a_comma(standard):
    """Two labels were cut at their comma by YAML (issue 22): whole now, everywhere."""
    labels = {c.code: c.label for codes in standard.code_lists.values() for c in codes}
    assert labels["PEER_TRAINER"] == "Peer trainer (recovery college, educator)"
    assert labels["VCSE"] == "Voluntary, community and social enterprise host"
    assert "Peer trainer (recovery college, educator)" in render_markdown(standard)


def test_a_standard_the_platform_cannot_use_is_refused_with_what_and_where(tmp_path):
    """The loader's checks are real errors, not asserts (which `python -O` drops)."""
    from psw.core.paths import schemas_dir
    from psw.standard.model import StandardError, load_standard

    text = (schemas_dir() / "return_v1.yaml").read_text()
    cases = {
        "must be quoted": text.replace('code: "25_34"', "code: 25_34", 1),
        "severity 'fatal'": text.replace("severity: error", "severity: fatal", 1),
        # A label with a comma, unquoted inside {...}: the label cut at the comma and a
        # stray key, which the loader once accepted (the cut label reached every page).
        re.escape(
            "code_lists.role_category[6] (PEER_TRAINER): unknown key(s) 'educator)' "
            "(a value with a comma inside {...} must be quoted"
        ): text.replace(
            'label: "Peer trainer (recovery college, educator)"',
            "label: Peer trainer (recovery college, educator)",
        ),
        "columns\\[0\\] \\(trust_ods_code\\): unknown key\\(s\\) 'requried'": text.replace(
            "    required: Y", "    requried: Y", 1
        ),
        re.escape(
            "thresholds: unknown key(s) 'headcount_swing_persons'; "
            "missing key(s) headcount_swing_people"
        ): text.replace("headcount_swing_people:", "headcount_swing_persons:", 1),
        "PEER_LEAD\\): family 'LEADERSHIP' is not a code of role_families": (
            text.replace(
                "PEER_LEAD, label: Peer lead (lead or manager of a peer service), "
                "family: PEER_LEADERSHIP",
                "PEER_LEAD, label: Peer lead (lead or "
                "manager of a peer service), family: LEADERSHIP",
            )
        ),
        "publication: release_day must be 1-28, not 31": text.replace(
            "release_day: 25", "release_day: 31", 1
        ),
        "code_lists.role_category\\[0\\] \\(PSW\\): missing key\\(s\\) family": text.replace(
            "{code: PSW, label: Peer support worker, family: PEER_SUPPORT_WORK}",
            "{code: PSW, label: Peer support worker}",
        ),
    }
    for number, (said, broken) in enumerate(cases.items()):
        assert broken != text, said  # the edit found its target
        path = tmp_path / f"{number}.yaml"
        path.write_text(broken)
        with pytest.raises(StandardError, match=said):
            load_standard(path)
