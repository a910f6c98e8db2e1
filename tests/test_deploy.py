"""Issue 11: deploy/ on paper, checked. No cluster, Docker or Helm here, so the files are
checked for what would break a deployment quietly: they parse, they name modules, paths,
variables and versions that exist, the chart's instance matches deploy/dagster.yaml, and
no secret is written into an image or a values file."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
VALUES = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
SECRET_NAMES = {
    "PSW_PSEUDONYMISATION_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "PGPASSWORD",
}


def _locked(package: str) -> str:
    found = re.search(
        rf"^{re.escape(package)}==([^\s\\]+)", (ROOT / "requirements.lock").read_text(), re.M
    )
    assert found, package
    return found.group(1)


def _deployment() -> dict:
    (deployment,) = VALUES["dagster-user-deployments"]["deployments"]
    return deployment


def test_the_code_location_loads_what_the_chart_names():
    args = _deployment()["dagsterApiGrpcArgs"]
    assert args[0] == "-m"
    module = importlib.import_module(args[1])
    assert module.defs().resolve_asset_graph().get_all_asset_keys()  # the platform's definitions
    assert f'"{args[1]}"' in DOCKERFILE  # the image's own command serves the same module


def test_the_chart_version_is_the_locked_dagster_and_its_launcher_is_in_the_image():
    version = _locked("dagster")
    text = (DEPLOY / "helm" / "values.yaml").read_text() + (DEPLOY / "README.md").read_text()
    assert f"--version {version}" in text
    # Dagster's libraries are released with it: 1.13.27 goes with 0.29.27.
    assert _locked("dagster-k8s") == _locked("dagster-postgres")
    assert _locked("dagster-k8s").rsplit(".", 1)[1] == version.rsplit(".", 1)[1]
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"


def test_the_chart_instance_is_deploy_dagster_yaml():
    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    monitoring = VALUES["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is instance["run_monitoring"]["enabled"] is True
    assert monitoring["pollIntervalSeconds"] == instance["run_monitoring"]["poll_interval_seconds"]
    assert (
        monitoring["maxResumeRunAttempts"] == instance["run_monitoring"]["max_resume_run_attempts"]
    )
    assert (
        monitoring["freeSlotsAfterRunEndSeconds"]
        == instance["run_monitoring"]["free_slots_after_run_end_seconds"]
    )
    concurrency = VALUES["concurrency"]
    assert (
        concurrency["runs"]["maxConcurrentRuns"]
        == instance["concurrency"]["runs"]["max_concurrent_runs"]
    )
    assert concurrency["pools"]["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"]
    queued = VALUES["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert (
        queued["dequeueIntervalSeconds"]
        == instance["run_coordinator"]["config"]["dequeue_interval_seconds"]
    )
    assert VALUES["telemetry"]["enabled"] is instance["telemetry"]["enabled"] is False
    scheme = instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert VALUES["postgresql"]["postgresqlScheme"] == scheme


def test_the_environment_is_the_platforms_and_secrets_come_from_secrets():
    from psw.core.settings import FIELDS

    # What psw reads (psw/core/settings.py) and what dbt reads (env_var in its profile and macros).
    dbt_files = [ROOT / "dbt_project" / "profiles.yml", *ROOT.glob("dbt_project/macros/*.sql")]
    read_by_dbt = {
        name
        for path in dbt_files
        for name in re.findall(r"env_var\(\s*['\"](\w+)['\"]", path.read_text())
    }
    known = {name for name, _, _ in FIELDS} | read_by_dbt
    names = [e["name"] for e in _deployment()["env"]]
    assert not set(names) - known, "a variable that psw and dbt never read"
    assert SECRET_NAMES - {"PGPASSWORD"} <= {name for name, _, _ in FIELDS}
    assert "PGPASSWORD" in read_by_dbt
    assert not SECRET_NAMES & set(names)  # never a plain value
    assert (
        _deployment()["envSecrets"]
        == VALUES["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"]
    )
    secrets = list(yaml.safe_load_all((DEPLOY / "secrets.example.yaml").read_text()))
    platform = next(
        s for s in secrets if s["metadata"]["name"] == _deployment()["envSecrets"][0]["name"]
    )
    assert set(platform["stringData"]) >= SECRET_NAMES
    assert all(v.startswith("<") for s in secrets for v in s["stringData"].values())
    dagster_db = next(
        s for s in secrets if s["metadata"]["name"] == VALUES["global"]["postgresqlSecretName"]
    )
    assert "postgresql-password" in dagster_db["stringData"]


def test_the_image_installs_the_lock_and_carries_no_secret():
    assert "--require-hashes -r requirements.lock" in DOCKERFILE
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), source
    assert "COPY . " not in DOCKERFILE and "data" not in re.findall(
        r"^COPY (\S+)", DOCKERFILE, re.M
    )
    for name in SECRET_NAMES:
        assert not re.search(rf"^\s*(ENV|ARG).*{name}", DOCKERFILE, re.M), name
    assert re.search(r"^USER (?!root|0\b)", DOCKERFILE, re.M)  # not root
