"""The JSON API with a fake hub: who sees what, limits, lateness, regrades, exports, errors."""

from __future__ import annotations

import csv
import io

from svc_fakehub import token_for
from svc_support import PREFIX, Service, auth, notebook_bytes


def test_health_and_identity(service: Service) -> None:
    assert service.client.get(PREFIX + "health").json()["ok"] is True
    alice = service.get("alice", "api/me").json()
    assert alice == {"name": "alice", "groups": [], "is_ta": False}
    tara = service.get("tara", "api/me").json()
    assert tara["is_ta"] is True and tara["groups"] == ["tas"]
    sheets = {s["name"]: s for s in service.get("alice", "api/sheets").json()}
    assert sheets["sheet_late"]["late_penalty_per_day"] == 0.1


def test_requests_without_a_valid_hub_identity_are_refused(service: Service) -> None:
    missing = service.client.get(PREFIX + "api/me")
    assert missing.status_code == 401
    assert "Authorization: token" in missing.json()["detail"]
    bad = service.client.get(PREFIX + "api/me", headers={"Authorization": "token nope"})
    assert bad.status_code == 401
    assert "does not accept this token" in bad.json()["detail"]
    no_scope = service.get("mallory", "api/me")
    assert no_scope.status_code == 403
    assert "access:services!service=autograder" in no_scope.json()["detail"]


def test_student_gets_feedback_without_hidden_or_staff_details(service: Service) -> None:
    response = service.submit("alice", notebook_bytes("bug:3.2.2"))
    assert response.status_code == 202, response.text
    view = response.json()
    assert view["student"] == "alice" and view["status"] in ("queued", "running", "done")
    assert view["late"] is False
    graded = service.wait("alice", view["id"])
    result = graded["result"]
    assert graded["status"] == "done"
    assert result["score"] == 86 and result["max_score"] == 100
    rows = {row["exercise"]: row for row in result["exercises"]}
    assert (rows["3.2.2"]["score"], rows["3.2.2"]["max_score"], rows["3.2.2"]["status"]) == (0.0, 14, "wrong")
    assert rows["mlm"]["score"] == 14
    failed = [t for t in result["tests"] if t["status"] == "failed"]
    assert [t["number"] for t in failed] == ["3.2.2"]
    assert "half cosine" in failed[0]["output"]
    text = str(result)
    assert "SECRET" not in text and "staff_output" not in text and "grader_error" not in text
    assert "extra_data" not in result and "test_secret_detail" not in text
    assert [t["name"] for t in result["tests"] if not t["shown"]] == ["hidden check"]
    assert "half cosine" in result["feedback_html"] and "half cosine" in result["feedback_markdown"]
    staff = service.get("tara", f"api/submissions/{view['id']}").json()["result"]
    assert any(t["visibility"] == "hidden" for t in staff["tests"])
    assert any("Traceback" in t.get("staff_output", "") for t in staff["tests"])


def test_students_see_only_their_own_submissions(service: Service) -> None:
    alice_id = service.submit("alice").json()["id"]
    bob_id = service.submit("bob").json()["id"]
    service.wait("alice", alice_id)
    assert service.get("bob", f"api/submissions/{alice_id}").status_code == 403
    assert service.get("bob", "api/submissions/999").status_code == 404
    own = service.get("bob", "api/submissions", params={"student": "alice"}).json()
    assert [v["id"] for v in own] == [bob_id]
    everyone = service.get("tara", "api/submissions").json()
    assert {v["student"] for v in everyone} == {"alice", "bob"}
    only_alice = service.get("tara", "api/submissions", params={"student": "alice"}).json()
    assert [v["id"] for v in only_alice] == [alice_id]


def test_regrade_and_csv_export_are_for_staff(service: Service) -> None:
    first = service.submit("alice", notebook_bytes("bug:mlm")).json()["id"]
    service.wait("alice", first)
    service.submit("bob", notebook_bytes())
    assert service.post("alice", f"api/submissions/{first}/regrade").status_code == 403
    regrade = service.post("tara", f"api/submissions/{first}/regrade")
    assert regrade.status_code == 202
    view = service.wait("tara", first, results=2)
    assert view["attempts"] == 1 and service.results_of(first) == 2
    assert service.get("alice", "api/grades.csv", params={"sheet": "sheet_3_2"}).status_code == 403
    exported = service.get("tara", "api/grades.csv", params={"sheet": "sheet_3_2"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    service.wait("bob", service.get("bob", "api/submissions").json()[0]["id"])
    exported = service.get("tara", "api/grades.csv", params={"sheet": "sheet_3_2"})
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert rows["alice"]["mlm"] == "0" and rows["alice"]["final"] == "86"
    assert rows["bob"]["final"] == "100"
    assert service.get("tara", "api/grades.csv", params={"sheet": "nope"}).status_code == 404


def test_rate_limit_answers_429_with_a_clear_message(make_service) -> None:
    service = make_service(submissions_per_hour=2)
    assert service.submit("alice").status_code == 202
    assert service.submit("alice").status_code == 202
    refused = service.submit("alice")
    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert "limit is 2 per hour" in detail and "Try again in" in detail
    assert int(refused.headers["retry-after"]) > 3000
    assert service.submit("bob").status_code == 202
    assert service.submit("tara").status_code == 202  # staff are not limited
    assert len(service.get("alice", "api/submissions").json()) == 2


def test_late_submissions_are_accepted_marked_and_penalised(service: Service) -> None:
    late = service.submit("alice", sheet="sheet_late").json()
    assert late["late"] is True and late["days_late"] == 3
    assert "3 days late" in late["late_message"] and "30%" in late["late_message"]
    result = service.wait("alice", late["id"])["result"]
    assert result["raw_score"] == 100 and result["late_penalty"] == 30 and result["score"] == 70
    in_grace = service.submit("alice", sheet="sheet_grace").json()
    assert in_grace["late"] is False and in_grace["late_message"] == ""
    assert service.wait("alice", in_grace["id"])["result"]["late_penalty"] == 0


def test_bad_uploads_are_refused_or_reported(make_service) -> None:
    service = make_service(max_upload_mb=1)
    assert service.submit("alice", filename="answers.txt").status_code == 400
    assert service.submit("alice", b"").status_code == 400
    unknown = service.submit("alice", sheet="sheet_9_9")
    assert unknown.status_code == 404 and "sheet_3_2" in unknown.json()["detail"]
    too_big = service.submit("alice", b"x" * (1024 * 1024 + 10))
    assert too_big.status_code == 413
    not_nb = service.submit("alice", b"not a notebook").json()
    result = service.wait("alice", not_nb["id"])["result"]
    assert result["gradable"] is False and "not valid notebook JSON" in result["format_errors"]
    assert len(service.get("alice", "api/submissions").json()) == 1


def test_a_grader_that_raises_gives_a_failed_job_with_a_result(service: Service) -> None:
    view = service.submit("alice", notebook_bytes("explode")).json()
    graded = service.wait("alice", view["id"])
    assert graded["status"] == "failed"
    assert "problem on our side" in graded["result"]["output"]
    assert "grader_error" not in graded["result"]
    staff = service.get("tara", f"api/submissions/{view['id']}").json()["result"]
    assert "exploded" in staff["grader_error"]


def test_token_lookups_are_cached(service: Service, fake_hub) -> None:
    service.get("bob", "api/me")
    before = fake_hub.app.state.lookups
    for _ in range(5):
        assert service.get("bob", "api/me").status_code == 200
    assert fake_hub.app.state.lookups == before


def test_cookie_authenticated_writes_need_the_xsrf_token(service: Service) -> None:
    auth_ = service.app.state.service.auth
    token = token_for("alice")
    service.client.cookies.set(auth_.cookie_name, auth_._sign(auth_.cookie_name, token),
                               path=PREFIX)
    assert service.client.get(PREFIX + "api/me").json()["name"] == "alice"
    files = {"file": ("nb.ipynb", notebook_bytes(), "application/octet-stream")}
    forged = service.client.post(PREFIX + "api/submissions", data={"sheet": "sheet_3_2"},
                                 files=files)
    assert forged.status_code == 403 and "XSRF" in forged.json()["detail"]
    ok = service.client.post(PREFIX + "api/submissions", data={"sheet": "sheet_3_2"}, files=files,
                             headers={"X-XSRFToken": auth_.xsrf_token(token)})
    assert ok.status_code == 202
    with_form = service.client.post(PREFIX + "api/submissions", files=files,
                                    data={"sheet": "sheet_3_2", "_xsrf": auth_.xsrf_token(token)})
    assert with_form.status_code == 202


def test_header_token_wins_over_cookie(service: Service) -> None:
    auth_ = service.app.state.service.auth
    service.client.cookies.set(auth_.cookie_name, auth_._sign(auth_.cookie_name, token_for("tara")),
                               path=PREFIX)
    assert service.client.get(PREFIX + "api/me", headers=auth("bob")).json()["name"] == "bob"
    service.client.cookies.set(auth_.cookie_name, "forged-unsigned-value", path=PREFIX)
    assert service.client.get(PREFIX + "api/me").status_code == 401
