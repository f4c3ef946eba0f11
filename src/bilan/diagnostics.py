"""Diagnostics: problems found in the data, as plain values.

Loaders and rules never raise on bad input: they return diagnostics. The CLI renders
them (text like a compiler, JSON, GitHub or GitLab annotations). Every code is listed
with its meaning in :data:`CODES` and in ``docs/diagnostics.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)
"""Characters nobody sees: controls, zero-width and bidirectional marks (« Trojan Source »).
Refused in data files (Y010) and never printed as they are: in a terminal or a CI log
they can hide text, recolour it or forge lines."""
_UNPRINTABLE = re.compile(f"[\t\n\r]|{INVISIBLE.pattern}")
_ECHO_LIMIT = 2_000_000
"""Source lines are echoed from files up to this size (data files are smaller)."""


def printable(text: str) -> str:
    """``text`` safe to print on one line: invisible characters and line breaks escaped
    (``\\x1b``, ``\\n``), undecodable bytes of a file name as ``\\udcff``."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Severity(StrEnum):
    """How serious a diagnostic is: errors fail validation, warnings only with --strict."""

    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located in a file (1-based line and column; 0 when not applicable)."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}"
        return self.path


CODES: dict[str, str] = {
    # Files and YAML syntax
    "F001": "Dossier de données ou fichier des communes introuvable",
    "F002": "Fichier qui n'est pas en .yaml dans data/actions/",
    "F003": "Lien symbolique qui sort du dossier de données",
    "F004": "Fichier trop volumineux",
    "F005": "Fichier illisible",
    "F006": "Trop de problèmes dans un même fichier",
    "Y001": "Erreur de syntaxe YAML",
    "Y002": "Clé en double",
    "Y003": "Étiquette YAML (!!…) non autorisée",
    "Y004": "Alias YAML (*nom) non autorisé",
    "Y005": "Encodage invalide (le fichier doit être en UTF-8)",
    "Y006": "Imbrication trop profonde",
    "Y007": "Fichier vide",
    "Y008": "Le document n'est pas un dictionnaire de champs",
    "Y009": "Tabulation dans l'indentation",
    "Y010": "Caractère de contrôle invisible",
    "Y011": "Plusieurs documents dans un même fichier",
    "Y012": "Marques de conflit de fusion git laissées dans le fichier",
    # Schema
    "S001": "Champ inconnu",
    "S002": "Champ obligatoire manquant",
    "S003": "Type de valeur incorrect",
    "S004": "Valeur non autorisée",
    "S005": "Valeur hors des limites",
    "S006": "Forme incorrecte",
    "S007": "Incohérence entre champs d'un même bloc",
    # Cross-file rules
    "R001": "L'identifiant de la fiche diffère du nom du fichier",
    "R002": "Action présente dans plusieurs fiches",
    "R003": "Numérotation des actions incomplète",
    "R004": "Commune inconnue",
    "R005": "Phase qui recule dans le calendrier",
    "R006": "Plus de communes concernées que de communes membres",
    "R007": "Valeur d'indicateur absente de son texte",
    "R008": "Ligne de calendrier pour un résultat attendu qui n'existe pas",
    "R009": "Fiche sans bilan pour l'année du rapport",
    "R010": "Calendrier hors de la période du rapport",
    "R011": "Action non démarrée mais calendrier avancé",
    "R012": "Commune ou identifiant en double",
    "R013": "Même titre pour deux actions",
    # Narrative
    "N001": "Rapport de l'année introuvable",
    "N002": "En-tête (front matter) du texte absent ou non fermé",
    "N003": "Référence inconnue dans le texte",
    "N004": "Erreur de syntaxe dans une référence",
}


def errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """The closing line of a validation run, in French."""
    n_err = len(errors(diagnostics))
    n_warn = len(diagnostics) - n_err

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'s' if n > 1 else ''}"

    files_text = plural(files, "fichier") + (" vérifiés" if files > 1 else " vérifié")
    if not diagnostics:
        return f"{files_text} : aucun problème."
    return f"{files_text} : {plural(n_err, 'erreur')}, {plural(n_warn, 'avertissement')}."


def _file_lines(root: Path, path: str) -> list[str] | None:
    try:
        with (root / path).open("rb") as handle:
            raw = handle.read(_ECHO_LIMIT + 1)
    except OSError:
        return None
    if len(raw) > _ECHO_LIMIT:
        return None
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def render_text(diagnostics: Sequence[Diagnostic], root: Path | None = None) -> str:
    """Compiler-style text: location, severity, code, message, the source line, a hint.

    Each file is read once, whatever the number of its diagnostics; what comes from the
    data (paths, values, source lines) is printed through :func:`printable`."""
    out: list[str] = []
    files: dict[str, list[str] | None] = {}
    for diag in diagnostics:
        out.append(
            printable(f"{diag.location()}: {diag.severity.value} {diag.code}: {diag.message}")
        )
        if root is not None and diag.line and not diag.code.startswith("F"):
            if diag.path not in files:
                files[diag.path] = _file_lines(root, diag.path)
            lines = files[diag.path]
            if lines is not None and diag.line <= len(lines) and len(lines[diag.line - 1]) <= 300:
                line = INVISIBLE.sub("\ufffd", lines[diag.line - 1])
                out.append(f"    {line}")
                if diag.column:
                    prefix = line[: diag.column - 1]
                    pad = "".join("\t" if ch == "\t" else " " for ch in prefix)
                    out.append(f"    {pad}^")
        if diag.hint:
            out.append(printable(f"    Conseil : {diag.hint}"))
    return "\n".join(out)


def render_json(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """Machine-readable output: every diagnostic and the counts."""
    payload = {
        "valide": not errors(diagnostics),
        "fichiers": files,
        "erreurs": len(errors(diagnostics)),
        "avertissements": len(diagnostics) - len(errors(diagnostics)),
        "diagnostics": [{**asdict(d), "severity": d.severity.value} for d in diagnostics],
    }
    return _json_text(payload)


def _json_text(payload: object) -> str:
    """JSON as UTF-8 text; a file name's undecodable bytes become ``\\udcff`` escapes."""
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escape_github(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic, on its line."""
    out = []
    for d in diagnostics:
        level = "error" if d.is_error else "warning"
        props = [f"file={_escape_github(printable(d.path), True)}"]
        if d.line:
            props += [f"line={d.line}", f"col={d.column}"]
        props.append(f"title={_escape_github(d.code + ' ' + CODES.get(d.code, ''), True)}")
        message = d.message + (f" — Conseil : {d.hint}" if d.hint else "")
        out.append(f"::{level} {','.join(props)}::{_escape_github(printable(message))}")
    return "\n".join(out)


def render_gitlab(diagnostics: Sequence[Diagnostic]) -> str:
    """GitLab Code Quality report (a JSON array of issues)."""
    issues = []
    for d in diagnostics:
        fingerprint = hashlib.sha256(
            f"{d.path}:{d.line}:{d.column}:{d.code}:{d.message}".encode("utf-8", "backslashreplace")
        ).hexdigest()
        issues.append(
            {
                "description": f"{d.code} {d.message}" + (f" — {d.hint}" if d.hint else ""),
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": "major" if d.is_error else "minor",
                "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
            }
        )
    return _json_text(issues)
