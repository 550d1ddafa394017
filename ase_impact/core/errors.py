"""Errors of configuration: what the operator must fix before a run can start.

Each carries its French message; the command line prints it without a traceback and stops
before any file is read.
"""

from __future__ import annotations


class ConfigurationError(Exception):
    """A setting, the key or the registry is unusable; message_fr says which and how to fix it."""

    def __init__(self, message_fr: str):
        super().__init__(message_fr)
        self.message_fr = message_fr

    def __reduce__(self):
        # Rebuilt from its message when a worker process hands it back.
        return (type(self), (self.message_fr,))
