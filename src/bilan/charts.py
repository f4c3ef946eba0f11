"""Inline SVG charts of the consolidated figures: no JavaScript, printable, accessible.

Geometry is computed here; templates only place the result. Each chart carries a
``<title>`` and a ``<desc>`` (its text alternative), and is always shown next to a
table of the same numbers.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_HEIGHT = 26
GAP = 10
LABEL_WIDTH = 360
BAR_WIDTH = 300
VALUE_WIDTH = 50
LABEL_CHARACTERS = 44
"""The longest line of a label: about what LABEL_WIDTH holds at the charts' font size (the
page's 13 px, the PDF's 12 px); a longer label wraps onto a second line."""
FONT = 'font-family="Liberation Sans, Arial, sans-serif" font-size="13"'
"""The text's look where no style sheet applies (a word processor opening the report)."""


@dataclass(frozen=True)
class Segment:
    """A part of a bar: its value, CSS class and legend text, and its colours as SVG
    attributes (renderers without the page's stylesheet, the PDF, still draw them; the
    stylesheet may override them)."""

    value: int
    css: str
    legend: str
    fill: str = "#ffffff"
    stroke: str = "#4a4a4a"


@dataclass(frozen=True)
class Bar:
    """One labelled bar, made of one or more segments."""

    label: str
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return sum(segment.value for segment in self.segments)


def bar_chart(ident: str, title: str, description: str, bars: list[Bar]) -> Markup:
    """Horizontal bars, one per row, segments side by side, the total at the end."""
    largest = max((bar.total for bar in bars), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="graphique" id="{escape(ident)}" role="img" '
        f'aria-labelledby="{escape(ident)}-titre {escape(ident)}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(ident)}-titre">{escape(title)}</title>',
        f'<desc id="{escape(ident)}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(
            f'<text class="etiquette" x="{LABEL_WIDTH - 8}" y="{middle:g}" '
            f'text-anchor="end" dominant-baseline="middle">{_label(bar.label)}</text>'
        )
        x = float(LABEL_WIDTH)
        for segment in bar.segments:
            if segment.value == 0:
                continue
            length = BAR_WIDTH * segment.value / largest
            fill, stroke = segment.fill, segment.stroke
            parts.append(
                f'<rect class="{escape(segment.css)}" x="{x:g}" y="{y}" '
                f'width="{length:.2f}" height="{BAR_HEIGHT}" fill="{fill}" stroke="{stroke}"/>'
            )
            if length >= 22:
                parts.append(
                    f'<text class="dans-barre" x="{x + length / 2:.2f}" y="{middle:g}" '
                    f'text-anchor="middle" dominant-baseline="middle">{segment.value}</text>'
                )
            x += length
        parts.append(
            f'<text class="total" x="{x + 6:.2f}" y="{middle:g}" '
            f'dominant-baseline="middle">{bar.total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _label(text: str) -> Markup:
    """A bar's label, on two lines (``tspan``) when one would not fit beside the bar."""
    lines = textwrap.wrap(text, LABEL_CHARACTERS, break_on_hyphens=False)
    if len(lines) <= 1:
        return escape(text)
    first, rest = lines[0], " ".join(lines[1:])
    return Markup(
        f'<tspan x="{LABEL_WIDTH - 8}" dy="-0.6em">{escape(first)}</tspan>'
        f'<tspan x="{LABEL_WIDTH - 8}" dy="1.2em">{escape(rest)}</tspan>'
    )
