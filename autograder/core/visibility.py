"""When a student may read a hidden test's feedback: the one rule, used by every renderer.

A test's visibility comes from its ``@pytest.mark.visibility(...)`` marker (Gradescope's values;
``visible`` without one). The HTML feedback page, the service's pages and API, the notebook client
(which shows what the service rendered) and the Gradescope export all ask :func:`shown`:

==================  =====================================================================
``visible``         always
``hidden``          never; the check's points still count and are shown as a total
``after_due_date``  once the deadline plus its grace period has passed; a sheet without a
                    deadline has nothing to wait for, so at once
``after_published`` once staff set the sheet's ``published = True`` (grades released)
==================  =====================================================================

A check that is not shown appears as "hidden check" with its points only: never its name,
message, printed output or charts.
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

from autograder.core.config import SheetConfig
from autograder.core.results import Visibility

VISIBILITIES: tuple[str, ...] = get_args(Visibility)


def shown(visibility: str, sheet: SheetConfig, *, now: dt.datetime | None = None,
          published: bool | None = None) -> bool:
    """Whether a student may read a check of this ``visibility`` now.

    ``published`` overrides ``sheet.published`` (previews); ``now`` defaults to the current time.
    """
    if visibility == "visible":
        return True
    if visibility == "after_due_date":
        deadline = sheet.aware_deadline()
        if deadline is None:
            return True
        moment = now or dt.datetime.now(dt.UTC)
        return moment > deadline + dt.timedelta(minutes=sheet.grace_minutes)
    if visibility == "after_published":
        return sheet.published if published is None else published
    return False  # "hidden", and anything unknown
