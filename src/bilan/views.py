"""What the templates display, prepared in Python: labels, calendar grids, navigation.

Templates receive these frozen values and only lay them out; nothing is computed in
Jinja beyond loops and conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import Any

from bilan.dataset import LoadedFiche
from bilan.figures import phase_at_year_end
from bilan.models import THEMES, Action, Cell, Fiche, Quarter, Report
from bilan.quarters import quarter_index, quarter_label, quarter_span


@dataclass(frozen=True)
class CalendarRowView:
    """One row of the calendar grid, aligned on the report's quarters."""

    label: str | None
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class CalendarView:
    """The calendar of a fiche over the report's window."""

    quarters: tuple[str, ...]
    year_end: int
    rows: tuple[CalendarRowView, ...]
    note: str | None


class FicheView:
    """A fiche as the report shows it for one year, between its neighbours.

    Its place, label and kind come from the fiche's actions; what it shows (calendar,
    themes, phase) is worked out on first use, so that the fiches an incremental build
    takes from its cache are never read (see :class:`bilan.dataset.LoadedFiche`)."""

    def __init__(self, item: LoadedFiche, year: int, first: Quarter, last: Quarter) -> None:
        self.item = item
        self.id = item.id
        self.order = fiche_order(item.actions)
        self.kind = "existante" if self.order[0] == 0 else "prospective"
        self.previous: FicheView | None = None
        self.following: FicheView | None = None
        self._year, self._window = year, (first, last)

    @cached_property
    def label(self) -> str:
        return fiche_label(self.item.actions)

    @cached_property
    def fiche(self) -> Fiche:
        return self.item.fiche

    @cached_property
    def report(self) -> Report | None:
        return self.fiche.bilans.get(self._year)

    @cached_property
    def calendar(self) -> CalendarView | None:
        if self.report is None or self.report.calendrier is None:
            return None
        return calendar_view(self.report, self._year, *self._window)

    @cached_property
    def themes(self) -> tuple[tuple[str, str, bool], ...]:
        own = {theme for action in self.item.actions for theme in action.themes}
        return tuple((key, label, key in own) for key, label in THEMES.items())

    @cached_property
    def phase_fin(self) -> Cell:
        return phase_at_year_end(self.report, self._year)

    @property
    def heading(self) -> str:
        return f"{self.label} – {self.fiche.titre}"


def fiche_label(actions: Sequence[Action]) -> str:
    """« Action existante 4 », « Actions existantes 1-2-3 », « Action prospective 11 »."""
    kinds = sorted({a.type for a in actions})
    parts = []
    for kind in kinds:
        numbers = sorted(a.numero for a in actions if a.type == kind)
        plural = "s" if len(numbers) > 1 else ""
        parts.append(f"Action{plural} {kind}{plural} {'-'.join(str(n) for n in numbers)}")
    return " ; ".join(parts)


def fiche_order(actions: Sequence[Action]) -> tuple[int, int]:
    first = min(actions, key=lambda a: (a.type != "existante", a.numero))
    return (0 if first.type == "existante" else 1, first.numero)


def calendar_view(report: Report, year: int, first: str, last: str) -> CalendarView:
    window = quarter_span(first, last)
    calendar = report.calendrier
    assert calendar is not None
    start = quarter_index(calendar.debut)
    rows = []
    for result, cells in calendar.rows():
        aligned = tuple(cells[q - start] if 0 <= q - start < len(cells) else None for q in window)
        rows.append(CalendarRowView(f"Résultat {result}" if result else None, aligned))
    return CalendarView(
        quarters=tuple(quarter_label(q) for q in window),
        year_end=window.index(quarter_index(f"{year}-T4"))
        if quarter_index(f"{year}-T4") in window
        else -1,
        rows=tuple(rows),
        note=calendar.note,
    )


def fiche_views(items: Sequence[LoadedFiche], year: int, first: str, last: str) -> list[FicheView]:
    """Every fiche in report order, linked to its neighbours."""
    views = [FicheView(item, year, first, last) for item in items]
    views.sort(key=lambda view: view.order)
    for before, after in pairwise(views):
        before.following, after.previous = after, before
    return views


def annex_matrix(views: list[FicheView]) -> list[dict[str, Any]]:
    """Annexe 1: for each theme, the existing actions and those to build, with their fiche
    (plain data: the build cache keys the table by it)."""
    rows = []
    for theme, label in THEMES.items():
        cells: dict[str, list[dict[str, Any]]] = {"existante": [], "prospective": []}
        for view in views:
            for action in view.item.actions:
                if theme in action.themes:
                    cells[action.type].append(
                        {"titre": action.titre, "numero": action.numero, "fiche": view.id}
                    )
        for entries in cells.values():
            entries.sort(key=lambda entry: entry["numero"])
        rows.append({"id": theme, "libelle": label, **cells})
    return rows
