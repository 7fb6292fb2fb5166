"""Run the service through ``serve()`` in its own process (for the restart and signal tests).

    python svc_main.py ROOT PORT DATABASE_URL {hang,fake}

The hub's environment comes from ``os.environ`` as in production. With ``hang`` the grader writes
``ROOT/grading-started`` when it begins and then never finishes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from svc_fakes import FakeGrader, HangingGrader
from svc_support import make_config

from autograder.service import serve


def main() -> None:
    root, port, url, kind = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    config = make_config(root, database_url=url)
    if kind == "hang":
        def factory(cfg):
            return HangingGrader(cfg, root / "grading-started")
    else:
        def factory(cfg):
            return FakeGrader(cfg)
    serve(config=config, host="127.0.0.1", port=port, grader_factory=factory, log_level="warning")


if __name__ == "__main__":
    main()
