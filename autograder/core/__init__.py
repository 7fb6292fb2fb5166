"""The shared vocabulary every package speaks: configuration, errors, the result model, submissions, the codec.

Nothing here imports any other package of :mod:`autograder`: core is the bottom of the house
(docs/architecture.md).
"""
