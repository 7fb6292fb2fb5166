"""A tiny course for the authoring tests: one sheet built from its master by ``autograder assign``."""

from autograder.core.config import CourseConfig, Limits, SheetConfig

config = CourseConfig(
    course="tiny",
    sheets={
        "tiny": SheetConfig(
            name="tiny",
            title="Tiny sheet",
            assignment_dir="assignments/tiny",
            notebook="tiny.ipynb",
            public_checks="public_checks.py",
            reference_module="tiny_reference",
            hidden_dir="hidden/tiny",
            points={"basics": 2, "objects": 1.5},
            master="sheets/tiny/master.md",
        ),
    },
    limits=Limits(test_timeout_s=7.5, cell_timeout_s=5),
)
