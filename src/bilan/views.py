"""What the templates display, prepared in Python: labels, calendar grids, navigation.

Templates receive these frozen values and only lay them out; nothing is computed in
Jinja beyond loops and conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bilan.figures import phase_at_year_end
from bilan.models import THEMES, Cell, Fiche, Report
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


@dataclass(frozen=True)
class FicheView:
    """A fiche as the report shows it for one year."""

    fiche: Fiche
    label: str
    kind: str
    report: Report | None
    calendar: CalendarView | None
    themes: tuple[tuple[str, str, bool], ...]
    phase_fin: Cell
    previous: FicheView | None = None
    following: FicheView | None = None

    @property
    def id(self) -> str:
        return self.fiche.id

    @property
    def heading(self) -> str:
        return f"{self.label} – {self.fiche.titre}"


def fiche_label(fiche: Fiche) -> str:
    """« Action existante 4 », « Actions existantes 1-2-3 », « Action prospective 11 »."""
    kinds = sorted({a.type for a in fiche.actions})
    parts = []
    for kind in kinds:
        numbers = sorted(a.numero for a in fiche.actions if a.type == kind)
        plural = "s" if len(numbers) > 1 else ""
        parts.append(f"Action{plural} {kind}{plural} {'-'.join(str(n) for n in numbers)}")
    return " ; ".join(parts)


def fiche_order(fiche: Fiche) -> tuple[int, int]:
    first = min(fiche.actions, key=lambda a: (a.type != "existante", a.numero))
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


def fiche_views(fiches: list[Fiche], year: int, first: str, last: str) -> list[FicheView]:
    """Every fiche in report order, linked to its neighbours."""
    ordered = sorted(fiches, key=fiche_order)
    views = []
    for fiche in ordered:
        report = fiche.bilans.get(year)
        own = {theme for action in fiche.actions for theme in action.themes}
        views.append(
            FicheView(
                fiche=fiche,
                label=fiche_label(fiche),
                kind="existante" if fiche_order(fiche)[0] == 0 else "prospective",
                report=report,
                calendar=calendar_view(report, year, first, last)
                if report is not None and report.calendrier is not None
                else None,
                themes=tuple((key, label, key in own) for key, label in THEMES.items()),
                phase_fin=phase_at_year_end(report, year),
            )
        )
    return [
        replace(
            view,
            previous=views[index - 1] if index > 0 else None,
            following=views[index + 1] if index + 1 < len(views) else None,
        )
        for index, view in enumerate(views)
    ]


def annex_matrix(views: list[FicheView]) -> list[dict[str, Any]]:
    """Annexe 1: for each theme, the existing actions and those to build, with their fiche."""
    rows = []
    for theme, label in THEMES.items():
        cells: dict[str, list[dict[str, Any]]] = {"existante": [], "prospective": []}
        for view in views:
            for action in view.fiche.actions:
                if theme in action.themes:
                    cells[action.type].append({"action": action, "fiche": view.id})
        for entries in cells.values():
            entries.sort(key=lambda entry: entry["action"].numero)
        rows.append({"id": theme, "libelle": label, **cells})
    return rows
