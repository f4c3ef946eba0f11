"""Bytes of a data file → text: size, encoding and invisible characters checked first.

Every data file goes through here before anything reads it (the YAML fiches and the
Markdown narrative alike): a file too large, not in UTF-8 or holding a character
nobody sees is refused at its exact place, before any parser is involved.
"""

from __future__ import annotations

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
    return text.replace("\r\n", "\n"), []
