"""The portal's pages for a trust: its months and uploads, an upload and its result, the
reports the pipeline wrote. Each handler first checks the trust is the person's
(`granted_trust`: 404 otherwise), and records uploads and downloads in the audit log.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from psw.core.periods import month_name, months, period_of, uk_date, uk_time
from psw.lake.layout import recency
from psw.portal.context import granted_trust, message, page, portal, refused_form
from psw.portal.months import WORDS, Month, financial_year, month_statuses, year_months
from psw.portal.results import STATUS_WORDS, by_rule
from psw.portal.security import csrf_ok
from psw.portal.uploads import StoreDown, UploadRefused, check_upload, store_and_check
from psw.standard.model import load_standard
from psw.standard.reference import Trust, trusts
from psw.standard.validation.shown import printable

log = logging.getLogger(__name__)
FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields, beyond the file


def home_page(request: Request) -> Response:
    state = portal(request)
    registry, today = trusts(), state.today()
    shown = []
    for ods in state.store.trusts_for(request.session["user"]["email"]):
        if ods not in registry:
            continue
        first = financial_year(today)
        statuses = _months(request, registry[ods], first)
        to_do = [m for m in statuses if m.status in ("missing", "rejected", "due")]
        summary = (
            "Every month so far has a return in force."
            if not to_do
            else "To do: " + ", ".join(f"{m.label} ({m.words.lower()})" for m in to_do) + "."
        )
        shown.append(
            {
                "ods": ods,
                "name": registry[ods].name,
                "year_label": _year_label(first),
                "months": [_month_row(ods, m) for m in statuses],
                "summary": summary,
            }
        )
    return page(request, "portal_home.html", title="Your trusts", trusts=shown)


def trust_page(
    request: Request, error: str = "", field: str = "", status: int = 200, chosen: str | None = None
) -> Response:
    trust = granted_trust(request)
    state = portal(request)
    today = state.today()
    current_year = financial_year(today)
    first = str(request.query_params.get("year", ""))
    first = f"{first}-04" if first.isdigit() and len(first) == 4 else current_year
    earliest = state.settings.first_month[:4] + "-04"
    if not earliest <= first <= current_year:
        first = current_year
    # One read of the trust's ledger for both its months and its uploads.
    records = sorted(state.lake.outcomes(trust.ods_code, unfiled=True), key=recency, reverse=True)
    statuses = _months(request, trust, first, records)
    periods = _periods(trust, state.settings.first_month, today)
    years = [f"{y}-04" for y in range(int(earliest[:4]), int(current_year[:4]) + 1)]
    return page(
        request,
        "portal_trust.html",
        status,
        title=f"{trust.name} ({trust.ods_code})",
        trust=trust,
        crumbs=[("/", "Your trusts")],
        error=error,
        error_field=field,
        periods=[(p, month_name(p)) for p in periods],
        chosen_period=chosen or (periods[0] if periods else ""),
        limit_mb=load_standard().max_bytes // 1_048_576,
        year_label=_year_label(first),
        year_links=[
            (f"?year={y[:4]}", f"Financial year {_year_label(y)}") for y in years if y != first
        ],
        months=[_month_row(trust.ods_code, m) for m in statuses],
        uploads=[_upload_row(trust.ods_code, r) for r in records],
        resources=[
            (
                "/standard/psw_return_template.xlsx",
                "The blank template (Excel, with guidance and drop-downs)",
            ),
            ("/standard/psw_return_template.csv", "The blank template (CSV)"),
            ("/standard/return-spec.html", "The return standard: every column, code and rule"),
        ],
    )


async def upload(request: Request) -> Response:
    trust = granted_trust(request)
    state = portal(request)
    email = request.session["user"]["email"]
    limit = load_standard().max_bytes
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit + FORM_OVERHEAD:
        state.store.record(email, "upload-refused", trust.ods_code, "-", "too large")
        return await run_in_threadpool(
            trust_page,
            request,
            f"The file is larger than {limit // 1_048_576} MB, the limit. A return is far "
            "smaller: check it is the right file.",
            "file",
            413,
        )
    form = await request.form(max_files=1, max_fields=4)
    if not csrf_ok(request.session, form.get("csrf_token")):
        state.store.record(
            email, "upload-refused", trust.ods_code, "-", "CSRF token missing or wrong"
        )
        return refused_form(request)
    if not state.uploads.allow(email):
        state.store.record(email, "upload-refused", trust.ods_code, "-", "rate limit")
        wait = state.uploads.retry_after(email)
        return message(
            request,
            "Too many uploads",
            f"You have uploaded {state.settings.portal_uploads_per_hour} files in the last hour, "
            f"the most the portal takes from one person. Try again in {wait // 60 + 1} minutes.",
            status=429,
            back=(f"/trusts/{trust.ods_code}/", f"Back to {trust.name}"),
        )
    period, file = str(form.get("period") or ""), form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await run_in_threadpool(
            trust_page, request, "Choose a file to upload.", "file", 400, period
        )
    data = await file.read()
    try:
        name = check_upload(
            file.filename, data, period, trust, state.settings.first_month, state.today()
        )
    except UploadRefused as exc:
        state.store.record(email, "upload-refused", trust.ods_code, file.filename, str(exc))
        field = (
            "period" if "month" in str(exc).lower() and "file" not in str(exc).lower() else "file"
        )
        return await run_in_threadpool(trust_page, request, str(exc), field, 400, period)
    try:
        made = await run_in_threadpool(store_and_check, state, trust, period, name, data, email)
    except StoreDown:
        state.store.record(email, "upload-refused", trust.ods_code, name, "store unreachable")
        return message(
            request,
            "Your file could not be stored",
            "The platform's storage did not answer, so nothing was uploaded. Try again in a "
            "few minutes; if it keeps happening, tell the platform team.",
            status=503,
            back=(f"/trusts/{trust.ods_code}/", f"Back to {trust.name}"),
        )
    return RedirectResponse(
        f"/trusts/{trust.ods_code}/uploads/{made.submission_id}", status_code=303
    )


def upload_page(request: Request) -> Response:
    trust = granted_trust(request)
    state = portal(request)
    made = state.store.upload(trust.ods_code, request.path_params["submission_id"])
    if made is None:
        raise HTTPException(404)
    result = made.result
    words, advice = STATUS_WORDS[result["status"]]
    platform = _platform_report(request, trust.ods_code, made.submission_id)
    return page(
        request,
        "portal_upload.html",
        title=f"{printable(made.file_name)}: {words}",
        headline=f"{month_name(made.period)} return: {words.lower()}",
        status_words=words,
        advice=" " + advice,
        result=result,
        receipt=[
            ("Submission id", made.submission_id),
            ("Received", uk_time(made.received_at)),
            ("Trust", f"{trust.name} ({trust.ods_code})"),
            ("Month", month_name(made.period)),
            ("File", printable(made.file_name)),
            ("Size", f"{made.size:,} bytes"),
            ("SHA-256 checksum", made.sha256),
            ("Rows read", result["counts"]["rows"]),
            ("Checked against", f"the return standard v{result['standard_version']}"),
        ],
        groups=by_rule(result),
        findings_href=f"/trusts/{trust.ods_code}/uploads/{made.submission_id}/findings.csv",
        platform=platform,
        poll=None
        if platform
        else f"/trusts/{trust.ods_code}/uploads/{made.submission_id}/status.json",
        ods=trust.ods_code,
        trust_name=trust.name,
        crumbs=[("/", "Your trusts"), (f"/trusts/{trust.ods_code}/", trust.name)],
    )


def upload_status(request: Request) -> Response:
    trust = granted_trust(request)
    found = _platform_report(request, trust.ods_code, request.path_params["submission_id"])
    return JSONResponse({"report": found["href"] if found else None})


def _platform_report(request: Request, ods: str, submission_id: str) -> dict | None:
    outcome = portal(request).lake.outcome(ods, submission_id)
    if not outcome or not outcome.get("report_key"):
        return None
    return {
        "href": _report_href(ods, str(outcome["report_key"])),
        "words": WORDS.get(str(outcome["status"]), str(outcome["status"])).lower(),
    }


def _months(
    request: Request, trust: Trust, first: str, records: list[dict] | None = None
) -> list[Month]:
    """The months of a financial year, from the trust's ledger (read here unless given)."""
    state = portal(request)
    periods = [
        p for p in year_months(first) if p >= state.settings.first_month and trust.is_open(p)
    ]
    if records is None:
        records = list(state.lake.outcomes(trust.ods_code))
    return month_statuses(records, periods, state.today(), load_standard().data_quality.due_day)


def _periods(trust: Trust, first_month: str, today: dt.date) -> list[str]:
    """The months a return can be uploaded for: ended, in the collection, newest first."""
    last = period_of(today.replace(day=1) - dt.timedelta(days=1))
    if last < first_month:
        return []
    return [p for p in reversed(months(first_month, last)) if trust.is_open(p)]


def _year_label(first: str) -> str:
    start = int(first[:4])
    return f"{start}/{str(start + 1)[2:]}"


def _report_href(ods: str, report_key: str) -> str:
    return f"/trusts/{ods}/reports/{report_key.removeprefix('feedback/')}.html"


def _month_row(ods: str, m: Month) -> dict[str, Any]:
    standing = m.standing or {}
    key = standing.get("report_key")
    return {
        **asdict(m),
        "label": m.label,
        "words": m.words,
        "due_label": uk_date(m.due),
        "file_name": printable(str(standing.get("source_key", "")).rpartition("/")[2]),
        "report_href": _report_href(ods, str(key)) if key else None,
    }


def _upload_row(ods: str, record: dict) -> dict[str, Any]:
    key = record.get("report_key")
    period = record.get("period")
    return {
        "received": uk_time(str(record["received_at"])),
        "file_name": printable(str(record["source_key"]).rpartition("/")[2]),
        "month": month_name(str(period)) if period else "Not filed",
        "status": record["status"],
        "words": WORDS.get(str(record["status"]), str(record["status"])),
        "errors": record.get("errors", 0),
        "warnings": record.get("warnings", 0),
        "report_href": _report_href(ods, str(key)) if key else None,
    }
