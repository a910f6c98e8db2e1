"""The asset graph as reviewed (like dagster-open-platform's test_defs.py): every asset's
group, dependencies, partitions, automation condition, checks, pool and whether it can be
launched, against a snapshot committed beside this test. A change to the graph shows up
as a diff to read.

After an intended change: `PSW_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_defs.py`,
then review and commit tests/snapshots/asset_graph.json with the change."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import dagster as dg

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def _partitions(definition) -> str | None:
    if definition is None:
        return None
    if isinstance(definition, dg.MultiPartitionsDefinition):
        dimensions = ", ".join(
            f"{d.name}: {_partitions(d.partitions_def)}" for d in definition.partitions_defs
        )
        return f"multi({dimensions})"
    if isinstance(definition, dg.DynamicPartitionsDefinition):
        return f"dynamic {definition.name}"
    if isinstance(definition, dg.TimeWindowPartitionsDefinition):
        return f"time {definition.cron_schedule} from {definition.start:%Y-%m-%d}"
    return type(definition).__name__


def _automation(condition) -> str | None:
    if condition is None:
        return None
    return condition.get_label() or type(condition).__name__


@functools.cache
def platform_definitions() -> dg.Definitions:
    """Built on first use, not at collection: dagster-dbt and the dbt manifest cost each
    test worker seconds, and only the worker these tests go to needs them."""
    from orchestration.definitions import defs

    return defs()


def asset_graph() -> dict[str, dict]:
    graph = platform_definitions().resolve_asset_graph()
    snapshot = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        snapshot[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "automation": _automation(node.automation_condition),
            "checks": sorted(c.name for c in node.check_keys),
            "pools": sorted(node.pools or []),
            "executable": node.is_executable,  # launchable from the UI
        }
    return snapshot


def test_the_asset_graph_is_the_reviewed_one():
    current = asset_graph()
    if os.environ.get("PSW_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    reviewed = json.loads(SNAPSHOT.read_text())
    added, removed = current.keys() - reviewed.keys(), reviewed.keys() - current.keys()
    assert not added and not removed, f"assets added {sorted(added)}, removed {sorted(removed)}"
    changed = {k: (reviewed[k], current[k]) for k in current if current[k] != reviewed[k]}
    assert not changed, json.dumps(changed, indent=2)


def test_the_snapshot_covers_the_platform():
    """The graph runs from uploads to the serving file and the report."""
    reviewed = json.loads(SNAPSHOT.read_text())
    assert {"submission", "serving_database", "national_report", "trust_histories"} <= (
        reviewed.keys()
    )
    assert reviewed["submission"]["partitions"].startswith("multi(")
    assert len(reviewed["submission"]["checks"]) == 2
    assert any(v["pools"] == ["warehouse"] for v in reviewed.values())
    assert all(v["executable"] for v in reviewed.values())
