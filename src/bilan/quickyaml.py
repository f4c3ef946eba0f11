"""The quick reader: a regular document's data, at about the cost of a bare libyaml load.

Most files are valid, and a valid file needs no positions: this reader walks the event
stream keeping none, and steps aside (:class:`Irregular`) at anything the located
builder would refuse or explain, so that the result is always the builder's (tested in
tests/test_performance.py). Plain scalars already resolved are remembered for the
process: keys and short values repeat from file to file.
"""

from __future__ import annotations

from typing import Any

import yaml

from bilan.diagnostics import INVISIBLE
from bilan.yamlsafe import (
    CONSTRUCTION_ERRORS,
    CONSTRUCTOR,
    MAX_DEPTH,
    RESOLVER,
    SCALAR_TAGS,
    STANDARD_TAGS,
    Loader,
)


class Irregular(Exception):
    """The quick reader met something that only the located builder can report."""


_AWAITING_KEY = object()
_PLAIN: dict[str, Any] = {}
"""Plain scalars already resolved, for the whole process (bounded by _PLAIN_MAX)."""
_PLAIN_MAX = 100_000


def quick_load(text: str) -> Any:
    """The data of a document without positions, or :class:`Irregular` (or a YAML error)
    for anything the builder would refuse: alias, tag, complex, duplicate or non-text key,
    depth, second document, unreadable value, invisible character."""
    loader = Loader(text)
    try:
        return _quick_events(loader.get_event)
    finally:
        loader.dispose()


def _quick_events(get: Any) -> Any:
    scalar, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    get()  # StreamStartEvent
    if type(get()) is not yaml.DocumentStartEvent:
        raise Irregular  # an empty file
    containers: list[Any] = []
    keys: list[Any] = []  # per open container: its pending key, _AWAITING_KEY or None (list)
    root: Any = None
    while True:
        event = get()
        kind = type(event)
        if kind is scalar:
            value = _quick_scalar(event)
        elif kind is mapping_start or kind is sequence_start:
            if event.tag is not None and event.tag not in STANDARD_TAGS:
                raise Irregular
            if len(containers) >= MAX_DEPTH or (keys and keys[-1] is _AWAITING_KEY):
                raise Irregular
            is_mapping = kind is mapping_start
            containers.append({} if is_mapping else [])
            keys.append(_AWAITING_KEY if is_mapping else None)
            continue
        elif kind in ends:
            keys.pop()
            value = containers.pop()
        elif kind is yaml.DocumentEndEvent:
            break
        else:  # an alias
            raise Irregular
        if not containers:
            root = value
            continue
        key = keys[-1]
        if key is None:
            containers[-1].append(value)
        elif key is _AWAITING_KEY:
            if (type(value) is not str and type(value) is not int) or value in containers[-1]:
                raise Irregular
            keys[-1] = value
        else:
            containers[-1][key] = value
            keys[-1] = _AWAITING_KEY
    if type(get()) is not yaml.StreamEndEvent:
        raise Irregular  # a second document
    return root


def _quick_scalar(event: Any) -> Any:
    tag, text = event.tag, event.value
    plain = tag is None and event.implicit[0]
    if plain:
        known = _PLAIN.get(text, _PLAIN)
        if known is not _PLAIN:
            return known
    elif tag is not None and tag != "!":
        raise Irregular  # an explicit tag: rare, left to the builder
    if INVISIBLE.search(text):
        raise Irregular
    if not plain:
        return text  # quoted or block: always text
    resolved = RESOLVER.resolve(yaml.ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
    construct = SCALAR_TAGS.get(resolved)
    if construct is None:
        raise Irregular
    try:
        value = construct(CONSTRUCTOR, yaml.ScalarNode(resolved, text))
    except CONSTRUCTION_ERRORS:
        raise Irregular from None
    if len(text) <= 64 and len(_PLAIN) < _PLAIN_MAX:
        _PLAIN[text] = value
    return value
