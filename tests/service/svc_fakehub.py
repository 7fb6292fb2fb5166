"""A stand-in for JupyterHub's API and OAuth provider: just what HubOAuth talks to.

- ``GET  /hub/api/user``              the token's user model (403 for an unknown token)
- ``GET  /hub/login?user=NAME``       "log in" this browser as NAME (a cookie)
- ``GET  /hub/api/oauth2/authorize``  redirect back to the service with a one-time code (PKCE)
- ``POST /hub/api/oauth2/token``      trade the code (+ the service's secret) for the user's token
- ``GET  /hub/logout``
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

SERVICE = "autograder"
ACCESS = f"access:services!service={SERVICE}"


def user_model(name: str, groups: tuple[str, ...] = (), *, access: bool = True) -> dict[str, Any]:
    scopes = [f"read:users:name!user={name}", f"read:users:groups!user={name}"]
    return {"kind": "user", "name": name, "groups": list(groups),
            "scopes": scopes + ([ACCESS] if access else []), "session_id": None}


USERS = {
    "alice": user_model("alice"),
    "bob": user_model("bob"),
    "tara": user_model("tara", ("tas",)),
    "mallory": user_model("mallory", access=False),
    **{f"s{k:02d}": user_model(f"s{k:02d}") for k in range(1, 21)},
}


def token_for(name: str) -> str:
    return f"tok-{name}"


def make_fake_hub(api_token: str, users: dict[str, dict[str, Any]] | None = None) -> FastAPI:
    users = dict(USERS if users is None else users)
    tokens = {token_for(name): model for name, model in users.items()}
    codes: dict[str, dict[str, str]] = {}
    app = FastAPI()
    app.state.lookups = 0

    @app.get("/hub/api/user")
    def whoami(authorization: str = Header("")) -> dict[str, Any]:
        app.state.lookups += 1
        token = authorization.partition(" ")[2]
        if token not in tokens:
            raise HTTPException(403, "invalid token")
        return tokens[token]

    @app.get("/hub/login")
    def login(user: str) -> HTMLResponse:
        response = HTMLResponse(f"<p id='hub-login'>logged in to the hub as {user}</p>")
        response.set_cookie("fakehub-user", user, path="/hub/")
        return response

    @app.get("/hub/logout")
    def logout() -> HTMLResponse:
        response = HTMLResponse("<p id='hub-logout'>logged out</p>")
        response.delete_cookie("fakehub-user", path="/hub/")
        return response

    @app.get("/hub/api/oauth2/authorize")
    def authorize(request: Request, client_id: str, redirect_uri: str, state: str,
                  response_type: str = "code", code_challenge: str = "",
                  code_challenge_method: str = "") -> RedirectResponse:
        user = request.cookies.get("fakehub-user")
        if user not in users:
            raise HTTPException(403, "not logged in to the fake hub")
        code = secrets.token_urlsafe(8)
        codes[code] = {"user": user, "redirect_uri": redirect_uri, "client_id": client_id,
                       "challenge": code_challenge}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", 302)

    @app.post("/hub/api/oauth2/token")
    def token(client_id: str = Form(...), client_secret: str = Form(...),
              grant_type: str = Form(...), code: str = Form(...), redirect_uri: str = Form(...),
              code_verifier: str = Form("")) -> dict[str, str]:
        grant = codes.pop(code, None)
        if grant is None or client_secret != api_token or grant["client_id"] != client_id:
            raise HTTPException(400, "invalid_grant")
        if grant["redirect_uri"] != redirect_uri:
            raise HTTPException(400, "redirect_uri mismatch")
        if grant["challenge"]:
            digest = hashlib.sha256(code_verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != grant["challenge"]:
                raise HTTPException(400, "PKCE verification failed")
        return {"access_token": token_for(grant["user"]), "token_type": "Bearer"}

    return app
