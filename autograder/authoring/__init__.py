"""Authoring: a sheet's student notebook built from its master (``autograder assign``).

The master (``sheets/<sheet>/master.md``, MyST Markdown read with jupytext, outside the released
assignment folder) opens and runs in Jupyter. Its code cells may carry a directive
(``:autograder: stub``, ``:autograder: check <exercise>``, ``:autograder: staff``) and an explicit
``:cell_id:``; ``{{ expression }}`` anywhere is a value from the course config or the reference.
:func:`build_notebook` runs the fixed :data:`~autograder.authoring.stages.STAGES` over it and
returns the notebook's text, byte for byte the same for the same inputs; :func:`assign_sheet` writes
it when it changed. See docs/authoring.md.
"""

from autograder.authoring.build import AssignOutcome, assign_sheet, build_notebook, master_path

__all__ = ["AssignOutcome", "assign_sheet", "build_notebook", "master_path"]
