"""The security suite's course: one small sheet whose hidden tests are worth points only to honest work.

The fixture in ``tests/security/conftest.py`` copies this folder outside /tmp (so that hiding is done
by the sandbox's mount rules, not by the private /tmp) and fills in fresh random secrets each run.
"""

from autograder.core.config import CourseConfig, Isolation, Limits, SheetConfig

config = CourseConfig(
    course="security",
    sheets={
        "sec": SheetConfig(
            name="sec",
            title="Security sheet",
            assignment_dir="assignments/sec",
            notebook="sec.ipynb",
            reference_module="sec_reference",
            hidden_dir="hidden/sec",
            points={"honest": 3, "leak": 6, "values": 4, "objects": 2, "timing": 1},
        ),
    },
    limits=Limits(cell_timeout_s=4, test_timeout_s=4, submission_timeout_s=90, memory_mb=1024,
                  cpu_time_s=60, max_processes=64, max_open_files=128, max_file_size_mb=8,
                  workdir_mb=32, output_bytes=2000, torch_threads=1, max_message_mb=32),
    isolation=Isolation(uid_base=64100, require_all=False),
    results_dir="build/results",
)
