"""JSON Schemas of a project's files, generated from the pydantic models.

Editors use them while staff type (VS Code's YAML extension reads the
``# yaml-language-server: $schema=…`` line of each file), so they must speak French and
agree with :mod:`bilan.models`: titles and descriptions come from the models (each field's
docstring), and a field that takes the project's words lists them (``enum``), from the
project's vocabulary. Draft-07, the newest draft that yaml-language-server fully
validates: ``definitions`` instead of ``$defs``, and no keyword beside a ``$ref``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from bilan.config import Project
from bilan.errors import UsageError, reason
from bilan.files import display_path
from bilan.models import VOCABULARY, CommunesFile, Fiche, Report
from bilan.vocabulary import Vocabulary, default_vocabulary

DRAFT = "http://json-schema.org/draft-07/schema#"

MODELS: dict[str, type[BaseModel]] = {
    "fiche": Fiche,
    "bilan": Report,
    "communes": CommunesFile,
    "projet": Project,
}
"""What ``bilan schema`` can describe, by the name given on the command line."""

FILE_NAMES: dict[str, str] = {name: f"{name}.schema.json" for name in MODELS}
"""File names under schemas/, as the files' first line refers to them."""

_PYDANTIC_BOUNDS: dict[str, str] = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}
"""Constraints pydantic leaves under their Python names when it cannot place them (unions)."""

_FIRST = ("title", "description")
"""Keys written first in each schema, for the reader."""


def _readable(node: Any, vocabulary: Vocabulary, *, names: bool = False) -> Any:
    """Draft-07 and French for the reader: the project's words as ``enum``, titles and
    descriptions first and on one line, leaked pydantic bounds renamed, a ``$ref`` with
    siblings moved into ``allOf``. ``names``: ``node`` maps names to schemas (properties,
    definitions), whose keys are not keywords."""
    if isinstance(node, list):
        return [_readable(item, vocabulary) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _readable(value, vocabulary) for key, value in node.items()}
    result: dict[str, Any] = {
        _PYDANTIC_BOUNDS.get(str(key), str(key)): _readable(
            value, vocabulary, names=key in ("properties", "definitions")
        )
        for key, value in node.items()
        if key != VOCABULARY
    }
    kind = node.get(VOCABULARY)
    if isinstance(kind, str):
        result["enum"] = vocabulary.ids(kind)
        result.pop("pattern", None)
        result.pop("maxLength", None)
    for key in _FIRST:
        if isinstance(result.get(key), str):
            result[key] = re.sub(r"\s+", " ", result[key]).strip()
    ordered = {key: result[key] for key in _FIRST if key in result}
    ordered |= {key: value for key, value in result.items() if key not in _FIRST}
    if "$ref" in ordered and len(ordered) > 1:
        ordered["allOf"] = [{"$ref": ordered.pop("$ref")}]
    return ordered


def models_of(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """A model and every model its fields hold, however nested in lists and unions."""
    yield model
    for info in model.model_fields.values():
        pending: list[Any] = [info.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                yield from models_of(annotation)
            pending += get_args(annotation)


def _field_titles(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """Give a field that holds a model its title: pydantic leaves it out beside a ``$ref``."""
    models = {m.__name__: m for m in models_of(model)}
    objects = {model.__name__: schema, **schema.get("$defs", {})}
    for name, obj in objects.items():
        fields = models[name].model_fields if name in models else {}
        for field, spec in obj.get("properties", {}).items():
            title = fields[field].title if field in fields else None
            if title and "title" not in spec:
                spec["title"] = title


def build_schema(name: str, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON Schema of ``name`` (a key of :data:`MODELS`), in French, with the words of
    ``vocabulary`` (default: the default vocabulary)."""
    model = MODELS[name]
    raw = model.model_json_schema(ref_template="#/definitions/{model}")
    _field_titles(model, raw)
    definitions = raw.pop("$defs", {})
    schema: dict[str, Any] = {"$schema": DRAFT, **raw}
    if definitions:
        schema["definitions"] = dict(sorted(definitions.items()))
    readable: dict[str, Any] = _readable(schema, vocabulary or default_vocabulary())
    return readable


def render(name: str, vocabulary: Vocabulary | None = None) -> str:
    """The schema as the repository keeps it under schemas/: stable, readable JSON."""
    return json.dumps(build_schema(name, vocabulary), ensure_ascii=False, indent=2) + "\n"


def write(name: str, target: Path, vocabulary: Vocabulary | None = None) -> None:
    """Write the schema of ``name`` to ``target``; a folder that cannot be written is an error."""
    try:
        target.write_text(render(name, vocabulary), encoding="utf-8", newline="\n")
    except OSError as error:
        raise UsageError(
            f"impossible d'écrire {display_path(target)} : {reason(error)}",
            "vérifiez que le dossier existe et qu'il est accessible en écriture",
        ) from None
