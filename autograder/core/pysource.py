"""Python source parsed into a tree, one parse at a time in a process.

CPython 3.11 (the course image's 3.11.2 among them; fixed upstream later, gh-106905) keeps the depth
counter of the constructor that turns parsed source into ``ast`` nodes in state that every thread
shares: two threads parsing at once can make one of them raise ``SystemError: AST constructor
recursion depth mismatch``. The grader parses in threads (a batch's threads finish results side by
side and read the public checks and the suite's sources; the service answers requests in a thread
pool while a regrade or a similarity run goes on), and once in CI this stopped the Sheet 3.2 release
gate. So every parse of the package goes through :func:`parse`, which takes one process-wide lock.

The lock is kept on the :mod:`ast` module, so :mod:`autograder.student.checks` (the public-check
runner, which may import only the standard library) takes the very same one.
"""

from __future__ import annotations

import ast
import threading

LOCK_NAME = "_autograder_parse_lock"
LOCK: threading.RLock = ast.__dict__.setdefault(LOCK_NAME, threading.RLock())


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``, never at the same time as another thread's parse."""
    with LOCK:
        return ast.parse(source, filename=filename)
