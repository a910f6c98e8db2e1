"""The workforce's diversity beside a cited reference (published.ref_population)."""

from __future__ import annotations

from markupsafe import Markup

from psw.site import blocks as b
from psw.site.published import Published


def ethnicity(data: Published, rows: list[tuple], title: str) -> str:
    """England's workforce by ethnic group beside the population (a cited reference),
    both as shares of those whose group is stated."""
    reference = data.reference_population("ethnic_group")
    stated = [r for r in rows if r[3] in reference]
    total = sum(r[1] or 0 for r in stated)
    values, body = [], []
    for label, headcount, share, code in rows:
        population = reference[code][0] if code in reference else None
        of_stated = headcount / total if population is not None and total else None
        body.append(
            [
                label,
                b.count(headcount),
                b.percent(share),
                b.percent(of_stated),
                "" if population is None else f"{population:.1%}",
            ]
        )
        if population is not None:
            values.append(b.share(label, of_stated, series="peer support workers"))
            values.append(b.share(label, population, series="population (Census 2021)"))
    chart = b.bar_chart(
        values,
        f"{title}: peer support workers whose group is stated, "
        f"{data.latest:%B %Y}, beside the population",
        series="series",
    )
    cited = {(source, url, note) for _, source, url, note in reference.values()}
    source = "".join(
        Markup(
            "<p>Reference: <a href='{}'>{}</a> {} No published reference matching the "
            "standard's codes was found for gender, age band or disability, so those are "
            "shown alone.</p>"
        ).format(url, citation, note)
        for citation, url, note in sorted(cited)
    )
    header = ["category", "headcount", "share", "share of those stated", "population"]
    return b.section(
        f"{title}, {data.latest:%B %Y}",
        chart,
        source,
        b.table(header, body, title, download="psw_role_diversity"),
    )
