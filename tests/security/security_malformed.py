"""Malformed submission files: each must get a clear result (not gradable, or graded), never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from security_attacks import HONEST, cells

# ------------------------------------------------------------------ malformed files


@dataclass(frozen=True)
class Malformed:
    filename: str
    what: str
    content: bytes
    gradable: bool
    message: str  # expected (case-insensitive) in the student-visible output
    at_most: float = 0.0


def _notebook(sources: list[str], *, sheet: str | None = None, version: int = 4) -> bytes:
    metadata: dict[str, object] = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if sheet:
        metadata["autograder"] = {"sheet": sheet}
    cells_json = [{"cell_type": "markdown", "metadata": {}, "source": "# A title"}]
    cells_json += [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                   for s in sources]
    return json.dumps({"nbformat": version, "nbformat_minor": 5, "metadata": metadata,
                       "cells": cells_json}).encode()


_BIG_CELL = b"BIG = '" + b"a" * 30_000_000 + b"'\n" + HONEST.encode()

MALFORMED: list[Malformed] = [
    Malformed("x01_invalid_json.ipynb", "a notebook cut off mid-way", b'{"cells": [{"cell_type": "co', False,
              "not valid JSON"),
    Malformed("x02_empty.ipynb", "an empty notebook file", b"", False, "empty"),
    Malformed("x03_blank.py", "a Python file with only whitespace", b"  \n\n\t\n", False, "empty"),
    Malformed("x04_binary.ipynb", "random binary bytes", bytes(range(256)) * 64, False, "binary"),
    Malformed("x05_nbformat3.ipynb", "an nbformat 3 notebook",
              json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1"}]}]}).encode(),
              False, "version"),
    Malformed("x06_big_cell.py", "a 30 MB cell", _BIG_CELL, True, "", at_most=3.0),
    Malformed("x07_syntax_error.py", "a syntax error in one cell",
              cells(HONEST, "def broken(:\n    pass").encode(), True, "SyntaxError", at_most=3.0),
    Malformed("x08_latin1.py", "Latin-1 text", ("# café\n" + HONEST).encode("latin-1"), False, "UTF-8"),
    Malformed("x09_other_sheet.ipynb", "a notebook of another sheet", _notebook([HONEST], sheet="sheet_3_2"),
              False, "belongs to"),
    Malformed("x10_json_bomb.ipynb", "JSON nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, False,
              "notebook"),
    Malformed("x11_bad_cells.ipynb", "cells that are not cells",
              json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                          "cells": [1, "x", {"cell_type": "code", "source": [1, 2], "metadata": {}}]}).encode(),
              False, "notebook"),
    Malformed("x12_too_large.py", "a 41 MB file", b"#" * (41 << 20), False, "larger than"),
    Malformed("x13_wrong_suffix.txt", "neither .py nor .ipynb", HONEST.encode(), False, "neither"),
    Malformed("x14_utf16.ipynb", "a UTF-16 notebook", _notebook([HONEST]).decode().encode("utf-16"), False,
              "binary"),
    Malformed("x15_good_notebook.ipynb", "a fine notebook with magics and a shell escape",
              _notebook(["%matplotlib inline\n!ls /\n" + HONEST]), True, "", at_most=3.0),
]
