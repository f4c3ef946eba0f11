"""The few exceptions of bilan: problems that stop a command before any diagnostic makes sense."""

from __future__ import annotations


class BilanError(Exception):
    """A problem to show the user as is (French message, optional hint)."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(BilanError):
    """Wrong invocation or missing folder: exit status 2."""

    exit_code = 2


class BuildError(BilanError):
    """The build could not complete; the previous output is left as it was."""
