"""The judge: the hidden pytest suite in its own process, talking to the student's sandbox through :mod:`.rpc`.

:mod:`.runner` grades one loaded submission; :mod:`.plugin` is the pytest plugin that scores tests;
:mod:`.testing` and :mod:`.compare` are what hidden suites import. The judge may import core and
sandbox; the sandbox side never imports the judge.
"""
