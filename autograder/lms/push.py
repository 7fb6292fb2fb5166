"""``lms-push``: each student's final grade to the sheet's line item in the LMS, sent once.

The order is fixed here:

1. every result in RESULTS_DIR is finalized as every export does (:func:`autograder.outputs.exports.finalize_result`:
   staff adjustments and written marks from ``RESULTS_DIR/staff/``, then the late penalty), and the
   counted one per student is kept (:func:`autograder.grades.late.counted_per_student`). The late policy is
   applied once, here: the LMS receives the final score, so its own late policy must stay off;
2. an access token (:class:`autograder.lms.client.LtiClient`);
3. the roster (CSV or NRPS): students it cannot map are reported, never guessed;
4. the line item with ``resourceId`` = the sheet's name is found, or created (label: the sheet's
   title, scoreMaximum: the sheet's total);
5. one AGS score per student, skipping those whose score the push ledger shows the LMS already has
   (:mod:`autograder.lms.ledger`), each recorded before the next is sent.

A grade still waiting for staff (a written answer not marked) goes as ``PendingManual``; a result
whose grading crashed is held back (staff regrade it first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from joserfc.jwk import RSAKey

from autograder.core.config import CourseConfig, SheetConfig
from autograder.core.errors import LmsError, UsageError
from autograder.core.results import SubmissionResult
from autograder.grades.grade import StaffLedger, parts
from autograder.grades.late import counted_per_student
from autograder.lms.client import SCOPE_LINEITEM, SCOPE_NRPS, SCOPE_SCORE, LtiClient
from autograder.lms.ledger import PushEntry, PushLedger
from autograder.lms.roster import Roster, read_roster_csv, roster_from_members
from autograder.outputs.exports import finalize_result, load_results
from autograder.outputs.feedback import context_for

NETWORK_FAILURES_BEFORE_GIVING_UP = 2


@dataclass(frozen=True)
class PlannedScore:
    student_id: str
    lms_user_id: str
    body: dict[str, Any]

    def entry(self, line_item: str, result: str, status: int | None = None, message: str = "") -> PushEntry:
        return PushEntry(student_id=self.student_id, lms_user_id=self.lms_user_id, line_item=line_item,
                         score_given=self.body["scoreGiven"], score_maximum=self.body["scoreMaximum"],
                         grading_progress=self.body["gradingProgress"], timestamp=self.body["timestamp"],
                         result=result, status=status, message=message)  # type: ignore[arg-type]


@dataclass
class PushOutcome:
    """What one push did; ``not_sent`` names every student whose grade is not in the LMS, with why."""

    line_item: str = ""
    line_item_created: bool = False
    dry_run: bool = False
    planned: list[PlannedScore] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unmapped: dict[str, str] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    roster_without_result: list[str] = field(default_factory=list)

    @property
    def not_sent(self) -> dict[str, str]:
        return dict(sorted({**self.unmapped, **self.held, **self.failed}.items()))


def lineitem_for(sheet: SheetConfig) -> dict[str, Any]:
    item: dict[str, Any] = {"scoreMaximum": sheet.total_points, "label": sheet.title or sheet.name,
                            "resourceId": sheet.name, "tag": sheet.name}
    deadline = sheet.aware_deadline()
    if deadline is not None:
        item["endDateTime"] = deadline.isoformat()
    return item


def score_body(result: SubmissionResult, user: str, when: dt.datetime) -> dict[str, Any]:
    """An AGS score (AGS §3.4): the final grade, FullyGraded, or PendingManual while staff still grade."""
    return {
        "userId": user,
        "scoreGiven": result.final_score,
        "scoreMaximum": result.max_score,
        "activityProgress": "Completed",
        "gradingProgress": "PendingManual" if result.provisional else "FullyGraded",
        "timestamp": when.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "comment": parts_comment(result),
    }


def parts_comment(result: SubmissionResult) -> str:
    """The grade's parts in one line, as the feedback page adds them up."""
    got = parts(result)
    text = f"tests {got['autograded']:g}"
    if result.written:
        text += f" + written {got['written']:g}" + (" (awaiting staff)" if got["written_pending"] else "")
    if got["adjustments"]:
        text += f" {'+' if got['adjustments'] > 0 else '-'} staff adjustments {abs(got['adjustments']):g}"
    if got["late_penalty"]:
        text += f" - late penalty {got['late_penalty']:g}"
    return text + f" = {got['final']:g} of {got['max']:g}"


def counted_results(config: CourseConfig, sheet: SheetConfig, results_dir: Path) -> list[SubmissionResult]:
    """One finalized result per student: staff's parts, the late penalty, the counted submission."""
    results = load_results(results_dir, sheet=sheet.name)
    if not results:
        raise UsageError(f"no results of {sheet.name} in {results_dir}")
    context, ledger = context_for(config, sheet), StaffLedger.for_results(results_dir)
    return counted_per_student([finalize_result(r, context, ledger=ledger) for r in results], sheet)


def push_grades(*, config: CourseConfig, sheet: SheetConfig, results_dir: Path, key: RSAKey,
                roster_csv: Path | None = None, dry_run: bool = False) -> PushOutcome:
    """Send the sheet's final grades (see the module's docstring). LmsError when nothing could be sent."""
    settings = config.lms
    if not settings.configured:
        raise UsageError("lms-push needs lms.client_id, lms.token_url and lms.lineitems_url in the course config "
                         "(docs/term.md, 'Grades to the LMS')")
    counted = counted_results(config, sheet, results_dir)
    outcome = PushOutcome(dry_run=dry_run)
    outcome.held = {r.student_id: "grading failed on our side (grader error): regrade before pushing"
                    for r in counted if r.grader_error}
    sendable = [r for r in counted if not r.grader_error]
    roster_file = roster_csv or (config.resolve(settings.roster_csv) if settings.roster_csv else None)
    roster: Roster | None = read_roster_csv(roster_file) if roster_file is not None else None
    scopes = (SCOPE_LINEITEM, SCOPE_SCORE) + (() if roster is not None else (SCOPE_NRPS,))
    with LtiClient(settings, key, scopes=scopes) as client:
        client.authenticate()
        if roster is None:
            roster = roster_from_members(_read(client.members), match_field=settings.roster_field)
        mapped, outcome.unmapped = roster.resolve(r.student_id for r in sendable)
        outcome.roster_without_result = roster.without_result(r.student_id for r in counted)
        outcome.line_item, outcome.line_item_created = _line_item(client, sheet, dry_run=dry_run)
        ledger = PushLedger.for_results(results_dir)
        with ledger.locked():
            already = ledger.last_sent(outcome.line_item)
            now = dt.datetime.now(dt.UTC)
            for result in (r for r in sendable if r.student_id in mapped):
                planned = PlannedScore(result.student_id, mapped[result.student_id],
                                       score_body(result, mapped[result.student_id], now))
                previous = already.get(result.student_id)
                if previous is not None and previous.same_score(planned.entry(outcome.line_item, "sent")):
                    outcome.unchanged.append(result.student_id)
                else:
                    outcome.planned.append(planned)
            if not dry_run:
                _send_all(client, outcome, ledger)
    return outcome


def _read(call: Any) -> Any:
    try:
        return call()
    except requests.RequestException as exc:
        raise LmsError(f"the LMS stopped answering ({type(exc).__name__}); nothing was sent") from None


def _line_item(client: LtiClient, sheet: SheetConfig, *, dry_run: bool) -> tuple[str, bool]:
    """The line item's URL, and whether it was created now (``dry_run``: never; '(new)' when missing)."""
    wanted = lineitem_for(sheet)
    found = _read(lambda: client.find_lineitems(sheet.name))
    if len(found) > 1:
        raise LmsError(f"the LMS has {len(found)} line items with resourceId {sheet.name!r} "
                       f"({', '.join(str(i.get('id')) for i in found)}): delete all but one; nothing was sent")
    if found:
        item = found[0]
        if not dry_run and (item.get("label"), float(item.get("scoreMaximum") or 0)) != (
                wanted["label"], wanted["scoreMaximum"]):
            _read(lambda: client.update_lineitem({**item, "label": wanted["label"],
                                                  "scoreMaximum": wanted["scoreMaximum"]}))
        return str(item["id"]), False
    if dry_run:
        return "(new)", False
    return str(_read(lambda: client.create_lineitem(wanted))["id"]), True


def _send_all(client: LtiClient, outcome: PushOutcome, ledger: PushLedger) -> None:
    """Post each planned score; record each; stop after the LMS stops answering (the rest: not sent)."""
    network_failures = 0
    for number, planned in enumerate(outcome.planned):
        if network_failures >= NETWORK_FAILURES_BEFORE_GIVING_UP:
            for rest in outcome.planned[number:]:
                outcome.failed[rest.student_id] = "not tried: the LMS stopped answering"
            return
        status, message = _post(client, outcome.line_item, planned)
        if status is None:
            network_failures += 1
        else:
            network_failures = 0
        sent = status is not None and 200 <= status < 300
        ledger.append(planned.entry(outcome.line_item, "sent" if sent else "failed", status, message))
        if sent:
            outcome.sent.append(planned.student_id)
        else:
            outcome.failed[planned.student_id] = (f"the LMS answered HTTP {status}: {message}" if status is not None
                                                  else f"no answer from the LMS ({message})")


def _post(client: LtiClient, line_item: str, planned: PlannedScore) -> tuple[int | None, str]:
    """(HTTP status or None for no answer, the LMS's message). A 401 renews the token once."""
    for attempt in range(2):
        try:
            response = client.post_score(line_item, planned.body)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        if response.status_code == 401 and attempt == 0:
            try:
                client.authenticate()
            except LmsError as exc:
                return 401, str(exc)
            continue
        return response.status_code, response.text.strip()[:200] or response.reason
    return 401, "the token was refused twice"
