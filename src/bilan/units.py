"""Render units: each piece of output is a pure function of the inputs it declares.

A unit names what renders it (a template, or a Python function for the open data) and
the inputs it receives, nothing else: the template's context *is* its inputs, so a template
that uses a name it was not given fails instead of showing a value nobody declared. A unit's
inputs may hold other units (a page holds the sections of its fiches): they are rendered
first, and the page receives their text. Whatever keeps rendered units from one build to
the next (:mod:`bilan.incremental`) knows them by their inputs alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Identified(Protocol):
    """A value that says what determines everything a template can reach through it (a
    fiche view: its file's bytes, its name, the year), so that it can be an input without
    being read whole."""

    def identity(self) -> str: ...


@dataclass(frozen=True, eq=False)
class Unit:
    """One piece of output: ``source`` (a template name, or a function returning text)
    applied to ``inputs`` (plain data, models, :class:`Identified` values, units, or
    tuples of units)."""

    source: str | Callable[..., str]
    inputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The template's name, or the function's qualified name."""
        if isinstance(self.source, str):
            return self.source
        return f"{self.source.__module__}.{self.source.__qualname__}"


Convert = Callable[[str, Callable[[str], bytes]], bytes]
"""How a rendered unit becomes the bytes of a file (UTF-8 text, a PDF…), given the text and
a function that reads a file of the templates folders (a print style sheet)."""


def utf8(text: str, _read: Callable[[str], bytes]) -> bytes:
    return text.encode("utf-8")


@dataclass(frozen=True)
class Page:
    """A file of the edition rendered from a unit."""

    path: str
    unit: Unit
    convert: Convert = utf8


@dataclass(frozen=True)
class Static:
    """A file of the edition copied from the templates folders (style sheet, logo)."""

    path: str
    source: str


Output = Page | Static
