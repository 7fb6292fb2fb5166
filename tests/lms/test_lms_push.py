"""``autograder lms-push`` against a running LTI 1.3 platform (lti1p3platform on 127.0.0.1; see lti_platform.py).

The toy course's four results: alice 10/10; bob 5 raw, two days late (10 % a day) -> 4; carol 8
raw with a staff adjustment of basics 2 -> 4 -> 10; dave 8 with a written answer awaiting staff
(PendingManual). Each test runs the installed command as a TA would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import requests
from lms_course import CLIENT_ID, EXE, KID, Course, Keys, write_course
from lti_platform import LINEITEM_TYPE, SCORE_TYPE, PlatformState

from autograder.core.errors import EXIT_LMS_NOT_SENT, EXIT_USAGE
from autograder.grades.grade import AdjustmentEntry, StaffLedger
from autograder.lms.ledger import PushLedger

FINAL = {"lms-alice": 10.0, "lms-bob": 4.0, "lms-carol": 10.0, "lms-dave": 8.0}


def _score_posts(platform: PlatformState) -> list[tuple[str, str, str, str]]:
    return [seen for seen in platform.seen if seen[0] == "POST" and seen[1].endswith("/scores")]


def test_a_token_signed_with_an_unregistered_key_is_refused(course: Course, platform: PlatformState,
                                                             keys: Keys) -> None:
    course.key_file.write_bytes(keys.stranger.as_pem(private=True))  # same kid, another key
    done = course.push()
    assert done.returncode == EXIT_LMS_NOT_SENT, done.stderr
    assert "refused the access token" in done.stderr and "nothing was sent" in done.stderr, done.stderr
    assert platform.tokens_refused and "Signature" in platform.tokens_refused[0], platform.tokens_refused
    assert platform.lineitems == {} and platform.scores == []
    assert not PushLedger.for_results(course.results).path.exists()


def test_final_scores_go_to_one_line_item_with_the_ags_media_types(course: Course, platform: PlatformState) -> None:
    done = course.push()
    assert done.returncode == 0, done.stderr
    assert "created now" in done.stderr and "sent 4 score(s)" in done.stderr, done.stderr
    [item] = platform.lineitems.values()
    assert (item["resourceId"], item["tag"], item["label"], item["scoreMaximum"]) == ("toy", "toy", "Toy sheet", 10.0)
    assert {user: platform.scores_for(user)[-1]["scoreGiven"] for user in FINAL} == FINAL
    assert "lms-ta" not in {score["userId"] for _, score in platform.scores}  # an instructor in NRPS is no student
    dave, alice = platform.scores_for("lms-dave")[0], platform.scores_for("lms-alice")[0]
    assert (dave["gradingProgress"], alice["gradingProgress"]) == ("PendingManual", "FullyGraded")
    assert alice["activityProgress"] == "Completed" and alice["scoreMaximum"] == 10.0
    assert platform.scores_for("lms-bob")[0]["comment"] == "tests 5 - late penalty 1 = 4 of 10"
    assert {seen[2] for seen in _score_posts(platform)} == {SCORE_TYPE}
    assert ("POST", "/ags/lineitems", LINEITEM_TYPE, LINEITEM_TYPE) in platform.seen
    # the client assertion (RFC 7523): iss = sub = client id, aud = the token URL, a jti, the registered kid
    assertion = platform.assertions[0]
    assert (assertion["header"]["alg"], assertion["header"]["kid"]) == ("RS256", KID)
    claims = assertion["claims"]
    assert (claims["iss"], claims["sub"], claims["aud"]) == (CLIENT_ID, CLIENT_ID, f"{platform.base}/token")
    assert claims["jti"] and claims["exp"] > claims["iat"]
    # the second push finds the line item and sends nothing that the LMS already has
    again = course.push()
    assert again.returncode == 0, again.stderr
    assert len(platform.lineitems) == 1 and "created now" not in again.stderr
    assert "sent 0 score(s); 4 already in the LMS unchanged" in again.stderr, again.stderr
    assert len(platform.scores) == 4


def test_a_changed_grade_is_sent_again_and_only_it(course: Course, platform: PlatformState) -> None:
    assert course.push().returncode == 0
    StaffLedger.for_results(course.results).add_adjustment(AdjustmentEntry(
        student_id="alice", exercise="objects", points=1.0, reason="copied from bob", by="head-ta"))
    done = course.push()
    assert done.returncode == 0, done.stderr
    assert "sent 1 score(s); 3 already in the LMS unchanged" in done.stderr, done.stderr
    assert [s["scoreGiven"] for s in platform.scores_for("lms-alice")] == [10.0, 8.0]
    assert all(len(platform.scores_for(user)) == 1 for user in ("lms-bob", "lms-carol", "lms-dave"))


def test_a_failure_in_the_middle_names_who_was_not_sent_and_the_retry_sends_only_them(
        course: Course, platform: PlatformState) -> None:
    platform.refused_users["lms-bob"] = "user is not a student of this course"
    platform.down_after_scores = 2  # alice and carol get in; then the platform is gone
    done = course.push()
    assert done.returncode == EXIT_LMS_NOT_SENT, done.stderr
    assert "not sent: bob: the LMS answered HTTP 422" in done.stderr, done.stderr
    assert "not sent: dave: no answer from the LMS" in done.stderr, done.stderr
    assert "2 student(s) not sent: bob, dave" in done.stderr, done.stderr
    assert "not sent: alice" not in done.stderr and "not sent: carol" not in done.stderr
    ledger = [json.loads(line) for line in PushLedger.for_results(course.results).path.read_text().splitlines()]
    assert [(e["student_id"], e["result"]) for e in ledger] == [
        ("alice", "sent"), ("bob", "failed"), ("carol", "sent"), ("dave", "failed")]
    # the platform is back and bob enrolled: the same command sends bob and dave, and nobody twice
    platform.refused_users.clear()
    platform.down_after_scores, platform.down = None, False
    before = len(_score_posts(platform))
    retry = course.push()
    assert retry.returncode == 0, retry.stderr
    assert "sent 2 score(s); 2 already in the LMS unchanged" in retry.stderr, retry.stderr
    assert sorted(p[1] for p in _score_posts(platform)[before:]) == [f"{urlsplit(next(iter(platform.lineitems))).path}/scores"] * 2
    assert {user: len(platform.scores_for(user)) for user in FINAL} == dict.fromkeys(FINAL, 1)
    assert {user: platform.scores_for(user)[0]["scoreGiven"] for user in FINAL} == FINAL


def test_after_the_lms_stops_answering_the_rest_are_not_tried(course: Course, platform: PlatformState) -> None:
    platform.down_after_scores = 1
    done = course.push()
    assert done.returncode == EXIT_LMS_NOT_SENT
    assert "not sent: dave: not tried: the LMS stopped answering" in done.stderr, done.stderr
    assert "3 student(s) not sent: bob, carol, dave" in done.stderr, done.stderr
    assert len(_score_posts(platform)) == 1  # bob and carol got no answer: their requests never arrived


def test_dry_run_sends_nothing(course: Course, platform: PlatformState) -> None:
    done = course.push("--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would send bob -> LMS user lms-bob: 4/10 FullyGraded (tests 5 - late penalty 1 = 4 of 10)" in done.stdout
    assert "would send dave -> LMS user lms-dave: 8/10 PendingManual" in done.stdout
    assert "line item: would be created" in done.stderr.lower(), done.stderr
    assert [seen for seen in platform.seen if seen[0] != "GET" and seen[1] != "/token"] == []
    assert platform.lineitems == {} and platform.scores == []
    assert not PushLedger.for_results(course.results).path.exists()


def test_students_missing_from_the_roster_are_reported_never_guessed(course: Course, platform: PlatformState,
                                                                      tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_user_id\nalice,lms-alice\nbob,lms-bob\ncarol,lms-carol\nerin,lms-erin\n"
                      "Dave,lms-dave\n")  # 'Dave' is not 'dave': no case-folding guess
    done = course.push("--roster", str(roster))
    assert done.returncode == EXIT_LMS_NOT_SENT, done.stderr
    assert "not sent: dave: not in the roster (roster roster.csv)" in done.stderr, done.stderr
    assert "in the roster without a result (nothing to send): Dave, erin" in done.stderr, done.stderr
    assert platform.scores_for("lms-dave") == [] and len(platform.scores) == 3
    assert not any(seen[1] == "/nrps/memberships" for seen in platform.seen)  # the CSV, not NRPS


def test_nrps_members_that_match_nobody_and_ambiguous_ones_are_not_sent(course: Course,
                                                                        platform: PlatformState) -> None:
    platform.members[:] = [m for m in platform.members if m["lis_person_sourcedid"] != "dave"]
    platform.members.append({"user_id": "lms-bob-2", "lis_person_sourcedid": "bob",
                             "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]})
    done = course.push()
    assert done.returncode == EXIT_LMS_NOT_SENT, done.stderr
    assert "not sent: bob: 2 LMS users in the NRPS membership, matched on lis_person_sourcedid: lms-bob, lms-bob-2" \
        in done.stderr, done.stderr
    assert "not sent: dave: not in the roster (NRPS membership" in done.stderr
    assert sorted({s["userId"] for _, s in platform.scores}) == ["lms-alice", "lms-carol"]


def test_the_platform_refuses_a_bad_token_and_a_wrong_media_type(course: Course, platform: PlatformState) -> None:
    assert course.push().returncode == 0
    [item] = platform.lineitems
    score = {"userId": "lms-alice", "scoreGiven": 1, "scoreMaximum": 10, "activityProgress": "Completed",
             "gradingProgress": "FullyGraded", "timestamp": "2027-01-01T00:00:00+00:00"}
    forged = requests.post(f"{item}/scores", json=score, timeout=10,
                           headers={"Authorization": "Bearer not.a.token", "Content-Type": SCORE_TYPE})
    assert forged.status_code == 401
    plain = requests.post(f"{item}/scores", json=score, timeout=10, headers={"Authorization": "Bearer x"})
    assert plain.status_code == 415  # application/json is not the AGS score media type
    assert len(platform.scores) == 4


def test_the_key_stays_out_of_the_repository_and_out_of_config(course: Course, platform: PlatformState,
                                                               keys: Keys) -> None:
    inside = course.root / "lms-key.pem"
    inside.write_bytes(keys.tool.as_pem(private=True))
    write_course(course.root, base=platform.base, key_file=inside)
    done = course.push()
    assert done.returncode == EXIT_USAGE and "inside the course folder" in done.stderr, done.stderr
    assert platform.seen == []
    printed = subprocess.run([EXE, "config", "--config", str(course.config)], capture_output=True, text=True,
                             timeout=60, check=False).stdout
    settings = json.loads(printed)["lms"]
    assert settings["private_key_file"] == str(inside) and settings["client_id"] == CLIENT_ID
    assert "PRIVATE KEY" not in printed


def test_the_key_may_come_from_the_environment(course: Course, platform: PlatformState, keys: Keys) -> None:
    write_course(course.root, base=platform.base, key_file=Path("/nonexistent"),
                 extra=', private_key_env="AUTOGRADER_LMS_KEY"')
    text = course.config.read_text().replace("private_key_file='/nonexistent', ", "")
    course.config.write_text(text)
    cmd = [EXE, "lms-push", "toy", str(course.results),
           "--config", str(course.config)]
    missing = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == EXIT_USAGE and "AUTOGRADER_LMS_KEY is not set" in missing.stderr, missing.stderr
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "AUTOGRADER_LMS_KEY": keys.tool.as_pem(private=True).decode()})
    assert done.returncode == 0, done.stderr
    assert len(platform.scores) == 4


def test_a_changed_sheet_total_updates_the_line_item_and_resends(course: Course, platform: PlatformState) -> None:
    assert course.push().returncode == 0
    text = course.config.read_text().replace('"objects": 3}', '"objects": 3, "bonus": 2}')
    course.config.write_text(text.replace('title="Toy sheet"', 'title="Toy sheet (with bonus)"'))
    for path in course.results.glob("*.json"):  # results graded for the new total
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "max_score": 12.0}))
    done = course.push()
    assert done.returncode == 0, done.stderr
    [item] = platform.lineitems.values()
    assert (item["label"], item["scoreMaximum"]) == ("Toy sheet (with bonus)", 12.0)
    assert ("PUT", urlsplit(item["id"]).path, LINEITEM_TYPE, LINEITEM_TYPE) in platform.seen
    assert "sent 4 score(s)" in done.stderr and platform.scores_for("lms-alice")[-1]["scoreMaximum"] == 12.0
