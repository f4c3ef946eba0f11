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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bilan.dataset import REPORTS_DIR
from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError
from bilan.files import display_path, listing, read_bytes, read_file
from bilan.leftovers import is_leftover
from bilan.modelerrors import check_model
from bilan.models import PLACEHOLDER, ReportMeta, Section
from bilan.references import (
    closest_name,
    excerpt,
    known_names,
    malformed,
    plain_references,
    stray_reference,
)
from bilan.sourcetext import decode
from bilan.yamlio import load_bytes

if TYPE_CHECKING:
    from jinja2 import Template, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# Jinja is imported only for a narrative that holds more than plain references, and to
# render: `bilan validate` reads plain references without it (see bilan.references).

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


def _sandbox() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def load_narrative(data_dir: Path, year: int) -> tuple[Narrative | None, list[Diagnostic]]:
    """Read rapport.yaml and every part of ``year``; problems as diagnostics."""
    folder = data_dir / REPORTS_DIR / str(year)
    if not folder.is_dir():
        raise UsageError(
            f"pas de rapport pour l'année {year} : {display_path(folder)} introuvable",
            "les années disponibles sont les dossiers de data/rapports/",
        )
    if not (folder / META_FILE).is_file():
        return None, [
            Diagnostic(
                display_path(folder / META_FILE),
                0,
                0,
                "N001",
                Severity.ERROR,
                f"le dossier du rapport {year} n'a pas de {META_FILE}",
                f"copiez celui d'une autre année et mettez-le à jour (« annee: {year} »), "
                "ou préparez l'année avec bilan new-year",
            )
        ]
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
        if meta is not None:
            diagnostics += placeholders(doc.path, (folder / META_FILE).read_text("utf-8"))
    parts = []
    for path in markdown_parts(folder):
        part, found = _load_part(path, data_dir)
        diagnostics += found
        if part is not None:
            parts.append(part)
            diagnostics += placeholders(part.path, "\n".join(part.file_lines))
    parts.sort(key=lambda p: (p.section.ordre, p.path))
    if meta is None or any(d.is_error for d in diagnostics):
        return None, diagnostics
    return Narrative(meta, tuple(parts)), diagnostics


def markdown_parts(folder: Path) -> list[Path]:
    """The parts of a year, in name order: its ``*.md`` files, without what editors leave
    beside them (``.#01-partie.md``, a lock link that points nowhere; ``01-partie_LOCAL_7.md``
    after a merge: see :mod:`bilan.leftovers`)."""
    names = listing(folder)
    return [folder / n for n in sorted(names) if n.endswith(".md") and not is_leftover(n)]


def placeholders(shown: str, text: str) -> list[Diagnostic]:
    """A warning on each line of ``text`` that still says « À compléter » (what
    `bilan new-year` leaves in the texts to rewrite)."""
    return [
        Diagnostic(
            shown,
            number,
            line.index(PLACEHOLDER) + 1,
            "N006",
            Severity.WARNING,
            f"texte à compléter : « {PLACEHOLDER} » est encore là",
            "écrivez le texte de l'année (ou la date de publication) à la place, puis "
            "supprimez la mention",
        )
        for number, line in enumerate(text.split("\n"), 1)
        if PLACEHOLDER in line
    ]


def _load_part(path: Path, data_dir: Path) -> tuple[Part | None, list[Diagnostic]]:
    shown = display_path(path)
    # Markdown parts are read like YAML files (same link, size, encoding and character checks).
    raw, found = read_bytes(path, data_dir)
    if raw is None:
        return None, found
    text, found = decode(raw, shown)
    if text is None:
        return None, found
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, [_no_front_matter(shown, text)]
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


def _no_front_matter(shown: str, text: str) -> Diagnostic:
    """N002: no header, or one opened by « --- » and never closed, reported where its
    closing line is missing (after the last « clé: valeur » line, or line of a list, that
    follows the opening one)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return Diagnostic(
            shown,
            1,
            1,
            "N002",
            Severity.ERROR,
            "le texte doit commencer par un en-tête entre deux lignes « --- »",
            "ajoutez en tête, sur quatre lignes : « --- », « titre: … », « ordre: N » et "
            "« --- » (voir les autres parties)",
        )
    last = 1  # lines holds line n + 1 at index n
    while last < len(lines) and re.match(r"[a-z_]+:|\s+\S|- ", lines[last]):
        last += 1
    return Diagnostic(
        shown,
        min(last + 1, len(lines)),
        1,
        "N002",
        Severity.ERROR,
        "l'en-tête ouvert par « --- » ligne 1 n'est pas fermé",
        f"ajoutez une ligne « --- » après la ligne {last}, la dernière de l'en-tête",
    )


def _dotted(node: nodes.Node) -> list[str] | None:
    """``chiffres.actions.total`` → ['chiffres', 'actions', 'total']."""
    from jinja2 import nodes

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
    from jinja2 import nodes

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


def _not_a_reference(tree: nodes.Template) -> nodes.Node | None:
    """The first construct that is neither text nor a plain reference: an operator, a call,
    a filter, a literal, a tag (« {% … %} »). The narrative only names computed values, so
    that nothing it says is computed in the template (or could exhaust the machine)."""
    from jinja2 import nodes

    parts = (nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr, nodes.Getitem)
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Const):
            continue  # allowed only as the key of a Getitem, checked by _dotted
        if not isinstance(node, parts) or (
            isinstance(node, nodes.Getattr | nodes.Getitem) and _dotted(node) is None
        ):
            return node  # « ''.__class__ » or « a[b] » are not names of computed values
        if isinstance(node, nodes.Output):
            constant = next((c for c in node.nodes if isinstance(c, nodes.Const)), None)
            if constant is not None:
                return constant
    return None


def _construct(node: nodes.Node) -> str:
    """What a forbidden construct is, in words."""
    from jinja2 import nodes

    if not isinstance(node, nodes.Expr):
        return "une instruction {% … %}"
    if isinstance(node, nodes.Filter | nodes.Test):
        return "un filtre « | »"
    if isinstance(node, nodes.Call):
        return "un appel de fonction"
    if isinstance(node, nodes.Const | nodes.Literal):
        return "une valeur écrite en toutes lettres"
    return "un calcul ou une expression"


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
    diagnostics = []
    known = known_names(namespace)
    for part in narrative.parts:
        for source, first_line in (
            (part.section.titre, part.title_line),
            (part.body, part.body_line),
        ):
            diagnostics += _check_source(part, source, first_line, namespace, known)
    return diagnostics


_MALFORMED_HINT = (
    "une référence s'écrit entre doubles accolades, sans calcul, filtre ni instruction : "
    "{{ chiffres.actions.total }}"
)
_SUGGESTED = 100
"""Nearest names searched per text: more unknown references than that are not typos."""


def _check_source(
    part: Part,
    source: str,
    first_line: int,
    namespace: dict[str, Any],
    known: list[str],
) -> list[Diagnostic]:
    def file_line(lineno: int) -> tuple[int, str]:
        number = first_line + lineno - 1
        return number, part.file_lines[number - 1] if number <= len(part.file_lines) else ""

    def malformed_at(lineno: int, message: str) -> list[Diagnostic]:
        number, text = file_line(lineno)
        explained = malformed(text)
        if explained is not None:
            column, message, hint = explained
        else:
            starts = [found for found in (text.find("{{"), text.find("{%")) if found >= 0]
            column, hint = (min(starts) + 1 if starts else 1), _MALFORMED_HINT
        return [Diagnostic(part.path, number, column, "N004", Severity.ERROR, message, hint)]

    references = plain_references(source)
    if references is None:
        from jinja2 import TemplateSyntaxError

        try:
            tree = _sandbox().parse(source)
            other = _not_a_reference(tree)
            references = list(_references(tree))
        except TemplateSyntaxError as exc:
            return malformed_at(exc.lineno or 1, "référence mal écrite")
        except RecursionError:  # thousands of nested brackets: not a reference either
            return malformed_at(1, "référence mal écrite (imbrication trop profonde)")
        if other is not None:
            return malformed_at(
                other.lineno,
                f"seules des références aux chiffres sont permises, pas {_construct(other)}",
            )
    stray = stray_reference(source)
    if stray is not None:
        start, end, fixed = stray
        number, text = file_line(source.count("\n", 0, start) + 1)
        column = start - (source.rfind("\n", 0, start) + 1)
        return [
            Diagnostic(
                part.path,
                number,
                column + 1,
                "N004",
                Severity.ERROR,
                "référence mal écrite : il manque une accolade ouvrante « { »",
                f"écrivez « {excerpt(text, column, column + end - start, fixed).strip()} »",
            )
        ]
    found: list[Diagnostic] = []
    covered: set[tuple[str, int]] = set()
    for dotted, lineno in references:
        name = ".".join(dotted)
        # Report only the longest unresolved chain once per line (it comes first).
        if (name, lineno) in covered or _resolves(namespace, dotted):
            continue
        covered.update((".".join(dotted[:end]), lineno) for end in range(1, len(dotted)))
        number, text = file_line(lineno)
        column = _expression_column(text, dotted)
        close = closest_name(name, known) if len(found) < _SUGGESTED else None
        hint = "les valeurs disponibles sont listées par « bilan stats --format json »"
        if close is not None:
            start = column - 1
            hint = (
                f"vouliez-vous dire « {close} » ? Écrivez « "
                + excerpt(text, start, start + len(name), close).strip()
                + " »"
            )
        found.append(
            Diagnostic(
                part.path,
                number,
                column,
                "N003",
                Severity.ERROR,
                f"référence inconnue « {name} »",
                hint,
            )
        )
    return found


def render_text(source: str, namespace: dict[str, Any], finalize: Any) -> str:
    """Render a narrative text with its references replaced (sandboxed, strict)."""
    return _compiled_text(source, finalize).render(namespace)


@lru_cache(maxsize=1024)
def _compiled_text(source: str, finalize: Any) -> Template:
    """A narrative text compiled once per process (a template holds no state between its
    renderings): ``bilan serve`` renders the same texts at every build, and compiling
    them was a fifth of a rebuild of the repository's data."""
    env = _sandbox()
    env.finalize = finalize
    return env.from_string(source)
