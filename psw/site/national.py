"""The national PSW workforce report: a static site built from the `published` schema only.

Pages: `index.html` (England), one per region (`region-<code>.html`) and one per trust
(`trust-<ods>.html`); beside them the data dictionary, the methodology, the data-quality
and accessibility statements and the downloads; all written to a temporary folder and
swapped in whole, so a reader never sees half a report. Every count is shown as
published: perturbed, as the ONS did for Census 2021 (docs/disclosure-control.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from psw.core.pages import write_stylesheet
from psw.core.settings import current as settings
from psw.site import blocks as b
from psw.site import quality
from psw.site import research as r
from psw.site import sections as s
from psw.site.accessibility import PAGE as ACCESSIBILITY
from psw.site.accessibility import accessibility_page
from psw.site.charts import cached_in
from psw.site.dictionary import DBT_DOCS, dictionary_page
from psw.site.dictionary import PAGE as DICTIONARY
from psw.site.downloads import FOLDER, WORKBOOK, write_downloads
from psw.site.methodology import PAGE as METHODOLOGY
from psw.site.methodology import methodology_page
from psw.site.published import Published
from psw.site.quality_statement import PAGE as QUALITY_STATEMENT
from psw.site.quality_statement import quality_statement_page
from psw.warehouse.releases import calendar
from psw.warehouse.writer import REPORT_SOURCE, remove_leftovers, serving_identity

# The breakdowns of psw_role_diversity shown on the national page, in this order.
DIVERSITY = [
    ("peer_supervision", "Supervision"),
    ("training", "Training"),
    ("ethnic_group", "Ethnic group"),
    ("gender_identity", "Gender"),
    ("age_band", "Age band"),
    ("disability", "Disability"),
]
NOTE = (
    "Every count is protected by adding a little noise (about a third are unchanged, most "
    "move by 1 or 2), the same wherever the same people are counted, so no small count can "
    "be worked out from totals or tables together: a region need not add up to its trusts "
    "exactly, and small counts are approximate. Shares and rates come from these counts. "
    "The latest month is provisional and grows as trusts' returns arrive; a month marked "
    "<i>revised</i> changed after a later month was published (a late or corrected return)."
)


# Every page's footer: how the figures are made, what each column means, accessibility.
FOOTER = [
    ("index.html", "England"),
    (METHODOLOGY, "Methodology"),
    (DICTIONARY, "Data dictionary"),
    (QUALITY_STATEMENT, "Data quality"),
    (ACCESSIBILITY, "Accessibility and contact"),
]


@dataclass(frozen=True)
class ReportBuilt:
    folder: Path
    pages: int
    seconds: float


def build_report(
    serving: Path,
    out: Path,
    charts: Path | None = None,
    release: dict[str, str] | None = None,
    docs: Path | None = None,
) -> ReportBuilt:
    """Write the site for the serving database at `serving` to the folder `out`, keeping
    the charts drawn in `charts` (Lake.chart_cache) when given; `release` (its manifest)
    when these are an official release's frozen figures; `docs`, the static dbt docs
    page (psw.warehouse.dbt_docs), copied to dbt-docs/index.html and linked from the
    data dictionary."""
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out.parent, out.name)  # what a killed build left
    staging = out.with_name(f".{out.name}.{os.getpid()}.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    source = serving_identity(serving)  # before reading: a publish meanwhile makes it stale
    with Published(serving, release) as data, cached_in(charts) if charts else nullcontext():
        pages = [("index.html", national_page(data))]
        for code, name in data.regions:
            pages.append((f"region-{code}.html", region_page(data, code, name)))
        for ods, name, region in data.trusts:
            pages.append((f"trust-{ods}.html", trust_page(data, ods, name, region)))
        home, stamp = [("index.html", "England")], _stamp(data)
        pages.append((DICTIONARY, dictionary_page(data, home, stamp, FOOTER, docs is not None)))
        pages.append((METHODOLOGY, methodology_page(stamp, home, FOOTER)))
        statement = quality_statement_page(data, stamp, home, FOOTER)
        pages.append((QUALITY_STATEMENT, statement))
        contact = settings().contact
        pages.append((ACCESSIBILITY, accessibility_page(stamp, home, FOOTER, contact)))
        write_downloads(data.db, staging, workbook_notes(data))
    for name, text in pages:
        (staging / name).write_text(text, encoding="utf-8")
    write_stylesheet(staging)  # one copy, which every page links
    if docs is not None:
        (staging / DBT_DOCS).parent.mkdir()
        shutil.copyfile(docs, staging / DBT_DOCS)
    (staging / REPORT_SOURCE).write_text(source)
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return ReportBuilt(out, len(pages), time.monotonic() - started)


def national_page(data: Published) -> str:
    sections = [
        s.trend(data, "national", "ENG", "England"),
        s.bands(data, "national", "ENG"),
        s.pay(data, "national", "ENG"),
        s.roles(data, "national", "ENG"),
        r.retention(data, "national", "ENG"),
        r.progression(data, "national", "ENG"),
        r.supervision_and_training(data, "national", "ENG"),
        s.regions(data),
        *[s.breakdown(data, "national", "ENG", d, t) for d, t in DIVERSITY],
        quality.quality_nationally(data),
        s.grid(data, None),
    ]
    links = [(f"region-{code}.html", name) for code, name in data.regions]
    return _page("Peer support workers in England", data, sections, links, ("national", "ENG"))


def region_page(data: Published, code: str, name: str) -> str:
    sections = [
        s.trend(data, "region", code, name),
        s.bands(data, "region", code),
        s.pay(data, "region", code),
        s.roles(data, "region", code),
        r.retention(data, "region", code),
        r.progression(data, "region", code),
        r.supervision_and_training(data, "region", code),
        s.grid(data, code),
    ]
    links = [("index.html", "England")] + [
        (f"trust-{ods}.html", trust) for ods, trust, region in data.trusts if region == code
    ]
    return _page(f"Peer support workers in {name}", data, sections, links, ("region", code))


def trust_page(data: Published, ods: str, name: str, region: str) -> str:
    sections = [
        s.trend(data, "trust", ods, name),
        s.compared(data, ods, region),
        s.pay(data, "trust", ods),
        s.roles(data, "trust", ods),
        r.retention(data, "trust", ods),
        r.progression(data, "trust", ods),
        r.supervision_and_training(data, "trust", ods),
        quality.quality(data, ods),
    ]
    links = [("index.html", "England"), (f"region-{region}.html", data.region_name(region))]
    return _page(f"Peer support workers at {name}", data, sections, links, ("trust", ods))


def workbook_notes(data: Published) -> list[tuple[str, str]]:
    """The downloads' notes sheet: what the figures are, as at when, and how protected."""
    return [
        ("title", "Peer support workers in NHS mental health services in England"),
        (
            "source",
            "Monthly workforce returns from each NHS trust, validated against the PSW "
            "workforce return standard; the published schema of the platform's serving "
            "database, one sheet per table.",
        ),
        ("figures as at", data.built),
        ("latest month", f"{data.latest:%B %Y}" if data.latest else "none yet"),
        (
            "status",
            f"Official release {data.release['release_month']}, published "
            f"{data.release['published_at']} UTC: these figures never change."
            if data.release
            else "Provisional: management information that changes as returns arrive and are "
            "corrected.",
        ),
        ("disclosure control", NOTE.replace("<i>", "").replace("</i>", "")),
    ]


def _stamp(data: Published) -> Markup:
    """When the figures are from, and whether they are an official release or provisional
    (with links to the releases made: the live report sits beside their folder)."""
    latest = f"{data.latest:%B %Y}" if data.latest else "no month yet"
    if data.release:
        return Markup(
            "Official release: the figures for months to {}, published {} UTC (as at {} UTC). "
            "A release never changes; later figures, provisional, are in "
            "<a href='../../../report/index.html'>the live report</a>."
        ).format(latest, data.release["published_at"][:16], data.release["figures_as_at"][:16])
    stamp = Markup(
        "Data to {}; built {} from the platform's published tables. "
        "<strong>Provisional</strong>: management information that changes as returns "
        "arrive and are corrected."
    ).format(latest, data.built)
    if data.releases:
        links = Markup(", ").join(
            Markup("<a href='../releases/{}/report/index.html'>{}</a>").format(m, m)
            for m in data.releases
        )
        stamp += Markup(" Official releases, which never change: {}.").format(links)
    return stamp + _calendar_note(data, dt.datetime.now(dt.UTC).date())


def _calendar_note(data: Published, today: dt.date) -> str:
    """The release calendar as it stands: a release due and not made, and the next one."""
    made = data.releases[-1] if data.releases else None
    standing = calendar(made, today)
    note = ""
    if standing.overdue and data.latest and standing.overdue[0] <= f"{data.latest:%Y-%m}":
        month, due = standing.overdue
        note += f" The official release of {_month(month)}'s figures was due on {due:%-d %B %Y}."
    month, due = standing.upcoming
    return (
        note
        + f" The next official release, of {_month(month)}'s figures, is due on {due:%-d %B %Y}."
    )


def _month(month: str) -> str:
    return f"{dt.date(int(month[:4]), int(month[5:]), 1):%B %Y}"


def _page(title: str, data: Published, sections: list[str], links, place) -> str:
    stamp = _stamp(data) + Markup(
        f" Every table: <a href='{FOLDER}/{WORKBOOK}'>one workbook (XLSX)</a>, or the CSV "
        f"linked below each table; what each column means: <a href='{DICTIONARY}'>the data "
        "dictionary</a>."
    )
    lead = s.headline(data, *place)
    return b.report_page(title, stamp, NOTE, sections, links, FOOTER, lead=lead)
