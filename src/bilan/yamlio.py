"""The only YAML reader's entry point: bytes of a file → Document, or diagnostics.

The work is split by job: :mod:`bilan.sourcetext` (size, encoding, invisible characters),
:mod:`bilan.quickyaml` (the usual valid file, fast, without positions),
:mod:`bilan.locatedyaml` (positions, and every refusal explained),
:mod:`bilan.yamlmessages` (syntax errors in French) and :mod:`bilan.document`.
"""

from __future__ import annotations

import yaml

from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document
from bilan.locatedyaml import read_located
from bilan.quickyaml import Irregular, quick_load
from bilan.sourcetext import MAX_BYTES, decode, too_large
from bilan.yamlmessages import describe_kind


def load_bytes(raw: bytes, path: str) -> tuple[Document | None, list[Diagnostic]]:
    """Bytes of one file → Document, or diagnostics explaining why not."""
    if len(raw) > MAX_BYTES:
        return None, [too_large(path, len(raw))]
    text, diagnostics = decode(raw, path)
    if text is None:
        return None, diagnostics
    return parse(text, path)


def parse(text: str, path: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a Document; errors as diagnostics, never an exception.

    The quick path reads a regular document (the usual case) at about the cost of a bare
    libyaml load; whatever it cannot vouch for goes through the located builder, which
    explains it.
    """
    try:
        data = quick_load(text)
    except (Irregular, yaml.YAMLError):
        data = None
    if isinstance(data, dict):
        return Document(path, data, text), []
    data, positions, diagnostics = read_located(text, path)
    if diagnostics:
        return None, diagnostics
    if data is None:
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
    if not isinstance(data, dict):
        line, column = positions.values.get((), (1, 1))
        return None, [
            Diagnostic(
                path,
                line,
                column,
                "Y008",
                Severity.ERROR,
                f"le document est {describe_kind(data)}, "
                "alors qu'il doit être une suite de champs « clé: valeur »",
                "le fichier doit commencer par des lignes comme « id: … » sans tiret devant",
            )
        ]
    return Document(path, data, text, positions), []
