"""The portal's pure parts: a month's status, findings by rule, UK times, the rate limit,
file names from browsers, CSRF tokens, and the store of grants and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from psw.core.periods import uk_time
from psw.portal.months import financial_year, month_statuses
from psw.portal.results import by_rule
from psw.portal.security import RateLimit, csrf_ok, csrf_token
from psw.portal.store import AccessError, PortalStore
from psw.portal.uploads import UploadRefused, clean_name

DUE_DAY = 15


def record(period, status, receipt, key="returns/x.csv"):
    return {"period": period, "status": status, "receipt": receipt, "source_key": key}


def test_a_months_status_is_what_stands_for_it():
    records = [
        record("2025-04", "accepted", 1),
        record("2025-04", "rejected", 5),  # later, rejected: April's accepted return stands
        record("2025-05", "rejected", 2),
        record("2025-06", "accepted_with_warnings", 3),
        record("2025-06", "accepted", 4),  # the correction, newest: it stands
        record(None, "rejected", 6),  # unfiled: no month
    ]
    periods = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    statuses = month_statuses(records, periods, dt.date(2025, 8, 10), DUE_DAY)
    got = {m.period: (m.status, m.later_rejected, m.uploads) for m in statuses}
    assert got == {
        "2025-04": ("accepted", True, 2),
        "2025-05": ("rejected", False, 1),
        "2025-06": ("accepted", False, 2),
        "2025-07": ("due", False, 0),  # due 15 August
        "2025-08": ("open", False, 0),  # not ended
        "2025-09": ("open", False, 0),
    }
    late = month_statuses([], ["2025-07"], dt.date(2025, 8, 16), DUE_DAY)[0]
    assert (late.status, late.label, late.due) == ("missing", "July 2025", dt.date(2025, 8, 15))


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (dt.date(2025, 4, 30), "2024-04"),
        (dt.date(2025, 5, 1), "2025-04"),
        (dt.date(2026, 1, 10), "2025-04"),
    ],
)
def test_the_financial_year_shown_holds_the_last_month_ended(today, first):
    assert financial_year(today) == first


def test_findings_are_grouped_by_rule_errors_first_with_the_first_rows():
    findings = [
        {"rule_id": "LEAVER_NOT_REPORTED", "severity": "warning", "message": "Left?", "row": r}
        for r in range(2, 106)
    ] + [
        {
            "rule_id": "CODE_INVALID",
            "severity": "error",
            "message": "x",
            "row": 40,
            "column": "afc_band",
        }
    ]
    result = {
        "findings": findings,
        "rule_counts": {"LEAVER_NOT_REPORTED": 104, "CODE_INVALID": 1},
    }
    first, second = by_rule(result)
    assert (first.rule_id, first.count, first.rows, first.more) == ("CODE_INVALID", 1, [40], 0)
    assert first.columns == ["afc_band"] and second.columns == []
    assert first.message == "A value is not one of the codes allowed in the column."  # the rule's
    assert (second.count, second.rows, second.more) == (104, list(range(2, 12)), 94)
    assert second.severity_words == "Warning"


def test_times_are_shown_in_uk_local_time():
    assert uk_time("2025-06-03T13:05:00+00:00") == "3 June 2025, 14:05 (BST)"
    assert uk_time(dt.datetime(2025, 12, 3, 13, 5, tzinfo=dt.UTC)) == "3 December 2025, 13:05 (GMT)"


def test_the_rate_limit_is_a_sliding_window_per_person():
    now = [0.0]
    limit = RateLimit(2, window_s=60, clock=lambda: now[0])
    assert limit.allow("a") and limit.allow("a") and not limit.allow("a")
    assert limit.allow("b")  # another person's uploads are their own
    assert limit.retry_after("a") == 61
    now[0] = 60.5
    assert limit.allow("a")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\fakepath\\RV3 June.xlsx", "RV3 June.xlsx"),
        ("/home/x/r.csv", "r.csv"),
        ("  r.csv ", "r.csv"),
    ],
)
def test_a_browsers_path_is_cut_to_the_file_name(given, kept):
    assert clean_name(given) == kept


@pytest.mark.parametrize("bad", ["", "..", "a\x00b.csv", "x" * 250 + ".csv"])
def test_names_that_cannot_be_stored_are_refused(bad):
    with pytest.raises(UploadRefused):
        clean_name(bad)


def test_a_csrf_token_must_match_the_sessions():
    session: dict = {}
    made = csrf_token(session)
    assert csrf_token(session) == made  # one per session
    assert csrf_ok(session, made)
    assert not csrf_ok(session, made[:-1] + "x") and not csrf_ok(session, None)
    assert not csrf_ok({}, made)  # a session without one refuses every token


def test_grants_and_the_audit_log(tmp_path):
    store = PortalStore.in_data_dir(tmp_path)
    assert store.grant(" Alice@CNWL.nhs.uk", "rv3", by="op") is True
    assert store.grant("alice@cnwl.nhs.uk", "RV3", by="op") is False  # stood already
    assert store.trusts_for("ALICE@cnwl.nhs.uk") == ["RV3"]
    assert store.users_of("rv3") == ["alice@cnwl.nhs.uk"]
    with pytest.raises(AccessError):
        store.grant("alice", "RV3", by="op")
    assert store.revoke("alice@cnwl.nhs.uk", "RV3", by="op") is True
    assert store.trusts_for("alice@cnwl.nhs.uk") == []
    actions = [(e.action, e.outcome) for e in store.audit()]
    assert actions == [("revoke", "revoked"), ("grant", "stood already"), ("grant", "granted")]
    assert store.mark_sent("report", "abc", "a@b.nhs.uk") is True
    assert store.mark_sent("report", "abc", "a@b.nhs.uk") is False  # never twice
