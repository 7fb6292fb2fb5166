"""The tool side of LTI 1.3 Advantage: an access token by OAuth2 client credentials with a signed
JWT client assertion (RFC 7523, IMS Security Framework §4.1), then Assignment and Grade Services
(line items, scores) and Names and Role Provisioning Services (the course's members).

authlib does the OAuth2 exchange (``PrivateKeyJWT`` signs the assertion with joserfc: iss = sub =
client id, aud = the token URL, a fresh jti, 1 h expiry, the key's kid in the header); requests
carries the HTTP. Every request names the AGS / NRPS media type the specs require.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

from autograder.core.config import LmsConfig
from autograder.core.errors import ConfigError, LmsError

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 1000  # a paging loop that never ends is the platform's bug, not a reason to hang


def load_private_key(settings: LmsConfig, *, root: Path, environ: Mapping[str, str]) -> RSAKey:
    """The tool's RSA private key, from ``private_key_file`` or the variable ``private_key_env`` names.

    A key file inside the course folder is refused: the course folder is a repository, and a
    committed key is a leaked key.
    """
    if settings.private_key_file is not None:
        path = settings.private_key_file if settings.private_key_file.is_absolute() else root / settings.private_key_file
        if path.resolve().is_relative_to(root.resolve()):
            raise ConfigError(f"lms.private_key_file {path} lies inside the course folder {root}: keep the key "
                              "outside the repository (e.g. /etc/autograder/lms-key.pem) or use lms.private_key_env")
        try:
            pem = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"lms.private_key_file {path}: cannot read it ({exc})") from None
        where = str(path)
    elif settings.private_key_env:
        pem = environ.get(settings.private_key_env, "")
        if not pem.strip():
            raise ConfigError(f"lms.private_key_env: the environment variable {settings.private_key_env} is not set")
        where = f"${settings.private_key_env}"
    else:
        raise ConfigError("lms: set private_key_file (a PEM file outside the repository) or private_key_env")
    try:
        key = RSAKey.import_key(pem)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"lms key from {where} is not an RSA private key in PEM form ({type(exc).__name__})") from None
    if not key.is_private:
        raise ConfigError(f"lms key from {where} is a public key: the tool signs with its private key")
    return key


def key_id(settings: LmsConfig, key: RSAKey) -> str:
    return settings.key_id or key.thumbprint()


def public_jwks(key: RSAKey, kid: str) -> dict[str, Any]:
    """The JWKS to register in the LMS for this key (``alg`` RS256, ``use`` sig)."""
    public = key.as_dict(private=False)
    return {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}


def scores_url(lineitem: str) -> str:
    """AGS §3.4: the scores endpoint is the line item's URL with ``/scores`` appended to its path."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


class LtiClient:
    """One authenticated session with the platform; ``close`` (or ``with``) ends it."""

    def __init__(self, settings: LmsConfig, key: RSAKey, *, scopes: tuple[str, ...]) -> None:
        self.settings = settings
        auth = PrivateKeyJWT(settings.audience or settings.token_url, headers={"kid": key_id(settings, key)})
        self.session = OAuth2Session(client_id=settings.client_id, client_secret=key,
                                     token_endpoint_auth_method=auth, scope=" ".join(scopes),
                                     token_endpoint=settings.token_url)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def authenticate(self) -> str:
        """Fetch an access token; the scopes the platform granted. LmsError when refused or unreachable."""
        try:
            token = self.session.fetch_token(self.settings.token_url, grant_type="client_credentials",
                                             timeout=self.settings.timeout_s)
        except OAuthError as exc:
            raise LmsError(f"the LMS refused the access token ({exc.error}: {exc.description or 'no reason given'}); "
                           "check lms.client_id and that the LMS holds this key's public JWKS "
                           f"(kid {key_id(self.settings, self.session.client_secret)}); nothing was sent") from None
        except ValueError:
            raise LmsError(f"the LMS token URL {self.settings.token_url} answered with no OAuth2 token (not JSON); "
                           "check lms.token_url; nothing was sent") from None
        except requests.RequestException as exc:
            raise LmsError(f"the LMS token URL {self.settings.token_url} cannot be reached ({type(exc).__name__}); "
                           "nothing was sent") from None
        return str(token.get("scope", ""))

    # ------------------------------------------------------------------ HTTP with the spec's media types
    def request(self, method: str, url: str, *, accept: str, content_type: str | None = None,
                body: Any = None) -> requests.Response:
        """One request with the bearer token (renewed by authlib before it expires). Network errors propagate."""
        headers = {"Accept": accept}
        data = None
        if content_type is not None:
            import json

            headers["Content-Type"] = content_type
            data = json.dumps(body).encode("utf-8")
        return self.session.request(method, url, headers=headers, data=data, timeout=self.settings.timeout_s)

    def _pages(self, url: str, accept: str, params: Mapping[str, str] | None = None) -> Iterator[Any]:
        """Each page's JSON, following ``Link: <...>; rel="next"`` (AGS §3.2.7, NRPS §2.4.2)."""
        if params:
            from urllib.parse import urlencode

            url += ("&" if urlsplit(url).query else "?") + urlencode(params)
        for _ in range(MAX_PAGES):
            response = self._checked(self.request("GET", url, accept=accept), f"GET {url}")
            yield response.json()
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            url = following

    @staticmethod
    def _checked(response: requests.Response, what: str) -> requests.Response:
        if response.status_code >= 400:
            raise LmsError(f"the LMS answered {what} with HTTP {response.status_code} "
                           f"({response.text.strip()[:200] or response.reason}); nothing more was sent")
        return response

    # ------------------------------------------------------------------ AGS
    def find_lineitems(self, resource_id: str) -> list[dict[str, Any]]:
        """The course's line items whose resourceId is ``resource_id``."""
        found: list[dict[str, Any]] = []
        for page in self._pages(self.settings.lineitems_url, LINEITEMS_TYPE, {"resource_id": resource_id}):
            items = page if isinstance(page, list) else []
            found += [item for item in items if isinstance(item, dict) and item.get("resourceId") == resource_id]
        return found

    def create_lineitem(self, item: dict[str, Any]) -> dict[str, Any]:
        response = self._checked(self.request("POST", self.settings.lineitems_url, accept=LINEITEM_TYPE,
                                              content_type=LINEITEM_TYPE, body=item), "the new line item")
        created = response.json()
        if not isinstance(created, dict) or not created.get("id"):
            raise LmsError("the LMS created a line item but returned no id; look in its gradebook before pushing again")
        return created

    def update_lineitem(self, item: dict[str, Any]) -> dict[str, Any]:
        response = self._checked(self.request("PUT", item["id"], accept=LINEITEM_TYPE, content_type=LINEITEM_TYPE,
                                              body=item), f"the update of line item {item['id']}")
        updated = response.json()
        return updated if isinstance(updated, dict) and updated.get("id") else item

    def post_score(self, lineitem: str, score: dict[str, Any]) -> requests.Response:
        """POST one score; the response as it came (the caller decides per student). Network errors propagate."""
        return self.request("POST", scores_url(lineitem), accept="application/json", content_type=SCORE_TYPE,
                            body=score)

    # ------------------------------------------------------------------ NRPS
    def members(self) -> list[dict[str, Any]]:
        """Every member of the course context (all pages)."""
        if not self.settings.nrps_url:
            raise ConfigError("no roster: give --roster roster.csv, set lms.roster_csv, or set lms.nrps_url")
        members: list[dict[str, Any]] = []
        for page in self._pages(self.settings.nrps_url, MEMBERS_TYPE):
            members += [m for m in (page.get("members", []) if isinstance(page, dict) else []) if isinstance(m, dict)]
        return members


def environment() -> Mapping[str, str]:
    """The process environment, read here only (for ``lms.private_key_env``)."""
    return os.environ
