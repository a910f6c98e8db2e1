"""The trusts' portal in a real browser (Playwright driving Debian's chromium) against a
real OpenID Connect provider, a real S3 server, a real SMTP server and the real pipeline:
sign in as RV3's data officer, upload a good and a faulty return, see each result and
receipt at once, see the platform's report appear when `psw run` writes it, receive both
outcomes by email; RWK's pages, reports and upload route answer 404; a forged or missing
CSRF token is refused; axe finds no WCAG A/AA violation on any page seen."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.accessibility import AXE, TAGS, chromium
from tests.helpers import psw
from tests.portal_servers import portal_platform

pytestmark = pytest.mark.skipif(chromium() is None, reason="needs Debian's chromium")

PERIOD, FAULTY_PERIOD = "2025-06", "2025-05"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal")
    with portal_platform(root) as portal:
        yield portal


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    """A clean June return and a faulty (rejected) May one for RV3, as files."""
    from psw.standard.reference import trusts
    from psw.synth import build_faults, encode, simulate

    folder = tmp_path_factory.mktemp("files")
    good = folder / "RV3_PSW_2025-06.csv"
    rows = dict(simulate(trusts()["RV3"], [PERIOD], seed=3, staff=40))[PERIOD]
    good.write_bytes(encode(rows, "csv"))
    faults, _ = build_faults(trusts()["RV3"], ["2025-04", FAULTY_PERIOD], seed=3)
    faulty = folder / "RV3_May_codes_wrong.csv"
    faulty.write_bytes(next(f.data for f in faults if f.name == "CODE_INVALID"))
    return good, faulty


def axe(page) -> list[dict]:
    """axe's WCAG A/AA violations on the page as shown (the context lets the engine in)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']}).then(r => r.violations.map(v => "
        "({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))",
        TAGS,
    )


def sign_in(context, site, who: str):
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who, exact=True).click()  # the provider's own page
    page.wait_for_url(site.url + "/")
    return page


def upload(page, site, period: str, path) -> None:
    page.goto(site.url + "/trusts/RV3/")
    page.get_by_label("Month the return is for").select_option(period)
    page.get_by_label("Your return").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/trusts/RV3/uploads/[0-9a-f]+$"))


def test_a_trust_uploads_sees_results_and_reports_and_nothing_of_another(site, browser, returns):
    good, faulty = returns
    context = browser.new_context(bypass_csp=True)  # only so axe can be added to pages
    page = sign_in(context, site, "alice")
    violations = {"home": axe(page)}
    assert page.get_by_role("heading", name="Your trusts").is_visible()
    assert "RWK" not in page.content()  # Ben's trust is not Alice's
    page.get_by_role("link", name=re.compile("Central and North West London")).click()
    violations["trust"] = axe(page)

    upload(page, site, PERIOD, good)
    assert page.get_by_role("heading", level=1).inner_text() == "June 2025 return: accepted"
    receipt = page.locator(".nhsuk-summary-list").inner_text()
    assert hashlib.sha256(good.read_bytes()).hexdigest() in receipt
    assert good.name in receipt and "Received" in receipt
    good_result = page.url
    violations["accepted"] = axe(page)

    upload(page, site, FAULTY_PERIOD, faulty)
    assert page.get_by_role("heading", level=1).inner_text() == "May 2025 return: rejected"
    assert "CODE_INVALID" in page.locator("main").inner_text()
    violations["rejected"] = axe(page)

    # Both are objects in RV3's bucket, exactly where an S3 upload would be.
    keys = {o["Key"] for o in site.s3.list_objects_v2(Bucket="psw-rv3")["Contents"]}
    assert {f"returns/{PERIOD}/{good.name}", f"returns/{FAULTY_PERIOD}/{faulty.name}"} <= keys

    # The pipeline picks them up as any upload; the result page shows its report when
    # written (its script asks every 3 s and reloads).
    page.goto(good_result)
    assert page.get_by_text("The platform is processing this upload").is_visible()
    done = psw(site.env, "run", "--intake-only")
    assert done.returncode == 0, done.stdout + done.stderr
    link = page.get_by_role("link", name="Read its report")
    link.wait_for(timeout=20_000)
    violations["processed"] = axe(page)
    link.click()
    assert "Accepted" in page.locator("main").inner_text()

    # Both reports' outcomes by email, to RV3's portal user only, each with its link.
    mail = {m["Subject"]: m.get_content() for m in site.mail_to("alice@cnwl.nhs.uk")}
    assert set(mail) == {"RV3 June 2025 return: accepted", "RV3 May 2025 return: rejected"}
    assert site.mail_to("ben@rwk.nhs.uk") == []
    link = re.search(r"Read the report: (\S+)", mail["RV3 May 2025 return: rejected"]).group(1)
    page.goto(link)
    assert "Rejected" in page.locator("main").inner_text()

    page.goto(site.url + "/trusts/RV3/")
    months = page.locator("table").first.inner_text()
    assert re.search(r"June 2025\s+Accepted", months), months
    assert re.search(r"May 2025\s+Rejected", months), months

    # Another trust's pages, reports and upload route: 404, as a code that is no trust.
    for path in (
        "/trusts/RWK/",
        "/trusts/RWK/reports/history.html",
        f"/trusts/RWK/reports/{PERIOD}/r.csv",
        "/trusts/XXX/",
    ):
        answer = page.goto(site.url + path)
        assert answer.status == 404, path
    violations["not found"] = axe(page)
    token = _token(page, site)
    posted = page.request.post(
        site.url + "/trusts/RWK/returns",
        multipart={
            "period": PERIOD,
            "csrf_token": token,
            "file": {"name": "x.csv", "mimeType": "text/csv", "buffer": good.read_bytes()},
        },
    )
    assert posted.status == 404

    # A forged or missing CSRF token: refused, nothing stored.
    before = site.s3.list_objects_v2(Bucket="psw-rv3")["KeyCount"]
    for fields in ({"csrf_token": "forged"}, {}):
        answer = page.request.post(
            site.url + "/trusts/RV3/returns",
            multipart={
                "period": PERIOD,
                **fields,
                "file": {"name": "y.csv", "mimeType": "text/csv", "buffer": good.read_bytes()},
            },
        )
        assert answer.status == 403
    assert site.s3.list_objects_v2(Bucket="psw-rv3")["KeyCount"] == before

    # A file refused before storage: the form again, with an error summary saying why.
    page.goto(site.url + "/trusts/RV3/")
    pdf = {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7"}
    page.get_by_label("Your return").set_input_files(files=[pdf])
    page.get_by_role("button", name="Upload and check").click()
    assert "is not a CSV, Excel (.xlsx) or Parquet file" in page.get_by_role("alert").inner_text()
    violations["refused"] = axe(page)

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="You have signed out").is_visible()
    violations["signed out"] = axe(page)
    assert page.goto(site.url + "/trusts/RV3/").url == site.url + "/"  # sign in first
    violations["sign in"] = axe(page)
    context.close()
    assert {name: found for name, found in violations.items() if found} == {}


def _token(page, site) -> str:
    html = page.request.get(site.url + "/trusts/RV3/").text()
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
