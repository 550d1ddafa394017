"""The error that refuses a whole file: nothing of it is loaded and the reason is recorded."""

from __future__ import annotations

from ase_impact.contracts.rules import rule


class FileLevelError(Exception):
    """A file that cannot be ingested at all; message_fr names the file and says what to fix."""

    def __init__(self, code: str, message_fr: str):
        super().__init__(f"{code}: {message_fr}")
        self.code = code
        self.message_fr = message_fr

    def __reduce__(self):
        # Rebuilt from both fields when a worker process hands a refusal back.
        return (FileLevelError, (self.code, self.message_fr))


def file_level_error(code: str, **values: str) -> FileLevelError:
    """The error of a registered file-level rule, its French message filled with values."""
    return FileLevelError(code, rule(code).message_fr.format(**values))
