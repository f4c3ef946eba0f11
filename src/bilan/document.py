"""A loaded YAML file: its data, and where each part of it stands in the text.

Positions are what turn a pydantic error or a rule's finding into « ligne 12,
colonne 5 ». They cost a second, position-keeping parse (see :mod:`bilan.locatedyaml`),
so a document read by the quick path keeps its text and finds them only the first time
a diagnostic asks, which for valid data is never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Path_ = tuple[str | int, ...]
"""Keys and list indexes from the top of a document to one of its values."""
Position = tuple[int, int]
"""1-based line and column."""


@dataclass
class Positions:
    """Where each part of a document stands."""

    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)
    """As typed, for plain scalars that YAML did not read as text (``on``, ``2016-06-01``)."""


_UNREAD = object()


class Document:
    """A loaded YAML file: its data, its text, and the position of every key and value.

    Built with ``positions`` by the located builder; without, by the quick path, in which
    case they are found from the text when first asked. A document whose fiche comes from
    the build cache (:meth:`unread`) is not even parsed, unless asked.
    """

    __slots__ = ("_data", "_lines", "_positions", "_text", "path")

    def __init__(
        self, path: str, data: Any, text: str = "", positions: Positions | None = None
    ) -> None:
        self.path = path
        self._data = data
        self._text = text
        self._positions = positions
        self._lines: list[str] | None = None

    @classmethod
    def unread(cls, path: str, text: str) -> Document:
        """The document of a text already read without error, by an earlier build."""
        return cls(path, _UNREAD, text)

    @property
    def data(self) -> Any:
        if self._data is _UNREAD:
            self._located()
        return self._data

    def _located(self) -> Positions:
        if self._positions is None:
            # Imported here: the builder makes documents, and most documents never need it.
            from bilan.locatedyaml import locate

            data, self._positions = locate(self._text, self.path)
            if self._data is _UNREAD:
                self._data = data
        return self._positions

    @property
    def positions(self) -> dict[Path_, Position]:
        return self._located().values

    @property
    def key_positions(self) -> dict[Path_, Position]:
        return self._located().keys

    @property
    def raw(self) -> dict[Path_, str]:
        return self._located().raw

    def locate(self, loc: Path_, *, key: bool = False) -> Position:
        """Line and column of ``loc``, or of its longest known prefix (a missing field
        points at the mapping that should hold it)."""
        table = self.key_positions if key else self.positions
        if key and loc in table:
            return table[loc]
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.positions:
                return self.positions[prefix]
        return (1, 1)

    def line(self, number: int) -> str:
        """The text of a 1-based line ("" past the end), to quote it in a hint."""
        if self._lines is None:
            self._lines = self._text.split("\n")
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""
