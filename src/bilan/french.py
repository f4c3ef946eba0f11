"""French typography of the report: numbers, amounts, phases, counts, as Babel and the
report's vocabulary write them. Used by the views, the templates' filters, the open data
and ``bilan stats``, so that a number is written the same way everywhere."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency, format_decimal

from bilan.models import Cell, Indicator

LOCALE = "fr_FR"


@lru_cache(maxsize=65536, typed=True)  # Babel takes 30 µs a number; tables repeat them
def number(value: float | int | None) -> str:
    """441888 → « 441 888 » (narrow no-break space), 0.5 → « 0,5 »."""
    if value is None:
        return ""
    return format_decimal(value, locale=LOCALE)


def change(gap: float | int | None, percent: float | None = None) -> str:
    """+3 and 13.0 → « +3 (+13 %) »; −2 → « −2 »; 0 → « stable »; None → « »."""
    if gap is None:
        return ""
    if gap == 0:
        return "stable"
    sign = "+" if gap > 0 else "\u2212"
    text = sign + number(abs(gap))
    if percent is not None:
        text += f" ({'+' if percent > 0 else chr(0x2212)}{number(abs(percent))}\u00a0%)"
    return text


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


def phase_label(cell: Cell, labels: Mapping[int, str]) -> str:
    """« phase 3, mise en œuvre » or « phases 3 et 4, mise en œuvre puis suivi ou fin »,
    with the project's phase ``labels``."""
    if cell is None:
        return "aucune phase"
    if isinstance(cell, list):
        names = " puis ".join(labels[p].lower() for p in cell)
        return f"phases {' et '.join(str(p) for p in cell)}, {names}"
    return f"phase {cell}, {labels[cell].lower()}"


def phase_class(cell: Cell) -> str:
    """CSS class of a calendar cell: « phase-3 », « phase-3-4 », or « phase-vide »."""
    if cell is None:
        return "phase-vide"
    return "phase-" + ("-".join(str(p) for p in cell) if isinstance(cell, list) else str(cell))


def count(number: int, noun: str) -> str:
    """« 1 action », « 2 actions », « 0 action » (French: plural from 2)."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


NUMBER_WORDS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")


def in_words(number: int) -> str:
    """4 → « quatre » (to nine), as French writes small counts in a sentence."""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else str(number)


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip


def long_date(day: datetime.date) -> str:
    """2017-03-02 → « 2 mars 2017 » (« 1er » for the first of the month)."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def agreed(number: int, plural: str) -> str:
    """« 1 existante », « 2 existantes », « 3 à construire »: a plural word (the last of
    ``plural``) in the singular for 0 and 1, as French writes counts."""
    if number <= 1 and plural.endswith("s") and " " not in plural:
        return f"{number} {plural[:-1]}"
    return f"{number} {plural}"


def finalize_figure(value: Any) -> Any:
    """How a narrative reference prints: numbers in French (« 441 888 »)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return number(value)
