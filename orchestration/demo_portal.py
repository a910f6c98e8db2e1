"""The demo's trust portal: a local OpenID Connect provider with two demo users, a local
mail server that keeps what it receives, and `psw portal`, started beside Dagster by
`psw demo` (orchestration/demo.py).

Demo users (named in the README): `rv3.officer` acts for RV3, `rwk.officer` for RWK.
On the provider's page, choose one by name. Their emails (report outcomes, reminders)
land in $PSW_DATA_DIR/mail/ as .eml files, and the console names each as it arrives.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from psw.portal.store import PortalStore

PROVIDER_PORT, MAIL_PORT = 9400, 8025
CLIENT_ID, CLIENT_SECRET = "psw-portal-demo", "demo-secret"
DEMO_USERS = {
    "rv3.officer": ("rv3.officer@demo.nhs.uk", "RV3", "Riya Patel (RV3 workforce team)"),
    "rwk.officer": ("rwk.officer@demo.nhs.uk", "RWK", "Sam Okafor (RWK information team)"),
}


def portal_env(portal_url: str) -> dict[str, str]:
    """What the portal, Dagster and `psw run` need to sign people in and mail them."""
    return {
        "PSW_PORTAL_URL": portal_url,
        "PSW_OIDC_ISSUER": f"http://localhost:{PROVIDER_PORT}",
        "PSW_OIDC_CLIENT_ID": CLIENT_ID,
        "PSW_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PSW_SMTP_URL": f"smtp://127.0.0.1:{MAIL_PORT}",
    }


@contextlib.contextmanager
def mail_server(folder: Path, say: Callable[[str], None], port: int = MAIL_PORT) -> Iterator[None]:
    """aiosmtpd on `port`: each message kept as an .eml file, the first few said."""
    from email import message_from_bytes
    from email.policy import default

    from aiosmtpd.controller import Controller

    folder.mkdir(parents=True, exist_ok=True)

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            number = len(list(folder.glob("*.eml"))) + 1
            (folder / f"{number:05d}.eml").write_bytes(envelope.original_content)
            if number <= 3 or number % 25 == 0:  # the first few, then a count: not a flood
                message = message_from_bytes(envelope.original_content, policy=default)
                say(f"email {number} to {message['To']}: {message['Subject']}")
            return "250 kept"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@contextlib.contextmanager
def demo_portal(folder: Path, env: dict[str, str], say: Callable[[str], None]) -> Iterator[None]:
    """The provider, the mail server and `psw portal` (its log in logs/portal.log)."""
    import logging
    import warnings

    import authlib.deprecate  # noqa: F401 - its import puts an "always" filter first

    with warnings.catch_warnings():  # its use of Authlib's jose module: not the demo's to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        from oidc_provider_mock import User, run_server_in_thread

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    store = PortalStore.in_data_dir(folder)
    for email, ods, _ in DEMO_USERS.values():
        store.grant(email, ods, by="psw demo")
    users = [
        User(sub=sub, claims={"email": email, "email_verified": True, "name": name})
        for sub, (email, _, name) in DEMO_USERS.items()
    ]
    log = folder / "logs" / "portal.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with (
        run_server_in_thread(port=PROVIDER_PORT, user_claims=users),
        mail_server(folder / "mail", say),
    ):
        portal = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "portal"],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            portal.send_signal(signal.SIGINT)  # uvicorn stops cleanly on SIGINT
            try:
                portal.wait(timeout=15)
            except subprocess.TimeoutExpired:
                portal.kill()
