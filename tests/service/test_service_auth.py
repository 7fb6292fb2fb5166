"""Hub OAuth for browsers (against the fake hub), and the environment read once at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from svc_support import PREFIX, Service

from autograder.core.errors import ConfigError
from autograder.service.settings import HubEnvironment


def _authorize(fake_hub, location: str, user: str) -> str:
    """What the browser does at the hub: follow the authorize URL, logged in as ``user``."""
    assert location.startswith("/hub/api/oauth2/authorize?")
    answer = httpx.get(fake_hub.url + location, cookies={"fakehub-user": user},
                       follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def test_browser_login_goes_through_the_hubs_oauth(service: Service, fake_hub) -> None:
    first = service.client.get(PREFIX + "ta?sheet=sheet_3_2", follow_redirects=False)
    assert first.status_code == 302
    query = parse_qs(urlsplit(first.headers["location"]).query)
    assert query["client_id"] == ["service-autograder"]
    assert query["redirect_uri"] == [PREFIX + "oauth_callback"]
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    callback = _authorize(fake_hub, first.headers["location"], "tara")
    done = service.client.get(callback, follow_redirects=False)
    assert done.status_code == 302, done.text
    assert done.headers["location"] == PREFIX + "ta?sheet=sheet_3_2"
    cookie = done.headers["set-cookie"]
    assert "httponly" in cookie.lower() and f"Path={PREFIX}" in cookie
    page = service.client.get(done.headers["location"])
    assert page.status_code == 200 and 'id="class-table"' in page.text


def test_oauth_state_must_match_this_browser(service: Service, fake_hub) -> None:
    first = service.client.get(PREFIX, follow_redirects=False)
    callback = _authorize(fake_hub, first.headers["location"], "alice")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    forged = service.client.get(f"{PREFIX}oauth_callback?code={code}&state=someone-elses",
                                follow_redirects=False)
    assert forged.status_code == 403
    service.client.cookies.clear()
    stolen = service.client.get(callback, follow_redirects=False)
    assert stolen.status_code == 403
    refused = service.client.get(PREFIX + "oauth_callback?error=access_denied",
                                 follow_redirects=False)
    assert refused.status_code == 400


def test_once_logged_in_pages_need_no_redirect(service: Service, fake_hub) -> None:
    first = service.client.get(PREFIX, follow_redirects=False)
    callback = _authorize(fake_hub, first.headers["location"], "alice")
    assert service.client.get(callback, follow_redirects=False).status_code == 302
    second = service.client.get(PREFIX, follow_redirects=False)
    assert second.status_code == 200  # logged in now: no more redirects


def test_logout_clears_the_cookie_and_goes_to_the_hub(service: Service, fake_hub) -> None:
    first = service.client.get(PREFIX, follow_redirects=False)
    service.client.get(_authorize(fake_hub, first.headers["location"], "alice"),
                       follow_redirects=False)
    out = service.client.get(PREFIX + "logout", follow_redirects=False)
    assert out.status_code == 302 and out.headers["location"].endswith("/hub/logout")
    assert service.client.get(PREFIX, follow_redirects=False).status_code == 302


def test_environment_is_read_once_and_checked() -> None:
    with pytest.raises(ConfigError, match="JUPYTERHUB_API_TOKEN"):
        HubEnvironment.from_environ({}, service_name="autograder")
    env = HubEnvironment.from_environ({
        "JUPYTERHUB_API_TOKEN": "secret", "JUPYTERHUB_SERVICE_PREFIX": "services/grader",
        "JUPYTERHUB_SERVICE_URL": "http://10.0.0.5:9000", "JUPYTERHUB_BASE_URL": "/course/",
        "JUPYTERHUB_OAUTH_ACCESS_SCOPES": '["access:services!service=grader"]',
    }, service_name="grader")
    assert env.service_prefix == "/services/grader/"
    assert env.oauth_callback_url == "/services/grader/oauth_callback"
    assert env.hub_prefix == "/course/hub/" and env.hub_logout_url == "/course/hub/logout"
    assert env.bind_address() == ("10.0.0.5", 9000)
    assert env.access_scopes == {"access:services!service=grader"}
    assert "secret" not in repr(env)
    with pytest.raises(ConfigError, match="invalid JSON"):
        HubEnvironment.from_environ({"JUPYTERHUB_API_TOKEN": "x",
                                     "JUPYTERHUB_COOKIE_OPTIONS": "{"}, service_name="a")


def test_importing_the_service_reads_no_environment() -> None:
    code = ("import os; os.environ.clear(); import autograder.service.app, "
            "autograder.service.server, autograder.student.client; print('ok')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60, check=False)
    assert out.stdout.strip() == "ok", out.stderr
