"""The staff page's adjustments: a TA sets an exercise's points with a reason (the student sees it, not
the staff note), the TA page and grades.csv agree, a removal undoes it; a student gets 403."""

from __future__ import annotations

import csv
import io

from svc_fakehub import token_for
from svc_support import PREFIX, Service, notebook_bytes

NOTE = "STAFF-NOTE-never-for-students"


def test_an_adjustment_from_the_staff_page_reaches_every_view(service: Service) -> None:
    sub = service.submit("alice", notebook_bytes("bug:3.2.2")).json()
    assert service.wait("alice", sub["id"])["result"]["score"] == 86
    refused = service.post("tara", "ta/adjust?sheet=sheet_3_2", data={
        "student": "alice", "exercise": "3.2.2", "points": "15", "reason": "r"}, follow_redirects=False)
    assert refused.status_code == 400 and "outside [0, 14]" in refused.text
    done = service.post("tara", "ta/adjust?sheet=sheet_3_2", data={
        "student": "alice", "exercise": "3.2.2", "points": "14", "reason": "the closed form was a typo in the sheet",
        "note": NOTE}, follow_redirects=False)
    assert done.status_code == 303, done.text
    mine = service.get("alice", f"api/submissions/{sub['id']}").json()["result"]
    assert mine["score"] == 100 and mine["adjustment_total"] == 14
    assert "adjusted by staff: the closed form was a typo in the sheet" in mine["feedback_html"]
    page = service.get("alice", f"submissions/{sub['id']}").text
    assert "adjusted by staff: the closed form was a typo in the sheet" in page
    assert NOTE not in str(mine) and NOTE not in page
    grades = {r["student_id"]: r for r in csv.DictReader(io.StringIO(service.get("tara", "ta/grades.csv?sheet=sheet_3_2").text))}
    assert (grades["alice"]["final"], grades["alice"]["adjustments"]) == ("100", "14")
    staff_page = service.get("tara", "ta/adjustments?sheet=sheet_3_2").text
    assert NOTE in staff_page and "tara" in staff_page
    adjustment_id = staff_page.split('class="adjustment" data-id="')[1].split('"')[0]
    removed = service.post("tara", "ta/adjust/remove?sheet=sheet_3_2", data={"adjustment_id": adjustment_id},
                           follow_redirects=False)
    assert removed.status_code == 303
    assert service.get("alice", f"api/submissions/{sub['id']}").json()["result"]["score"] == 86


def test_students_cannot_adjust_or_see_the_page(service: Service) -> None:
    sub = service.submit("alice", notebook_bytes("bug:3.2.2")).json()
    service.wait("alice", sub["id"])
    form = {"student": "alice", "exercise": "3.2.2", "points": "14", "reason": "me"}
    assert service.post("alice", "ta/adjust?sheet=sheet_3_2", data=form).status_code == 403
    assert service.get("alice", "ta/adjustments?sheet=sheet_3_2").status_code == 403
    assert service.get("alice", f"api/submissions/{sub['id']}").json()["result"]["score"] == 86


def test_a_cookie_write_without_the_xsrf_token_is_refused(service: Service) -> None:
    auth_ = service.app.state.service.auth
    token = token_for("tara")
    service.client.cookies.set(auth_.cookie_name, auth_._sign(auth_.cookie_name, token), path=PREFIX)
    form = {"student": "alice", "exercise": "3.2.2", "points": "14", "reason": "r"}
    forged = service.client.post(PREFIX + "ta/adjust?sheet=sheet_3_2", data=form)
    assert forged.status_code == 403 and "XSRF" in forged.text
