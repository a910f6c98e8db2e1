"""The trusts' portal over HTTP, as a hostile or careless client would use it: a real
OpenID Connect provider, a real S3 server, the portal served by uvicorn. Sign-in gives
nothing without a verified email, access is by grant only (404 otherwise), refused
uploads are never stored, every answer carries the security headers, and every upload
and download is in the audit log."""

from __future__ import annotations

import re

import pytest

from psw.portal.security import RateLimit
from tests.helpers import psw
from tests.portal_servers import ALICE, portal_platform

PERIOD = "2025-06"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with portal_platform(tmp_path_factory.mktemp("portal")) as portal:
        yield portal


@pytest.fixture(scope="module")
def good_return() -> bytes:
    from psw.standard.reference import trusts
    from psw.synth import encode, simulate

    return encode(dict(simulate(trusts()["RV3"], [PERIOD], seed=5, staff=30))[PERIOD], "csv")


def token(client, ods: str = "RV3") -> str:
    html = client.get(f"/trusts/{ods}/").text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_return(client, name: str, data: bytes, period: str = PERIOD, ods: str = "RV3", **extra):
    fields = {"period": period, "csrf_token": token(client), **extra}
    return client.post(f"/trusts/{ods}/returns", data=fields, files={"file": (name, data)})


def rv3_keys(site) -> set[str]:
    return {o["Key"] for o in site.s3.list_objects_v2(Bucket="psw-rv3").get("Contents", [])}


def test_sign_in_needs_a_verified_email_and_lands_on_the_portal_only(site):
    refused = site.signed_in("mallory").last_sign_in
    assert refused.status_code == 403
    assert "did not confirm an email address" in refused.text
    anyone = site.signed_in("nobody")
    assert anyone.last_sign_in.headers["location"] == "/"
    assert "No trust has been given to nobody@example.nhs.uk" in anyone.get("/").text
    assert anyone.get("/trusts/RV3/").status_code == 404
    # No open redirect: whatever the request names, sign-in comes back to the portal.
    out = site.client().get("/sign-in", params={"next": "https://evil.example/"})
    assert "evil" not in out.headers["location"]
    assert (
        "redirect_uri=" + site.url.replace(":", "%3A").replace("/", "%2F")
        in out.headers["location"]
    )
    forged = site.client().get("/auth/callback", params={"code": "x", "state": "forged"})
    assert forged.status_code == 400 and "location" not in forged.headers
    # Signed out, every trust path goes to the sign-in page, whichever code it names.
    for path in ("/trusts/RV3/", "/trusts/XXX/", "/trusts/RV3/reports/history.html"):
        assert site.client().get(path).headers["location"] == "/"


def test_every_answer_carries_the_security_headers(site):
    alice = site.signed_in("alice")
    cookie = alice.last_sign_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    for answer in (alice.get("/"), alice.get("/trusts/RV3/"), alice.get("/trusts/RWK/")):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in answer.headers  # plain http here
    page = alice.get("/trusts/RV3/").text
    assert "<script>" not in page and "style=" not in page  # nothing inline to allow


@pytest.mark.parametrize(
    ("name", "data", "period", "says"),
    [
        ("return.pdf", b"%PDF-1.7 ...", PERIOD, "is not a CSV, Excel (.xlsx) or Parquet file"),
        ("return.csv", b"%PDF-1.7 ...", PERIOD, "is named .csv but is not a .csv file inside"),
        ("return.xlsx", b"staff_id,fte\n", PERIOD, "is named .xlsx but is not a .xlsx file"),
        ("return.csv", b"", PERIOD, "is empty"),
        ("return.csv", b"a,b\n", "2025-08", "August 2025 has not ended"),
        ("return.csv", b"a,b\n", "2023-06", "The collection starts with April 2024"),
        ("return.csv", b"a,b\n", "June", "Choose the month the return is for"),
        ("C:\\fakepath\\..\\x<y>.csv", b"a,b\n", PERIOD, "characters a file name cannot have"),
        ("\x1b[2J.csv", b"a,b\n", PERIOD, "characters a file name cannot have"),
    ],
)
def test_a_refused_upload_says_why_and_is_never_stored(site, name, data, period, says):
    alice = site.signed_in("alice")
    before = rv3_keys(site)
    answer = post_return(alice, name, data, period)
    assert answer.status_code == 400
    assert says in answer.text.replace("&#39;", "'")
    assert 'class="nhsuk-error-summary"' in answer.text
    assert rv3_keys(site) == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(site):
    alice = site.signed_in("alice")
    big = b"staff_id\n" + b"1\n" * 27_000_000  # 54 MB: over the standard's 50 MB
    answer = post_return(alice, "big.csv", big)
    assert answer.status_code == 413
    assert "larger than 50 MB" in answer.text
    assert "returns/2025-06/big.csv" not in rv3_keys(site)


def test_an_upload_is_stored_as_any_s3_upload_and_audited_with_its_reports(site, good_return):
    alice = site.signed_in("alice")
    answer = post_return(alice, "RV3 June.csv", good_return)
    assert answer.status_code == 303
    result = alice.get(answer.headers["location"])
    assert "June 2025 return: accepted" in result.text
    assert "returns/2025-06/RV3 June.csv" in rv3_keys(site)
    submission_id = answer.headers["location"].rsplit("/", 1)[1]
    status = alice.get(answer.headers["location"] + "/status.json").json()
    assert status == {"report": None}  # the pipeline has not run yet

    done = psw(site.env, "run", "--intake-only")
    assert done.returncode == 0, done.stdout + done.stderr
    href = alice.get(answer.headers["location"] + "/status.json").json()["report"]
    assert href == "/trusts/RV3/reports/2025-06/RV3 June.csv.report.html"
    report = alice.get(href)
    assert report.status_code == 200 and "PSW workforce return report" in report.text
    assert "style-src 'unsafe-inline'" in report.headers["content-security-policy"]
    assert "script-src" not in report.headers["content-security-policy"]  # nothing runs
    # The interface's form of the route (the upload's own name) finds the same report.
    assert alice.get("/trusts/RV3/reports/2025-06/RV3 June.csv").text == report.text
    # The receipt's id is the pipeline's: its ledger entry has it.
    from psw.lake.layout import Lake

    assert Lake(site.data_dir).outcome("RV3", submission_id)["status"] == "accepted"

    audit = psw(site.env, "portal", "audit", "--last", "50").stdout
    assert re.search(rf"{ALICE}\tupload\tRV3\treturns/2025-06/RV3 June.csv \(", audit)
    assert re.search(
        rf"{ALICE}\tdownload\tRV3\tfeedback/2025-06/RV3 June.csv.report.html\tsent", audit
    )
    assert re.search(r"\tupload-refused\tRV3\treturn.pdf\t", audit)
    # A name's control characters reach the operator's terminal as codes, never as escapes.
    assert "\x1b" not in audit and "\\u001b[2J.csv" in audit


def test_downloads_findings_csv_standard_and_history(site):
    from psw.standard.reference import trusts
    from psw.synth import build_faults

    alice = site.signed_in("alice")
    faults, _ = build_faults(trusts()["RV3"], ["2025-04", "2025-05"], seed=4)
    invalid = next(f.data for f in faults if f.name == "CODE_INVALID")
    # A value that Excel would run as a formula, in a free-text column.
    lines = invalid.decode().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("local_job_title")] = "=HYPERLINK(evil)"
    lines[1] = ",".join(cells)
    answer = post_return(alice, "faulty.csv", "\n".join(lines).encode(), period="2025-05")
    result = alice.get(answer.headers["location"])
    assert "May 2025 return: rejected" in result.text
    findings = alice.get(answer.headers["location"] + "/findings.csv")
    assert findings.headers["content-type"].startswith("text/csv")
    assert 'filename="faulty.csv.findings.csv"' in findings.headers["content-disposition"]
    rows = findings.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "severity,row,column,rule_id,problem,value"
    assert any(",CODE_INVALID," in row for row in rows)
    assert not any(row.split(",")[-1].startswith("=") for row in rows)  # never a formula

    for name, starts in (
        ("psw_return_template.xlsx", b"PK"),
        ("psw_return_template.csv", b"trust_ods_code,"),
        ("return-spec.html", b"<!DOCTYPE html>"),
    ):
        got = site.client().get(f"/standard/{name}")  # the standard is open to all
        assert got.status_code == 200 and got.content.startswith(starts), name
    assert site.client().get("/standard/../portal.sqlite3").status_code == 404

    done = psw(site.env, "run", "--intake-only")
    assert done.returncode == 0, done.stdout + done.stderr
    history = alice.get("/trusts/RV3/reports/history.json")
    assert history.json()["trust_ods_code"] == "RV3"
    platform = alice.get("/trusts/RV3/reports/2025-05/faulty.csv.report.csv")
    assert platform.status_code == 200 and ",CODE_INVALID," in platform.text


def test_a_stored_upload_gets_the_s3_paths_protections(site):
    """Bombs and personal data: the portal stores the file, then the same rules reject it."""
    import io
    import zipfile

    alice = site.signed_in("alice")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 150_000_000 + b"</a>")
    answer = post_return(alice, "bomb.xlsx", bomb.getvalue())
    assert "return: rejected" in alice.get(answer.headers["location"]).text
    header = "trust_ods_code,reporting_period_end,staff_id,full_name,nhs_number"
    personal = f"{header}\nRV3,2025-06-30,A1,Jane Smith,943 476 5919\n".encode()
    answer = post_return(alice, "names.csv", personal)
    page = alice.get(answer.headers["location"]).text
    assert "return: rejected" in page and "PERSONAL_DATA" in page
    assert "Jane Smith" not in page and "943 476 5919" not in page  # never repeated back


def test_a_fault_on_our_side_is_said_plainly_and_nothing_is_half_done(site, good_return):
    import boto3
    from botocore.config import Config

    from psw.storage import free_port

    alice = site.signed_in("alice")
    state = site.app.state.portal
    saved_s3, saved_lake = state.s3, state.lake
    state.s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        aws_access_key_id="x",
        aws_secret_access_key="y",
        region_name="eu-west-2",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    try:
        down = post_return(alice, "store-down.csv", good_return)
        assert down.status_code == 503 and "Your file could not be stored" in down.text

        class Broken:
            def outcomes(self, *args, **kwargs):
                raise RuntimeError("the lake is out of reach")

        state.s3, state.lake = saved_s3, Broken()
        failed = alice.get("/trusts/RV3/")
        assert failed.status_code == 500
        assert "something went wrong on our side" in failed.text
        assert "Traceback" not in failed.text and "out of reach" not in failed.text
    finally:
        state.s3, state.lake = saved_s3, saved_lake
    assert "returns/2025-06/store-down.csv" not in rv3_keys(site)
    assert "store unreachable" in psw(site.env, "portal", "audit", "--last", "5").stdout


def test_the_same_name_again_is_a_new_upload_and_a_names_tricks_are_shown_not_obeyed(
    site, good_return
):
    alice = site.signed_in("alice")
    name = "RV3 \u202eenuJ.csv"  # a right-to-left override, to make the name read otherwise
    first = post_return(alice, name, good_return)
    again = post_return(alice, name, good_return)  # the same key and bytes, uploaded again
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] != again.headers["location"]  # each its own receipt
    for answer in (first, again):
        page = alice.get(answer.headers["location"]).text
        assert "\u202e" not in page and "RV3 \\u202eenuJ.csv" in page


def test_uploads_per_person_are_limited(site, good_return):
    alice = site.signed_in("alice")
    state = site.app.state.portal
    saved, state.uploads = state.uploads, RateLimit(1)
    try:
        assert post_return(alice, "first.csv", good_return).status_code == 303
        again = post_return(alice, "second.csv", good_return)
        assert again.status_code == 429 and "Too many uploads" in again.text
        assert "returns/2025-06/second.csv" not in rv3_keys(site)
        assert post_return(site.signed_in("ben"), "x.csv", b"a", ods="RWK").status_code != 429
    finally:
        state.uploads = saved


def test_grants_are_the_platforms_to_give_and_take(site):
    env = site.env
    assert psw(env, "portal", "grant", "Carol@Example.NHS.uk", "rx4").returncode == 0
    users = psw(env, "portal", "users").stdout
    assert "carol@example.nhs.uk\tRX4\t" in users and f"{ALICE}\tRV3\t" in users
    assert psw(env, "portal", "grant", "carol", "RX4").returncode == 2  # not an address
    assert psw(env, "portal", "grant", "carol@example.nhs.uk", "ZZZ").returncode == 2
    ben = site.signed_in("ben")
    assert ben.get("/trusts/RWK/").status_code == 200
    assert psw(env, "portal", "revoke", "ben@rwk.nhs.uk", "RWK").returncode == 0
    assert ben.get("/trusts/RWK/").status_code == 404  # at once, same session
    psw(env, "portal", "grant", "ben@rwk.nhs.uk", "RWK")
    audit = psw(env, "portal", "audit").stdout
    assert re.search(r"operator:\S+\trevoke\tRWK\tben@rwk.nhs.uk\trevoked", audit)
