"""What every portal page shares: the portal's state, the page layout, and the check that
the trust in a path is the signed-in person's (404 otherwise: the portal never confirms
which codes exist)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from psw.core.pages import render
from psw.core.settings import Settings
from psw.lake.layout import Lake
from psw.portal.security import RateLimit, csrf_token
from psw.portal.signin import oauth_client, signed_in
from psw.portal.store import PortalStore
from psw.standard.reference import Trust, trust


@dataclass
class Portal:
    """What the handlers share: settings, the portal's store, the buckets and the lake."""

    settings: Settings
    store: PortalStore
    s3: Any
    lake: Lake
    idp: Any | None
    uploads: RateLimit
    today: Callable[[], dt.date]

    @classmethod
    def from_settings(
        cls, settings: Settings, today: Callable[[], dt.date] | None = None
    ) -> Portal:
        from psw.storage import S3Settings, s3_client

        idp = None
        if settings.oidc_issuer and settings.oidc_client_id:
            secret = settings.oidc_client_secret
            idp = oauth_client(
                settings.oidc_issuer,
                settings.oidc_client_id,
                secret.get_secret_value() if secret else None,
            )
        return cls(
            settings,
            PortalStore.in_data_dir(settings.data_dir),
            s3_client(S3Settings.from_env()),
            Lake.from_env(settings.data_dir),
            idp,
            RateLimit(settings.portal_uploads_per_hour),
            today or dt.date.today,
        )


def portal(request: Request) -> Portal:
    return request.app.state.portal


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A portal page: the person, the CSRF token for its forms, the shared layout."""
    context.setdefault("crumbs", [])
    context.setdefault("poll", None)
    # A page for an error raised outside the session middleware has no session.
    session = request.scope.get("session")
    html = render(
        template,
        stylesheet_href="/static/psw.css",
        user=signed_in(request) if session is not None else None,
        csrf=csrf_token(session) if session is not None else "",
        **context,
    )
    return HTMLResponse(html, status_code=status)


def message(
    request: Request, title: str, *paragraphs: str, status: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("sign_in", False)
    context.setdefault("back", None)
    return page(
        request, "portal_message.html", status, title=title, paragraphs=paragraphs, **context
    )


class SignInNeeded(Exception):
    """Not signed in: every page but `/` sends the person there."""


def granted_trust(request: Request) -> Trust:
    """The trust in the path, when the signed-in person acts for it; 404 otherwise."""
    user = signed_in(request)
    if user is None:
        raise SignInNeeded
    ods = str(request.path_params.get("ods", "")).upper()
    found = trust(ods)
    if found is None or ods not in portal(request).store.trusts_for(user["email"]):
        raise HTTPException(404)
    return found


def refused_form(request: Request) -> HTMLResponse:
    return message(
        request,
        "That form could not be accepted",
        "The page you sent it from had expired, or the form did not come from this portal. "
        "Nothing was uploaded or changed. Go back, reload the page and try again.",
        status=403,
        back=("/", "Go to your trusts"),
    )
