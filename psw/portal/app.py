"""`psw portal`: the trusts' web portal, a Starlette application.

Routes (docs/interfaces.md, "Trust portal"): `/` the trusts a person acts for; a trust's
page `/trusts/<ODS>/`; `POST /trusts/<ODS>/returns` an upload; `/trusts/<ODS>/uploads/<id>`
its receipt and result; `/trusts/<ODS>/reports/<...>` its reports as the pipeline wrote
them. A trust not granted to the person answers 404 on every route, as a code that is
no trust does: the portal never confirms which codes exist. The handlers that read the
store or the lake are plain functions (Starlette runs them in its thread pool).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from psw.core.pages import stylesheet
from psw.core.periods import parse_period
from psw.core.settings import Settings, current
from psw.portal.context import Portal, SignInNeeded, message, portal, refused_form
from psw.portal.security import REPORT_POLICY_HEADER, SecurityHeaders, csrf_ok
from psw.portal.signin import SESSION_USER, signed_in, verified_email
from psw.standard.reference import trusts

SESSION_HOURS = 8


# Sign-in and sign-out


def home(request: Request) -> Response:
    from psw.portal.views import home_page

    if signed_in(request) is None:
        return message(
            request,
            "Submit your trust's PSW workforce returns",
            "Sign in to upload a monthly return, see at once whether it meets the standard, "
            "and follow your trust's months and reports.",
            sign_in=True,
        )
    return home_page(request)


async def sign_in(request: Request) -> Response:
    idp = portal(request).idp
    if idp is None:
        return message(
            request,
            "Sign-in is not set up",
            "The platform team has not connected the portal to an identity provider "
            "(PSW_OIDC_ISSUER, PSW_OIDC_CLIENT_ID).",
            status=503,
        )
    callback = portal(request).settings.portal_url.rstrip("/") + "/auth/callback"
    return await idp.authorize_redirect(request, callback)


async def callback(request: Request) -> Response:
    from authlib.integrations.base_client import OAuthError

    state = portal(request)
    if state.idp is None:
        raise HTTPException(404)
    try:
        token = await state.idp.authorize_access_token(request)
    except OAuthError as exc:
        state.store.record("-", "sign-in-refused", None, "identity provider", exc.error or "error")
        return message(
            request,
            "You were not signed in",
            "The sign-in did not complete. Try again; if it fails again, tell the platform team.",
            status=400,
            sign_in=True,
        )
    claims = dict(token.get("userinfo") or {})
    email = verified_email(claims)
    if email is None:
        state.store.record(
            str(claims.get("sub", "-")),
            "sign-in-refused",
            None,
            "identity provider",
            "no verified email",
        )
        return message(
            request,
            "You were not signed in",
            "Your identity provider did not confirm an email address for you, and the portal "
            "gives access by verified email address only. Ask your IT team to check your account.",
            status=403,
        )
    request.session.clear()  # a new session at sign-in: nothing carried over from before
    request.session[SESSION_USER] = {"email": email, "name": str(claims.get("name") or "")}
    state.store.record(email, "sign-in", None, "portal", "signed in")
    return RedirectResponse("/", status_code=303)


async def sign_out(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request.session, form.get("csrf_token")):
        return refused_form(request)
    user = signed_in(request)
    if user:
        portal(request).store.record(user["email"], "sign-out", None, "portal", "signed out")
    request.session.clear()
    return message(request, "You have signed out", sign_in=True)


# Files of the portal itself

STATIC = {
    "psw.css": ("text/css; charset=utf-8", lambda: str(stylesheet())),
    "nhsuk-portal.css": (
        "text/css; charset=utf-8",
        lambda: (resources.files("psw.core") / "static" / "nhsuk-portal.min.css").read_text(),
    ),
    "portal.js": (
        "text/javascript; charset=utf-8",
        lambda: (resources.files("psw.portal") / "portal.js").read_text(),
    ),
}


def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        raise HTTPException(404)
    media_type, body = STATIC[name]
    return Response(body(), media_type=media_type, headers={"cache-control": "max-age=3600"})


@cache
def _standard_files() -> dict[str, tuple[str, bytes]]:
    """The standard's page and blank templates, made once from the standard."""
    from psw.standard.model import load_standard
    from psw.standard.spec import render_html, template_csv, template_xlsx

    standard = load_standard()
    return {
        "return-spec.html": ("text/html; charset=utf-8", render_html(standard).encode()),
        "psw_return_template.csv": ("text/csv; charset=utf-8", template_csv(standard)),
        "psw_return_template.xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            template_xlsx(standard),
        ),
    }


def standard_file(request: Request) -> Response:
    """The standard and its templates: the same for every trust, open to all."""
    name = request.path_params["name"]
    if name not in _standard_files():
        raise HTTPException(404)
    media_type, body = _standard_files()[name]
    headers = {"cache-control": "max-age=3600"}
    if name.endswith(".html"):
        headers[REPORT_POLICY_HEADER] = "1"  # its stylesheet is inside it
    else:
        headers["content-disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=media_type, headers=headers)


def health(request: Request) -> Response:
    return Response("ok", media_type="text/plain")


async def not_found(request: Request, exc: Exception) -> Response:
    return message(
        request,
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link to a "
        "trust's page, you may not have been given that trust: ask the platform team.",
        status=404,
        back=("/", "Go to your trusts"),
    )


async def server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: a page that says so (the details are in the portal's log)."""
    return message(
        request,
        "Sorry, something went wrong on our side",
        "Nothing you did caused this, and an upload you made before it is safe. Try again "
        "in a few minutes; if it keeps happening, tell the platform team the time it happened.",
        status=500,
        back=("/", "Go to your trusts"),
    )


async def sign_in_needed(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/", status_code=303)


def session_key(settings: Settings) -> str:
    """PSW_PORTAL_SESSION_KEY, or one made once in the data dir (owner-only)."""
    if settings.portal_session_key is not None:
        return settings.portal_session_key.get_secret_value()
    path = Path(settings.data_dir) / "portal" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def warm_up() -> float:
    """Validate a small synthetic return once, so the first trust's upload finds the
    validator's libraries imported and its caches full (seconds, once, at start)."""
    import time

    from psw.standard.validation import validate_return
    from psw.synth import encode, simulate

    started = time.perf_counter()
    example = next(iter(trusts().values()))
    period, rows = next(simulate(example, ["2024-04"], seed=1, staff=20))
    validate_return(
        encode(rows, "csv"), trust_ods_code=example.ods_code, period_end=parse_period(period)
    )
    return time.perf_counter() - started


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if app.state.warm:
        await run_in_threadpool(warm_up)
    yield


def serve(settings: Settings) -> None:
    """`psw portal`: serve at PSW_PORTAL_URL's host and port until Ctrl-C."""
    import uvicorn

    address = urlsplit(settings.portal_url)
    uvicorn.run(
        create_app(settings),
        host=address.hostname or "127.0.0.1",
        port=address.port or (443 if address.scheme == "https" else 80),
        log_level="info",
        # Behind a TLS proxy the scheme and client address come from its headers.
        proxy_headers=True,
        server_header=False,
    )


def create_app(
    settings: Settings | None = None,
    today: Callable[[], dt.date] | None = None,
    warm: bool = True,
) -> Starlette:
    from psw.portal import downloads, views

    settings = settings or current()
    routes = [
        Route("/", home),
        Route("/sign-in", sign_in),
        Route("/auth/callback", callback),
        Route("/sign-out", sign_out, methods=["POST"]),
        Route("/trusts/{ods}/", views.trust_page),
        Route("/trusts/{ods}/returns", views.upload, methods=["POST"]),
        Route("/trusts/{ods}/uploads/{submission_id}", views.upload_page),
        Route("/trusts/{ods}/uploads/{submission_id}/status.json", views.upload_status),
        Route("/trusts/{ods}/uploads/{submission_id}/findings.csv", downloads.upload_findings),
        Route("/trusts/{ods}/reports/{path:path}", downloads.report),
        Route("/static/{name}", static),
        Route("/standard/{name}", standard_file),
        Route("/healthz", health),
    ]
    middleware = [
        Middleware(SecurityHeaders, tls=settings.portal_secure()),
        Middleware(GZipMiddleware, minimum_size=1024),
        Middleware(
            SessionMiddleware,
            secret_key=session_key(settings),
            session_cookie="psw_portal_session",
            max_age=SESSION_HOURS * 3600,
            same_site="lax",  # the identity provider's redirect back is a cross-site GET
            https_only=settings.portal_secure(),
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: not_found, 500: server_error, SignInNeeded: sign_in_needed},
        lifespan=lifespan,
    )
    app.state.warm = warm
    app.state.portal = Portal.from_settings(settings, today)
    return app
