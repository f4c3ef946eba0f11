"""YAML syntax errors as French diagnostics, at the writer's mistake.

The usual mistakes are recognised from the lines around the error
(:mod:`bilan.yamlmistakes`); anything else gets libyaml's own finding, translated, with
the advice that fits it. No English reaches the user: an unknown finding is reported
as a plain « erreur de syntaxe ».
"""

from __future__ import annotations

from typing import Any

import yaml

from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Position
from bilan.sourcetext import offset_position
from bilan.yamlsafe import MAX_DEPTH


def too_deep(path: str, position: Position) -> Diagnostic:
    """Y006, from the builder's bound or from libyaml's own."""
    return Diagnostic(
        path,
        position[0],
        position[1],
        "Y006",
        Severity.ERROR,
        f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux)",
        "une fiche n'a que quelques niveaux : vérifiez l'indentation et les crochets",
    )


def describe_kind(value: Any) -> str:
    """What a YAML value is, in words (« un nombre », « une liste »)."""
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


def syntax_diagnostic(exc: yaml.YAMLError, text: str, path: str) -> Diagnostic:
    """The diagnostic of a YAML error: the writer's mistake when recognised, otherwise
    libyaml's finding in French."""
    from bilan.yamlmistakes import SyntaxError_, explain  # imported only on errors

    if not isinstance(exc, yaml.MarkedYAMLError):
        return _reader_diagnostic(exc, text, path)
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or ""
    if problem.startswith("exceeded maximum nesting depth"):  # libyaml's own limit
        return too_deep(path, (line, column))
    context = exc.context_mark
    error = SyntaxError_(
        problem,
        line,
        column,
        exc.context or "",
        context.line + 1 if context is not None else 0,
        context.column + 1 if context is not None else 0,
        text.split("\n"),
    )
    source_line = error.text(line)
    if "expected key" in problem and source_line.lstrip().startswith(":"):
        return _error(
            path,
            (line, column),
            "syntaxe YAML : clé vide avant « : »",
            "écrivez le nom du champ avant les deux-points, ou mettez le texte entre guillemets",
        )
    mistake = explain(error)
    if mistake is not None:
        message = mistake.message
        if mistake.code == "Y001":
            message = f"syntaxe YAML : {message}"
        return _error(path, (mistake.line, mistake.column), message, mistake.hint, mistake.code)
    indent = len(source_line) - len(source_line.lstrip(" "))
    if "expected key" in problem and column > indent + 1:
        problem = "did not find expected comment or line break"  # more text after a value
    return _error(
        path, (line, column), f"syntaxe YAML : {_translate(problem)}", _syntax_hint(problem)
    )


def _error(
    path: str, position: Position, message: str, hint: str, code: str = "Y001"
) -> Diagnostic:
    return Diagnostic(path, position[0], position[1], code, Severity.ERROR, message, hint)


def _reader_diagnostic(exc: yaml.YAMLError, text: str, path: str) -> Diagnostic:
    """A character YAML refuses to read at all (U+FFFE, U+FFFF)."""
    position = getattr(exc, "position", 0)
    character = getattr(exc, "character", None)
    line, column = offset_position(text, min(position, len(text)))
    what = f" U+{character:04X}" if isinstance(character, int) else ""
    return Diagnostic(
        path,
        line,
        column,
        "Y010",
        Severity.ERROR,
        f"caractère{what} refusé par YAML",
        "supprimez ce caractère (souvent issu d'un copier-coller) et retapez le texte",
    )


_TRANSLATIONS = {
    "could not find expected ':'": "« : » attendu après la clé",
    "mapping values are not allowed": "« : » inattendu ici",
    "did not find expected key": "clé attendue (indentation incohérente ?)",
    "did not find expected '-' indicator": "tiret « - » de liste attendu",
    "found character that cannot start any token": "caractère qui ne peut pas commencer une valeur",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou crochet non fermé ?)",
    "found undefined alias": "alias non défini",
    "did not find expected node content": "valeur attendue",
    "found unexpected ':'": "« : » inattendu",
    "did not find expected ',' or ']'": "« , » ou « ] » attendu (crochet non fermé ?)",
    "did not find expected ',' or '}'": "« , » ou « } » attendu (accolade non fermée ?)",
    "block sequence entries are not allowed": "tiret de liste inattendu ici",
    "found a tab character": "tabulation mal placée",
    "found unknown escape character": "séquence d'échappement inconnue après « \\ »",
    "found invalid Unicode character escape code": "séquence « \\u… » invalide",
    "expected hexdecimal number": "séquence « \\x… » ou « \\u… » invalide",
    "did not find expected comment or line break": "texte en trop après la valeur",
    "did not find expected whitespace or line break": "espace ou fin de ligne attendu",
    "did not find expected alphabetic or numeric character": (
        "nom attendu après « & » ou « * » (ancre ou alias YAML)"
    ),
    "could not find expected directive name": "une ligne ne peut pas commencer par « % »",
    "found unexpected non-alphabetical character": "caractère inattendu après « % » ou « ! »",
    "did not find expected <document start>": "contenu inattendu après une directive « % »",
    "mapping keys are not allowed": "clé « ? » inattendue ici",
    "found incompatible YAML document": "version de YAML non prise en charge",
    "found duplicate YAML directive": "directive « %YAML » en double",
    "found duplicate tag handle": "directive « %TAG » en double",
    "found undefined tag handle": "étiquette « ! » non définie",
    "found unexpected document indicator": "« --- » ou « ... » inattendu dans un texte entre guillemets",
    "found unexpected end of stream while scanning": "fin de fichier inattendue",
    "found a comment without a line break": "commentaire inattendu",
    "did not find URI escaped octet": "étiquette « ! » mal écrite",
    "found an incorrect leading UTF-8 octet": "étiquette « ! » mal écrite",
    "found an incorrect trailing UTF-8 octet": "étiquette « ! » mal écrite",
    "found extra tokens after a YAML directive": "texte en trop après la directive « % »",
    "found an indentation indicator equal to 0": "indicateur d'indentation 0 après « | » ou « > »",
    "found a leading tab": "tabulation au début d'un texte en bloc",
    "expected alphabetic or numeric character": "nom attendu après « & » ou « * »",
    "expected a comment or a line break": "texte en trop après la valeur",
    "expected a digit or '.'": "version de YAML mal écrite",
    "expected a digit": "version de YAML mal écrite",
    "expected '!'": "étiquette « ! » mal écrite",
    "expected '>'": "étiquette « !<…> » mal écrite",
    "expected URI": "étiquette « ! » mal écrite",
    "expected ' '": "espace attendu",
}


def _translate(problem: str) -> str:
    for english, french in _TRANSLATIONS.items():
        if problem.startswith(english):
            return french
    return "erreur de syntaxe"


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
