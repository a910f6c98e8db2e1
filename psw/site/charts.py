"""Vega-Lite charts drawn to SVG, each drawn once.

Drawing is most of a page's cost (about 0.1 s a chart with vl-convert, against
milliseconds for the rest), and most charts are the same from one publish to the next:
one upload changes its trust's charts, its region's and England's, not the other 48
trusts'. So an SVG is kept under the hash of its specification (and of vl-convert's
version) in a cache folder, and drawn again only when the specification changes. Entries
not used for `KEEP_DAYS` are removed, so the folder holds about one report's charts.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextvars import ContextVar
from importlib import metadata
from pathlib import Path

KEEP_DAYS = 14
_folder: ContextVar[Path | None] = ContextVar("chart_cache", default=None)


@contextlib.contextmanager
def cached_in(folder: Path) -> Iterator[None]:
    """Charts drawn inside this block are kept in, and read from, `folder`; entries
    unused for KEEP_DAYS are removed when it ends."""
    folder.mkdir(parents=True, exist_ok=True)
    token = _folder.set(folder)
    try:
        yield
    finally:
        _folder.reset(token)
        _prune(folder, time.time() - KEEP_DAYS * 86400)


def svg(spec: dict) -> str:
    """The chart as SVG: from the cache when it holds this specification."""
    import vl_convert  # the chart engine is loaded only where pages are built

    folder = _folder.get()
    if folder is None:
        return vl_convert.vegalite_to_svg(spec)
    text = json.dumps(spec, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{_engine_version()}\n{text}".encode()).hexdigest()
    path = folder / f"{digest}.svg"
    try:
        drawn = path.read_text(encoding="utf-8")
        os.utime(path)  # used: kept by the next prune
        return drawn
    except FileNotFoundError:
        pass
    drawn = vl_convert.vegalite_to_svg(spec)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(drawn, encoding="utf-8")
    partial.replace(path)  # never half a chart, even with two builders at once
    return drawn


@functools.cache
def _engine_version() -> str:
    """A new vl-convert may draw differently: its charts are kept apart."""
    return metadata.version("vl-convert-python")


def _prune(folder: Path, before: float) -> None:
    for path in folder.iterdir():  # charts, and what a killed builder half wrote
        with contextlib.suppress(FileNotFoundError):  # another builder pruned it
            if path.stat().st_mtime < before:
                path.unlink()
