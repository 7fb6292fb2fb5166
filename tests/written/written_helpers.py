"""Helpers of the written-answer tests: notebooks with answer cells (a module named conftest is
ambiguous once several test folders are collected)."""

from __future__ import annotations

import json


def notebook_with(cells: list[dict[str, object]], sheet: str = "tiny") -> str:
    return json.dumps({"cells": cells, "metadata": {"autograder": {"sheet": sheet}}, "nbformat": 4,
                       "nbformat_minor": 5})


def answer_cell(text: object, question: str = "why-add", cell_type: str = "markdown") -> dict[str, object]:
    cell: dict[str, object] = {"cell_type": cell_type, "metadata": {"autograder": {"written": question}},
                               "source": text}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell
