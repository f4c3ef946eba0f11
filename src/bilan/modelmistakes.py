"""Turn the errors of a pydantic model applied to a Document into French located
diagnostics, one per mistake (:func:`translate`, for :func:`bilan.modelerrors.check_model`,
which imports this module only when a document has errors).

Pydantic reports a path of keys and indexes (``loc``) and an English type of error; the
Document knows where each path stands in the file. A writer's mistake often gives
pydantic several errors (a block two spaces too deep makes each of its fields unknown;
« diagnostic » in a calendar fails as a number and as a pair): they are recognised as
the one mistake they are, reported once where it was made, with the exact fix
(« écrivez 6.5 », « ajoutez 2 espaces au début des lignes 40 à 52 »). Values written
the French way are read by :mod:`bilan.frenchvalues`.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from bilan import frenchvalues
from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document, Path_
from bilan.frenchvalues import NameIndex
from bilan.modelerrors import COMMUNE_NAMES
from bilan.models import VOCABULARY, vocabulary_of
from bilan.vocabulary import Vocabulary, default_vocabulary
from bilan.yamlmistakes import NO_BREAK_SPACES, quoted, shown

_TYPE_NAMES = {
    "string_type": "un texte",
    "int_type": "un nombre entier",
    "int_from_float": "un nombre entier",
    "int_parsing": "un nombre entier",
    "float_type": "un nombre",
    "bool_type": "vrai ou faux",
    "list_type": "une liste",
    "dict_type": "une suite de champs « clé: valeur »",
    "model_type": "une suite de champs « clé: valeur »",
    "model_attributes_type": "une suite de champs « clé: valeur »",
}
_NUMBER_KINDS = {"int_type", "int_from_float", "int_parsing", "float_type"}
_KEY_KINDS = {"extra_forbidden", "invalid_key"}
_PATTERN_HINTS = {
    "id": "minuscules sans accents, chiffres et tirets, par exemple « p11-salles-de-spectacle »",
    "debut": "un trimestre sous la forme AAAA-Tn, par exemple 2015-T4",
    "fin": "un trimestre sous la forme AAAA-Tn, par exemple 2019-T4",
    "insee": 'cinq caractères entre guillemets, par exemple "34172"',
    "communes": "un identifiant de data/communes.yaml, par exemple « castelnau-le-lez »",
}
_QUARTERS = {"debut", "fin"}
_ANALYSED = 20
"""Misplaced keys studied in depth per document (each looks through the document):
more than that is a file to rewrite, not a slip of the keyboard."""


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


# --- What the model expects where ------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, …]`` and ``X | None`` as X (a union of several stays)."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, _UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


_UnionType = type(int | None)


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


def _expected(model: type[BaseModel], path: Path_) -> Any:
    """The annotation of what the data at ``path`` must be (None if nothing is)."""
    current: Any = model
    for segment in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(segment, str) or segment not in current.model_fields:
                return None
            current = current.model_fields[segment].annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    return _unwrap(current)


def _accepts(annotation: Any, key: Any) -> bool:
    """Whether a mapping of that annotation may hold ``key``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return isinstance(key, str) and key in annotation.model_fields
    if typing.get_origin(annotation) is dict:
        key_type = _unwrap(typing.get_args(annotation)[0])
        if key_type is int:
            return isinstance(key, int) and not isinstance(key, bool)
        return isinstance(key, key_type)
    return False


def _fields(annotation: Any) -> list[str]:
    return (
        list(annotation.model_fields)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel)
        else []
    )


# --- Paths of the data -------------------------------------------------------------------------


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


def _under(path: Path_, prefix: Path_) -> bool:
    return path[: len(prefix)] == prefix


def _spaces(count: int) -> str:
    return f"{count} espace{'s' if count > 1 else ''}"


def _lines(first: int, last: int) -> str:
    return f"la ligne {first}" if first >= last else f"chacune des lignes {first} à {last}"


# --- The translator ----------------------------------------------------------------------------


def translate(
    doc: Document, model: type[BaseModel], context: dict[str, Any], exc: ValidationError
) -> list[Diagnostic]:
    """The diagnostics of ``exc``, raised by ``model`` validating ``doc`` with ``context``."""
    return _Translator(doc, model, context).translate(exc)


@dataclass
class _Finding:
    """A diagnostic, and the data it accounts for (pydantic's other errors there are
    consequences of the same mistake)."""

    diagnostic: Diagnostic
    covers: list[Path_] = field(default_factory=list)
    """The values whose errors, and those of everything in them, are consequences."""
    exact: list[Path_] = field(default_factory=list)
    """The blocks whose own errors (not those of their contents) are consequences."""
    stands_for: Path_ | None = None
    """Where the key belongs: a field « missing » there is not reported."""


class _Translator:
    def __init__(self, doc: Document, model: type[BaseModel], context: dict[str, Any]) -> None:
        self.doc = doc
        self.model = model
        self.communes: NameIndex | None = context.get(COMMUNE_NAMES)
        self.vocabulary: Vocabulary = context.get(VOCABULARY) or default_vocabulary()
        self.phase_labels = self.vocabulary.phase_labels
        self.analysed = 0

    # Positions and blocks of the document

    def diagnostic(
        self, path: Path_, code: str, message: str, hint: str, *, key: bool = False
    ) -> Diagnostic:
        line, column = self.doc.locate(path, key=key)
        return Diagnostic(self.doc.path, line, column, code, Severity.ERROR, message, hint)

    def key_at(self, path: Path_) -> tuple[int, int]:
        return self.doc.locate(path, key=True)

    def block_end(self, path: Path_) -> int:
        """The last line of the value at ``path``."""
        ends = [
            position[0]
            for table in (self.doc.positions, self.doc.key_positions)
            for where, position in table.items()
            if _under(where, path)
        ]
        return max(ends, default=self.key_at(path)[0])

    def child_column(self, path: Path_) -> int | None:
        """The column where the value at ``path`` has its keys, or its items' dashes."""
        value = _value_at(self.doc.data, path)
        if isinstance(value, list):
            columns = [self.doc.positions[(*path, i)][1] - 2 for i in range(len(value))]
            columns = [c for c in columns if c > 0 and (*path, 0) in self.doc.positions]
        else:
            columns = [
                position[1]
                for where, position in self.doc.key_positions.items()
                if len(where) == len(path) + 1 and where[: len(path)] == path
            ]
        return min(columns, default=None)

    def siblings(self, path: Path_) -> list[Any]:
        """The keys of the mapping at ``path``, in the order of the file."""
        value = _value_at(self.doc.data, path)
        if not isinstance(value, dict):
            return []
        return sorted(value, key=lambda k: self.key_at((*path, k)))

    # Grouping

    def translate(self, exc: ValidationError) -> list[Diagnostic]:
        grouped: dict[Path_, list[Any]] = {}
        for error in exc.errors(include_url=False):
            grouped.setdefault(self.group_of(error), []).append(error)
        findings: list[_Finding] = []
        covered: list[Path_] = []
        for path, errors_here in grouped.items():
            if any(_is_key_error(e) for e in errors_here):
                if any(_under(path, c) for c in covered):
                    continue
                found = self.key_problem(path, errors_here)
                findings.append(found)
                covered += found.covers
        exact = {p for f in findings for p in f.exact}
        elsewhere = {f.stands_for for f in findings}
        for path, errors_here in grouped.items():
            if (
                any(_is_key_error(e) for e in errors_here)
                or any(_under(path, c) for c in covered)
                or path in exact
                or path in elsewhere  # the field is there, misplaced or written differently
            ):
                continue
            findings.append(_Finding(self.one(path, errors_here)))
        return [f.diagnostic for f in findings]

    def group_of(self, error: Any) -> Path_:
        loc = tuple(error["loc"])
        if error["type"] == "missing":
            return (*_data_path(self.doc.data, loc[:-1]), loc[-1])
        path = _data_path(self.doc.data, loc)
        if error["type"] in _KEY_KINDS or "[key]" in loc:
            return path
        for name in ("phases", "communes"):  # one diagnostic for the whole list
            if name in path[:-1] and path.index(name) == len(path) - 2:
                return path[:-1]
        return path

    # Keys that are not where they belong

    def key_problem(self, path: Path_, errors_here: list[Any]) -> _Finding:
        parent, key = path[:-1], path[-1]
        where = _expected(self.model, parent)
        known = _fields(where)
        if isinstance(key, str):
            found = self.respelled(path, key, known)
            if found is not None:
                return found
        self.analysed += 1
        if self.analysed <= _ANALYSED:
            found = self.too_deep(path) or self.belongs_above(path)
            if found is not None:
                return found
        shown_key = str(key)
        if not known:  # a mapping of years: the key is not a year
            if isinstance(key, str) and key.strip().isdigit():
                return _Finding(
                    self.diagnostic(
                        path,
                        "S003",
                        f"l'année « {key} » est écrite comme un texte",
                        f"écrivez l'année sans guillemets : « {key.strip()}: »",
                        key=True,
                    ),
                    [path],
                )
            return _Finding(
                self.diagnostic(
                    path,
                    "S003",
                    f"« {shown_key} » n'est pas une année",
                    f"sous « {_label(parent)}: », chaque bloc commence par une année, par "
                    "exemple « 2016: »",
                    key=True,
                ),
                [path],
            )
        close = difflib.get_close_matches(shown_key, known, n=1, cutoff=0.6)
        hint = (
            f"vouliez-vous dire « {close[0]} » ?"
            if close
            else "champs possibles ici : " + ", ".join(known)
        )
        return _Finding(
            self.diagnostic(path, "S001", f"champ inconnu « {shown_key} »", hint, key=True),
            [path],
            stands_for=(*parent, close[0]) if close else None,
        )

    def respelled(self, path: Path_, key: str, known: list[str]) -> _Finding | None:
        """A known field written with a no-break space, curly quotes, accents or capitals."""
        line, _column = self.key_at(path)
        source = self.doc.line(line)
        stripped = key.strip(" " + NO_BREAK_SPACES)
        bare = frenchvalues.unquoted(key)
        spelled = frenchvalues.plain(key).replace("-", "_")
        if stripped in known and stripped != key:
            fixed = source.replace(key, stripped, 1)
            message = f"espace insécable après « {stripped} », avant « : »"
            hint = f"supprimez l'espace entre « {stripped} » et « : » : {shown(fixed)}"
            name = stripped
        elif bare in known and bare != key:
            fixed = source.replace(key, bare, 1)
            message = f"le nom du champ « {bare} » est entre guillemets typographiques"
            hint = f"retirez les guillemets : {shown(fixed)}"
            name = bare
        elif spelled in known:
            fixed = source.replace(key, spelled, 1)
            message = f"champ inconnu « {key} » : les noms de champ s'écrivent « {spelled} »"
            hint = "en minuscules, sans accent, avec « _ » entre les mots : " + shown(fixed)
            name = spelled
        else:
            return None
        return _Finding(
            self.diagnostic(path, "S001", message, hint, key=True),
            [path],
            stands_for=(*path[:-1], name),
        )

    def too_deep(self, path: Path_) -> _Finding | None:
        """A key inside a block it does not belong to, but valid in a block around it:
        indented too much (« etat: » under « calendrier: », « 2017: » inside 2016)."""
        parent, key = path[:-1], path[-1]
        for depth in range(len(parent) - 1, -1, -1):
            above = parent[:depth]
            if isinstance(parent[depth], int) and isinstance(_value_at(self.doc.data, above), list):
                continue  # an item of a list: its keys are not the list's
            if not _accepts(_expected(self.model, above), key):
                continue
            sibling = (*above, parent[depth])
            line, column = self.key_at(path)
            target = self.key_at(sibling)[1]
            if column <= target:
                return None
            end = self.block_end(path)
            return _Finding(
                self.diagnostic(
                    path,
                    "S001",
                    f"« {key}: » est à l'intérieur de « {parent[-1]}: » (ligne "
                    f"{self.key_at(parent)[0]}) : il est trop indenté",
                    f"retirez {_spaces(column - target)} au début de {_lines(line, end)}, "
                    f"pour aligner « {key}: » sur « {parent[depth]}: » (ligne "
                    f"{self.key_at(sibling)[0]})",
                    key=True,
                ),
                [path],
                stands_for=(*above, key),
            )
        return None

    def belongs_above(self, path: Path_) -> _Finding | None:
        """A key at the level of a block above it that it belongs to: not indented enough
        (« perspectives: » at the level of the years), or a block left empty, its fields
        at its own level (« 2016: » pasted two spaces too deep)."""
        parent, key = path[:-1], path[-1]
        line, column = self.key_at(path)
        keys = self.siblings(parent)
        before = [k for k in keys if self.key_at((*parent, k))[0] < line]
        for owner in reversed(before):
            owned = (*parent, owner)
            if not _accepts(_expected(self.model, owned), key):
                continue
            if _value_at(self.doc.data, owned) is None:
                return self.empty_block(parent, owner, keys)
            target = self.child_column(owned) or self.key_at(owned)[1] + 2
            if column >= target:
                return None
            example = next(
                (k for k in self.siblings(owned) if self.key_at((*owned, k))[1] == target),
                None,
            )
            aligned = (
                f"sur « {example}: » (ligne {self.key_at((*owned, example))[0]})"
                if example is not None
                else f"sous « {owner}: »"
            )
            return _Finding(
                self.diagnostic(
                    path,
                    "S001",
                    f"« {key}: » est au même niveau que « {owner}: » (ligne "
                    f"{self.key_at(owned)[0]}), alors qu'il fait partie de ce bloc",
                    f"ajoutez {_spaces(target - column)} au début de "
                    f"{self.shifted(parent, [key], target)}, "
                    f"pour aligner « {key}: » {aligned}",
                    key=True,
                ),
                [path],
                exact=[owned],
                stands_for=(*owned, key),
            )
        return None

    def empty_block(self, parent: Path_, owner: Any, keys: list[Any]) -> _Finding:
        owned = (*parent, owner)
        expected = _expected(self.model, owned)
        line, column = self.key_at(owned)
        start = keys.index(owner)
        strays = []
        for other in keys[start + 1 :]:
            if not _accepts(expected, other) or _accepts(_expected(self.model, parent), other):
                break
            strays.append(other)
        level = self.key_at(parent)[1] + 2 if parent else 1
        names = ", ".join(f"« {s} »" for s in strays[:3]) + (" …" if len(strays) > 3 else "")
        if column > level:
            hint = (
                f"retirez {_spaces(column - level)} au début de la ligne {line} : "
                f"« {owner}: » doit être moins indenté que ce qu'il contient"
            )
        else:
            hint = (
                f"ajoutez 2 espaces au début de {self.shifted(parent, strays, column + 2)}, "
                f"pour que {names} soi{'en' if len(strays) > 1 else ''}t à l'intérieur de "
                f"« {owner}: »"
            )
        return _Finding(
            self.diagnostic(
                owned,
                "S001",
                f"« {owner}: » est vide, et ce qu'il doit contenir ({names}) est au même niveau "
                "que lui",
                hint,
                key=True,
            ),
            [owned, *((*parent, s) for s in strays)],
        )

    def shifted(self, parent: Path_, keys: list[Any], target: int) -> str:
        """The lines to indent so that ``keys`` reach column ``target``: a key whose
        block is deeper already moves alone, otherwise with its block."""
        lines: list[int] = []
        for key in keys:
            path = (*parent, key)
            children = self.child_column(path)
            line = self.key_at(path)[0]
            if children is not None and children > target:
                lines.append(line)
            else:
                lines += range(line, self.block_end(path) + 1)
        if lines == list(range(lines[0], lines[-1] + 1)):
            return _lines(lines[0], lines[-1])
        return "des lignes " + ", ".join(str(n) for n in lines[:-1]) + f" et {lines[-1]}"

    # Values

    def one(self, path: Path_, errors_here: list[Any]) -> Diagnostic:
        error = errors_here[0]
        kind = error["type"]
        loc = tuple(error["loc"])
        info = field_at(self.model, loc)[1]
        described = (info.description or "") if info else ""
        name = _label(path)

        def diag(code: str, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
            return self.diagnostic(path, code, message, hint, key=key)

        if kind == "missing":
            parent = field_at(self.model, loc[:-1])[0]  # the block that misses the key
            field_ = parent.model_fields.get(str(loc[-1]))
            described = (field_.description or "").rstrip(".") if field_ else ""
            where = (
                "au début du fichier, en colonne 1"
                if len(path) == 1
                else "à ce bloc, au même retrait que ses autres champs"
            )
            hint = f"ajoutez une ligne « {loc[-1]}: … » {where}"
            return diag(
                "S002",
                f"champ obligatoire « {loc[-1]} » manquant",
                f"{hint} ({described})" if described else hint,
            )
        value = _value_at(self.doc.data, path)
        for special in (self.phases, self.communes_list, self.colon_in_text, self.empty_item):
            found = special(path, value, errors_here)
            if found is not None:
                return found
        if {e["type"] for e in errors_here} & _NUMBER_KINDS:
            expected = _expected(self.model, path)
            return self.number(path, value, float in (expected, *typing.get_args(expected)))
        if name in _QUARTERS and kind in ("string_type", "string_pattern_mismatch"):
            fixed = frenchvalues.quarter(value)
            if fixed is not None:
                return diag(
                    "S003" if kind == "string_type" else "S006",
                    f"« {name} » est un trimestre, pas {describe(value)}",
                    f"écrivez le trimestre sous la forme AAAA-Tn : « {name}: {fixed} »",
                )
        if len(errors_here) > 1:
            return diag("S004", f"valeur invalide pour « {name} » : {describe(value)}", described)
        if kind in _TYPE_NAMES:
            return self.wrong_type(path, value, kind, described)
        words = vocabulary_of(info) if info is not None else None
        if words is not None and kind in ("vocabulaire", "string_pattern_mismatch"):
            return self.word(path, value, [str(c) for c in self.vocabulary.ids(words)], words)
        if kind == "literal_error":
            expected = str(error.get("ctx", {}).get("expected", ""))
            choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]
            return self.word(path, value, choices, None)
        if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
            ctx = error.get("ctx", {})
            bound = "au moins" if kind.startswith("greater") else "au plus"
            limit = next(iter(ctx.values()), "")
            return diag(
                "S005",
                f"« {name} » vaut {value}, alors qu'il doit valoir {bound} {limit}",
                described,
            )
        if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
            return diag("S005", _length_message(name, kind, error.get("ctx", {})), described)
        if kind == "string_pattern_mismatch":
            field_name = next(
                (s for s in reversed(loc) if isinstance(s, str) and s in _PATTERN_HINTS), name
            )
            hint = _PATTERN_HINTS.get(field_name, described)
            if field_name == "id" and frenchvalues.plain(str(value)):
                hint = f"écrivez « id: {frenchvalues.plain(str(value))} » ({hint})"
            return diag("S006", f"« {value} » n'a pas la forme attendue pour « {name} »", hint)
        if kind == "value_error":
            message = str(error.get("ctx", {}).get("error", ""))
            return diag("S007", message.split(": ", 1)[-1], "voir docs/format-fiche.md")
        return diag("S003", f"valeur invalide pour « {name} » : {describe(value)}", described)

    def word(self, path: Path_, value: Any, choices: list[str], words: str | None) -> Diagnostic:
        """A value that must be one of ``choices`` (the project's ``words``, or the model's
        own): the one it spells differently (« En cours » for en-cours), or the closest."""
        fixed = frenchvalues.choice(str(value), choices)
        if fixed is not None:
            hint = f"écrivez « {fixed} » (en minuscules, sans accent, avec des tirets)"
            if str(value).strip(" " + NO_BREAK_SPACES) == fixed:
                hint = f"supprimez l'espace insécable (copiée de Word) autour de « {fixed} »"
            elif frenchvalues.unquoted(str(value)) == fixed:
                hint = f"retirez les guillemets : « {fixed} »"
        else:
            close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
            hint = (
                f"vouliez-vous dire « {close[0]} » ?"
                if close
                else "choisissez une des valeurs possibles"
                + (
                    f", déclarées dans data/bilan.yaml (vocabulaire, « {words} »)"
                    if words is not None
                    else ""
                )
            )
        return self.diagnostic(
            path,
            "S004",
            f"valeur « {value} » non autorisée pour « {_label(path)} » ; valeurs possibles : "
            + ", ".join(choices),
            hint,
        )

    def wrong_type(self, path: Path_, value: Any, kind: str, described: str) -> Diagnostic:
        name = _label(path)
        hint = described
        message = f"« {name} » doit être {_TYPE_NAMES[kind]}, pas {describe(value)}"
        if kind == "string_type" and path in self.doc.raw:
            hint = (
                "YAML a interprété ce texte : mettez-le entre guillemets, "
                f'par exemple « "{self.doc.raw[path]}" »'
            )
        elif kind == "list_type" and isinstance(value, str):
            hint = _list_hint(name, value)
            line = self.doc.locate(path)[0]
            if line > self.key_at(path)[0]:  # the text is on its own line: the dash is missing
                message = f"tiret « - » manquant devant le premier élément de « {name} »"
                hint = f"commencez la ligne {line} par « - » : {shown('- ' + self.doc.line(line).strip())}"
        elif kind in ("dict_type", "model_type") and value is None:
            message = f"« {name} » est vide"
            fields = _fields(_expected(self.model, path))
            hint = (
                f"écrivez ses champs ({', '.join(fields[:4])}…) sous « {name}: », "
                "indentés de 2 espaces de plus"
                if fields
                else f"écrivez ses blocs (par exemple « 2016: ») sous « {name}: », indentés "
                "de 2 espaces de plus"
            )
        elif kind in ("dict_type", "model_type") and isinstance(value, list):
            fields = _fields(_expected(self.model, path))
            hint = (
                f"« {name}: » contient des champs ({', '.join(fields[:4])}), pas directement "
                f"une liste : écrivez par exemple « {fields[0]}: » sous « {name}: », indenté de "
                "2 espaces, puis la liste en dessous"
                if fields
                else hint
            )
        elif kind in ("dict_type", "model_type") and isinstance(value, str | int | float):
            fields = _fields(_expected(self.model, path))
            hint = (
                f"« {name}: » ne prend pas de valeur sur sa ligne : écrivez en dessous ses "
                f"champs ({', '.join(fields[:4])}), indentés de 2 espaces de plus"
            )
        return self.diagnostic(path, "S003", message, hint)

    def number(self, path: Path_, value: Any, decimals: bool) -> Diagnostic:
        """A number written the French way, or something else where a number goes."""
        name = _label(path)
        what = "un nombre" if decimals else "un nombre entier"
        message = f"« {name} » doit être {what}, pas {describe(value)}"
        read = frenchvalues.number(value) if isinstance(value, str) else None
        if read is not None and read[1] and not re.fullmatch(r"[^\W\d][\w'’ -]*|%|EUR", read[1]):
            read = None  # « 40 (estimation) »: a comment, not a unit
        if read is not None:
            number, unit = read
            hint = f"écrivez « {name}: {_number_text(number)} »"
            if re.search(r"\d,\d", value) and isinstance(number, float):
                hint += " (un point pour les décimales)"
            elif re.search(rf"\d[ .{NO_BREAK_SPACES}]\d", value):
                hint += " (sans espaces)" if not re.search(r"\d\.\d", value) else " (sans points)"
            if unit:
                hint += self.unit_hint(path, unit)
            elif self.quoted_in_file(path) or frenchvalues.unquoted(value) != value.strip():
                hint += " (sans guillemets)"
            return self.diagnostic(path, "S003", message, hint)
        if isinstance(value, float) and not decimals:
            return self.diagnostic(
                path, "S003", message, f"écrivez un nombre entier, « {name}: {int(value)} »"
            )
        inside = (
            re.search(r"\d[\d \u00a0\u202f]*(?:[.,]\d+)?", value)
            if isinstance(value, str)
            else None
        )
        if inside is not None and name == "valeur":
            found = frenchvalues.number(inside.group().strip())
            written = _number_text(found[0]) if found else inside.group().strip()
            hint = (
                f"« valeur » ne contient que le nombre : « valeur: {written} » ; le reste "
                f"(« {value.replace(inside.group(), '').strip()} ») va dans « texte: »"
            )
        elif name == "valeur":
            hint = (
                "« valeur » ne contient qu'un nombre, en chiffres (par exemple « valeur: 12 ») ; "
                "un texte comme « oui » va dans « texte: », et « valeur » se retire"
            )
        else:
            hint = f"écrivez un nombre en chiffres, par exemple « {name}: 1 »"
        return self.diagnostic(path, "S003", message, hint)

    def quoted_in_file(self, path: Path_) -> bool:
        """Whether the value at ``path`` is written between quotes in the file."""
        line, column = self.doc.locate(path)
        return self.doc.line(line)[column - 1 : column] in ("'", '"')

    def unit_hint(self, path: Path_, unit: str) -> str:
        block = _value_at(self.doc.data, path[:-1])
        if not isinstance(block, dict) or "unite" not in _fields(_expected(self.model, path[:-1])):
            return f" ; « {unit} » ne s'écrit pas dans le nombre"
        if block.get("unite") == unit:
            return ", l'unité est déjà dans « unite »"
        return f", et l'unité à part : « unite: {unit} »"

    def phases(self, path: Path_, value: Any, errors_here: list[Any]) -> Diagnostic | None:
        """A calendar's phases written as words (« diagnostic »), out of range, without
        brackets or commas: one diagnostic for the row, with the row as it should be."""
        if _label(path) != "phases" or not isinstance(value, list | str):
            return None
        labels = self.phase_labels
        names = frenchvalues.phase_names(labels)
        if isinstance(value, str):
            parts = re.split(r"[,;]" if re.search("[,;]", value) else r"\s+", value.strip("()[] "))
            cells = [_phase_cells(part, labels) for part in parts]
            fixed = ", ".join(_cell(c) for found in cells for c in (found or ["?"]))
            return self.diagnostic(
                path,
                "S003",
                "« phases » doit être une liste entre crochets, les cases séparées par des virgules",
                f"écrivez « phases: [{fixed}] » ({names})",
            )
        bad = sorted(
            {e["loc"][len(path)] for e in errors_here if len(e["loc"]) > len(path)},
            key=str,
        )
        bad = [i for i in bad if isinstance(i, int)]
        if not bad:
            return None
        row: list[Any] = []
        named: list[str] = []
        unknown: list[str] = []
        for index, cell in enumerate(value):
            if index not in bad:
                row.append(cell)
                continue
            found = _phase_cells(cell, labels) if isinstance(cell, str) else None
            if found is None:
                unknown.append(str(cell))
                continue
            if not str(cell).strip().isdigit():
                named.append(f"{cell} = {', '.join(_cell(c) for c in found)}")
            row += found
        where = (*path, bad[0])
        if unknown:
            return self.diagnostic(
                where,
                "S004",
                f"phase {', '.join(f'« {u} »' for u in unknown)} inconnue : une case vaut "
                f"{', '.join(str(n) for n in labels)}, deux phases entre crochets ([3, 4] pour "
                "« 3/4 »), ou null si elle est vide",
                f"les phases : {names}",
            )
        message = (
            f"les phases s'écrivent en chiffres : {' ; '.join(named)}"
            if named
            else "les phases s'écrivent en chiffres, sans guillemets"
        )
        shown_row = ", ".join(_cell(c) for c in row)
        return self.diagnostic(
            where, "S004", message, f"écrivez « phases: [{shown_row}] » ({names})"
        )

    def communes_list(self, path: Path_, value: Any, errors_here: list[Any]) -> Diagnostic | None:
        """Communes written by their names: the ids they stand for, all in one diagnostic."""
        if _label(path) != "communes" or not isinstance(value, list):
            return None
        if any(e["type"] != "string_pattern_mismatch" for e in errors_here):
            return None
        bad = sorted({e["loc"][len(path)] for e in errors_here})
        found = {i: self.communes.find(str(value[i])) if self.communes else None for i in bad}
        fixed = {i: found[i] or frenchvalues.plain(str(value[i])) for i in bad}
        names = " et ".join(f"« {value[i]} »" for i in bad[:3]) + (" …" if len(bad) > 3 else "")
        verb = "n'est pas un identifiant" if len(bad) == 1 else "ne sont pas des identifiants"
        one_line = self.doc.locate(path)[0] == self.doc.locate((*path, len(value) - 1))[0]
        known = [i for i in bad if found[i] is not None]
        hint = ""
        if known and one_line:
            written = [fixed.get(i, str(c)) for i, c in enumerate(value)]
            hint = f"écrivez « communes: [{', '.join(written)}] »"
        elif known:
            hint = "écrivez " + ", ".join(
                f"« - {fixed[i]} » ligne {self.doc.locate((*path, i))[0]}" for i in known
            )
        if known:
            hint += " (les identifiants de data/communes.yaml, pas les noms)"
        unknown = ", ".join(f"« {value[i]} »" for i in bad if found[i] is None)
        if unknown:
            hint += (" ; " if hint else "") + (
                f"{unknown} : aucune commune de ce nom dans data/communes.yaml ; écrivez "
                "l'identifiant d'une commune membre (minuscules, sans accents, avec des tirets)"
            )
        return self.diagnostic((*path, bad[0]), "S006", f"{names} {verb} de commune", hint)

    def colon_in_text(self, path: Path_, value: Any, errors_here: list[Any]) -> Diagnostic | None:
        """« - Délais : trop longs »: a French colon makes YAML read a key and a value."""
        if errors_here[0]["type"] != "string_type" or not isinstance(value, dict):
            return None
        if len(value) != 1:
            return None
        key = next(iter(value))
        line = self.key_at((*path, key))[0]
        if self.block_end(path) != line or not isinstance(key, str):
            return None
        source = self.doc.line(line)
        indent = len(source) - len(source.lstrip(" -"))
        prefix, text = source[:indent], source[indent:].strip()
        return self.diagnostic(
            (*path, key),
            "S003",
            f"« : » dans un texte de « {_label(path)} » : YAML y lit un champ « {key} »",
            f"ajoutez des guillemets : {shown(prefix + quoted(text))}",
            key=True,
        )

    def empty_item(self, path: Path_, value: Any, errors_here: list[Any]) -> Diagnostic | None:
        if value is not None or errors_here[0]["type"] != "string_type":
            return None
        name = _label(path)
        line, column = self.doc.locate(path)
        source = self.doc.line(line)
        written = source[column - 1 :].strip()
        if written[:1] in ("&", "!"):
            prefix = source[: column - 1]
            return self.diagnostic(
                path,
                "S003",
                f"un texte qui commence par « {written[0]} » est lu comme une instruction YAML, "
                "et le texte est perdu",
                f"mettez le texte entre guillemets : {shown(prefix + quoted(written))}",
            )
        if isinstance(path[-1], int):
            return self.diagnostic(
                path,
                "S005",
                f"élément vide dans « {name} » (un « - » sans texte)",
                f"écrivez le texte après le tiret, ou supprimez la ligne {line}",
            )
        return self.diagnostic(
            path, "S005", f"« {name} » est vide", f"écrivez le texte après « {name}: »"
        )


def _is_key_error(error: Any) -> bool:
    return error["type"] in _KEY_KINDS or "[key]" in tuple(error["loc"])


def _phase_cells(text: str, labels: dict[int, str]) -> list[Any] | None:
    """The cells a written cell stands for (« 1 2 » is two), or None if unknown."""
    if frenchvalues.plain(text) in frenchvalues.EMPTY_WORDS or text.strip() == "-":
        return [None]
    words = text.split()
    if len(words) > 1 and all(
        w.isdigit() and frenchvalues.phase(w, labels) is not None for w in words
    ):
        return [frenchvalues.phase(w, labels) for w in words]
    found = frenchvalues.phase(text, labels)
    return None if found is None else [found]


def _number_text(number: int | float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def _cell(cell: Any) -> str:
    if cell is None:
        return "null"
    if isinstance(cell, list):
        return "[" + ", ".join(str(c) for c in cell) + "]"
    return str(cell)


def _length_message(name: str, kind: str, ctx: dict[str, Any]) -> str:
    if kind == "string_too_short":
        return f"« {name} » ne peut pas être vide"
    if kind == "string_too_long":
        return f"« {name} » est trop long"
    if kind == "too_short":
        return f"« {name} » doit contenir au moins {ctx.get('min_length')} élément(s)"
    return f"« {name} » contient trop d'éléments (au plus {ctx.get('max_length')})"


def _list_hint(name: str, value: str) -> str:
    """How to write as a list what was written as one text."""
    if value.startswith("-") and not value.startswith("- "):
        return f"ajoutez une espace après le tiret : « - {value[1:].strip()} »"
    parts = [p.strip() for p in value.strip("[] ").split(",")]
    if all(p and " " not in p for p in parts):
        return f"écrivez la liste entre crochets : « {name}: [{', '.join(parts)}] »"
    return (
        f"écrivez chaque élément sur sa ligne, après « - » : « {name}: » puis, en dessous et "
        f"indenté, « - {value[:40]}{'…' if len(value) > 40 else ''} »"
    )
