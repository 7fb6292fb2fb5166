"""What runs in a student's kernel: the notebook client (:mod:`.client`) and the public-check runner (:mod:`.checks`).

The rule: code here imports nothing of :mod:`autograder` outside this package, and needs nothing
beyond the sheet's own requirements. :mod:`.checks` imports only the standard library, because the
offline bundle ships that very file (release/standalone.py enforces it); :mod:`.client` adds only what
every Jupyter installation has. Nothing here may hold or import what the judge knows.
"""
