"""dbt's folder per build, in the data directory, and the parse kept between builds.

dagster-dbt gives each build its own target folder, so a build never finds the parse the
one before it left (`partial_parse.msgpack`) and parses the whole project again: 9 s of a
14 s dbt build on 2 cores, against 4 s when it reuses it (issue 21). dbt reuses a parse
only when the profile is unchanged, and the profile names the data directory (the
warehouse's path), so the parse is kept there, beside the build folders, not in the
project: two data directories on one checkout (the demo, tests) never undo each other's.
dbt itself checks that a kept parse still matches the project and parses again what
changed, as with its own target folder; a parse it cannot read costs one whole parse.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

PARSE = "partial_parse.msgpack"


def new_build_folder(builds: Path, prefix: str, run_id: str) -> Path:
    """A fresh folder for one build (`<prefix>-<run>-<id>`), holding the kept parse."""
    folder = builds / f"{prefix}-{run_id[:8]}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    kept = builds / PARSE
    if kept.exists():
        shutil.copyfile(kept, folder / PARSE)
    return folder


def keep_parse(folder: Path) -> None:
    """Keep the parse a build made for the next one (renamed into place: a build killed
    mid-copy leaves the older parse, never half of one)."""
    made = folder / PARSE
    if not made.exists():
        return
    partial = folder.parent / f".{PARSE}.{os.getpid()}"
    shutil.copyfile(made, partial)
    partial.replace(folder.parent / PARSE)


def prune_build_folders(builds: Path, prefix: str, keep: int = 5) -> int:
    """Remove all but the `keep` newest build folders (`<prefix>-*`, ~8 MB each, one per
    build: a year of uploads would fill the disk). The newest keep their run results and
    compiled SQL for an operator to read."""
    folders = sorted(
        (p for p in builds.glob(f"{prefix}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return len(folders[keep:])
