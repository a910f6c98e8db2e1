"""The portal's protections against hostile use: headers on every answer, a CSRF token on
every form, and a limit on uploads per user.

- Content Security Policy with no inline script (the one script is a file of the portal),
  frames refused (`frame-ancestors 'none'`), forms posted only to the portal; HSTS when
  served over TLS. A trust's report (a page the pipeline wrote, its stylesheet inside
  it) is the one answer allowed inline styles, and it may run no script at all.
- CSRF: a random token kept in the signed session and put in every form; a POST without
  it, or with another, is refused. SameSite=Lax cookies are the second guard.
- Rate limit: a sliding hour per signed-in user, in memory (the portal is one process).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The pipeline's report pages carry their stylesheet inside them: styles may be inline,
# nothing may run.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
REPORT_POLICY_HEADER = "x-psw-report-page"  # set by a route: the report policy applies


class SecurityHeaders:
    """Adds the headers to every answer (pure ASGI: streamed answers too)."""

    def __init__(self, app: ASGIApp, tls: bool) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k != REPORT_POLICY_HEADER.encode()
                ]
                report = len(headers) != len(message.get("headers", []))
                policy = REPORT_POLICY if report else PAGE_POLICY
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                if self.tls:
                    headers.append(
                        (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: dict) -> str:
    """The session's token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok(session: dict, given: object) -> bool:
    expected = session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode())
    )


class RateLimit:
    """At most `limit` events per `window_s` per key (a sliding window)."""

    def __init__(
        self, limit: int, window_s: float = 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def retry_after(self, key: str) -> int:
        """Seconds until the key may act again."""
        with self._lock:
            events = self._events.get(key)
            if not events or len(events) < self.limit:
                return 0
            return max(1, int(events[0] + self.window_s - self.clock()) + 1)
