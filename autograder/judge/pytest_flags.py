"""The pytest command line every judge runs the hidden suite with."""

from __future__ import annotations

import importlib.util

# Plugins a hidden suite has no use for. Each costs start-up time in every judge process, two
# (unraisableexception, threadexception) run gc.collect() several times per session (seconds in a
# process that holds torch and transformers), and logging walks every logger transformers made,
# three times per test.
UNUSED_PLUGINS = ("cacheprovider", "randomly", "xdist", "unraisableexception", "threadexception",
                  "junitxml", "pastebin", "doctest", "stepwise", "setuponly", "setupplan", "legacypath",
                  "faulthandler", "debugging", "terminalprogress", "logging")
# Entry-point discovery reads every installed distribution's metadata (a tenth of a second or more);
# the only third-party plugin a hidden suite needs is hypothesis', named explicitly.
THIRD_PARTY_PLUGINS = ("_hypothesis_pytestplugin",)
PYTEST_ARGS = (*(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
               *(arg for name in THIRD_PARTY_PLUGINS if importlib.util.find_spec(name)
                 for arg in ("-p", name)),
               "--disable-plugin-autoload", "--assert=plain", "--tb=no",
               "-q", "--no-header", "-o", "addopts=", "-o", "python_files=test_*.py")
