"""Shared fixtures: the standard, clean synthetic returns, a platform on a real S3 server.

Plain helpers (validate_bytes, platform_env, psw_run ...) live in tests/helpers.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import authlib.deprecate  # noqa: F401 - before any test: see below
import pytest

from psw.standard.model import load_standard
from psw.standard.reference import trusts
from psw.synth import simulate
from tests.helpers import PERIOD, TRUST, dagster_state_storage_kept, platform_env

# Authlib puts an "always" filter for its deprecation warnings first in the list when it is
# imported; imported here, before pytest sets each test's filters, pyproject's ignore of
# the portal tests' provider's use of authlib.jose comes before it and holds.

# The marts scenario's fixtures, once for its three modules (tests/marts_scenario.py).
pytest_plugins = ["tests.marts_scenario"]


@pytest.fixture(autouse=True)
def _dev_null_kept():
    """A CI machine's /dev/null once lost its write bits (mode 0644), and every PostgreSQL
    test failed: initdb, run as the postgres user, writes to it. A test that changes its
    mode fails here, and the mode is put back so the tests after it are not blamed."""
    before = os.stat(os.devnull).st_mode
    yield
    after = os.stat(os.devnull).st_mode
    if after != before:
        if os.getuid() == 0:
            os.chmod(os.devnull, stat.S_IMODE(before))
        pytest.fail(f"this test changed {os.devnull} from {oct(before)} to {oct(after)}")


@pytest.fixture(autouse=True)
def _dagster_state_storage_kept():
    """Each test leaves Dagster's current-instance context variable as it found it
    (tests/helpers.py, dagster_state_storage_kept)."""
    with dagster_state_storage_kept():
        yield


@pytest.fixture(scope="session")
def standard():
    return load_standard()


@pytest.fixture(scope="session")
def clean_rows() -> list[dict]:
    """A clean month of typed rows for RV3, 2025-06 (40 staff, some with two assignments)."""
    trust = trusts()[TRUST]
    months = list(simulate(trust, ["2025-05", PERIOD], seed=7, staff=40))
    return months[-1][1]


@pytest.fixture(scope="session")
def previous_rows() -> list[dict]:
    trust = trusts()[TRUST]
    return list(simulate(trust, ["2025-05", PERIOD], seed=7, staff=40))[0][1]


# Under `make test`'s two workers (decision 0122) a test goes to whichever worker is free,
# except in ONE_WORKER's modules, whose tests share one expensive module fixture: each runs
# whole on one worker, the biggest first. GROUPS run together on one worker: the marts
# scenario's three modules share one session fixture and run in order; the two that build
# the Dagster definitions load dagster-dbt (about 5 s), which the other worker then never
# loads in the fast tier.
MARTS_SCENARIO = ("test_marts_figures.py", "test_marts_operations.py", "test_marts_pages.py")
GROUPS = {
    **dict.fromkeys(MARTS_SCENARIO, "marts scenario"),
    **dict.fromkeys(("test_defs.py", "test_marts_automation.py"), "dagster definitions"),
}
ONE_WORKER = frozenset(
    {
        *MARTS_SCENARIO,
        "test_disclosure.py",
        "test_research_end_to_end.py",
        "test_faults_published.py",
        "test_dagster_postgres.py",
        "test_iam.py",
        "test_hostile.py",
        "test_portal.py",
        "test_portal_browser.py",
        "test_validate_alone.py",
    }
)


# The fast tier (`make test-fast`, about a minute) is the unit and component tests. These
# modules run the platform end to end (a real S3 server, dbt builds, Dagster runs,
# PostgreSQL, processes started and killed): every test of theirs is `slow`, as is any
# other test marked so for taking over about 3 s.
END_TO_END = frozenset(
    {
        *MARTS_SCENARIO,
        "test_research_end_to_end.py",
        "test_end_to_end.py",
        "test_disclosure.py",
        "test_incremental.py",
        "test_faults.py",
        "test_faults_published.py",
        "test_intake.py",
        "test_ingest.py",
        "test_ingestion_dagster.py",
        "test_lake.py",
        "test_dagster_postgres.py",
        "test_iam.py",
        "test_hostile.py",
        "test_memory.py",
        "test_spark.py",
        "test_imports.py",
        "test_event_log.py",
        "test_portal.py",
        "test_portal_browser.py",
        "test_validate_alone.py",
    }
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in END_TO_END:
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path, config):
    """The fast tier does not even import the end-to-end modules (each worker would import
    them only to deselect every test: about 2 s of the minute)."""
    fast_tier = "not slow" in (config.getoption("markexpr", "") or "")
    return True if fast_tier and collection_path.name in END_TO_END else None


@pytest.hookimpl(optionalhook=True)  # a venv without pytest-xdist runs serially
def pytest_xdist_make_scheduler(config, log):
    """xdist's `--dist loadgroup` would do this with marks, but it no longer groups on
    pytest 9.2 (pytest-dev/pytest-xdist#1386), so the modules are named here."""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if Path(module).name in GROUPS:
                return GROUPS[Path(module).name]
            return module if Path(module).name in ONE_WORKER else nodeid

    return OneWorkerModules(config, log)


def pytest_configure(config):
    """The dbt manifest the Dagster definitions load, made before any test module imports
    them (prepare_if_dev only runs under `dagster dev`; tests prepare it explicitly)."""
    import tempfile

    from psw.warehouse.writer import prepare_manifest

    with tempfile.TemporaryDirectory() as data:
        prepare_manifest(Path(data))


@pytest.fixture(scope="session")
def published_june(tmp_path_factory) -> Path:
    """A platform that has published RV3's June 2025 (30 staff, seed 5) with `psw run`:
    its store, data folder and Dagster home, made once for the tests that start there."""
    from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
    from tests.helpers import psw_run, upload_month

    root = tmp_path_factory.mktemp("published-june")
    with LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        upload_month(client, "RV3", "2025-06", seed=5)
        psw_run(platform_env(server, root))
    return root


@pytest.fixture()
def published_platform(tmp_path, published_june):
    """`platform` as `published_june` left it (a copy of its folders, its own server)."""
    import shutil

    from psw.lake.layout import Lake
    from psw.storage import LocalS3Server, free_port, s3_client
    from psw.warehouse.writer import REPORT_SOURCE, serving_identity

    for part in ("s3", "data", "dagster"):
        shutil.copytree(published_june / part, tmp_path / part, symlinks=True)
    lake = Lake(tmp_path / "data")
    # The report names the serving file it was built from by inode, which a copy changes.
    (lake.report / REPORT_SOURCE).write_text(serving_identity(lake.serving))
    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        yield s3_client(server.settings()), platform_env(server, tmp_path), lake


@pytest.fixture()
def platform(tmp_path):
    """A real local S3 server with the buckets provisioned: the client, the environment
    of a `psw` process for it (state under tmp_path) and that process's lake."""
    from psw.lake.layout import Lake
    from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client

    with LocalS3Server(tmp_path / "s3", f"http://127.0.0.1:{free_port()}") as server:
        client = s3_client(server.settings())
        provision_buckets(client, "psw-platform")
        yield client, platform_env(server, tmp_path), Lake(tmp_path / "data")
