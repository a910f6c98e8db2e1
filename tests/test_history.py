"""The trust's data-quality history as data and as a page: pure, no store (the end-to-end
scenario in test_marts_pages.py checks it in the buckets and in a browser)."""

from __future__ import annotations

import json

from psw.site.history import history, national_picture
from psw.site.history_page import render


def record(
    ods, period, status="accepted", rules=None, at="2025-07-01T10:00:00+00:00", rows=40, **more
):
    rules = rules or {}
    errors = sum(n for r, n in rules.items() if r == "CODE_INVALID")
    return {
        "submission_id": f"{ods}-{period}-{at}",
        "trust_ods_code": ods,
        "period": period,
        "status": status,
        "source_key": f"returns/{period}/return.csv" if period else "return.csv",
        "received_at": at,
        "processed_at": at,
        "rows": rows,
        "errors": errors,
        "warnings": sum(rules.values()) - errors,
        "report_key": f"feedback/{period}/return.csv.report" if period else "feedback/x.report",
        "rule_counts": rules,
        **more,
    }


def others(count: int, rule: str | None = None) -> list[dict]:
    """`count` other trusts with one month each; the first breaks `rule` when given."""
    return [
        record(f"R{i:02d}", "2025-06", rules={rule: 9} if rule and i == 0 else None)
        for i in range(count)
    ]


def test_the_national_share_shows_only_with_five_other_trusts():
    own = [record("RV3", "2025-06", rules={"SALARY_OUTSIDE_BAND": 12})]
    for count, shown in ((4, False), (5, True)):
        national = national_picture(own + others(count, "SALARY_OUTSIDE_BAND"))
        data = history("RV3", "Trust", own, national, [], "now")
        [rule] = data["rules"]
        assert (rule["national_share_of_months"] is not None) is shown
        if shown:  # two of six trust-months broke it
            assert rule["national_share_of_months"] == 0.33
            assert rule["compared"] == "more often than nationally"
        else:
            assert rule["compared"].startswith("not shown")


def test_what_still_stands_comes_first_then_what_rejects_a_file():
    own = [
        record("RV3", "2025-05", rules={"SALARY_OUTSIDE_BAND": 3}),
        record("RV3", "2025-06", "rejected", {"CODE_INVALID": 2}, at="2025-07-02T09:00:00+00:00"),
        # corrected later the same month: June's standing upload breaks only a warning rule
        record("RV3", "2025-06", rules={"ROLE_BAND_ATYPICAL": 9}, at="2025-07-03T09:00:00+00:00"),
        record("RV3", None, "rejected", {"KEY_NOT_A_RETURN": 1}, at="2025-07-04T09:00:00+00:00"),
    ]
    data = history("RV3", "Trust", own, national_picture(own + others(6)), [], "now")
    assert [m["status"] for m in data["months"]] == ["accepted", "accepted"]

    turned_away = [*own[:1], own[2], dict(own[1], received_at="2025-07-05T09:00:00+00:00")]
    june = history("RV3", "T", turned_away, national_picture(others(6)), [], "now")["months"][1]
    assert june["status"] == "accepted" and june["later_upload_rejected"]  # the good one stands
    rules = [r["rule_id"] for r in data["rules"]]  # an unfiled upload's rule is no month's
    assert rules == ["ROLE_BAND_ATYPICAL", "SALARY_OUTSIDE_BAND", "CODE_INVALID"]
    standing, earlier, fixed = data["rules"]
    assert standing["still_in_latest_upload"] and not fixed["still_in_latest_upload"]
    assert fixed["in_latest_month"] and fixed["share_of_your_months"] == 0.5
    assert earlier["last_seen"] == "2025-05" and earlier["findings_in_last_seen_month"] == 3
    assert [u["month"] for u in data["uploads"]] == [None, "2025-06", "2025-06", "2025-05"]
    assert data["uploads"][0]["report"] == "feedback/x.report.html"
    # What to fix first names only what still stands: June's rejected file was corrected.
    assert [f["rule_id"] for f in data["fix_first"]] == [
        "ROLE_BAND_ATYPICAL",
        "SALARY_OUTSIDE_BAND",
    ]
    assert data["fix_first"][1]["why"] == (
        "it lowers the score; what stands for May 2025 still breaks it; 50% of your months"
    )
    assert fixed["still_stands_in"] == [] and earlier["still_stands_in"] == ["2025-05"]
    # Nor a rejected upload after the accepted one, which stands (issue 25).
    after = history("RV3", "T", turned_away, national_picture(others(6)), [], "now")
    assert "CODE_INVALID" not in [f["rule_id"] for f in after["fix_first"]]

    still_rejected = own[:2]
    data = history("RV3", "Trust", still_rejected, national_picture(others(6)), [], "now")
    assert data["fix_first"][0]["rule_id"] == "CODE_INVALID"
    assert "what stands for June 2025 still breaks it" in data["fix_first"][0]["why"]


def test_a_rule_since_retired_from_the_standard_does_not_break_the_history():
    own = [record("RV3", "2025-06", rules={"OLD_RULE": 9})]
    [rule] = history("RV3", "T", own, national_picture(others(6)), [], "now")["rules"]
    assert rule["severity"] == "retired"


def test_the_page_links_each_report_and_holds_no_other_trust():
    own = [record("RV3", "2025-06", rules={"SALARY_OUTSIDE_BAND": 3}, rows=5)]
    data = history("RV3", "Own Trust", own, national_picture(own + others(6)), [], "now")
    page = render(data)
    assert (
        "<a href='2025-06/return.csv.report.html'>report<span class='psw-visually-hidden'>" in page
    )
    assert " on returns/2025-06/return.csv, received 1 July 2025, 11:00 (BST)</span></a>" in page
    assert "R00" not in page and "R00" not in json.dumps(data)
    assert ">5<" in page and "under 8" not in page  # the trust's own figures, exactly
    assert "Not published yet" in page  # no published score before the first build


def test_the_trust_sees_its_own_score_exactly_and_others_only_as_a_median():
    """Issue 20: the published score of a small trust is worked out from perturbed counts;
    its own history works it out from its ledger (5 rows, 4 of 5 salaries given, 3 of 15
    codes not stated, 1 warning; first good upload on the 10th, before the 15th)."""
    own = [
        record(
            "RV3",
            "2025-06",
            rules={"SALARY_OUTSIDE_BAND": 1},
            rows=5,
            at="2025-07-10T09:00:00+00:00",
            values_given=4,
            values_not_stated=3,
        ),
        record("RV3", "2025-05", rows=5, at="2025-07-20T09:00:00+00:00"),  # kept no counts
    ]
    published = [  # as Published.quality gives them: perturbed parts, medians
        ("2025-05", "accepted", 0.6, 0.9, 1.0, False, 0.63, 0.7, 0.7),
        ("2025-06", "accepted", 0.5, 0.75, 0.6, True, 0.71, 0.72, 0.72),
    ]
    data = history("RV3", "T", own, national_picture(own + others(6)), published, "now")
    may, june = data["data_quality"]
    assert june["completeness"] == 0.8 and june["stated"] == 0.8 and june["clean"] == 0.8
    assert june["on_time"] is True and abs(june["score"] - (0.8 * 3 + 1) / 4) < 1e-9
    assert not june["as_published"] and june["median_of_all_trusts"] == 0.72
    assert may["as_published"] and may["score"] == 0.63  # before the counts were kept
    page = render(data)
    assert "85%" in page and "May 2025 (as published)" in page


def test_a_file_name_that_overrides_the_text_direction_shows_as_its_code():
    """The trust names its file: a right-to-left override in the name would turn the
    page's line around (and the history JSON is read by tools that print it)."""
    tricked = record("RV3", "2025-06", source_key="returns/2025-06/gpj.\u202ecsv<b>x</b>")
    data = history("RV3", "T", [tricked], national_picture(others(6)), [], "now")
    [upload] = data["uploads"]
    assert upload["file"] == "returns/2025-06/gpj.\\u202ecsv<b>x</b>"
    page = render(data)
    assert "\u202e" not in page and "<b>x</b>" not in page
    assert "gpj.\\u202ecsv&lt;b&gt;x&lt;/b&gt;" in page
