"""`psw demo` / `make demo`: the platform end to end on the embedded default.

Starts the local S3 server, provisions the buckets, uploads two years of synthetic returns
for a realistic set of trusts (a few faulty: they come back rejected or with warnings),
then runs `dagster dev` with the upload sensor on and the UI on port 3000 (PSW_UI_PORT),
and the trusts' portal on port 8080 (PSW_PORTAL_URL; orchestration/demo_portal.py),
its output in $PSW_DATA_DIR/logs/dagster-dev.log; the console shows the milestones
(orchestration/milestones.py). A busy port is refused in one line. A few returns
arrive late, while the demo runs, so the sensor is seen at work. The marts rebuild as
accepted returns land (the `marts_automation` sensor) and each build publishes the
serving database, $PSW_DATA_DIR/serving/psw.duckdb. Ctrl-C stops everything and prints
what the serving database holds.

Everything lives under $PSW_DATA_DIR (default ./data): the buckets in s3/, the Dagster
instance in dagster/, the landed data, and the demo's pseudonymisation key (made once and
kept in pseudonymisation.key, readable by its owner only).
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.demo_portal import DEMO_USERS, MAIL_PORT, PROVIDER_PORT, demo_portal, portal_env
from orchestration.milestones import Milestones, port_in_use
from psw.core.periods import months
from psw.core.settings import current, environment, export
from psw.lake.layout import Lake
from psw.standard.model import load_standard
from psw.standard.reference import trusts
from psw.storage import (
    DEFAULT_ENDPOINT,
    LocalS3Server,
    S3Client,
    S3Settings,
    data_dir,
    provision_buckets,
)
from psw.synth import build_faults, encode, return_key, simulate

DEMO_TRUSTS = ["RV3", "RWK", "RX4", "RXV", "TAJ", "RNU", "RWV", "RT1"]
FIRST, LAST = "2024-04", "2026-03"  # two years: 12-month retention and progression
LATE = {("RT1", "2026-03"), ("RNU", "2026-02"), ("RXV", "2026-03")}  # uploaded during the demo
LATE_AFTER_S = 30  # after the UI starts: the sensor is seen picking them up
# In upload order. The file accepted with warnings is corrected at once (the clean return
# uploaded again) so it does not stand as RWK's month in the national figures; the rejected
# ones come last and never replace it, so RWK's history still has errors to fix first.
FAULTS = ["SALARY_OUTSIDE_BAND", "CODE_INVALID", "PERSONAL_DATA_COLUMN", "FILE_UNREADABLE-prose"]


def pseudonymisation_key(folder: Path) -> str:
    """The demo's key: PSW_PSEUDONYMISATION_KEY if set, else one made once in the data dir."""
    if current().secret():
        return current().secret()
    path = folder / "pseudonymisation.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def upload_returns(client: S3Client, late: bool, progress: Callable[[str], None] = print) -> int:
    """Clean returns for the demo trusts (the LATE ones only when late=True) and faults."""
    registry, count = trusts(), 0
    clean: dict[str, list[dict]] = {}  # RWK's returns by month, to correct a fault
    for ods in DEMO_TRUSTS:
        trust = registry[ods]
        for period, rows in simulate(trust, months(FIRST, LAST), seed=1):
            if ods == "RWK":
                clean[period] = rows
            if ((ods, period) in LATE) != late:
                continue
            client.put_object(
                Bucket=trust.bucket, Key=return_key(trust, period, "csv"), Body=encode(rows, "csv")
            )
            count += 1
            if late:
                progress(f"late return uploaded: {ods} {period}")
    if not late:  # a few faulty files, each into its own trust's next month
        faults, _ = build_faults(registry["RWK"], months(FIRST, LAST), seed=1)
        by_name = {f.name: f for f in faults}
        bucket = registry["RWK"].bucket
        for name in FAULTS:
            fault = by_name[name]
            time.sleep(0.05)  # each a later upload than the one before
            client.put_object(
                Bucket=bucket, Key=f"returns/{fault.period}/RWK_{name}.csv", Body=fault.data
            )
            count += 1
            if load_standard().rule(name.split("-")[0]).severity == "warning":
                time.sleep(0.05)
                key = f"returns/{fault.period}/RWK_PSW_{fault.period}_corrected.csv"
                client.put_object(Bucket=bucket, Key=key, Body=encode(clean[fault.period], "csv"))
                count += 1
    return count


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop the demo cleanly (a shell may start it with SIGINT
    ignored, and service managers send SIGTERM)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


def run_demo() -> int:
    _stop_on_signals()
    folder = data_dir().resolve()
    chosen = current()
    settings = S3Settings.from_env(
        {**environment(), "PSW_S3_ENDPOINT_URL": chosen.s3_endpoint_url or DEFAULT_ENDPOINT}
    )
    server = LocalS3Server.from_settings(folder / "s3", settings)
    portal = urlsplit(chosen.portal_url)
    for host, port, variable in (
        (server.host, server.port, "PSW_S3_ENDPOINT_URL"),
        ("127.0.0.1", chosen.ui_port, "PSW_UI_PORT"),
        (portal.hostname or "127.0.0.1", portal.port or 80, "PSW_PORTAL_URL"),
        ("127.0.0.1", PROVIDER_PORT, "(the demo's sign-in provider: stop what uses it)"),
        ("127.0.0.1", MAIL_PORT, "(the demo's mail server: stop what uses it)"),
    ):
        if port_in_use(host, port):
            print(
                f"psw: error: port {port} on {host} is in use (another psw demo, or a "
                f"Dagster UI or S3 server?): stop it, or set {variable} to a free port",
                file=sys.stderr,
            )
            return 2
    env = {
        **environment(),
        "PSW_DATA_DIR": str(folder),
        "PSW_S3_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "PSW_PSEUDONYMISATION_KEY": pseudonymisation_key(folder),
        "DAGSTER_HOME": str(folder / "dagster"),
        **portal_env(chosen.portal_url),
    }
    from orchestration.run_once import dagster_home
    from psw.warehouse.writer import prepare_manifest

    export(env)
    dagster_home()
    print("preparing the dbt manifest ...", flush=True)
    prepare_manifest(folder)
    print(f"starting the local S3 server on {server.endpoint_url} ...", flush=True)
    server.start()
    ui, watcher = None, None
    side = contextlib.ExitStack()
    try:
        side.enter_context(demo_portal(folder, env, _say))
        print(
            f"trust portal on {chosen.portal_url}: sign in as "
            + " or ".join(f"{sub} ({ods})" for sub, (_, ods, _) in DEMO_USERS.items())
            + f"; their emails are kept in {folder / 'mail'}",
            flush=True,
        )
        from psw.storage import s3_client

        client = s3_client(server.settings(settings.platform_bucket))
        created = provision_buckets(client, settings.platform_bucket)
        print(f"buckets ready ({sum(created.values())} created)", flush=True)
        uploaded = [upload_returns(client, late=False)]
        print(
            f"{uploaded[0]} returns uploaded for {', '.join(DEMO_TRUSTS)} ({FIRST} to {LAST}), "
            f"including {len(FAULTS)} faulty files for RWK",
            flush=True,
        )
        log = folder / "logs" / "dagster-dev.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        ui = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(chosen.ui_port),
            ],
            env=env,
            # Dagster's and dbt's own output (thousands of lines) in a file, not the console.
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        print(
            f"Dagster starting (its log: {log}); reports appear in each bucket's feedback/ "
            "folder. Ctrl-C stops everything.",
            flush=True,
        )
        url = f"http://127.0.0.1:{chosen.ui_port}"
        watcher = Milestones(Lake.from_env(folder), url, lambda: sum(uploaded), say=_say)
        watcher.watch()

        def upload_late() -> None:
            uploaded.append(upload_returns(client, late=True, progress=_say))

        late = threading.Timer(LATE_AFTER_S, upload_late)
        late.daemon = True
        late.start()
        while ui.poll() is None:
            time.sleep(1)
        print(f"Dagster stopped (exit {ui.returncode}): see {log}", file=sys.stderr)
        return ui.returncode or 1
    except KeyboardInterrupt:
        print("\nstopping: Dagster, then the S3 server", flush=True)
        return 0
    finally:
        if watcher:
            watcher.stop()
        if ui and ui.poll() is None:
            ui.send_signal(signal.SIGINT)  # dagster dev stops cleanly on SIGINT only
            try:
                ui.wait(timeout=30)
            except subprocess.TimeoutExpired:
                ui.kill()
        side.close()
        server.stop()
        _describe_serving(folder)


def _say(text: str) -> None:
    print(text, flush=True)


def _describe_serving(folder: Path) -> None:
    """What an analyst would find in the serving database now."""
    import duckdb

    from psw.warehouse.writer import serving_path

    path = serving_path(folder)
    if not path.exists():
        print("no serving database yet: the marts had not been built", flush=True)
        return
    with duckdb.connect(str(path), read_only=True) as db:
        tables = db.execute(
            "select table_name, estimated_size from duckdb_tables() order by 1"
        ).fetchall()
        months = db.execute(
            "select count(*), max(period_end) from published.psw_headcount "
            "where geography_level = 'national'"
        ).fetchall()[0]  # an aggregate: always one row
    print(f"serving database: {path}", flush=True)
    print(
        f"  {months[0]} months to {months[1]}; tables: "
        + ", ".join(f"{name} ({rows} rows)" for name, rows in tables),
        flush=True,
    )
    print(f"  open it read-only: duckdb -readonly {path}", flush=True)
