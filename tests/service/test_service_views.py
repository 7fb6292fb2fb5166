"""The API's JSON and the pages come from one model per view (:mod:`autograder.service.models`): the
student's view of a result, the staff view, the submission; they are the routes' response models."""

from __future__ import annotations

from svc_support import PREFIX, Service, notebook_bytes

from autograder.service.models import StaffResultView, StudentResultView, SubmissionView


def test_the_json_endpoints_declare_their_response_models(service: Service) -> None:
    schema = service.client.get(PREFIX + "api/openapi.json").json()
    paths = {path.removeprefix(PREFIX.rstrip("/")): item for path, item in schema["paths"].items()}

    def model(path: str, method: str, code: str) -> str:
        content = paths[path][method]["responses"][code]["content"]["application/json"]["schema"]
        return str(content.get("$ref") or content.get("items", {}).get("$ref"))
    assert model("/api/submissions/{submission_id}", "get", "200").endswith("/SubmissionView")
    assert model("/api/submissions", "get", "200").endswith("/SubmissionView")
    assert model("/api/submissions", "post", "202").endswith("/SubmissionView")
    assert model("/api/submissions/{submission_id}/regrade", "post", "202").endswith("/RegradeQueued")
    assert model("/api/me", "get", "200").endswith("/UserView")
    assert model("/api/sheets", "get", "200").endswith("/SheetView")


def test_a_student_and_staff_get_their_own_view_of_one_submission(service: Service) -> None:
    submitted = service.submit("alice", notebook_bytes("bug:3.2.2")).json()
    service.wait("alice", submitted["id"])
    mine = SubmissionView.model_validate(service.get("alice", f"api/submissions/{submitted['id']}").json())
    staff = SubmissionView.model_validate(service.get("tara", f"api/submissions/{submitted['id']}").json())
    assert isinstance(mine.result, StudentResultView) and isinstance(staff.result, StaffResultView)
    assert mine.result.score == staff.result.score == 86
    hidden = [check for check in mine.result.tests if not check.shown]
    assert hidden and all(check.output is None for check in hidden)  # nothing but points and pass/fail
    assert all("output" not in entry for entry in service.get("alice", f"api/submissions/{submitted['id']}")
               .json()["result"]["tests"] if not entry["shown"])
    assert staff.result.extra_data["device"] and "extra_data" not in mine.result.model_dump()
