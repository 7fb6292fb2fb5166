"""A real LTI 1.3 platform for the tests: ``lti1p3platform`` behind a minimal HTTP adapter on 127.0.0.1.

What the library does (its code, not ours): the token endpoint (``get_access_token``: required
claims, grant type, the client assertion's RS256 signature against the tool's registered JWKS by
kid and alg, the scopes it grants; the access token is a JWT signed with the platform's key), and
the AGS and NRPS services (``AssignmentsGradesService`` / ``NamesRoleProvisioningService``: the
bearer token's signature, issuer, expiry and scopes, the methods allowed, the response media types).

What this adapter adds, because the library leaves it to the platform (its ``TODO: validate
score``) or to the web framework:
- the storage behind the library's abstract methods (line items, scores, members), with the AGS
  score schema checked in ``update_score`` (required fields, the progress values, an ISO 8601
  timestamp not older than the last one for that user);
- the request media types: ``Content-Type`` of a line item or score POST, ``Accept`` of the
  container GETs (the library only labels its responses); 415 / 406 otherwise;
- ``client_assertion_type`` must be the JWT-bearer URN (the library checks only that it is present);
- faults to inject: users the platform refuses, and going down after N scores.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


@dataclass
class PlatformState:
    """The platform's data, and what the tests read back."""

    issuer: str
    client_id: str
    platform_private_pem: str
    platform_public_pem: str
    tool_jwks: dict[str, Any]
    base: str = ""
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    refused_users: dict[str, str] = field(default_factory=dict)
    down_after_scores: int | None = None
    down: bool = False
    seen: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, path, content type, accept
    assertions: list[dict[str, Any]] = field(default_factory=list)
    tokens_refused: list[str] = field(default_factory=list)

    def scores_for(self, user: str) -> list[dict[str, Any]]:
        return [score for _, score in self.scores if score.get("userId") == user]


class CoursePlatform(LTI1P3PlatformConfAbstract):
    """The library's platform, registered with one tool (its JWKS given, as an LMS admin pastes it)."""

    def init_platform_config(self, **kwargs: Any) -> None:
        state: PlatformState = kwargs["state"]
        self._registration = (
            Registration().set_iss(state.issuer).set_client_id(state.client_id).set_deployment_id("deployment-1")
            .set_platform_private_key(state.platform_private_pem).set_platform_public_key(state.platform_public_pem)
            .set_tool_key_set(state.tool_jwks))

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


class AdapterRequest(Request):
    def build_metadata(self, request: Any) -> TRequest:
        return request  # already in the library's shape (see Handler._lti_request)


class CourseGrades(AssignmentsGradesService):
    def __init__(self, request: Request, platform: CoursePlatform, state: PlatformState) -> None:
        super().__init__(request, platform, lineitems_url=f"{state.base}/ags/lineitems")
        self.state = state

    def find_lineitems(self, page: int = 1, limit: int | None = None, line_item_id: str | None = None,
                       resource_link_id: str | None = None, resource_id: str | None = None,
                       tag: str | None = None) -> Any:
        items = [item for item in self.state.lineitems.values()
                 if (resource_id is None or item.get("resourceId") == resource_id)
                 and (tag is None or item.get("tag") == tag)]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> Any:
        if line_item_id not in self.state.lineitems:
            raise LineItemNotFoundException(line_item_id)
        return self.state.lineitems[line_item_id]

    def create_lineitem(self, creation_data: Any) -> Any:
        if not isinstance(creation_data, dict) or not creation_data.get("label") or not (
                float(creation_data.get("scoreMaximum") or 0) > 0):
            raise LtiServiceException("a line item needs a label and a scoreMaximum > 0", 400)
        item_id = f"{self.state.base}/ags/lineitems/{len(self.state.lineitems) + 1}"
        self.state.lineitems[item_id] = {**creation_data, "id": item_id}
        return self.state.lineitems[item_id]

    def update_lineitem(self, update_data: Any) -> Any:
        current = self.find_lineitem(update_data["id"])
        current.update(update_data)
        return current

    def delete_lineitem(self, line_item_id: str) -> None:
        self.state.lineitems.pop(self.find_lineitem(line_item_id)["id"])

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        check_score(score)
        user = score["userId"]
        if user in self.state.refused_users:
            raise LtiServiceException(self.state.refused_users[user], 422)
        earlier = [s for item, s in self.state.scores if item == line_item_id and s["userId"] == user]
        if earlier and _when(earlier[-1]["timestamp"]) > _when(score["timestamp"]):
            return UpdateScoreStatus.OLD_TIMESTAMP
        self.state.scores.append((line_item_id, score))
        return UpdateScoreStatus.SUCCESS if earlier else UpdateScoreStatus.CREATED

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None) -> Any:
        raise LtiServiceException("results are not offered by this test platform", 501)


class CourseMembers(NamesRoleProvisioningService):
    def __init__(self, request: Request, platform: CoursePlatform, state: PlatformState) -> None:
        super().__init__(request, platform, context_memberships_url=f"{state.base}/nrps/memberships")
        self.state = state

    def get_member_data_page(self, page: int = 1, limit: int | None = None, role: str | None = None,
                             since: str | None = None, **_: Any) -> Any:
        return {"content": [dict(m) for m in self.state.members], "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id="course-1", label="LLM", title="Understanding LLMs")


def check_score(score: Any) -> None:
    """AGS 2.0 §3.4.1 (the library's ``TODO: validate score``)."""
    if not isinstance(score, dict):
        raise LtiServiceException("a score is a JSON object", 400)
    for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if name not in score:
            raise LtiServiceException(f"score without {name}", 400)
    if score["activityProgress"] not in ACTIVITY or score["gradingProgress"] not in GRADING:
        raise LtiServiceException("unknown activityProgress or gradingProgress", 400)
    if "scoreGiven" in score and not (isinstance(score.get("scoreMaximum"), int | float) and score["scoreMaximum"] > 0
                                      and isinstance(score["scoreGiven"], int | float) and score["scoreGiven"] >= 0):
        raise LtiServiceException("scoreGiven needs a scoreMaximum > 0, both numbers", 400)
    try:
        _when(score["timestamp"])
    except (TypeError, ValueError):
        raise LtiServiceException("timestamp is not ISO 8601 with a time zone", 400) from None


def _when(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


class Handler(BaseHTTPRequestHandler):
    """The adapter: HTTP in, the library's handlers, HTTP out (one request per connection)."""

    state: PlatformState
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        with self.lock:
            state = self.state
            if state.down:  # gone: the connection closes with no answer
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            accept = self.headers.get("Accept") or ""
            state.seen.append((self.command, path, ctype, accept))
            status, payload, media, link = self._route(path, body, ctype, accept)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(data)))
            if link:
                self.send_header("Link", f'<{link}>; rel="next"')
            self.end_headers()
            self.wfile.write(data)
            if state.down_after_scores is not None and len(state.scores) >= state.down_after_scores:
                state.down = True

    def _route(self, path: str, body: bytes, ctype: str, accept: str) -> tuple[int, Any, str, str]:
        state = self.state
        if path == "/token" and self.command == "POST":
            return self._token(dict(parse_qsl(body.decode())))
        wants = {("POST", "lineitems"): (LINEITEM_TYPE, None), ("GET", "lineitems"): (None, LINEITEMS_TYPE),
                 ("POST", "scores"): (SCORE_TYPE, None), ("PUT", "lineitem"): (LINEITEM_TYPE, None),
                 ("GET", "members"): (None, MEMBERS_TYPE)}
        parts = path.strip("/").split("/")
        kind = ("lineitems" if parts == ["ags", "lineitems"] else "scores" if parts[-1:] == ["scores"]
                else "lineitem" if parts[:2] == ["ags", "lineitems"] and len(parts) == 3
                else "members" if parts == ["nrps", "memberships"] else "")
        if not kind:
            return 404, {"error": "not found"}, "application/json", ""
        need_type, need_accept = wants.get((self.command, kind), (None, None))
        if need_type and ctype != need_type:
            return 415, {"error": f"Content-Type must be {need_type}"}, "application/json", ""
        if need_accept and need_accept not in accept:
            return 406, {"error": f"Accept must name {need_accept}"}, "application/json", ""
        request = AdapterRequest({
            "method": self.command, "form_data": {}, "get_data": dict(parse_qsl(urlsplit(self.path).query)),
            "headers": dict(self.headers.items()), "content_type": ctype, "path": path,
            "json": json.loads(body) if body else None})
        platform = CoursePlatform(state=state)
        try:
            if kind == "members":
                service: Any = CourseMembers(request, platform, state)
                response = service.handle_resp(service.handle_get_members)
            else:
                service = CourseGrades(request, platform, state)
                item_id = f"{state.base}/ags/lineitems/{parts[2]}" if len(parts) > 2 else ""
                handler = {("lineitems", "GET"): service.handle_get_lineitems,
                           ("lineitems", "POST"): service.handle_create_lineitem,
                           ("lineitem", "GET"): service.handle_get_lineitem,
                           ("lineitem", "PUT"): service.handle_update_lineitem,
                           ("scores", "POST"): service.handle_update_score}.get((kind, self.command))
                if handler is None:
                    return 405, {"error": "method not allowed"}, "application/json", ""
                response = service.handle_resp(handler, **({"line_item_id": item_id} if item_id else {}))
        except (jwt.PyJWTError, LtiException) as exc:  # a bad bearer token: the library raises, we answer 401
            return 401, {"error": f"invalid token: {exc}"}, "application/json", ""
        return self._render(response)

    @staticmethod
    def _render(response: Response) -> tuple[int, Any, str, str]:
        result, link = response.result, ""
        if isinstance(result, dict) and "content" in result and "has_next" in result:  # the library's page
            result, link = result["content"], (result.get("next") or "") if result.get("has_next") else ""
        if result is None and response.code >= 300:
            result = {"error": response.message}
        elif result is None:
            result = {"status": response.message}
        return response.code, result, response.media_type, link

    def _token(self, form: dict[str, str]) -> tuple[int, Any, str, str]:
        from lti1p3platform.exceptions import MissingRequiredClaim, UnsupportedGrantType

        state = self.state
        if "client_assertion" in form:
            state.assertions.append({"header": jwt.get_unverified_header(form["client_assertion"]),
                                     "claims": jwt.decode(form["client_assertion"], options={"verify_signature": False})})
        try:
            if form.get("client_assertion_type", ASSERTION_TYPE) != ASSERTION_TYPE:
                raise UnsupportedGrantType()
            token = CoursePlatform(state=state).get_access_token(form)
        except MissingRequiredClaim as exc:
            state.tokens_refused.append(str(exc))
            return 400, {"error": "invalid_request", "error_description": str(exc)}, "application/json", ""
        except UnsupportedGrantType:
            state.tokens_refused.append("unsupported grant or assertion type")
            return 400, {"error": "unsupported_grant_type"}, "application/json", ""
        except (LtiException, jwt.PyJWTError) as exc:
            state.tokens_refused.append(f"{type(exc).__name__}: {exc}")
            return 401, {"error": "invalid_client", "error_description": f"client assertion refused: {exc}"}, \
                "application/json", ""
        return 200, dict(token), "application/json", ""


class RunningPlatform:
    """The platform served on 127.0.0.1 from a thread until ``stop``."""

    def __init__(self, state: PlatformState) -> None:
        handler = type("BoundHandler", (Handler,), {"state": state})
        self.server = HTTPServer(("127.0.0.1", 0), handler)
        state.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.state = state
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
