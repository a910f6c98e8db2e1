"""dbt's documentation of the project, as one static page beside the report (issue 24).

`dbt docs generate --static` writes every model, test, seed, source and exposure with its
description, code and lineage into one self-contained HTML file. It is made once per
version of the dbt project (`project_fingerprint`) and kept in a cache the reports copy
from, as it takes 15-20 s of dbt. It is generated in a scratch data folder with an empty
catalog, on DuckDB: it never opens the warehouse (a build may hold it) and never asks a
server; the column types analysts need are in the data dictionary, from the serving file.

The page carries dbt's usage tracker, which runs only when the manifest says
`send_anonymous_usage_stats: true`; psw runs dbt with it off (DO_NOT_TRACK), and a page
that says otherwise is refused rather than published (NHS data: nothing phones home).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from psw.core.settings import environment
from psw.warehouse.writer import dbt_command, dbt_environment, project_fingerprint

TRACKING_OFF = '"send_anonymous_usage_stats": false'


def static_docs(cache: Path) -> Path:
    """The static dbt docs page of the project as it stands, made when `cache` lacks it."""
    target = cache / f"dbt-docs-{project_fingerprint()}.html"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".generate-") as work:
        scratch = Path(work)
        env = {**environment(), **dbt_environment(scratch), "PSW_WAREHOUSE": "duckdb"}
        env.pop("PSW_LAKE_URL", None)  # the scratch folder's own (empty) lake
        done = subprocess.run(
            dbt_command(
                "docs", "generate", "--static", "--empty-catalog",
                "--target-path", str(scratch / "target"),
            ),
            env=env,
            capture_output=True,
            text=True,
        )  # fmt: skip
        page = scratch / "target" / "static_index.html"
        if done.returncode != 0 or not page.exists():
            raise RuntimeError(f"dbt docs generate failed:\n{(done.stdout + done.stderr)[-2000:]}")
        if TRACKING_OFF not in page.read_text(encoding="utf-8"):
            raise RuntimeError("dbt docs were generated with usage tracking on: not published")
        os.replace(page, target)  # whole or absent, even with two reports at once
    return target
