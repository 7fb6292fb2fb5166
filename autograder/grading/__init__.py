"""Grading a batch: collect the submissions, grade each distinct one once on warm workers, record the results.

:mod:`.collect` finds the submissions, :mod:`.batch` runs them through :mod:`.worker` processes
(``autograder grade --jobs N``) or a Dask cluster (:mod:`.distributed`); :mod:`.progress` shows it.
"""
