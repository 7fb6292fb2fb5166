"""What the grading service learns from JupyterHub: read from the environment once, at start-up.

A hub-managed service gets its credentials and URLs as ``JUPYTERHUB_*`` environment variables
(see docs/service.md). :meth:`HubEnvironment.from_environ` is the only place in the service that
reads them; everything else receives the frozen :class:`HubEnvironment`. Nothing here runs at
import time, and no route ever returns these values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from autograder.core.errors import ConfigError

DEFAULT_API_URL = "http://127.0.0.1:8081/hub/api"
DEFAULT_BIND = ("127.0.0.1", 10101)


def _slashed(path: str) -> str:
    """``path`` with exactly one leading and one trailing slash."""
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


@dataclass(frozen=True)
class HubEnvironment:
    """The service's identity at the hub and the URLs it needs (``repr`` hides the secrets)."""

    api_token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    service_name: str = "autograder"
    service_prefix: str = "/services/autograder/"
    client_id: str = "service-autograder"
    oauth_callback_url: str = "/services/autograder/oauth_callback"
    access_scopes: frozenset[str] = frozenset({"access:services!service=autograder"})
    hub_host: str = ""
    hub_prefix: str = "/hub/"
    public_url: str = ""
    service_url: str = ""
    cookie_options: Mapping[str, Any] = field(default_factory=dict)
    cookie_secret: str = field(default="", repr=False)
    ssl_keyfile: str = ""
    ssl_certfile: str = ""
    ssl_client_ca: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, service_name: str) -> HubEnvironment:
        """Build from ``environ`` (``os.environ`` in production). ``service_name``: the config's."""
        token = environ.get("JUPYTERHUB_API_TOKEN", "")
        if not token:
            raise ConfigError(
                "JUPYTERHUB_API_TOKEN is not set. Run `autograder serve` as a JupyterHub managed "
                "service (c.JupyterHub.services, see docs/service.md), or export the api_token of "
                "an external service together with JUPYTERHUB_API_URL."
            )
        name = environ.get("JUPYTERHUB_SERVICE_NAME") or service_name
        prefix = _slashed(environ.get("JUPYTERHUB_SERVICE_PREFIX") or f"/services/{name}/")
        hub_base = _slashed(environ.get("JUPYTERHUB_BASE_URL") or "/")
        scopes_json = environ.get("JUPYTERHUB_OAUTH_ACCESS_SCOPES") or environ.get(
            "JUPYTERHUB_OAUTH_SCOPES"
        )
        try:
            scopes = (
                frozenset(json.loads(scopes_json)) if scopes_json
                else frozenset({f"access:services!service={name}"})
            )
            cookie_options = json.loads(environ.get("JUPYTERHUB_COOKIE_OPTIONS") or "{}")
        except ValueError as exc:
            raise ConfigError(f"a JUPYTERHUB_* variable holds invalid JSON: {exc}") from exc
        return cls(
            api_token=token,
            api_url=(environ.get("JUPYTERHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            service_name=name,
            service_prefix=prefix,
            client_id=environ.get("JUPYTERHUB_CLIENT_ID") or f"service-{name}",
            oauth_callback_url=(
                environ.get("JUPYTERHUB_OAUTH_CALLBACK_URL") or f"{prefix}oauth_callback"
            ),
            access_scopes=scopes,
            hub_host=environ.get("JUPYTERHUB_HOST", ""),
            hub_prefix=f"{hub_base}hub/",
            public_url=environ.get("JUPYTERHUB_PUBLIC_URL", ""),
            service_url=environ.get("JUPYTERHUB_SERVICE_URL", ""),
            cookie_options=cookie_options,
            cookie_secret=environ.get("AUTOGRADER_COOKIE_SECRET", ""),
            ssl_keyfile=environ.get("JUPYTERHUB_SSL_KEYFILE", ""),
            ssl_certfile=environ.get("JUPYTERHUB_SSL_CERTFILE", ""),
            ssl_client_ca=environ.get("JUPYTERHUB_SSL_CLIENT_CA", ""),
        )

    def bind_address(self) -> tuple[str, int]:
        """Host and port to listen on: the hub's ``url`` for this service, else 127.0.0.1:10101."""
        if not self.service_url:
            return DEFAULT_BIND
        parts = urlsplit(self.service_url)
        default_port = 443 if parts.scheme == "https" else 80
        return parts.hostname or DEFAULT_BIND[0], parts.port or default_port

    @property
    def hub_logout_url(self) -> str:
        return f"{self.hub_host}{self.hub_prefix}logout"
