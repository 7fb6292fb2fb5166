"""Who is asking: JupyterHub identifies every user; staff rights come from hub groups.

Two ways in, both through :class:`jupyterhub.services.auth.HubOAuth` (which caches each token's
user model under a hash of the token for ``cache_max_age`` seconds):

- API calls from notebooks send ``Authorization: token <JUPYTERHUB_API_TOKEN>``.
- Browsers do the hub's OAuth dance once (``/oauth_callback``); the resulting token is kept in a
  signed, HttpOnly cookie scoped to the service's prefix. Cookie-authenticated POSTs must carry
  the page's XSRF token (form field ``_xsrf`` or header ``X-XSRFToken``).

A user needs the service's access scope (``access:services!service=<name>``); users in one of
``config.service.ta_groups`` are staff. Routes get the user from the :func:`current_user`
dependency, which tests may override.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from autograder.service.settings import HubEnvironment

COOKIE_MAX_AGE_DAYS = 14
OAUTH_ERROR_CODES = frozenset({
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable"})  # RFC 6749, section 4.1.2.1
log = logging.getLogger("autograder.service")


@dataclass(frozen=True)
class HubUser:
    name: str
    groups: frozenset[str] = frozenset()
    is_ta: bool = False
    by_cookie: bool = False
    xsrf: str = ""


class LoginRequired(Exception):
    """Raised by page routes without a user; answered with a redirect to the hub's OAuth."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def make_hub_oauth(env: HubEnvironment) -> Any:
    """A HubOAuth configured explicitly from ``env`` (never from its own environment defaults)."""
    from jupyterhub.services.auth import HubOAuth

    return HubOAuth(
        api_token=env.api_token, api_url=env.api_url, base_url=env.service_prefix,
        hub_prefix=env.hub_prefix, hub_host=env.hub_host, oauth_client_id=env.client_id,
        oauth_redirect_uri=env.oauth_callback_url, access_scopes=set(env.access_scopes),
        cookie_options=dict(env.cookie_options), keyfile=env.ssl_keyfile,
        certfile=env.ssl_certfile, client_ca=env.ssl_client_ca, cache_max_age=300,
    )


class HubAuthentication:
    """Identifies users for the app; one instance per app, made at start-up."""

    def __init__(
        self, env: HubEnvironment, *, ta_groups: Iterable[str], cookie_secret: bytes,
        hub_auth: Any = None,
    ) -> None:
        self.env = env
        self.hub = hub_auth if hub_auth is not None else make_hub_oauth(env)
        self.ta_groups = frozenset(ta_groups)
        self.secret = cookie_secret

    @property
    def cookie_name(self) -> str:
        return str(self.hub.cookie_name)

    @property
    def state_cookie_name(self) -> str:
        return f"{self.cookie_name}-oauth-state"

    # ------------------------------------------------------------------ identifying users

    async def authenticate(self, request: Request) -> HubUser | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() in ("token", "bearer") and token.strip():
            model = await self._user_model(token.strip())
            if model is None:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                    "JupyterHub does not accept this token (expired or revoked?). "
                                    "Restart your server from the hub's home page and try again.")
            return self._to_user(model, token=token.strip(), by_cookie=False)
        token = self._unsign(self.cookie_name, request.cookies.get(self.cookie_name))
        if token:
            model = await self._user_model(token)
            if model is not None:
                return self._to_user(model, token=token, by_cookie=True)
        return None

    async def _user_model(self, token: str) -> dict[str, Any] | None:
        from tornado.web import HTTPError as TornadoHTTPError

        try:
            model = await self.hub.user_for_token(token, sync=False)
        except TornadoHTTPError as exc:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY,
                                "The grading service could not check your identity with "
                                f"JupyterHub ({exc.log_message}); try again in a minute.") from exc
        return model if isinstance(model, dict) else None

    def _to_user(self, model: dict[str, Any], *, token: str, by_cookie: bool) -> HubUser:
        from jupyterhub.services.auth import check_scopes

        if model.get("kind", "user") != "user" or not model.get("name"):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Only JupyterHub users can use this service.")
        scopes = set(model.get("scopes") or ())
        if self.env.access_scopes and not check_scopes(set(self.env.access_scopes), scopes):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"Your JupyterHub account or token may not use the {self.env.service_name} service "
                f"(it needs the scope {min(self.env.access_scopes)}). Ask course staff.",
            )
        groups = frozenset(model.get("groups") or ())
        return HubUser(
            name=str(model["name"]), groups=groups, is_ta=bool(groups & self.ta_groups),
            by_cookie=by_cookie, xsrf=self.xsrf_token(token) if by_cookie else "",
        )

    # ------------------------------------------------------------------ cookies and XSRF

    def xsrf_token(self, token: str) -> str:
        digest = hashlib.sha256(token.encode()).digest()
        return hmac.new(self.secret, b"xsrf:" + digest, hashlib.sha256).hexdigest()

    def _sign(self, name: str, value: str) -> str:
        from tornado.web import create_signed_value

        return create_signed_value(self.secret, name, value).decode()

    def _unsign(self, name: str, value: str | None) -> str:
        from tornado.web import decode_signed_value

        if not value:
            return ""
        raw = decode_signed_value(self.secret, name, value, max_age_days=COOKIE_MAX_AGE_DAYS)
        return raw.decode("ascii", "replace") if raw else ""

    def _cookie_kwargs(self, request: Request) -> dict[str, Any]:
        secure = request.url.scheme == "https" or self.env.public_url.startswith("https:")
        kwargs: dict[str, Any] = {"path": self.env.service_prefix, "httponly": True,
                                  "secure": secure, "samesite": "lax"}
        for key, value in self.env.cookie_options.items():
            if key.lower() == "expires_days" and value:
                kwargs["max_age"] = int(float(value) * 86400)
            elif key.lower() in ("secure", "samesite", "domain", "max_age"):
                kwargs[key.lower()] = value
        return kwargs

    # ------------------------------------------------------------------ OAuth with the hub

    def login_redirect(self, request: Request, next_url: str) -> Response:
        """Send the browser to the hub's authorize URL, remembering where it wanted to go."""
        extra: dict[str, str] = {}
        verifier = None
        if getattr(self.hub, "pkce_enabled", False):
            verifier, challenge, method = self.hub.generate_pkce_code_challenge()
            extra = {"code_challenge": challenge, "code_challenge_method": method}
        state = (self.hub.generate_state(next_url, code_verifier=verifier) if verifier
                 else self.hub.generate_state(next_url))
        login_url = str(self.hub.login_url)
        sep = "&" if "?" in login_url else "?"
        response = RedirectResponse(f"{login_url}{sep}{urlencode({'state': state, **extra})}", 302)
        kwargs = self._cookie_kwargs(request) | {"max_age": 600}
        response.set_cookie(self.state_cookie_name, self._sign(self.state_cookie_name, state), **kwargs)
        return response

    async def oauth_callback(self, request: Request) -> Response:
        """Finish the OAuth dance: check the state, trade the code for a token, set the cookie."""
        params = request.query_params
        if params.get("error"):
            # The URL is anyone's to write: show a standard OAuth error code, never its description.
            log.info("OAuth login refused: %r (%r)", params["error"][:100],
                     params.get("error_description", "")[:300])
            error = params["error"] if params["error"] in OAUTH_ERROR_CODES else "unknown error"
            raise HTTPException(400, f"JupyterHub refused the login ({error}). Log in again from the "
                                     "hub's home page; if it keeps failing, tell course staff.")
        code, state = params.get("code"), params.get("state")
        if not code or not state:
            raise HTTPException(400, "The login callback lacks its code or state; log in again.")
        cookie_state = self._unsign(self.state_cookie_name,
                                    request.cookies.get(self.state_cookie_name))
        if not hmac.compare_digest(cookie_state.encode(), state.encode()):
            raise HTTPException(403, "The login's state does not match this browser; log in again.")
        next_url = str(self.hub.get_next_url(state))
        verifier = (self.hub.get_code_verifier(state)
                    if hasattr(self.hub, "get_code_verifier") else None)
        self.hub.clear_oauth_state(state)
        token = await self._token_for_code(code, verifier)
        model = await self._user_model(token)
        if model is None:
            raise HTTPException(500, "JupyterHub gave a token that it does not recognise.")
        self._to_user(model, token=token, by_cookie=True)
        if not next_url.startswith(self.env.service_prefix) or next_url.startswith("//"):
            next_url = self.env.service_prefix
        response = RedirectResponse(next_url, 302)
        kwargs = self._cookie_kwargs(request)
        response.set_cookie(self.cookie_name, self._sign(self.cookie_name, token), **kwargs)
        response.delete_cookie(self.state_cookie_name, path=kwargs["path"])
        return response

    async def _token_for_code(self, code: str, verifier: str | None) -> str:
        from tornado.web import HTTPError as TornadoHTTPError

        try:
            if verifier:
                return str(await self.hub.token_for_code(code, code_verifier=verifier, sync=False))
            return str(await self.hub.token_for_code(code, sync=False))
        except TornadoHTTPError as exc:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"JupyterHub refused the login ({exc.log_message}); log in again."
                                ) from exc

    def logout(self, request: Request) -> Response:
        response = RedirectResponse(self.env.hub_logout_url, 302)
        response.delete_cookie(self.cookie_name, path=self.env.service_prefix)
        return response


# --------------------------------------------------------------------------- dependencies


def authentication(request: Request) -> HubAuthentication:
    auth: HubAuthentication = request.app.state.service.auth
    return auth


async def current_user(request: Request) -> HubUser | None:
    """The hub user making the request, or None; tests override this dependency."""
    return await authentication(request).authenticate(request)


CurrentUser = Annotated["HubUser | None", Depends(current_user)]


async def api_user(user: CurrentUser) -> HubUser:
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "Log in through JupyterHub: send 'Authorization: token <your hub token>'.",
                            headers={"WWW-Authenticate": "token"})
    return user


async def page_user(request: Request, user: CurrentUser) -> HubUser:
    if user is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(f"{request.url.path}{query}")
    return user


async def _check_xsrf(request: Request, user: HubUser) -> None:
    """Cookie-authenticated writes must echo the page's XSRF token (header or form field)."""
    if not user.by_cookie or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    supplied = request.headers.get("x-xsrftoken", "")
    if not supplied and "form" in request.headers.get("content-type", ""):
        supplied = str((await request.form()).get("_xsrf", ""))
    if not (user.xsrf and supplied and hmac.compare_digest(user.xsrf, supplied)):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "This form has expired (XSRF check failed); reload the page and retry.")


ApiUser = Annotated[HubUser, Depends(api_user)]
PageUser = Annotated[HubUser, Depends(page_user)]


async def api_writer(request: Request, user: ApiUser) -> HubUser:
    await _check_xsrf(request, user)
    return user


async def page_writer(request: Request, user: PageUser) -> HubUser:
    await _check_xsrf(request, user)
    return user


ApiWriter = Annotated[HubUser, Depends(api_writer)]
PageWriter = Annotated[HubUser, Depends(page_writer)]


def require_ta(user: HubUser) -> None:
    if not user.is_ta:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only course staff (TAs) may do this.")
