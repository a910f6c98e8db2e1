"""The methodology page (`methodology.html`): docs/measures.md, the project's statement of
every measure, its coverage, disclosure control and revisions policy, rendered as it
stands in the repository, so the page and the doc never differ.

The doc's links to the repository's other files (decision records, other docs) are shown
as their text: the report stands alone, without the repository beside it. Raw HTML in the
doc is shown as text, never run.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from psw.core.paths import project_root
from psw.site import blocks as b
from psw.site.blocks import Links

PAGE = "methodology.html"
SOURCE = "docs/measures.md"
NOTE = (
    "How every published figure is defined and counted, how it is protected, and when it "
    "may change. The same text is kept with the platform's code, beside the tests that hold "
    "the figures to it."
)
_LOCAL_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://)[^)]*\)")


def methodology_html(text: str) -> list[str]:
    """The doc as HTML sections, one per `##` heading (its `#` title is the page's)."""
    from markdown_it import MarkdownIt  # only where the report is built

    text = _LOCAL_LINK.sub(r"\1", text)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
    parts = re.split(r"^## (.+)$", body, flags=re.M)
    render = MarkdownIt("commonmark", {"html": False}).render
    sections = [str(Markup(render(parts[0])))] if parts[0].strip() else []
    for title, part in zip(parts[1::2], parts[2::2], strict=True):
        sections.append(b.section(title.strip(), render(part)))
    return sections


def methodology_page(stamp: str, links: Links, footer: Links = ()) -> str:
    text = (project_root() / SOURCE).read_text(encoding="utf-8")
    return b.report_page("Methodology", stamp, NOTE, methodology_html(text), links, footer)
