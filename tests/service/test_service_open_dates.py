"""Each sheet has an open date (its release) beside its deadline; the service refuses earlier uploads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError
from svc_support import Service, make_config

from autograder.core.config import SheetConfig


def _with_unreleased_sheet(root: Path) -> object:
    config = make_config(root)
    now = dt.datetime.now(dt.UTC)
    later = config.sheets["sheet_3_2"].model_copy(update={
        "name": "sheet_4_1", "opens": now + dt.timedelta(days=3), "deadline": now + dt.timedelta(days=17)})
    released = config.sheets["sheet_3_2"].model_copy(update={"opens": now - dt.timedelta(days=1)})
    return config.model_copy(update={"sheets": {**config.sheets, "sheet_3_2": released,
                                                "sheet_4_1": later}})


def test_uploads_for_a_sheet_before_its_open_date_are_refused(make_service, tmp_path: Path) -> None:
    service: Service = make_service(config=_with_unreleased_sheet(tmp_path))
    early = service.submit("alice", sheet="sheet_4_1", filename="sheet_4_1.ipynb")
    assert early.status_code == 403
    assert "not open yet" in early.json()["detail"] and "sheet_4_1" in early.json()["detail"]
    assert service.get("alice", "api/submissions").json() == []
    assert service.submit("alice").status_code == 202  # a released sheet still takes uploads
    assert service.submit("tara", sheet="sheet_4_1").status_code == 202  # staff try it out first
    sheets = {row["name"]: row for row in service.get("alice", "api/sheets").json()}
    assert sheets["sheet_4_1"]["open"] is False and sheets["sheet_4_1"]["opens"]
    assert sheets["sheet_3_2"]["open"] is True and sheets["sheet_late"]["opens"] is None
    page = service.get("alice", "").text
    select = page.split('id="sheet-select">', 1)[1].split("</select>", 1)[0]
    assert "sheet_4_1" not in select and "sheet_3_2" in select
    assert 'data-sheet="sheet_4_1"' in page and "opens" in page.split('data-sheet="sheet_4_1"')[1][:80]


def test_a_sheet_cannot_open_after_its_deadline() -> None:
    with pytest.raises(ValidationError, match="opens"):
        SheetConfig(name="s", assignment_dir=Path("a"), notebook="s.ipynb", reference_module="r",
                    hidden_dir=Path("h"), points={"1": 1}, opens=dt.datetime(2026, 12, 2),
                    deadline=dt.datetime(2026, 12, 1))
    naive = SheetConfig(name="s", assignment_dir=Path("a"), notebook="s.ipynb", reference_module="r",
                        hidden_dir=Path("h"), points={"1": 1}, opens=dt.datetime(2026, 12, 1, 9),
                        timezone="Europe/Berlin")
    assert naive.aware_opens() == dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    assert not naive.is_open(dt.datetime(2026, 12, 1, 7, 59, tzinfo=dt.UTC))
    assert naive.is_open(dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
