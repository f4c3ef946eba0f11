"""Apply a pydantic model to a loaded Document; turn its errors into located diagnostics.

Pydantic reports a path of keys and indexes (``loc``); the Document knows where each
path stands in the file. Messages are rewritten in French for people who do not know
what a "string_type" is, with the field's own description as the hint.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document, Path_

M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    "string_type": "un texte",
    "int_type": "un nombre entier",
    "int_from_float": "un nombre entier",
    "float_type": "un nombre",
    "bool_type": "vrai ou faux",
    "list_type": "une liste",
    "dict_type": "une suite de champs « clé: valeur »",
    "model_type": "une suite de champs « clé: valeur »",
    "model_attributes_type": "une suite de champs « clé: valeur »",
}
_PATTERN_HINTS = {
    "id": "minuscules sans accents, chiffres et tirets, par exemple « p11-salles-de-spectacle »",
    "debut": "un trimestre sous la forme AAAA-Tn, par exemple 2015-T4",
    "insee": 'cinq caractères entre guillemets, par exemple "34172"',
    "communes": "un identifiant de data/communes.yaml, par exemple « castelnau-le-lez »",
}


def describe(value: Any) -> str:
    """How a YAML value reads to a person, to explain a type error."""
    if isinstance(value, bool):
        return "lu comme un booléen (YAML lit ainsi yes, no, on, off, true et false)"
    if value is None:
        return "vide"
    if isinstance(value, int | float):
        return f"le nombre {value}"
    if hasattr(value, "year"):
        return f"lu comme une date ({value})"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, dict):
        return "une suite de champs"
    text = str(value)
    return f"le texte « {text[:60]}{'…' if len(text) > 60 else ''} »"


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def field_at(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[type[BaseModel], FieldInfo | None]:
    """Walk ``loc`` through the models: the model the data at ``loc`` must match, and the
    last field named on the way (None at the top). Non-field segments (indexes, union
    member names) are skipped."""
    current, found = model, None
    for segment in loc:
        if isinstance(segment, str) and segment in current.model_fields:
            found = current.model_fields[segment]
            nested = list(dict.fromkeys(_models_in(found.annotation)))
            if len(nested) == 1:
                current = nested[0]
    return current, found


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of ``loc`` that exists in the data (pydantic adds union member names)."""
    path: list[str | int] = []
    node = data
    for segment in loc:
        if (isinstance(node, dict) and segment in node) or (
            isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        ):
            path.append(segment)
            node = node[segment]
    return tuple(path)


def _value_at(data: Any, path: Path_) -> Any:
    for segment in path:
        data = data[segment]
    return data


def _label(path: Path_) -> str:
    names = [str(s) for s in path if isinstance(s, str)]
    return names[-1] if names else "document"


def check_model(
    doc: Document, model: type[M], context: dict[str, Any] | None = None
) -> tuple[M | None, list[Diagnostic]]:
    """Validate the document's data against ``model`` (``context``: the project's
    vocabulary, see :func:`bilan.models.declared`); every error located and in French."""
    try:
        return model.model_validate(doc.data, context=context), []
    except ValidationError as exc:
        return None, list(_diagnostics(doc, model, exc))


def _diagnostics(
    doc: Document, model: type[BaseModel], exc: ValidationError
) -> Iterator[Diagnostic]:
    grouped: dict[Path_, list[Any]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "missing":
            key: Path_ = (*_data_path(doc.data, loc[:-1]), loc[-1])
        else:
            key = _data_path(doc.data, loc)
        grouped.setdefault(key, []).append(error)
    for path, errors_here in grouped.items():
        yield _one(doc, model, path, errors_here)


def _one(doc: Document, model: type[BaseModel], path: Path_, errors_here: list[Any]) -> Diagnostic:
    words = [e for e in errors_here if e["type"] == "vocabulaire"]
    if words:  # a number where a phase is expected, among the forms of a calendar cell
        errors_here = words[:1]
    error = errors_here[0]
    kind = error["type"]
    loc = tuple(error["loc"])
    _model, info = field_at(model, loc)
    described = (info.description or "") if info else ""
    name = _label(path)

    def diag(code: str, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
        line, column = doc.locate(path, key=key)
        return Diagnostic(doc.path, line, column, code, Severity.ERROR, message, hint)

    parent = field_at(model, loc[:-1])[0]  # the block that misses or has the key
    if kind == "missing":
        field = parent.model_fields.get(str(loc[-1]))
        hint = (field.description or "") if field else ""
        return diag("S002", f"champ obligatoire « {loc[-1]} » manquant", hint)
    if kind == "extra_forbidden":
        known = list(parent.model_fields)
        close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
        hint = (
            f"vouliez-vous dire « {close[0]} » ?"
            if close
            else "champs possibles ici : " + ", ".join(known)
        )
        return diag("S001", f"champ inconnu « {path[-1]} »", hint, key=True)
    value = _value_at(doc.data, path)
    if len(errors_here) > 1:
        return diag("S004", f"valeur invalide pour « {name} » : {describe(value)}", described)
    if "[key]" in loc:
        return diag(
            "S003",
            f"la clé « {path[-1]} » doit être {_TYPE_NAMES.get(kind, 'valide')}",
            described,
            key=True,
        )
    if kind in _TYPE_NAMES:
        hint = described
        if kind == "string_type" and path in doc.raw:
            hint = (
                "YAML a interprété ce texte : mettez-le entre guillemets, "
                f'par exemple « "{doc.raw[path]}" »'
            )
        return diag(
            "S003", f"« {name} » doit être {_TYPE_NAMES[kind]}, pas {describe(value)}", hint
        )
    if kind == "vocabulaire":
        ctx = error.get("ctx", {})
        choices = [str(c) for c in ctx.get("possibles", [])]
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
        listed = ", ".join(choices)
        hint = (
            f"vouliez-vous dire « {close[0]} » ?"
            if close
            else f"les valeurs possibles sont déclarées dans data/bilan.yaml (vocabulaire, "
            f"« {ctx.get('liste')} ») : {listed}"
        )
        return diag(
            "S004",
            f"valeur « {value} » non autorisée pour « {name} » ; valeurs possibles : {listed}",
            hint,
        )
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
        hint = f"vouliez-vous dire « {close[0]} » ?" if close else ""
        return diag(
            "S004",
            f"valeur « {value} » non autorisée pour « {name} » ; valeurs possibles : "
            + ", ".join(choices),
            hint or described,
        )
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        ctx = error.get("ctx", {})
        bound = "au moins" if kind.startswith("greater") else "au plus"
        limit = next(iter(ctx.values()), "")
        return diag(
            "S005", f"« {name} » vaut {value}, alors qu'il doit valoir {bound} {limit}", described
        )
    if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
        ctx = error.get("ctx", {})
        if kind.startswith("string"):
            return diag(
                "S005",
                f"« {name} » ne peut pas être vide"
                if kind == "string_too_short"
                else f"« {name} » est trop long",
                described,
            )
        if kind == "too_short":
            return diag(
                "S005",
                f"« {name} » doit contenir au moins {ctx.get('min_length')} élément(s)",
                described,
            )
        return diag(
            "S005",
            f"« {name} » contient trop d'éléments (au plus {ctx.get('max_length')})",
            described,
        )
    if kind == "string_pattern_mismatch":
        field_name = next(
            (s for s in reversed(loc) if isinstance(s, str) and s in _PATTERN_HINTS), name
        )
        return diag(
            "S006",
            f"« {value} » n'a pas la forme attendue pour « {name} »",
            _PATTERN_HINTS.get(field_name, described),
        )
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
        return diag("S007", message.split(": ", 1)[-1], "voir docs/format-fiche.md")
    return diag(
        "S003", f"valeur invalide pour « {name} » : {describe(value)} ({error['msg']})", described
    )
