"""The few exceptions of bilan: problems that stop a command before any diagnostic makes sense."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bilan.diagnostics import Diagnostic


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


class InvalidData(BilanError):
    """The data does not validate: the command stops before using it.

    It carries what the validation found and how many files it read, so that ``build`` and
    ``stats`` print the very diagnostics and summary that ``bilan validate`` prints."""

    def __init__(self, diagnostics: Sequence[Diagnostic], files: int, consequence: str) -> None:
        super().__init__(
            f"les données contiennent des erreurs : {consequence}",
            "corrigez-les (bilan validate les liste toutes), puis relancez",
        )
        self.diagnostics = list(diagnostics)
        self.files = files
