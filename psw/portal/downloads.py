"""What a trust downloads from the portal: the reports the pipeline wrote (HTML, JSON, and
their findings as CSV), its history, and the findings of an upload made through the
portal. Each checks the trust is the person's (404 otherwise) and is in the audit log."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from psw.portal.context import granted_trust, portal
from psw.portal.results import findings_csv
from psw.portal.security import REPORT_POLICY_HEADER


def report(request: Request) -> Response:
    """A report (or the history page) from the trust's `feedback/`, as the pipeline wrote it."""
    trust = granted_trust(request)
    state = portal(request)
    path = request.path_params["path"]
    as_csv = path.endswith(".report.csv")  # the findings of the platform's report
    if as_csv:
        path = path.removesuffix(".csv") + ".json"
    if path in ("history.html", "history.json") or path.endswith((".report.html", ".report.json")):
        key = "feedback/" + path
    elif path.count("/") == 1 and path[:7].count("-") == 1:  # <YYYY-MM>/<file name>
        from psw.intake.submissions import report_key

        key = report_key(f"returns/{path}") + ".html"
    else:
        raise HTTPException(404)
    try:
        body = state.s3.get_object(Bucket=trust.bucket, Key=key)["Body"].read()
    except state.s3.exceptions.NoSuchKey:
        raise HTTPException(404) from None
    state.store.record(request.session["user"]["email"], "download", trust.ods_code, key, "sent")
    if as_csv:
        return _csv(
            findings_csv(json.loads(body)), key.rpartition("/")[2].removesuffix(".json") + ".csv"
        )
    if key.endswith(".json"):
        return Response(body, media_type="application/json")
    return HTMLResponse(body, headers={REPORT_POLICY_HEADER: "1"})


def upload_findings(request: Request) -> Response:
    """The upload's findings as CSV, from the result shown when it was uploaded."""
    trust = granted_trust(request)
    made = portal(request).store.upload(trust.ods_code, request.path_params["submission_id"])
    if made is None:
        raise HTTPException(404)
    return _csv(findings_csv(made.result), f"{made.file_name}.findings.csv")


def _csv(text: str, name: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )
