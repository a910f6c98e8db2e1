"""Sign-in with OpenID Connect (Authlib's Starlette client), and who is signed in.

The identity provider (NHS England's, a trust's Entra ID, or the demo's local provider)
proves who the person is; the portal trusts only a verified email address from the ID
token (`email_verified` true), and what that address may do is the platform's grants,
never the provider's groups. Authlib checks the ID token's signature, issuer, audience,
expiry and nonce, and keeps the state in the signed session. After sign-in the person
always lands on `/`: the portal never redirects to a place named in a request.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

SESSION_USER = "user"


class SignInUnavailable(RuntimeError):
    """No identity provider is set (PSW_OIDC_ISSUER and the client id)."""


def oauth_client(issuer: str, client_id: str, client_secret: str | None) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        "idp",
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": "openid email profile"},
    )
    return oauth.idp


def signed_in(request: Request) -> dict | None:
    user = request.session.get(SESSION_USER)
    return user if isinstance(user, dict) and user.get("email") else None


def verified_email(userinfo: dict) -> str | None:
    """The verified address in the ID token's claims, or None."""
    email = userinfo.get("email")
    if not isinstance(email, str) or userinfo.get("email_verified") is not True:
        return None
    return email.strip().lower()
