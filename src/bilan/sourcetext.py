"""Bytes of a data file → text: size, encoding and invisible characters checked first.

Every data file goes through here before anything reads it (the YAML fiches and the
Markdown narrative alike): a file too large, not in UTF-8 or holding a character
nobody sees is refused at its exact place, before any parser is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bilan.diagnostics import INVISIBLE, Diagnostic, Severity

MAX_BYTES = 1_000_000
"""A fiche is a few kilobytes; anything above a megabyte is a mistake or an attack."""

_SAVE_AS_UTF8 = (
    "enregistrez le fichier en UTF-8 (dans votre éditeur : « Enregistrer avec l'encodage » → UTF-8)"
)


def offset_position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return (line, column)


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


def decode(raw: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (with or without BOM) to text with "\\n" line ends; invalid bytes and
    control characters located."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Diagnostic(
                path,
                1,
                1,
                "Y005",
                Severity.ERROR,
                "fichier enregistré en UTF-16, pas en UTF-8",
                _SAVE_AS_UTF8,
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, column = offset_position(prefix, len(prefix))
        byte = raw[exc.start]
        guess = bytes([byte]).decode("cp1252", "replace")
        seen = f", sans doute « {guess} » en Windows-1252" if guess.isalpha() else ""
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "Y005",
                Severity.ERROR,
                f"octet invalide en UTF-8 (0x{byte:02X}{seen})",
                _SAVE_AS_UTF8,
            )
        ]
    control = INVISIBLE.search(text)
    if control:
        line, column = offset_position(text, control.start())
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
    text = text.replace("\r\n", "\n")
    if "<<<<<<<" in text or ">>>>>>>" in text:
        conflicts = conflict_markers(text, path)
        if conflicts:
            return None, conflicts
    return text, []


_MARKER = re.compile(r"^(<{7}|={7}|\|{7}|>{7})(?: (.*))?$")


@dataclass
class _Conflict:
    start: int
    end: int = 0
    base: int = 0
    middle: int = 0
    ours: str = ""
    theirs: str = ""


def conflict_markers(text: str, path: str) -> list[Diagnostic]:
    """Y012: what git leaves in a file when a merge stops on a conflict (« <<<<<<< HEAD »,
    « ======= », « >>>>>>> branche »), one diagnostic per conflict, with both versions'
    lines. A « ======= » alone is a Markdown heading underline, not a conflict."""
    found: list[_Conflict] = []
    current: _Conflict | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        marker = _MARKER.match(line)
        if marker is None:
            continue
        kind, label = marker.group(1)[0], (marker.group(2) or "").strip()
        if kind == "<":
            if current is not None:
                found.append(current)
            current = _Conflict(number, ours=label)
        elif kind == ">":
            if current is None:
                current = _Conflict(number)
            current.end, current.theirs = number, label
            found.append(current)
            current = None
        elif current is not None and kind == "|":
            current.base = number
        elif current is not None and kind == "=" and not label:
            current.middle = number
    if current is not None:
        found.append(current)
    return [_conflict_diagnostic(path, conflict) for conflict in found]


def _lines(first: int, last: int) -> str:
    if last < first:
        return "aucune ligne"
    return f"ligne {first}" if first == last else f"lignes {first} à {last}"


def _conflict_diagnostic(path: str, conflict: _Conflict) -> Diagnostic:
    end = conflict.end or conflict.start
    span = _lines(conflict.start, end)
    hint = f"supprimez les marques de conflit de fusion {span} et gardez une des deux versions"
    if conflict.middle and conflict.end:
        ours_end = (conflict.base or conflict.middle) - 1
        ours = _lines(conflict.start + 1, ours_end)
        theirs = _lines(conflict.middle + 1, conflict.end - 1)
        named = [f" (« {name} »)" if name else "" for name in (conflict.ours, conflict.theirs)]
        hint += f" : {ours}{named[0]} ou {theirs}{named[1]}"
    return Diagnostic(
        path,
        conflict.start,
        1,
        "Y012",
        Severity.ERROR,
        f"marques de conflit de fusion git laissées dans le fichier ({span})",
        hint,
    )
