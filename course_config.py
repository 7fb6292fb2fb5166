"""The course's settings, read once when the grader starts (schema: autograder/core/config.py).

Paths are relative to this file's folder. Every field has a type, a default and help text in the
schema; `autograder config` prints the resolved values.
"""

import datetime as dt

from autograder.core.config import CourseConfig, Isolation, Limits, ServiceConfig, SheetConfig

config = CourseConfig(
    course="Understanding LLMs",
    sheets={
        "sheet_3_2": SheetConfig(
            name="sheet_3_2",
            title="Transformer configurations & training utilities",
            assignment_dir="assignments/sheet_3_2",
            notebook="sheet_3_2.ipynb",
            master="sheets/sheet_3_2/master.md",
            public_checks="public_checks.py",
            reference_module="reference.sheet_3_2",
            hidden_dir="tests/hidden/sheet_3_2",
            # autograded points per exercise (the hidden tests' markers add up to these); the master's
            # written questions add 2 (3.2.1.1), 1 (3.2.1.3) and 2 (3.2.2): 100 in all
            points={
                "3.2.1.1": 10,
                "3.2.1.2": 12,
                "3.2.1.3": 5,
                "3.2.2": 12,
                "mlm": 14,
                "utilities": 10,
                "3.2.3.1": 16,
                "3.2.3.2": 16,
            },
            opens=dt.datetime(2026, 11, 23, 9, 0),  # release: the service takes uploads from then on
            deadline=dt.datetime(2026, 12, 18, 23, 59),
            timezone="Europe/Berlin",
            grace_minutes=15,
            late_penalty="per_day",
            late_penalty_per_day=0.10,
        ),
    },
    limits=Limits(cell_timeout_s=60, test_timeout_s=60, memory_mb=6144, torch_threads=1),
    isolation=Isolation(),
    device="auto",
    service=ServiceConfig(name="autograder", ta_groups=("tas", "instructors")),
)
