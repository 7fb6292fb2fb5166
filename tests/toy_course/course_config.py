"""A toy course for the engine's own tests: small, fast, and easy to reason about."""

from autograder.core.config import CourseConfig, Limits, SheetConfig

config = CourseConfig(
    course="toy",
    sheets={
        "toy": SheetConfig(
            name="toy",
            title="Toy sheet",
            assignment_dir="assignments/toy",
            notebook="toy.ipynb",
            public_checks="public_checks.py",
            reference_module="toy_reference",
            hidden_dir="hidden/toy",
            points={"basics": 4, "tensors": 3, "objects": 3},
        ),
    },
    limits=Limits(cell_timeout_s=5, test_timeout_s=5, memory_mb=2048, torch_threads=1,
                  submission_timeout_s=120, output_bytes=2000),
)
