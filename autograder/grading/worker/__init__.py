"""A warm grading worker: one process that grades task after task, the judge of each in a fresh child.

:mod:`.task` is what the parent sends, :mod:`.handle` the parent's side (start, send, kill),
:mod:`.__main__` the process (``python -m autograder.grading.worker``), :mod:`.runtime` what it keeps
warm, :mod:`.judge_child` the child that runs one judge, :mod:`.fdio` the line protocol between them and
:mod:`.memory` the memory limit.
"""
