"""The only YAML reader: bytes → plain data + the position of every value.

Built on the YAML *event* stream rather than on PyYAML's constructor, so that in one
linear pass, without recursion, it can:
- keep the line and column of every key and value (pydantic errors are mapped back);
- reject duplicate keys (PyYAML silently keeps the last one: a lost edit);
- refuse tags (``!!python/object`` is never constructed) and aliases (no "billion laughs");
- bound nesting depth, size and document count.
libyaml (``CSafeLoader``) parses when available; positions are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from bilan.diagnostics import INVISIBLE, Diagnostic, Severity

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is bundled with PyYAML wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 1_000_000
"""A fiche is a few kilobytes; anything above a megabyte is a mistake or an attack."""
MAX_DEPTH = 40
"""The model is 6 levels deep; a deeper document is refused before it costs anything."""

_TOO_DEEP = (
    f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux)",
    "une fiche n'a que quelques niveaux : vérifiez l'indentation et les crochets",
)

Path_ = tuple[str | int, ...]
Position = tuple[int, int]

_STANDARD_TAGS = {
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
_resolver = yaml.resolver.Resolver()
_constructor = SafeConstructor()
_SCALAR_TAGS = {
    tag: _constructor.yaml_constructors[tag]
    for tag in _STANDARD_TAGS
    if tag in _constructor.yaml_constructors and not tag.endswith(("seq", "map"))
}


_UNREAD = object()


@dataclass
class _Where:
    """Where each part of a document stands."""

    positions: dict[Path_, Position] = field(default_factory=dict)
    key_positions: dict[Path_, Position] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)
    """As typed, for plain scalars that YAML did not read as text (``on``, ``2016-06-01``)."""


class Document:
    """A loaded YAML file: its data and where each part of it stands.

    A document read by the quick path keeps its text instead of positions: they are found
    by a second, position-keeping parse of that text the first time a diagnostic needs
    one, which for valid data is never (see :func:`parse`). A document whose fiche comes
    from the build cache (:meth:`unread`) is not even parsed, unless asked.
    """

    __slots__ = ("_data", "_text", "_where", "path")

    def __init__(self, path: str, data: Any, text: str | None = None) -> None:
        self.path = path
        self._data = data
        self._text = text
        self._where = _Where() if text is None else None

    @classmethod
    def unread(cls, path: str, text: str) -> Document:
        """The document of a text already read without error, by an earlier build."""
        return cls(path, _UNREAD, text)

    @property
    def data(self) -> Any:
        if self._data is _UNREAD:
            self._located()
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    def _located(self) -> _Where:
        if self._where is None:
            assert self._text is not None
            builder = _Builder(self.path)
            loader = _Loader(self._text)
            try:
                builder.run(_events(loader))  # the quick path read it: no diagnostic here
            finally:
                loader.dispose()
            self._where = builder.doc._located()
            if self._data is _UNREAD:
                self._data = builder.doc.data
            self._text = None
        return self._where

    @property
    def positions(self) -> dict[Path_, Position]:
        return self._located().positions

    @property
    def key_positions(self) -> dict[Path_, Position]:
        return self._located().key_positions

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


class _Abort(Exception):
    """Stop the event loop: the diagnostic is already recorded."""


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


def _offset_position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return (line, column)


@dataclass
class _Frame:
    container: dict[Any, Any] | list[Any]
    path: Path_
    key: Any = None
    has_key: bool = False
    key_position: Position = (0, 0)


class _Builder:
    """Turns the event stream of one document into data and positions."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.doc = Document(path=path, data=None)
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[_Frame] = []
        self.documents = 0
        self.raw_text: str | None = None

    def error(self, position: Position, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.append(
            Diagnostic(self.path, position[0], position[1], code, Severity.ERROR, message, hint)
        )

    def run(self, events: Iterator[Any]) -> None:
        for event in events:
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
                self.attach(None, _position(event.start_mark))

    def check_tag(self, event: Any) -> bool:
        tag = event.tag
        if tag is None or tag in _STANDARD_TAGS:
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
                    else _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
                )
            construct = _SCALAR_TAGS.get(tag)
            if construct is None:
                self.error(
                    position,
                    "Y003",
                    f"« {event.value[:40]} » est lu comme l'étiquette YAML {tag}, non autorisée",
                    "mettez ce texte entre guillemets",
                )
            else:
                try:
                    value = construct(_constructor, yaml.ScalarNode(tag, event.value))
                except (ConstructorError, ValueError, TypeError, OverflowError):
                    self.error(
                        position,
                        "Y001",
                        f"valeur « {event.value[:40]} » illisible pour l'étiquette {tag}",
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
        if len(self.stack) >= MAX_DEPTH:
            self.error(position, "Y006", *_TOO_DEEP)
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
            self.doc.positions[path] = position
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
            self.doc.data = value
            if position is not None:
                self.doc.positions[()] = position
            return
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            if position is not None:
                self.doc.positions[(*parent.path, len(parent.container))] = position
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
            self.doc.positions[path] = position
            self._keep_raw(path, value)
        parent.container[parent.key] = value

    def _keep_raw(self, path: Path_, value: Any) -> None:
        if self.raw_text is not None and not isinstance(value, str):
            self.doc.raw[path] = self.raw_text

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
                f"la clé « {self.raw_text or key} » est lue comme {_kind(key)}, "
                "pas comme un nom de champ",
                "mettez la clé entre guillemets",
            )
            parent.key = _INVALID_KEY
            return
        path = (*parent.path, key)
        if key in parent.container:
            first = self.doc.key_positions[path]
            self.error(
                position,
                "Y002",
                f"clé « {key} » en double (déjà présente ligne {first[0]})",
                "une clé ne peut apparaître qu'une fois : fusionnez les deux valeurs "
                "(YAML ne garderait que la dernière)",
            )
            parent.key = _INVALID_KEY
            return
        parent.key = key
        self.doc.key_positions[path] = position


_INVALID_KEY = object()


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, str):
        return "un texte"
    if isinstance(value, bool):
        return "un booléen (vrai ou faux)"
    if value is None:
        return "une valeur vide"
    if isinstance(value, int | float):
        return "un nombre"
    return "une date" if hasattr(value, "year") else "une valeur"


def decode(raw: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (with or without BOM) to text; invalid bytes and control characters located."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Diagnostic(
                path,
                1,
                1,
                "Y005",
                Severity.ERROR,
                "fichier enregistré en UTF-16, pas en UTF-8",
                "enregistrez le fichier en UTF-8 (dans votre éditeur : « Enregistrer avec "
                "l'encodage » → UTF-8)",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = len(raw[: exc.start].decode("utf-8", "replace"))
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, column = _offset_position(prefix, start)
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "Y005",
                Severity.ERROR,
                f"octet invalide en UTF-8 (0x{raw[exc.start]:02X})",
                "enregistrez le fichier en UTF-8 (dans votre éditeur : « Enregistrer avec "
                "l'encodage » → UTF-8)",
            )
        ]
    control = INVISIBLE.search(text)
    if control:
        line, column = _offset_position(text, control.start())
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "Y010",
                Severity.ERROR,
                f"caractère de contrôle invisible U+{ord(control.group()):04X}",
                "supprimez ce caractère (souvent issu d'un copier-coller) et retapez le texte",
            )
        ]
    return text.replace("\r\n", "\n"), []


def parse(text: str, path: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a Document; errors as diagnostics, never an exception.

    The quick path reads a regular document (the usual case) at about the cost of a bare
    libyaml load; whatever it cannot vouch for goes through the builder, which explains it.
    """
    try:
        data = _quick(text)
    except (_Irregular, yaml.YAMLError):
        data = None
    if isinstance(data, dict):
        return Document(path, data, text), []
    builder = _Builder(path)
    loader = _Loader(text)
    try:
        builder.run(_events(loader))
    except _Abort:
        return None, builder.diagnostics
    except yaml.MarkedYAMLError as exc:
        return None, [*builder.diagnostics, _syntax_diagnostic(exc, text, path)]
    except yaml.YAMLError as exc:
        return None, [
            *builder.diagnostics,
            Diagnostic(path, 1, 1, "Y001", Severity.ERROR, f"YAML illisible : {exc}"),
        ]
    finally:
        loader.dispose()
    if builder.diagnostics:
        return None, builder.diagnostics
    doc = builder.doc
    if doc.data is None:
        return None, [
            Diagnostic(
                path,
                1,
                1,
                "Y007",
                Severity.ERROR,
                "le fichier est vide",
                "partez d'un modèle : bilan new --type … --numero … --titre …",
            )
        ]
    if not isinstance(doc.data, dict):
        line, column = doc.positions.get((), (1, 1))
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "Y008",
                Severity.ERROR,
                f"le document est {_kind(doc.data)}, "
                "alors qu'il doit être une suite de champs « clé: valeur »",
                "le fichier doit commencer par des lignes comme « id: … » sans tiret devant",
            )
        ]
    return doc, []


def _events(loader: Any) -> Iterator[Any]:
    while loader.check_event():
        yield loader.get_event()


class _Irregular(Exception):
    """The quick path met something that only the builder can report."""


_AWAITING_KEY = object()
_PLAIN: dict[str, Any] = {}
"""Plain scalars already resolved: keys and short values repeat from file to file."""
_PLAIN_MAX = 100_000


def _quick(text: str) -> Any:
    """The data of a document without positions, or _Irregular for anything the builder
    would refuse: alias, tag, complex, duplicate or non-text key, depth, second document,
    unreadable value, invisible character. Same data as the builder (tested)."""
    loader = _Loader(text)
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
        raise _Irregular  # an empty file
    containers: list[Any] = []
    keys: list[Any] = []  # per open container: its pending key, _AWAITING_KEY or None (list)
    root: Any = None
    while True:
        event = get()
        kind = type(event)
        if kind is scalar:
            value = _quick_scalar(event)
        elif kind is mapping_start or kind is sequence_start:
            if event.tag is not None and event.tag not in _STANDARD_TAGS:
                raise _Irregular
            if len(containers) >= MAX_DEPTH or (keys and keys[-1] is _AWAITING_KEY):
                raise _Irregular
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
            raise _Irregular
        if not containers:
            root = value
            continue
        key = keys[-1]
        if key is None:
            containers[-1].append(value)
        elif key is _AWAITING_KEY:
            if (type(value) is not str and type(value) is not int) or value in containers[-1]:
                raise _Irregular
            keys[-1] = value
        else:
            containers[-1][key] = value
            keys[-1] = _AWAITING_KEY
    if type(get()) is not yaml.StreamEndEvent:
        raise _Irregular  # a second document
    return root


def _quick_scalar(event: Any) -> Any:
    tag, text = event.tag, event.value
    plain = tag is None and event.implicit[0]
    if plain:
        known = _PLAIN.get(text, _PLAIN)
        if known is not _PLAIN:
            return known
    elif tag is not None and tag != "!":
        raise _Irregular  # an explicit tag: rare, left to the builder
    if INVISIBLE.search(text):
        raise _Irregular
    if not plain:
        return text  # quoted or block: always text
    resolved = _resolver.resolve(yaml.ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
    construct = _SCALAR_TAGS.get(resolved)
    if construct is None:
        raise _Irregular
    try:
        value = construct(_constructor, yaml.ScalarNode(resolved, text))
    except (ConstructorError, ValueError, TypeError, OverflowError):
        raise _Irregular from None
    if len(text) <= 64 and len(_PLAIN) < _PLAIN_MAX:
        _PLAIN[text] = value
    return value


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, column = _position(mark) if mark is not None else (1, 1)
    source_line = text.split("\n")[line - 1] if 0 < line <= text.count("\n") + 1 else ""
    indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    if "\t" in indent:
        return Diagnostic(
            path,
            line,
            indent.index("\t") + 1,
            "Y009",
            Severity.ERROR,
            "tabulation dans l'indentation",
            "YAML n'accepte que des espaces pour indenter : remplacez la tabulation par des espaces",
        )
    problem = exc.problem or "erreur de syntaxe"
    if problem.startswith("exceeded maximum nesting depth"):  # libyaml's own limit
        return Diagnostic(path, line, column, "Y006", Severity.ERROR, *_TOO_DEEP)
    if "expected key" in problem and source_line.lstrip().startswith(":"):
        return Diagnostic(
            path,
            line,
            column,
            "Y001",
            Severity.ERROR,
            "syntaxe YAML : clé vide avant « : »",
            "écrivez le nom du champ avant les deux-points, ou mettez le texte entre guillemets",
        )
    if "expected key" in problem and column > len(indent) + 1:
        problem = "did not find expected comment or line break"  # more text after a value
    return Diagnostic(
        path,
        line,
        column,
        "Y001",
        Severity.ERROR,
        f"syntaxe YAML : {_translate(problem)}",
        _syntax_hint(problem),
    )


_TRANSLATIONS = {
    "could not find expected ':'": "« : » attendu après la clé",
    "mapping values are not allowed here": "« : » inattendu ici",
    "mapping values are not allowed in this context": "« : » inattendu ici",
    "did not find expected key": "clé attendue (indentation incohérente ?)",
    "did not find expected '-' indicator": "tiret « - » de liste attendu",
    "found character that cannot start any token": "caractère qui ne peut pas commencer une valeur",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou crochet non fermé ?)",
    "found undefined alias": "alias non défini",
    "did not find expected node content": "valeur attendue",
    "found unexpected ':'": "« : » inattendu",
    "did not find expected ',' or ']'": "« , » ou « ] » attendu (crochet non fermé ?)",
    "did not find expected ',' or '}'": "« , » ou « } » attendu (accolade non fermée ?)",
    "block sequence entries are not allowed in this context": "tiret de liste inattendu ici",
    "found a tab character that violates indentation": "tabulation dans l'indentation",
    "found unknown escape character": "séquence d'échappement inconnue après « \\ »",
    "found invalid Unicode character escape code": "séquence « \\u… » invalide",
    "did not find expected comment or line break": "texte en trop après la valeur",
    "did not find expected whitespace or line break": "espace ou fin de ligne attendu",
    "did not find expected alphabetic or numeric character": (
        "nom attendu après « & » ou « * » (ancre ou alias YAML)"
    ),
    "could not find expected directive name": "une ligne ne peut pas commencer par « % »",
    "found unexpected non-alphabetical character": "caractère inattendu après « % » ou « ! »",
    "did not find expected <document start>": "contenu inattendu après une directive « % »",
    "mapping keys are not allowed in this context": "clé « ? » inattendue ici",
}


def _translate(problem: str) -> str:
    for english, french in _TRANSLATIONS.items():
        if problem.startswith(english):
            return french
    return problem


def _syntax_hint(problem: str) -> str:
    if "mapping values" in problem or "':'" in problem:
        return (
            "un texte qui contient « : » doit être entre guillemets, ou écrit en bloc "
            "avec « | » sur la ligne de la clé"
        )
    if "end of stream" in problem or "',' or" in problem:
        return "vérifiez que chaque guillemet, crochet et accolade ouvert est bien refermé"
    if "comment or line break" in problem:
        return (
            "rien ne suit un guillemet ou un crochet fermant sur la même ligne : si la valeur "
            "est un texte, mettez-le tout entier entre guillemets"
        )
    if "alphabetic or numeric" in problem or "directive" in problem or "'%'" in problem:
        return "un texte qui commence par « * », « & », « % » ou « ! » se met entre guillemets"
    if "expected key" in problem or "'-' indicator" in problem:
        return "vérifiez l'indentation : les éléments d'un même niveau commencent à la même colonne"
    return "comparez la ligne avec le modèle de docs/format-fiche.md"


def too_large(path: str, size: int) -> Diagnostic:
    """F004: refused before reading, whatever the content."""
    return Diagnostic(
        path,
        0,
        0,
        "F004",
        Severity.ERROR,
        f"fichier trop volumineux ({size // 1000} ko, maximum {MAX_BYTES // 1000} ko)",
        "une fiche fait quelques kilo-octets : vérifiez qu'il s'agit du bon fichier",
    )


def load_bytes(raw: bytes, path: str) -> tuple[Document | None, list[Diagnostic]]:
    """Bytes of one file → Document, or diagnostics explaining why not."""
    if len(raw) > MAX_BYTES:
        return None, [too_large(path, len(raw))]
    text, diagnostics = decode(raw, path)
    if text is None:
        return None, diagnostics
    return parse(text, path)
