"""What an edition displays, prepared in Python: labels, calendar grids, parts, charts.

Templates receive these values and only lay them out; nothing is computed in Jinja
beyond loops and conditions. A fiche view is known by what determines it (its file, the
year, the calendar window: :meth:`FicheView.identity`), and reads its fiche only when a
template asks, so that the fiches a build takes from its cache are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from markupsafe import Markup

from bilan import charts
from bilan.dataset import FicheSource
from bilan.french import count, finalize_figure
from bilan.keys import digest
from bilan.models import PHASES, THEMES, Action, Cell, CommunesFile, Fiche, Report, ReportMeta
from bilan.narrative import Narrative, render_text
from bilan.quarters import quarter_index, quarter_label, quarter_span

TYPE_PARTS = {
    "existante": ("cooperations-existantes", "Les coopérations existantes"),
    "prospective": ("cooperations-en-devenir", "Les coopérations en devenir"),
}
"""The parts of the detailed annex, one per action type: anchor and title."""


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
    """A fiche as the report shows it for one year."""

    def __init__(self, item: FicheSource, year: int, first: str, last: str) -> None:
        self.item = item
        self.id = item.id
        self.order = fiche_order(item.actions)
        self.kind = "existante" if self.order[0] == 0 else "prospective"
        self._year, self._window = year, (first, last)

    def identity(self) -> str:
        """Everything this view shows follows from these: the file (bytes and names), the
        year and the calendar window."""
        item = self.item
        return digest(item.digest, item.shown, item.stem, str(self._year), *self._window)

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
    end = quarter_index(f"{year}-T4")
    return CalendarView(
        quarters=tuple(quarter_label(q) for q in window),
        year_end=window.index(end) if end in window else -1,
        rows=tuple(rows),
        note=calendar.note,
    )


@dataclass(frozen=True)
class FicheGroup:
    """A part of the detailed annex: the fiches of one action type, in report order."""

    id: str
    title: str
    fiches: tuple[FicheView, ...]


@dataclass(frozen=True)
class PartView:
    """A narrative part, its references resolved (still Markdown)."""

    id: str
    numero: str | None
    titre: str
    markdown: str
    signature: tuple[str, ...]
    ajout: str | None
    """The computed content that follows the text (``Section.ajout_calcule``)."""

    @property
    def heading(self) -> str:
        if self.numero and self.numero[0].isdigit():
            return f"{self.numero}. {self.titre}"
        return f"{self.numero} : {self.titre}" if self.numero else self.titre


def _part_id(numero: str | None, index: int) -> str:
    if numero is None:
        return "edito" if index == 0 else f"texte-{index}"
    slug = numero.lower().replace(" ", "-")
    return slug if not slug[0].isdigit() else f"partie-{slug}"


def part_views(narrative: Narrative, figures: dict[str, Any]) -> tuple[PartView, ...]:
    namespace = {"chiffres": figures}
    return tuple(
        PartView(
            id=_part_id(part.section.numero, index),
            numero=part.section.numero,
            titre=render_text(part.section.titre, namespace, finalize_figure),
            markdown=render_text(part.body, namespace, finalize_figure),
            signature=tuple(part.section.signature),
            ajout=part.section.ajout_calcule,
        )
        for index, part in enumerate(narrative.parts)
    )


def annex_matrix(fiches: Sequence[FicheView]) -> list[dict[str, Any]]:
    """Annexe 1: for each theme, the existing actions and those to build, with their fiche."""
    rows = []
    for theme, label in THEMES.items():
        cells: dict[str, list[dict[str, Any]]] = {"existante": [], "prospective": []}
        for view in fiches:
            for action in view.item.actions:
                if theme in action.themes:
                    cells[action.type].append(
                        {"titre": action.titre, "numero": action.numero, "fiche": view.id}
                    )
        for entries in cells.values():
            entries.sort(key=lambda entry: entry["numero"])
        rows.append({"id": theme, "libelle": label, **cells})
    return rows


def consolidated_charts(figures: dict[str, Any]) -> dict[str, Markup]:
    """The two charts of the analyse consolidée."""
    themes = figures["actions"]["par_theme"]
    theme_bars = [
        charts.Bar(
            counts["libelle"],
            (
                charts.Segment(counts["existantes"], "barre-existante", "existantes"),
                charts.Segment(counts["prospectives"], "barre-prospective", "à construire"),
            ),
        )
        for counts in themes.values()
    ]
    theme_text = " ; ".join(
        f"{c['libelle']} : {count(c['existantes'], 'existante')}, {c['prospectives']} à construire"
        for c in themes.values()
    )
    phases = figures["phases_fin_annee"]
    phase_bars = [
        charts.Bar(
            f"{level} – {label}", (charts.Segment(phases[str(level)], f"phase-{level}", label),)
        )
        for level, label in PHASES.items()
    ] + [
        charts.Bar(
            "Aucune phase à cette date", (charts.Segment(phases["aucune"], "phase-vide", "aucune"),)
        )
    ]
    phase_text = (
        " ; ".join(
            f"phase {level} ({label.lower()}) : {count(phases[str(level)], 'action')}"
            for level, label in PHASES.items()
        )
        + f" ; aucune phase à cette date : {count(phases['aucune'], 'action')}"
    )
    year = figures["annee"]
    return {
        "themes": charts.bar_chart(
            "graphique-themes",
            "Actions par thème et par nature",
            f"Nombre d'actions par thème, existantes puis à construire. {theme_text}.",
            theme_bars,
        ),
        "phases": charts.bar_chart(
            "graphique-phases",
            f"Phase des actions au T4 {year}",
            f"Nombre d'actions dans chaque phase au quatrième trimestre {year}. {phase_text}.",
            phase_bars,
        ),
    }


@dataclass(frozen=True)
class EditionView:
    """Everything an edition of the report shows, ready for the templates."""

    year: int
    meta: ReportMeta
    communes: CommunesFile
    figures: dict[str, Any]
    parts: tuple[PartView, ...]
    fiches: tuple[FicheView, ...]
    """In report order: existing actions first, each type by number."""
    groups: tuple[FicheGroup, ...]
    annex: list[dict[str, Any]]
    charts: dict[str, Markup]


def edition_view(
    year: int,
    narrative: Narrative,
    communes: CommunesFile,
    fiches: Sequence[FicheSource],
    figures: dict[str, Any],
) -> EditionView:
    """The edition of ``year`` from what validated: narrative, communes, fiches, figures."""
    window = narrative.meta.calendrier
    views = sorted(
        (FicheView(item, year, window.debut, window.fin) for item in fiches),
        key=lambda view: view.order,
    )
    groups = tuple(
        FicheGroup(anchor, title, tuple(v for v in views if v.kind == kind))
        for kind, (anchor, title) in TYPE_PARTS.items()
    )
    return EditionView(
        year=year,
        meta=narrative.meta,
        communes=communes,
        figures=figures,
        parts=part_views(narrative, figures),
        fiches=tuple(views),
        groups=groups,
        annex=annex_matrix(views),
        charts=consolidated_charts(figures),
    )
