"""The portal's real parts for tests: a local S3 server, a real OpenID Connect provider
(oidc-provider-mock) with users of two trusts, the portal served by uvicorn on a free
port, and an HTTP client that signs in through the provider as a browser would."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ALICE = "alice@cnwl.nhs.uk"  # RV3's data officer
BEN = "ben@rwk.nhs.uk"  # RWK's
NOBODY = "nobody@example.nhs.uk"  # verified, granted nothing
UNVERIFIED = "mallory@example.com"  # the provider does not vouch for this address
TODAY = dt.date(2025, 7, 10)  # June 2025 due on 15 July


def demo_users():
    from oidc_provider_mock import User

    return [
        User(sub="alice", claims={"email": ALICE, "email_verified": True, "name": "Alice"}),
        User(sub="ben", claims={"email": BEN, "email_verified": True, "name": "Ben"}),
        User(sub="nobody", claims={"email": NOBODY, "email_verified": True}),
        User(sub="mallory", claims={"email": UNVERIFIED, "email_verified": False}),
    ]


@dataclass
class Portal:
    url: str
    issuer: str
    s3: object
    data_dir: Path
    app: object
    env: dict[str, str]
    mailbox: list  # what the local SMTP server received (email.message.Message)

    def mail_to(self, address: str) -> list:
        return [m for m in self.mailbox if m["To"] == address]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def signed_in(self, sub: str) -> httpx.Client:
        """A client signed in as `sub` through the provider's real authorization flow."""
        client = self.client()
        to_provider = client.get("/sign-in")
        assert to_provider.status_code in (302, 303), to_provider.text
        authorize = to_provider.headers["location"]
        assert authorize.startswith(self.issuer)
        # The provider's form: the person chooses who they are (the mock's sign-in).
        back = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
        assert back.status_code in (302, 303), back.text
        callback = back.headers["location"]
        assert callback.startswith(self.url + "/auth/callback")
        client.last_sign_in = client.get(callback.removeprefix(self.url))  # type: ignore[attr-defined]
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


@contextlib.contextmanager
def served(app, port: int) -> Iterator[None]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # the lifespan warms the validator first
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[str, list]]:
    """A real SMTP server (aiosmtpd) on a free port: its URL and the messages it received."""
    from email import message_from_bytes
    from email.policy import default

    from aiosmtpd.controller import Controller

    from psw.storage import free_port

    received: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(message_from_bytes(envelope.original_content, policy=default))
            return "250 kept"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", received
    finally:
        controller.stop()


@contextlib.contextmanager
def portal_platform(root: Path, today: dt.date = TODAY, **settings: str) -> Iterator[Portal]:
    """S3, the provider, a mail server and the portal; ALICE granted RV3, BEN granted RWK."""
    from oidc_provider_mock import run_server_in_thread

    from psw.core.settings import current
    from psw.portal.app import create_app
    from psw.portal.store import PortalStore
    from psw.storage import LocalS3Server, free_port, provision_buckets, s3_client
    from tests.helpers import platform_env

    with (
        LocalS3Server(root / "s3", f"http://127.0.0.1:{free_port()}") as server,
        run_server_in_thread(user_claims=demo_users()) as provider,
        smtp_server() as (smtp_url, mailbox),
    ):
        s3 = s3_client(server.settings())
        provision_buckets(s3, "psw-platform")
        port = free_port()
        issuer = f"http://localhost:{provider.server_port}"
        env = platform_env(
            server,
            root,
            PSW_PORTAL_URL=f"http://127.0.0.1:{port}",
            PSW_OIDC_ISSUER=issuer,
            PSW_OIDC_CLIENT_ID="psw-portal",
            PSW_OIDC_CLIENT_SECRET="demo-secret",
            PSW_SMTP_URL=smtp_url,
            **settings,
        )
        from psw.core.settings import exported

        with exported(env):
            chosen = current()
            store = PortalStore.in_data_dir(chosen.data_dir)
            store.grant(ALICE, "RV3", by="test")
            store.grant(BEN, "RWK", by="test")
            app = create_app(chosen, today=lambda: today)
            with served(app, port):
                yield Portal(
                    f"http://127.0.0.1:{port}", issuer, s3, chosen.data_dir, app, env, mailbox
                )
