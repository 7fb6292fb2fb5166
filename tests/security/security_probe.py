"""Grade a few submissions through the judge (``runner.run_judge``) as whoever runs this script.

The fallback tests start it as another user (``setpriv``) or without user namespaces (``bwrap``),
where the batch's worker pool would only add start-up time. Usage::

    python security_probe.py SPEC.json     # {"config": ..., "sheet": ..., "submissions": [...],
                                            #  "refuse_config": optional second config}

Prints one JSON object: the results, whether the zygote survived each submission, and the layers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(spec_path: str) -> None:
    from autograder.core.config import load_config
    from autograder.core.submission import load_submission
    from autograder.judge.runner import run_judge
    from autograder.sandbox.client import Zygote

    spec = json.loads(Path(spec_path).read_text())
    config = load_config(Path(spec["config"]))
    sheet = config.sheet(spec["sheet"])
    zygote = Zygote()
    report: dict[str, list] = {"results": [], "zygote_alive": [], "refused": []}
    try:
        for name in spec["submissions"]:
            path = Path(name)
            loaded = load_submission(path, max_bytes=1 << 20, expected_sheet=sheet.name)
            result = run_judge(config=config, sheet=sheet, submission=loaded, student_id=path.stem,
                               zygote=zygote, worker_index=0, device="cpu", protected=[str(path.parent)])
            report["results"].append(json.loads(result.model_dump_json()))
            report["zygote_alive"].append(zygote.alive())
        if spec.get("refuse_config"):
            strict = load_config(Path(spec["refuse_config"]))
            path = Path(spec["submissions"][0])
            loaded = load_submission(path, max_bytes=1 << 20, expected_sheet=sheet.name)
            result = run_judge(config=strict, sheet=strict.sheet(sheet.name), submission=loaded,
                               student_id=path.stem, zygote=zygote, worker_index=0, device="cpu",
                               protected=[str(path.parent)])
            report["refused"].append(json.loads(result.model_dump_json()))
    finally:
        zygote.close()
    print("PROBE-REPORT " + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
