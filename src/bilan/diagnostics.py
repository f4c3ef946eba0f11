"""Diagnostics: problems found in the data, as plain values.

Loaders and rules never raise on bad input: they return diagnostics. The reporters of
:mod:`bilan.reporters` print them (text like a compiler, JSON, GitHub or GitLab
annotations); every code is described in :mod:`bilan.catalogue`, and from it in
``docs/diagnostics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
"""Characters nobody sees: controls, zero-width and bidirectional marks (« Trojan Source »).
Refused in data files (Y010) and never printed as they are: in a terminal or a CI log
they can hide text, recolour it or forge lines."""
_UNPRINTABLE = re.compile(f"[\t\n\r]|{INVISIBLE.pattern}")


def printable(text: str) -> str:
    """``text`` safe to print on one line: invisible characters and line breaks escaped
    (``\\x1b``, ``\\n``), undecodable bytes of a file name as ``\\udcff``."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Severity(StrEnum):
    """How serious a diagnostic is: errors fail validation, warnings only with --strict."""

    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file (1-based line and column; 0 when not applicable)."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}"
        return self.path


def errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


def shortened(text: str, width: int = 60) -> str:
    """``text`` on one line, cut at ``width`` characters with « … » (for quoting a list
    item in a message or a comment)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
