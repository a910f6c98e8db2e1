"""`psw portal` and its commands: serve the trusts' web portal; grant, revoke and list who
may act for which trust; read the audit log. Grants are the platform's to give (never
self-service): an operator runs these, and each is recorded in the audit log with the
operator's login name.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_USAGE = 0, 2  # as `psw`'s (orchestration/cli.py), which imports this module


def _usage_error(message: str) -> int:
    print(f"psw: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    return {"serve": serve, "grant": grant, "revoke": revoke, "users": users, "audit": audit}[
        args.portal_action
    ](args)


def serve(args: argparse.Namespace) -> int:
    from psw.core.settings import current
    from psw.portal.app import serve

    settings = current()
    if not (settings.oidc_issuer and settings.oidc_client_id):
        print(
            "psw portal: no identity provider is set (PSW_OIDC_ISSUER, PSW_OIDC_CLIENT_ID): "
            "pages show, nobody can sign in",
            file=sys.stderr,
        )
    print(f"psw portal: serving {settings.portal_url} (Ctrl-C stops it)", flush=True)
    serve(settings)
    return EXIT_OK


def _portal_store():
    from psw.core.settings import current
    from psw.portal.store import PortalStore

    return PortalStore.in_data_dir(current().data_dir)


def _operator() -> str:
    import getpass

    return f"operator:{getpass.getuser()}"


def grant(args: argparse.Namespace) -> int:
    from psw.portal.store import AccessError
    from psw.standard.reference import trust

    found = trust(args.ods)
    if found is None:
        return _usage_error(f"'{args.ods}' is not a registered trust ODS code")
    try:
        made = _portal_store().grant(args.email, found.ods_code, by=_operator())
    except AccessError as exc:
        return _usage_error(str(exc))
    verb = "granted" if made else "already had"
    print(f"{args.email.strip().lower()} {verb} {found.ods_code} ({found.name})")
    return EXIT_OK


def revoke(args: argparse.Namespace) -> int:
    from psw.portal.store import AccessError

    try:
        removed = _portal_store().revoke(args.email, args.ods, by=_operator())
    except AccessError as exc:
        return _usage_error(str(exc))
    ods = args.ods.upper()
    print(f"{args.email.strip().lower()} {'no longer has' if removed else 'did not have'} {ods}")
    return EXIT_OK


def users(args: argparse.Namespace) -> int:
    from psw.standard.reference import trusts
    from psw.standard.validation.shown import printable

    registry, grants = trusts(), _portal_store().grants()
    if not grants:
        print("nobody has been granted a trust yet: psw portal grant EMAIL ODS")
    for grant in grants:
        name = registry[grant.ods_code].name if grant.ods_code in registry else "not registered"
        print(f"{printable(grant.email)}\t{grant.ods_code}\t{name}\tgranted {grant.granted_at}")
    return EXIT_OK


def audit(args: argparse.Namespace) -> int:
    # A file name is the trust's own text: a control character (a terminal escape, a tab
    # that shifts the columns) is shown as its code, never sent to the operator's terminal.
    from psw.standard.validation.shown import printable

    for entry in _portal_store().audit(limit=args.last):
        fields = [entry.at, entry.email, entry.action, entry.ods_code or "-", entry.what]
        print("\t".join(printable(field) for field in [*fields, entry.outcome]))
    return EXIT_OK
