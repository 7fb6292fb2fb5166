"""The ``autograder`` command (:mod:`.main`), its sub-commands, and how it prints: the API returns, the CLI prints."""
