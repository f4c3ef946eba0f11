"""The narrative of a report year: data/rapports/<année>/ (rapport.yaml + Markdown parts).

Each part is Markdown with a YAML front matter. Its figures are references such as
``{{ chiffres.actions.total }}``, rendered in a Jinja sandbox: the text cannot drift
from the data. References are checked statically, so an unknown name is reported at
its line before anything is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bilan.dataset import REPORTS_DIR, display_path, read_file, unreadable
from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError
from bilan.models import ReportMeta, Section
from bilan.validation import check_model
from bilan.yamlio import load_bytes

META_FILE = "rapport.yaml"
_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)


@dataclass(frozen=True)
class Part:
    """One Markdown part: its front matter, its body and where the body starts."""

    path: str
    section: Section
    body: str
    body_line: int
    title_line: int
    file_lines: tuple[str, ...]


@dataclass(frozen=True)
class Narrative:
    """Title page data and the ordered parts of a report year."""

    meta: ReportMeta
    parts: tuple[Part, ...]


def report_years(data_dir: Path) -> list[int]:
    """Years that have a narrative folder."""
    folder = data_dir / REPORTS_DIR
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and p.is_dir())


def _sandbox() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def load_narrative(data_dir: Path, year: int) -> tuple[Narrative | None, list[Diagnostic]]:
    """Read rapport.yaml and every part of ``year``; problems as diagnostics."""
    folder = data_dir / REPORTS_DIR / str(year)
    if not (folder / META_FILE).is_file():
        raise UsageError(
            f"pas de rapport pour l'année {year} : {display_path(folder / META_FILE)} introuvable",
            "les années disponibles sont les dossiers de data/rapports/",
        )
    diagnostics: list[Diagnostic] = []
    doc, found = read_file(folder / META_FILE, data_dir)
    diagnostics += found
    meta = None
    if doc is not None:
        meta, found = check_model(doc, ReportMeta)
        diagnostics += found
        if meta is not None and meta.annee != year:
            line, column = doc.locate(("annee",))
            diagnostics.append(
                Diagnostic(
                    doc.path,
                    line,
                    column,
                    "S007",
                    Severity.ERROR,
                    f"« annee » vaut {meta.annee} dans le dossier {year}",
                    "l'année du fichier est celle du dossier",
                )
            )
    parts = []
    for path in sorted(folder.glob("*.md")):
        part, found = _load_part(path, data_dir)
        diagnostics += found
        if part is not None:
            parts.append(part)
    parts.sort(key=lambda p: (p.section.ordre, p.path))
    if meta is None or any(d.is_error for d in diagnostics):
        return None, diagnostics
    return Narrative(meta, tuple(parts)), diagnostics


def _load_part(path: Path, data_dir: Path) -> tuple[Part | None, list[Diagnostic]]:
    shown = display_path(path)
    # Markdown parts are read like YAML files (same size, encoding and link checks).
    try:
        raw = path.read_bytes() if path.resolve().is_relative_to(data_dir.resolve()) else None
    except OSError as exc:
        return None, [unreadable(shown, exc)]
    if raw is None:
        return None, [
            Diagnostic(
                shown,
                0,
                0,
                "F003",
                Severity.ERROR,
                "lien symbolique qui pointe hors du dossier de données : fichier non lu",
            )
        ]
    text = raw.decode("utf-8-sig", "replace").replace("\r\n", "\n")
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, [
            Diagnostic(
                shown,
                1,
                1,
                "N002",
                Severity.ERROR,
                "le texte doit commencer par un en-tête entre deux lignes « --- »",
                "ajoutez en tête : ---, titre: …, ordre: N, --- (voir les autres parties)",
            )
        ]
    header = "\n" + match.group(1)  # keeps line numbers: the header starts on line 2
    doc, found = load_bytes(header.encode(), shown)
    if doc is None:
        return None, found
    section, found = check_model(doc, Section)
    if section is None:
        return None, found
    body_line = match.group(0).count("\n") + 1
    title_line = doc.locate(("titre",))[0]
    return Part(
        shown, section, text[match.end() :], body_line, title_line, tuple(text.split("\n"))
    ), []


def _dotted(node: nodes.Node) -> list[str] | None:
    """``chiffres.actions.total`` → ['chiffres', 'actions', 'total']."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        head = _dotted(node.node)
        return None if head is None else [*head, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        head = _dotted(node.node)
        return None if head is None else [*head, str(node.arg.value)]
    return None


def _references(tree: nodes.Template) -> Iterator[tuple[list[str], int]]:
    local: set[str] = set()
    for target in tree.find_all((nodes.For, nodes.Assign)):
        for name in target.target.find_all(nodes.Name):  # type: ignore[attr-defined]
            local.add(name.name)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        dotted = _dotted(node)
        if (
            dotted
            and dotted[0] not in local
            and not (isinstance(node, nodes.Name) and node.ctx == "store")
        ):
            yield dotted, node.lineno


def _resolves(namespace: dict[str, Any], dotted: list[str]) -> bool:
    current: Any = namespace
    for name in dotted:
        if isinstance(current, dict) and name in current:
            current = current[name]
        elif isinstance(current, list) and name.isdigit() and int(name) < len(current):
            current = current[int(name)]
        else:
            return False
    return True


def _expression_column(line: str, dotted: list[str]) -> int:
    """Column of a reference on its line, for the message (1 if not found)."""
    found = line.find(".".join(dotted))
    return found + 1 if found >= 0 else 1


def check_references(narrative: Narrative, namespace: dict[str, Any]) -> list[Diagnostic]:
    """Every reference of every part (and of the title) must name a computed value."""
    env = _sandbox()
    diagnostics = []
    for part in narrative.parts:
        for source, first_line in (
            (part.section.titre, part.title_line),
            (part.body, part.body_line),
        ):
            diagnostics += _check_source(env, part, source, first_line, namespace)
    return diagnostics


def _check_source(
    env: ImmutableSandboxedEnvironment,
    part: Part,
    source: str,
    first_line: int,
    namespace: dict[str, Any],
) -> list[Diagnostic]:
    def file_line(lineno: int) -> tuple[int, str]:
        number = first_line + lineno - 1
        return number, part.file_lines[number - 1] if number <= len(part.file_lines) else ""

    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        number, text = file_line(exc.lineno or 1)
        column = text.find("{{") + 1 or text.find("{%") + 1 or 1
        return [
            Diagnostic(
                part.path,
                number,
                column,
                "N004",
                Severity.ERROR,
                f"référence mal écrite ({exc.message})",
                "une référence s'écrit entre doubles accolades : {{ chiffres.actions.total }}",
            )
        ]
    found = []
    reported: set[tuple[str, int]] = set()
    for dotted, lineno in _references(tree):
        name = ".".join(dotted)
        if _resolves(namespace, dotted):
            continue
        # Report only the longest unresolved chain once per line.
        if any(other.startswith(name + ".") for other, ln in reported if ln == lineno):
            continue
        reported.add((name, lineno))
        number, text = file_line(lineno)
        found.append(
            Diagnostic(
                part.path,
                number,
                _expression_column(text, dotted),
                "N003",
                Severity.ERROR,
                f"référence inconnue « {name} »",
                "les valeurs disponibles sont listées par « bilan stats --format json »",
            )
        )
    return found


def render_text(source: str, namespace: dict[str, Any], finalize: Any) -> str:
    """Render a narrative text with its references replaced (sandboxed, strict)."""
    env = _sandbox()
    env.finalize = finalize
    return env.from_string(source).render(namespace)
