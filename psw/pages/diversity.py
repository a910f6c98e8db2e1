"""The workforce's diversity beside a cited reference (reference_population.yaml)."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import yaml

from psw.pages import blocks as b
from psw.pages.published import Published


@cache
def _reference() -> dict:
    return yaml.safe_load((Path(__file__).with_name("reference_population.yaml")).read_text())


def ethnicity(data: Published, rows: list[tuple], title: str) -> str:
    """England's workforce by ethnic group beside the population (a cited reference),
    both as shares of those whose group is stated."""
    reference = _reference()["ethnic_group"]
    stated = [r for r in rows if r[3] in reference["shares"]]
    total = sum(r[1] or 0 for r in stated)
    values, body = [], []
    for label, headcount, share, code in rows:
        population = reference["shares"].get(code)
        of_stated = headcount / total if population is not None and total else None
        body.append(
            [
                label,
                b.count(headcount),
                b.percent(share),
                b.percent(of_stated),
                "" if population is None else f"{population:.1f}%",
            ]
        )
        if population is not None:
            values.append(b.share(label, of_stated, series="peer support workers"))
            values.append(b.share(label, population / 100, series="population (Census 2021)"))
    chart = b.bar_chart(
        values,
        f"{title}: peer support workers whose group is stated, "
        f"{data.latest:%B %Y}, beside the population",
        series="series",
    )
    source = (
        f"<p>Reference: <a href='{html.escape(reference['url'])}'>"
        f"{html.escape(reference['title'])}</a> ({html.escape(reference['publisher'])}). "
        f"{html.escape(reference['caveat'])} No published reference matching the standard's "
        "codes was found for gender, age band or disability, so those are shown alone.</p>"
    )
    header = ["category", "headcount", "share", "share of those stated", "population"]
    return b.section(f"{title}, {data.latest:%B %Y}", chart, source, b.table(header, body, title))
