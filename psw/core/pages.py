"""One page system: every page people read is a Jinja2 template (autoescaped) extending
one base layout, styled by one stylesheet, NHS.UK frontend's (the subset in
`static/nhsuk-subset.scss`, compiled and committed: nothing is fetched when a page is
written or read) and the few rules of the platform's own in `templates/psw.css`.

A page in a trust's bucket (its report, its history) or the spec page must stand alone:
the stylesheet goes inside it. The national report is a folder of pages: each links one
copy written beside them (`write_stylesheet`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

SERVICE = "PSW workforce data platform"
STYLESHEET = "psw.css"  # the file name beside a folder of pages


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("psw.core", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails the page, not silently blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(service=SERVICE, stylesheet=stylesheet)
    env.filters["code_spans"] = code_spans
    return env


def code_spans(text: object) -> Markup:
    """Text whose `backticked` parts are literal: escaped, those parts shown as code."""
    parts = str(text).split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(p) if i % 2 else Markup.escape(p)
        for i, p in enumerate(parts)
    )


@cache
def stylesheet() -> Markup:
    """NHS.UK frontend's subset, then the platform's own rules (trusted: files of the
    package, never data)."""
    static = resources.files("psw.core") / "static" / "nhsuk-subset.min.css"
    own = resources.files("psw.core") / "templates" / "psw.css"
    return Markup(static.read_text(encoding="utf-8") + "\n" + own.read_text(encoding="utf-8"))


def write_stylesheet(folder: Path) -> Path:
    path = folder / STYLESHEET
    path.write_text(str(stylesheet()), encoding="utf-8")
    return path


def render(template: str, **context: Any) -> str:
    """A whole page from `templates/<template>`; `stylesheet_href` links the stylesheet
    instead of putting it inside the page."""
    context.setdefault("stylesheet_href", None)
    context.setdefault("footer_links", [])
    return environment().get_template(template).render(**context)


def macros() -> Any:
    """The building blocks (`templates/macros.html`) for pages whose parts are put
    together in Python: each returns autoescaped HTML."""
    return environment().get_template("macros.html").module
