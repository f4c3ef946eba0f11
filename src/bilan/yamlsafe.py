"""What a data file's YAML may hold, shared by both readers (located and quick).

Only the standard scalar tags, constructed by PyYAML's safe constructors; no alias, no
custom tag, a bounded depth. libyaml (``CSafeLoader``) parses when available; positions
are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - libyaml is bundled with PyYAML wheels
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

__all__ = [
    "CONSTRUCTION_ERRORS",
    "CONSTRUCTOR",
    "MAX_DEPTH",
    "RESOLVER",
    "SCALAR_TAGS",
    "STANDARD_TAGS",
    "Loader",
    "events",
]

MAX_DEPTH = 40
"""The model is 6 levels deep; a deeper document is refused before it costs anything."""

STANDARD_TAGS = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:timestamp",
        "!",
    }
)
RESOLVER = yaml.resolver.Resolver()
CONSTRUCTOR = SafeConstructor()
SCALAR_TAGS: dict[str, Callable[..., Any]] = {
    tag: CONSTRUCTOR.yaml_constructors[tag]
    for tag in STANDARD_TAGS
    if tag in CONSTRUCTOR.yaml_constructors and not tag.endswith(("seq", "map"))
}
"""How each standard scalar tag is constructed (called as ``SCALAR_TAGS[tag](CONSTRUCTOR,
node)``, the way PyYAML's own constructor calls them)."""
CONSTRUCTION_ERRORS = (ConstructorError, ValueError, TypeError, OverflowError)
"""What constructing an unreadable scalar raises (``2016-13-45``, a 5,000-digit number)."""


def events(loader: Any) -> Iterator[Any]:
    """The event stream of a loader, one event at a time."""
    while loader.check_event():
        yield loader.get_event()
