"""Rendering helpers: the Jinja environment, Markdown and French typography.

Templates only display: every figure reaching them is computed in Python. The HTML
environment autoescapes and is strict (an unknown name fails the build); Markdown is
rendered by markdown-it-py with raw HTML off, so a ``<script>`` typed in a fiche is
shown as text. Numbers, amounts and quarters are formatted by Babel in French.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, AnyStr

from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from bilan.models import PHASES, Cell, Indicator
from bilan.quarters import quarter_label

LOCALE = "fr_FR"


@lru_cache(maxsize=65536, typed=True)  # Babel takes 30 µs a number; tables repeat them
def number(value: float | int | None) -> str:
    """441888 → « 441 888 » (narrow no-break space), 0.5 → « 0,5 »."""
    if value is None:
        return ""
    return format_decimal(value, locale=LOCALE)


@lru_cache(maxsize=65536, typed=True)
def euros(value: float | int) -> str:
    """21214690 → « 21 214 690 € » (cents only when there are some)."""
    fmt = "#,##0\u00a0¤" if float(value).is_integer() else "#,##0.00\u00a0¤"
    return format_currency(value, "EUR", format=fmt, locale=LOCALE, currency_digits=False)


def indicator_value(indicator: Indicator) -> str:
    """The value of an indicator as the report prints it when it has no text of its own."""
    if indicator.valeur is None:
        return ""
    if indicator.unite == "EUR":
        return euros(indicator.valeur)
    unit = f"\u00a0{indicator.unite}" if indicator.unite else ""
    return number(indicator.valeur) + unit


def phase_text(cell: Cell) -> str:
    """« 3 » or « 3/4 »."""
    if cell is None:
        return ""
    return "/".join(str(p) for p in cell) if isinstance(cell, list) else str(cell)


def phase_label(cell: Cell) -> str:
    """« phase 3, mise en œuvre » or « phases 3 et 4, mise en œuvre puis suivi ou fin »."""
    if cell is None:
        return "aucune phase"
    if isinstance(cell, list):
        names = " puis ".join(PHASES[p].lower() for p in cell)
        return f"phases {' et '.join(str(p) for p in cell)}, {names}"
    return f"phase {cell}, {PHASES[cell].lower()}"


def phase_class(cell: Cell) -> str:
    """CSS class of a calendar cell: « phase-3 », « phase-3-4 », or « phase-vide »."""
    if cell is None:
        return "phase-vide"
    return "phase-" + ("-".join(str(p) for p in cell) if isinstance(cell, list) else str(cell))


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


def environment(dirs: Sequence[Path]) -> Environment:
    """The Jinja environment of the report: autoescaped HTML, strict, French filters."""
    env = Environment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["bilan.buildcache.FragmentCache"],  # {% cache %}: incremental builds
    )
    env.filters.update(
        nombre=number,
        euros=euros,
        markdown=md_block,
        markdown_inline=md_inline,
        trimestre=quarter_label,
        phase=phase_text,
        phase_libelle=phase_label,
        phase_classe=phase_class,
        valeur_indicateur=indicator_value,
    )
    env.globals["PHASES"] = PHASES
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


def text_environment(dirs: Sequence[Path]) -> Environment:
    """Same templates folder, for Markdown output: no HTML escaping."""
    env = environment(dirs)
    env.autoescape = False
    env.filters["sauts_de_ligne"] = hard_breaks
    env.filters["decaler_titres"] = shift_headings
    env.finalize = no_raw_html
    env.fragment_normalize = single_blank_lines  # type: ignore[attr-defined]
    return env


def single_blank_lines(text: AnyStr) -> AnyStr:
    """Templates leave runs of blank lines: each becomes one (as ``re.sub("\\n{3,}",
    "\\n\\n")``, in C; text or UTF-8). Applying it to parts first, then to the whole,
    gives the same text: the build cache keeps Markdown fragments this way, so that the
    whole report has few runs left."""
    three, two = ("\n\n\n", "\n\n") if isinstance(text, str) else (b"\n\n\n", b"\n\n")
    while three in text:
        text = text.replace(three, two)
    return text


def no_raw_html(value: Any) -> Any:
    """Raw HTML typed in the data stays text in the Markdown output too (a Markdown viewer
    would run a « <script> »): « < » becomes « &lt; », which Markdown shows as « < ».
    Idempotent, so text that goes through several expressions (a macro) is not spoilt."""
    return value.replace("<", "&lt;") if isinstance(value, str) else value


def finalize_figure(value: Any) -> Any:
    """How a narrative reference prints: numbers in French (« 441 888 »)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return number(value)
