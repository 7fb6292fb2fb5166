"""The batch's job store: which (student, submission hash, suite hash) already has a finished result."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path


class JobStore:
    """SQLite: which (student, submission hash, suite hash) already has a finished result."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (student_id TEXT PRIMARY KEY, submission_sha TEXT, "
            "suite_sha TEXT, status TEXT, updated TEXT)")
        self.lock = threading.Lock()

    def finished(self, student_id: str, submission_sha: str, suite_sha: str) -> bool:
        with self.lock:
            row = self.db.execute("SELECT submission_sha, suite_sha, status FROM jobs WHERE student_id=?",
                                  (student_id,)).fetchone()
        return row == (submission_sha, suite_sha, "done")

    def mark(self, student_id: str, submission_sha: str, suite_sha: str, status: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO jobs VALUES (?,?,?,?,?) ON CONFLICT(student_id) DO UPDATE SET "
                "submission_sha=excluded.submission_sha, suite_sha=excluded.suite_sha, "
                "status=excluded.status, updated=excluded.updated",
                (student_id, submission_sha, suite_sha, status, dt.datetime.now(dt.UTC).isoformat()))
