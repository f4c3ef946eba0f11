"""Rendering: the Jinja environments, Markdown, and the renderer of units.

Templates only display: every figure reaching them is computed in Python. The HTML
environment autoescapes and is strict (an unknown name fails the build); Markdown is
rendered by markdown-it-py with raw HTML off, so a ``<script>`` typed in a fiche is
shown as text. Numbers, amounts and quarters are written by :mod:`bilan.french`.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)
from markdown_it import MarkdownIt
from markupsafe import Markup

from bilan.errors import BuildError
from bilan.files import display_path
from bilan.french import (
    change,
    euros,
    in_words,
    indicator_value,
    long_date,
    number,
    phase_class,
    phase_label,
    phase_text,
)
from bilan.quarters import quarter_label
from bilan.units import Unit
from bilan.vocabulary import Vocabulary


class Markdown:
    """CommonMark without raw HTML; headings shifted so a text nests under its part."""

    def __init__(self) -> None:
        # breaks: a line break typed in a fiche is kept (budgets, dates on several lines).
        self._md = MarkdownIt(
            "commonmark", {"html": False, "typographer": False, "breaks": True, "xhtmlOut": False}
        )
        self._md.disable("html_block")
        self._md.disable("html_inline")
        # No images: the public site loads nothing from another site, the PDF fetches nothing.
        self._md.disable("image")

    def html(self, text: str, shift: int = 0) -> Markup:
        tokens = self._md.parse(text)
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(int(token.tag[1]) + shift, 6)
                token.tag = f"h{level}"
        return Markup(self._md.renderer.render(tokens, self._md.options, {}))

    def heading_lines(self, text: str) -> list[int]:
        """0-based line numbers of the ATX headings (``## …``) of a Markdown text."""
        return [
            token.map[0]
            for token in self._md.parse(text)
            if token.type == "heading_open" and token.markup.startswith("#") and token.map
        ]

    def inline(self, text: str) -> Markup:
        return Markup(self._md.renderInline(text))


@lru_cache(maxsize=1)
def markdown() -> Markdown:
    return Markdown()


def md_block(text: str, shift: int = 0) -> Markup:
    return markdown().html(text, shift)


def md_inline(text: str) -> Markup:
    """A one-paragraph text without its <p>, a longer one as blocks."""
    if "\n\n" in text.strip() or text.lstrip().startswith(("- ", "* ", "1. ")) or "\n- " in text:
        return markdown().html(text)
    return markdown().inline(text.strip())


def template_dirs(user: Path | None, default: Path) -> list[Path]:
    """Templates are looked up in the user's folder first, then in the project's."""
    return [user, default] if user is not None else [default]


def environment(
    dirs: Sequence[Path], vocabulary: Vocabulary, compiled: BytecodeCache | None = None
) -> Environment:
    """The Jinja environment of the report: autoescaped HTML, strict, French filters.
    ``compiled``: where Jinja keeps the code of the templates it compiles, and finds it
    again while their source is the same."""
    env = Environment(
        bytecode_cache=compiled,
        loader=FileSystemLoader([str(d) for d in dirs]),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        nombre=number,
        euros=euros,
        markdown=md_block,
        markdown_inline=md_inline,
        trimestre=quarter_label,
        phase=phase_text,
        phase_classe=phase_class,
        valeur_indicateur=indicator_value,
        en_lettres=in_words,
        date_longue=long_date,
        evolution=change,
    )
    env.filters["phase_libelle"] = partial(phase_label, labels=vocabulary.phase_labels)
    env.globals["PHASES"] = vocabulary.phase_labels
    env.globals["vocabulaire"] = vocabulary
    return env


_SOFT_BREAK = re.compile(r"(?<=\S)\n(?=[^\n])(?!\s*(?:[-*+]|\d+[.)])\s)")


def hard_breaks(text: str) -> str:
    """Markdown whose single line breaks stay breaks once rendered (as in the HTML, where
    markdown-it runs with ``breaks``): two trailing spaces, except before a list item."""
    return _SOFT_BREAK.sub("  \n", text)


def shift_headings(text: str, shift: int) -> str:
    """Markdown with every ATX heading moved ``shift`` levels down (## → ###)."""
    lines = text.split("\n")
    for line in markdown().heading_lines(text):
        lines[line] = "#" * shift + lines[line]
    return "\n".join(lines)


def text_environment(
    dirs: Sequence[Path], vocabulary: Vocabulary, compiled: BytecodeCache | None = None
) -> Environment:
    """Same templates folder, for Markdown output: no HTML escaping (which changes how a
    template compiles: ``compiled`` must not be the HTML environment's)."""
    env = environment(dirs, vocabulary, compiled)
    env.autoescape = False
    env.filters["sauts_de_ligne"] = hard_breaks
    env.filters["decaler_titres"] = shift_headings
    env.finalize = no_raw_html
    return env


_BLANK_RUNS = re.compile(r"\n{3,}")


def single_blank_lines(text: str) -> str:
    """Templates leave runs of blank lines: each becomes one."""
    return _BLANK_RUNS.sub("\n\n", text)


def no_raw_html(value: Any) -> Any:
    """Raw HTML typed in the data stays text in the Markdown output too (a Markdown viewer
    would run a « <script> »): « < » becomes « &lt; », which Markdown shows as « < ».
    Idempotent, so text that goes through several expressions (a macro) is not spoilt."""
    return value.replace("<", "&lt;") if isinstance(value, str) else value


TEXT_SUFFIX = ".md.j2"
"""Templates of the Markdown report: rendered without HTML escaping."""


class UnitRenderer:
    """Renders units (:mod:`bilan.units`) with the report's templates: a unit's inputs are
    the whole context of its template, the units among them rendered first."""

    def __init__(
        self,
        dirs: Sequence[Path],
        vocabulary: Vocabulary,
        compiled: tuple[BytecodeCache, BytecodeCache] | None = None,
    ) -> None:
        """``compiled``: the compiled templates of the HTML and of the text environment."""
        self.dirs = list(dirs)
        html, text = compiled or (None, None)
        self._html = environment(self.dirs, vocabulary, html)
        self._text = text_environment(self.dirs, vocabulary, text)

    def render(self, unit: Unit) -> str:
        """The text of ``unit``; a broken template is a BuildError in French."""
        inputs = {name: self.resolve(value) for name, value in unit.inputs.items()}
        if not isinstance(unit.source, str):
            return unit.source(**inputs)
        env = self._text if unit.source.endswith(TEXT_SUFFIX) else self._html
        try:
            return env.get_template(unit.source).render(inputs)
        except TemplateError as error:
            raise template_error(error, unit) from None

    def resolve(self, value: Any) -> Any:
        """An input as its template sees it: a unit as its text (safe markup: it was
        escaped when it was rendered), tuples with their units resolved."""
        if isinstance(value, Unit):
            return Markup(self.render(value))
        if isinstance(value, tuple):
            return tuple(self.resolve(item) for item in value)
        return value

    def static(self, name: str) -> bytes:
        """A file of the templates folders, the user's first."""
        for folder in self.dirs:
            if (folder / name).is_file():
                return (folder / name).read_bytes()
        raise BuildError(
            f"fichier introuvable dans les gabarits : {name}",
            "remettez-le dans le dossier des gabarits, ou retirez le gabarit qui le demande",
        )


def template_error(error: TemplateError, unit: Unit | None = None) -> BuildError:
    """A broken template (often a customised one, from --templates) in French, with the
    template and the line; for a name the template was not given, the names it was."""
    if isinstance(error, TemplateSyntaxError):
        where = display_path(Path(error.filename)) if error.filename else error.name
        message = f"gabarit {where}, ligne {error.lineno} : {error.message}"
    elif isinstance(error, TemplateNotFound):
        message = f"gabarit introuvable : {error.name}"
    elif isinstance(error, UndefinedError):
        message = f"gabarit{_template_line(error)} : {_undefined(error.message or '')}"
        if unit is not None:
            given = ", ".join(sorted(unit.inputs)) or "rien"
            message += f" (ce gabarit reçoit : {given})"
    else:
        message = f"gabarit{_template_line(error)} : {error.message}"
    return BuildError(
        message,
        "corrigez le gabarit (dossier --templates ou templates/) : il ne peut montrer que ce "
        "qu'il reçoit ; le rapport précédent reste en place",
    )


_UNDEFINED_NAME = re.compile(r"^'([^']*)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"^'(.*)' has no attribute '([^']*)'$")


def _undefined(message: str) -> str:
    """Jinja's English message about an undefined name or attribute, in French."""
    name = _UNDEFINED_NAME.match(message)
    if name:
        return f"« {name.group(1)} » n'est pas défini"
    attribute = _NO_ATTRIBUTE.match(message)
    if attribute:
        return f"« {attribute.group(2)} » n'existe pas dans cette valeur"
    return message


def _template_line(error: TemplateError) -> str:
    """« X.html.j2, ligne N » from the traceback, which Jinja rewrites to point at templates."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return ""
    return f" {display_path(Path(frames[-1].filename))}, ligne {frames[-1].lineno}"
