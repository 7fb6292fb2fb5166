"""Grades to the LMS over LTI 1.3 Advantage: ``client`` (token, AGS, NRPS), ``roster`` (student id ->
LMS user), ``ledger`` (what was sent), ``push`` (the order of it all). See docs/term.md."""
