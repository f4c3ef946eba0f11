"""What an edition displays, prepared in Python: labels, calendar grids, parts, charts.

Templates receive these values and only lay them out; nothing is computed in Jinja
beyond loops and conditions. A fiche view is known by what determines it (its file, the
year, the calendar window: :meth:`FicheView.identity`), and reads its fiche only when a
template asks, so that the fiches a build takes from its cache are never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from markupsafe import Markup

from bilan import charts
from bilan.dataset import FicheSource, ReportSource
from bilan.french import agreed, count, finalize_figure
from bilan.keys import digest
from bilan.models import Action, Cell, CommunesFile, Fiche, Report, ReportMeta
from bilan.narrative import Narrative, render_text
from bilan.progress import (
    IndicatorChange,
    Slip,
    assessments,
    indicator_changes,
    phases_of_year,
    slips,
)
from bilan.publication import Erratum
from bilan.quarters import quarter_index, quarter_label, quarter_span
from bilan.vocabulary import Vocabulary


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
    """A fiche as the report shows it for one year: the fiche and that year's bilan."""

    def __init__(
        self,
        item: FicheSource,
        bilan: ReportSource | None,
        year: int,
        window: tuple[str, str],
        vocabulary: Vocabulary,
        previous: ReportSource | None = None,
    ) -> None:
        self.item = item
        self.bilan = bilan
        self.previous = previous
        """The fiche's bilan of the year before, which this year's is compared with."""
        self.id = item.id
        self.order = fiche_order(item.actions, vocabulary)
        self.kind = (
            vocabulary.types[self.order[0]].id if self.order[0] < len(vocabulary.types) else ""
        )
        self._year, self._window, self._vocabulary = year, window, vocabulary

    def identity(self) -> str:
        """Everything this view shows follows from these: the files (bytes and names), the
        year and the calendar window (the vocabulary is the project's, in every key)."""
        item, bilan, previous = self.item, self.bilan, self.previous
        own = (bilan.digest, bilan.shown) if bilan is not None else ("", "")
        before = previous.digest if previous is not None else ""
        return digest(
            item.digest, item.shown, item.stem, *own, before, str(self._year), *self._window
        )

    @cached_property
    def label(self) -> str:
        return fiche_label(self.item.actions, self._vocabulary)

    @cached_property
    def fiche(self) -> Fiche:
        return self.item.fiche

    @cached_property
    def report(self) -> Report | None:
        return self.bilan.report if self.bilan is not None else None

    @cached_property
    def calendar(self) -> CalendarView | None:
        if self.report is None or self.report.calendrier is None:
            return None
        return calendar_view(self.report, self._year, *self._window)

    @cached_property
    def etat(self) -> str | None:
        """The label of the action's état this year."""
        report = self.report
        if report is None or report.etat is None:
            return None
        return {e.id: e.libelle for e in self._vocabulary.etats}.get(report.etat, report.etat)

    @cached_property
    def progress(self) -> ProgressView | None:
        """What changed since the previous year's bilan (None: no comparison)."""
        if self.previous is None or self.report is None or self.report.sans_fiche:
            return None
        before, now = self.previous.report, self.report
        if before.sans_fiche:
            return None
        phase_before, phase_now = phases_of_year(before, now, self._year)
        labels = {t.id: t.libelle for t in self._vocabulary.evaluations}
        return ProgressView(
            self._year - 1,
            phase_before,
            phase_now,
            tuple(indicator_changes(before, now)),
            tuple(slips(before, now)),
            tuple(
                {**a, "statut_libelle": labels.get(a["statut"] or "")}
                for a in assessments(before, now)
            ),
        )

    @cached_property
    def themes(self) -> tuple[tuple[str, str, bool], ...]:
        own = {theme for action in self.item.actions for theme in action.themes}
        return tuple((t.id, t.libelle, t.id in own) for t in self._vocabulary.themes)

    @property
    def heading(self) -> str:
        return f"{self.label} – {self.fiche.titre}"


@dataclass(frozen=True)
class ProgressView:
    """A fiche's progress since the previous year (see :mod:`bilan.progress`)."""

    previous_year: int
    phase_before: Cell
    """The phase at the end of the previous year, as its bilan said."""
    phase_now: Cell
    indicators: tuple[IndicatorChange, ...]
    slips: tuple[Slip, ...]
    assessments: tuple[dict[str, Any], ...]
    """Each previous « résultat à venir », its statut and the statut's label."""


def fiche_label(actions: Sequence[Action], vocabulary: Vocabulary) -> str:
    """« Action existante 4 », « Actions existantes 1-2-3 », « Action prospective 11 »,
    with the labels of the project's action types."""
    kinds = vocabulary.type_by_id
    parts = []
    for kind in dict.fromkeys(
        sorted((a.type for a in actions), key=lambda k: _type_index(k, vocabulary))
    ):
        numbers = sorted(a.numero for a in actions if a.type == kind)
        known = kinds.get(kind)
        name = (known.pluriel if len(numbers) > 1 else known.libelle) if known else kind
        parts.append(f"{name} {'-'.join(str(n) for n in numbers)}")
    return " ; ".join(parts)


def _type_index(kind: str, vocabulary: Vocabulary) -> int:
    ids = [t.id for t in vocabulary.types]
    return ids.index(kind) if kind in ids else len(ids)


def fiche_order(actions: Sequence[Action], vocabulary: Vocabulary) -> tuple[int, int]:
    """Where a fiche stands in the report: by the type (in the vocabulary's order), then
    the number, of its first action."""
    return min((_type_index(a.type, vocabulary), a.numero) for a in actions)


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


def annex_matrix(fiches: Sequence[FicheView], vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """The table of actions: for each theme, the actions of each type, with their fiche."""
    rows = []
    for theme in vocabulary.themes:
        cells: dict[str, list[dict[str, Any]]] = {kind.id: [] for kind in vocabulary.types}
        for view in fiches:
            for action in view.item.actions:
                if theme.id in action.themes and action.type in cells:
                    cells[action.type].append(
                        {"titre": action.titre, "numero": action.numero, "fiche": view.id}
                    )
        for entries in cells.values():
            entries.sort(key=lambda entry: entry["numero"])
        rows.append({"id": theme.id, "libelle": theme.libelle, "par_type": cells})
    return rows


COMMUNE_FILL, COMMUNE_STROKE = "#8fc1cc", "#07363f"
"""The bars of the communes' chart (the site's style sheet may override them)."""


def consolidated_charts(figures: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Markup]:
    """The charts of the figures: actions by theme and type, phases at the year's end (and
    at the previous one's), communes named."""
    themes = figures["actions"]["par_theme"]
    types = vocabulary.types
    theme_bars = [
        charts.Bar(
            counts["libelle"],
            tuple(
                charts.Segment(
                    counts[kind.cle], f"barre-{kind.id}", kind.legende, kind.couleur, kind.trait
                )
                for kind in types
            ),
        )
        for counts in themes.values()
    ]
    theme_text = " ; ".join(
        f"{c['libelle']} : " + ", ".join(agreed(c[kind.cle], kind.legende) for kind in types)
        for c in themes.values()
    )
    year = figures["annee"]
    grouping = vocabulary.regroupement
    made = {
        "themes": charts.bar_chart(
            "graphique-themes",
            f"Actions par {grouping.libelle.lower()} et par nature",
            f"Nombre d'actions par {grouping.libelle.lower()}, "
            f"{' puis '.join(kind.legende for kind in types)}. {theme_text}.",
            theme_bars,
        ),
        "phases": phases_chart("graphique-phases", figures["phases_fin_annee"], year, vocabulary),
        "communes": communes_chart(figures),
    }
    evolution = figures.get("evolution")
    if evolution is not None:
        before = {row["phase"]: row["avant"] for row in evolution["phases_fin_annee"]}
        made["phases_precedentes"] = phases_chart(
            "graphique-phases-precedentes", before, evolution["annee_precedente"], vocabulary
        )
        made["phases_comparees"] = phases_chart(
            "graphique-phases-comparees", figures["phases_fin_annee"], year, vocabulary
        )
    return made


def phases_chart(ident: str, phases: dict[str, int], year: int, vocabulary: Vocabulary) -> Markup:
    """The number of actions in each phase at the end of ``year``, as a bar chart."""
    phase_bars = [
        charts.Bar(
            f"{phase.numero} – {phase.libelle}",
            (
                charts.Segment(
                    phases[str(phase.numero)],
                    f"phase-{phase.numero}",
                    phase.libelle,
                    phase.couleur,
                    phase.trait,
                ),
            ),
        )
        for phase in vocabulary.phases
    ] + [
        charts.Bar(
            "Aucune phase à cette date", (charts.Segment(phases["aucune"], "phase-vide", "aucune"),)
        )
    ]
    phase_text = (
        " ; ".join(
            f"phase {phase.numero} ({phase.libelle.lower()}) : {count(phases[str(phase.numero)], 'action')}"
            for phase in vocabulary.phases
        )
        + f" ; aucune phase à cette date : {count(phases['aucune'], 'action')}"
    )
    return charts.bar_chart(
        ident,
        f"Phase des actions au T4 {year}",
        f"Nombre d'actions dans chaque phase au quatrième trimestre {year}. {phase_text}.",
        phase_bars,
    )


def communes_chart(figures: dict[str, Any]) -> Markup:
    """The number of actions whose bilan names each commune, for those named at all."""
    year = figures["annee"]
    named = [row for row in figures["couverture"]["communes"] if row["nombre"]]
    commune_bars = [
        charts.Bar(
            row["nom"],
            (
                charts.Segment(
                    row["nombre"], "barre-commune", "actions", COMMUNE_FILL, COMMUNE_STROKE
                ),
            ),
        )
        for row in named
    ]
    commune_text = " ; ".join(f"{row['nom']} : {count(row['nombre'], 'action')}" for row in named)
    return charts.bar_chart(
        "graphique-communes",
        f"Communes nommées par les bilans {year}",
        f"Nombre d'actions dont le bilan {year} nomme la commune, pour les "
        f"{count(len(named), 'commune')} nommées au moins une fois. {commune_text}.",
        commune_bars,
    )


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
    errata: tuple[Erratum, ...] = ()
    """The corrections made since the edition was published, dated (it shows them)."""
    editions: tuple[int, ...] = ()
    """The years of the editions built with this one (``bilan build --all``), which its
    pages link to; none for a single edition, whose build never links to a folder it
    does not write."""


def edition_view(
    year: int,
    narrative: Narrative,
    communes: CommunesFile,
    fiches: Sequence[tuple[FicheSource, ReportSource | None]],
    figures: dict[str, Any],
    vocabulary: Vocabulary,
    previous: Mapping[str, ReportSource] | None = None,
) -> EditionView:
    """The edition of ``year`` from what validated: narrative, communes, the fiches of the
    schéma of that year with their bilans (None: not provided), figures; ``previous``:
    the bilans of the year before by fiche, which this year's are compared with."""
    window = (narrative.meta.calendrier.debut, narrative.meta.calendrier.fin)
    before = previous or {}
    views = sorted(
        (
            FicheView(item, bilan, year, window, vocabulary, before.get(item.stem))
            for item, bilan in fiches
        ),
        key=lambda view: view.order,
    )
    groups = tuple(
        FicheGroup(kind.ancre, kind.partie, tuple(v for v in views if v.kind == kind.id))
        for kind in vocabulary.types
    )
    return EditionView(
        year=year,
        meta=narrative.meta,
        communes=communes,
        figures=figures,
        parts=part_views(narrative, figures),
        fiches=tuple(views),
        groups=groups,
        annex=annex_matrix(views, vocabulary),
        charts=consolidated_charts(figures, vocabulary),
    )
