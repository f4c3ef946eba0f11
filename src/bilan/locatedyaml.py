"""The located reader: data and the position of every key and value, or why not.

Built on the YAML *event* stream rather than on PyYAML's constructor, so that in one
linear pass, without recursion, it can:
- keep the line and column of every key and value (pydantic errors are mapped back);
- reject duplicate keys (PyYAML silently keeps the last one: a lost edit);
- refuse tags (``!!python/object`` is never constructed) and aliases (no "billion laughs");
- bound nesting depth and document count.
A syntax error becomes a French diagnostic at the writer's mistake
(:mod:`bilan.yamlmessages`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from bilan import yamlsafe
from bilan.diagnostics import INVISIBLE, Diagnostic, Severity
from bilan.document import Path_, Position, Positions
from bilan.yamlmessages import describe_kind, syntax_diagnostic, too_deep


def read_located(text: str, path: str) -> tuple[Any, Positions, list[Diagnostic]]:
    """The data of ``text`` and its positions; diagnostics (then no data) for whatever
    is refused or unreadable. Never raises on bad input."""
    builder = _Builder(path, text)
    loader = yamlsafe.Loader(text)
    try:
        builder.run(yamlsafe.events(loader))
    except _Abort:
        pass
    except yaml.YAMLError as exc:  # syntax, or a character YAML refuses (U+FFFE)
        found = syntax_diagnostic(exc, text, path)
        if all(d.line != found.line for d in builder.diagnostics):  # one mistake, one error
            builder.diagnostics.append(found)
    finally:
        loader.dispose()
    if builder.diagnostics:
        return None, builder.positions, builder.diagnostics
    return builder.data, builder.positions, []


def locate(text: str, path: str) -> tuple[Any, Positions]:
    """Data and positions of a text that was read before without error."""
    data, positions, _found = read_located(text, path)
    return data, positions


class _Abort(Exception):
    """Stop the event loop: the diagnostic is already recorded."""


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


@dataclass
class _Frame:
    container: dict[Any, Any] | list[Any]
    path: Path_
    key: Any = None
    has_key: bool = False
    duplicated: bool = False
    """A duplicate key was reported here: the next ones are the same mistake."""


_INVALID_KEY = object()
_KINDS = {"int": "un nombre entier", "float": "un nombre", "timestamp": "une date"}


class _Builder:
    """Turns the event stream of one document into data and positions."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.data: Any = None
        self.positions = Positions()
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[_Frame] = []
        self.documents = 0
        self.raw_text: str | None = None

    def error(self, position: Position, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(self.path, position[0], position[1], code, Severity.ERROR, message, hint)
        )

    def run(self, stream: Iterator[Any]) -> None:
        for event in stream:
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.error(
                        _position(event.start_mark),
                        "Y011",
                        "le fichier contient plusieurs documents YAML (séparés par « --- »)",
                        "une fiche est un seul document : supprimez la ligne « --- » en trop",
                    )
                    raise _Abort
            elif isinstance(event, yaml.ScalarEvent):
                self.scalar(event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                self.start(event)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = self.stack.pop()
                self.attach(frame.container, None)
            elif isinstance(event, yaml.AliasEvent):
                self.error(
                    _position(event.start_mark),
                    "Y004",
                    f"alias YAML « *{event.anchor} » non autorisé",
                    "un texte qui commence par « * » ou « & » (Markdown *italique*) se met entre "
                    "guillemets ; sinon, recopiez la valeur au lieu d'utiliser une ancre (&) et "
                    "un alias (*)",
                )
                self.attach(None, None)  # reported once: not also as an empty key

    def check_tag(self, event: Any) -> bool:
        tag = event.tag
        if tag is None or tag in yamlsafe.STANDARD_TAGS:
            return True
        self.error(
            _position(event.start_mark),
            "Y003",
            f"étiquette YAML « {tag} » non autorisée",
            "retirez l'étiquette commençant par « ! » : les fiches ne contiennent que du texte, "
            "des nombres et des listes",
        )
        return False

    def scalar(self, event: yaml.ScalarEvent) -> None:
        position = _position(event.start_mark)
        value: Any = None
        refused = len(self.diagnostics)
        invisible = INVISIBLE.search(event.value)
        if invisible:  # typed as an escape (« \\x1b », « \\u202e »): the text had none
            self.error(
                position,
                "Y010",
                f"caractère de contrôle invisible U+{ord(invisible.group()):04X} "
                "(écrit sous forme d'échappement « \\ »)",
                "supprimez la séquence d'échappement : une fiche ne contient que du texte visible",
            )
        elif self.check_tag(event):
            tag = event.tag
            if tag is None or tag == "!":
                tag = (
                    "tag:yaml.org,2002:str"
                    if tag == "!"
                    else yamlsafe.RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
                )
            construct = yamlsafe.SCALAR_TAGS.get(tag)
            if construct is None:
                self.error(
                    position,
                    "Y003",
                    f"« {event.value[:40]} » a un sens particulier en YAML, non autorisé dans "
                    "une fiche",
                    f'mettez ce texte entre guillemets : « "{event.value[:40]}" »',
                )
            else:
                try:
                    value = construct(yamlsafe.CONSTRUCTOR, yaml.ScalarNode(tag, event.value))
                except yamlsafe.CONSTRUCTION_ERRORS:
                    self.error(
                        position,
                        "Y001",
                        f"valeur « {event.value[:40]} » illisible : YAML la lit comme "
                        f"{_KINDS.get(tag.rsplit(':', 1)[-1], 'une valeur')}",
                        "mettez la valeur entre guillemets si c'est un texte, sinon corrigez-la "
                        "(nombre de moins de 4 300 chiffres, date AAAA-MM-JJ valide)",
                    )
        self.raw_text = event.value if not event.style else None
        # A refused scalar is reported once: as a key, it must not also be a bad key.
        self.attach(value, None if len(self.diagnostics) > refused else position)
        self.raw_text = None

    def start(self, event: Any) -> None:
        self.raw_text = None
        position = _position(event.start_mark)
        if len(self.stack) >= yamlsafe.MAX_DEPTH:
            self.diagnostics.append(too_deep(self.path, position))
            raise _Abort
        self.check_tag(event)
        container: dict[Any, Any] | list[Any] = (
            {} if isinstance(event, yaml.MappingStartEvent) else []
        )
        parent = self.stack[-1] if self.stack else None
        if parent is not None and isinstance(parent.container, dict) and not parent.has_key:
            self.error(
                position,
                "Y001",
                "une clé doit être un texte simple, pas une liste ni un dictionnaire",
                "écrivez « clé: valeur », la clé sur une seule ligne",
            )
            path: Path_ = (*parent.path, "?")
        else:
            path = self.child_path(parent)
            self.positions.values[path] = position
        self.stack.append(_Frame(container, path))

    def child_path(self, parent: _Frame | None) -> Path_:
        if parent is None:
            return ()
        if isinstance(parent.container, list):
            return (*parent.path, len(parent.container))
        return (*parent.path, parent.key)

    def attach(self, value: Any, position: Position | None) -> None:
        """Put a finished value into its parent (position None: a container, already noted)."""
        if not self.stack:
            self.data = value
            if position is not None:
                self.positions.values[()] = position
            return
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            if position is not None:
                self.positions.values[(*parent.path, len(parent.container))] = position
                self._keep_raw((*parent.path, len(parent.container)), value)
            parent.container.append(value)
            return
        if not parent.has_key:
            self.set_key(parent, value, position)
            return
        parent.has_key = False
        if parent.key is _INVALID_KEY:
            return
        path = (*parent.path, parent.key)
        if position is not None:
            self.positions.values[path] = position
            self._keep_raw(path, value)
        parent.container[parent.key] = value

    def _keep_raw(self, path: Path_, value: Any) -> None:
        if self.raw_text is not None and not isinstance(value, str):
            self.positions.raw[path] = self.raw_text

    def set_key(self, parent: _Frame, key: Any, position: Position | None) -> None:
        parent.has_key = True
        if position is None or isinstance(key, dict | list):
            parent.key = _INVALID_KEY
            return
        if key is None and not self.raw_text:
            self.error(
                position,
                "Y001",
                "clé vide avant « : »",
                "écrivez le nom du champ avant les deux-points, ou mettez le texte entre guillemets",
            )
            parent.key = _INVALID_KEY
            return
        if not isinstance(key, str | int) or isinstance(key, bool):
            self.error(
                position,
                "Y001",
                f"la clé « {self.raw_text or key} » est lue comme {describe_kind(key)}, "
                "pas comme un nom de champ",
                "mettez la clé entre guillemets",
            )
            parent.key = _INVALID_KEY
            return
        path = (*parent.path, key)
        if key in parent.container:
            if not parent.duplicated:
                self.duplicate(parent, key, position)
            parent.duplicated = True
            parent.key = _INVALID_KEY
            return
        parent.key = key
        self.positions.keys[path] = position

    def duplicate(self, parent: _Frame, key: Any, position: Position) -> None:
        first = self.positions.keys[(*parent.path, key)]
        in_list = len(self.stack) > 1 and isinstance(self.stack[-2].container, list)
        if in_list and key == next(iter(parent.container)):
            # « libelle: » again in a list item: the dash of a new item is missing
            line = self.text.split("\n")[position[0] - 1]
            column = position[1] - 1
            fixed = line[: max(column - 2, 0)] + "- " + line[column:]
            self.error(
                position,
                "Y002",
                f"tiret « - » manquant : « {key}: » commence un nouvel élément de la liste "
                f"(comme ligne {first[0]})",
                f"remplacez les 2 espaces avant « {key}: » par « - » : « {fixed.strip()} »",
            )
            return
        self.error(
            position,
            "Y002",
            f"clé « {key} » en double (déjà présente ligne {first[0]})",
            "une clé ne peut apparaître qu'une fois : fusionnez les deux valeurs "
            "(YAML ne garderait que la dernière)",
        )
