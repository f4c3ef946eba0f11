"""Checks beyond the model: what no single model can see.

Two kinds of rules. A fiche rule, ``(fiche, context) -> diagnostics``, looks at one fiche
with what the data folder says besides it (the communes, the report years): its result
depends on that fiche only, so the build cache keeps it (:data:`FICHE_RULES`,
:func:`fiche_findings`). A data set rule looks across fiches (numbering, duplicates) and
only at what a fiche's summary holds, its id and actions (:data:`DATASET_RULES`,
:func:`dataset_findings`). Diagnostics point at the value concerned, in its file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from bilan.dataset import ACTIONS_DIR, DataSet, LoadedFiche, display_path
from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document, Path_
from bilan.figures import cell_level
from bilan.models import Cell, CommunesFile, Quarter
from bilan.quarters import quarter_index


def _at(
    doc: Document,
    path: Path_,
    code: str,
    message: str,
    hint: str = "",
    *,
    warning: bool = False,
    key: bool = False,
) -> Diagnostic:
    line, column = doc.locate(path, key=key)
    severity = Severity.WARNING if warning else Severity.ERROR
    return Diagnostic(doc.path, line, column, code, severity, message, hint)


def id_matches_file_name(item: LoadedFiche, _context: RuleContext) -> Iterator[Diagnostic]:
    if item.id != item.stem:
        yield _at(
            item.doc,
            ("id",),
            "R001",
            f"l'identifiant « {item.id} » diffère du nom du fichier « {item.stem}.yaml »",
            f"renommez le fichier en « {item.id}.yaml » ou corrigez l'identifiant",
        )


def action_in_one_fiche(dataset: DataSet) -> Iterator[Diagnostic]:
    for (kind, number), places in sorted(dataset.action_places.items()):
        if len(places) < 2:
            continue
        # Each file named once, even when a fiche repeats the action many times.
        paths = list(dict.fromkeys(item.doc.path for item, _index in places))
        for item, index in places:
            others = ", ".join(p for p in paths if p != item.doc.path) or item.doc.path
            yield _at(
                item.doc,
                ("actions", index, "numero"),
                "R002",
                f"l'action {kind} {number} figure aussi dans {others}",
                "une action n'est décrite que dans une seule fiche : retirez-la de l'une d'elles",
            )


def numbering_without_gaps(dataset: DataSet) -> Iterator[Diagnostic]:
    if dataset.unloaded:  # the missing numbers may be in the fiches already reported
        return
    places = dataset.action_places
    folder = display_path(dataset.root / ACTIONS_DIR)
    for kind in ("existante", "prospective"):
        numbers = sorted({number for (k, number) in places if k == kind})
        if not numbers:
            continue
        # One diagnostic per run of missing numbers: a typo such as « numero: 100000 »
        # must not produce (or allocate) a hundred thousand of them.
        for before, after in zip([0, *numbers], numbers, strict=False):
            if after - before < 2:
                continue
            first, last = before + 1, after - 1
            what = (
                f"l'action {kind} {first}"
                if first == last
                else f"les actions {kind}s {first} à {last}"
            )
            yield Diagnostic(
                folder,
                0,
                0,
                "R003",
                Severity.ERROR,
                f"aucune fiche ne couvre {what} (les actions {kind}s vont de 1 à {numbers[-1]})",
                f'créez sa fiche : bilan new --type {kind} --numero {first} --titre "…" '
                "(pour une action sans fiche cette année, indiquez « sans_fiche »)"
                if first == last
                else f"créez leurs fiches (bilan new --type {kind} --numero …), ou corrigez "
                f"le numéro {after} s'il est faux",
            )


class _Suggestions:
    """Closest known names, for a bounded number of unknown ones: each search costs the
    size of the list, and hundreds of unknown names are a wrong list, not typos."""

    LIMIT = 50

    def __init__(self, known: list[str]) -> None:
        self.known = known
        self.asked = 0

    def closest(self, name: str) -> str | None:
        self.asked += 1
        if self.asked > self.LIMIT:
            return None
        close = difflib.get_close_matches(name, self.known, n=1, cutoff=0.6)
        return close[0] if close else None


def communes_exist(item: LoadedFiche, context: RuleContext) -> Iterator[Diagnostic]:
    if context.communes is None:
        return
    known = context.known_communes
    for year, report in item.fiche.bilans.items():
        seen: set[str] = set()
        for index, commune in enumerate(report.communes):
            path = ("bilans", year, "communes", index)
            if commune in seen:
                yield _at(
                    item.doc,
                    path,
                    "R012",
                    f"commune « {commune} » citée deux fois",
                    "retirez le doublon de la liste",
                )
            seen.add(commune)
            if commune not in known:
                close = context.suggestions.closest(commune)
                yield _at(
                    item.doc,
                    path,
                    "R004",
                    f"commune inconnue « {commune} »",
                    f"vouliez-vous dire « {close} » ?"
                    if close
                    else "les identifiants possibles sont dans data/communes.yaml",
                )


def communes_file_unique(dataset: DataSet) -> Iterator[Diagnostic]:
    if dataset.communes is None or dataset.communes_doc is None:
        return
    for attribute in ("id", "insee", "nom"):
        seen: dict[str, int] = {}
        for index, commune in enumerate(dataset.communes.communes):
            value = getattr(commune, attribute)
            if value in seen:
                yield _at(
                    dataset.communes_doc,
                    ("communes", index, attribute),
                    "R012",
                    f"{attribute} « {value} » déjà utilisé par la commune n° {seen[value] + 1}",
                    "chaque commune a son propre identifiant, nom et code INSEE",
                )
            seen.setdefault(value, index)


def _calendar_rows(
    item: LoadedFiche,
) -> Iterator[tuple[int, Path_, int | None, list[Cell], Quarter]]:
    for year, report in item.fiche.bilans.items():
        calendar = report.calendrier
        if calendar is None:
            continue
        base: Path_ = ("bilans", year, "calendrier")
        if calendar.lignes is not None:
            for index, row in enumerate(calendar.lignes):
                yield (
                    year,
                    (*base, "lignes", index, "phases"),
                    row.resultat,
                    row.phases,
                    calendar.debut,
                )
        else:
            yield year, (*base, "phases"), None, calendar.phases or [], calendar.debut


def phases_do_not_go_back(item: LoadedFiche, _context: RuleContext) -> Iterator[Diagnostic]:
    for _year, path, _result, cells, _start in _calendar_rows(item):
        floor = 0  # the lowest phase of the most advanced cell so far
        for index, cell in enumerate(cells):
            level = cell_level(cell)
            if level is None:
                continue
            if level < floor:
                yield _at(
                    item.doc,
                    (*path, index),
                    "R005",
                    f"la phase revient à {level} après la phase {floor}",
                    "vérifiez le calendrier : les phases vont de 1 (diagnostic) à 4 (suivi ou fin)",
                    warning=True,
                )
            floor = max(floor, min(cell) if isinstance(cell, list) else level)


def calendar_rows_match_results(item: LoadedFiche, _context: RuleContext) -> Iterator[Diagnostic]:
    count = len(item.fiche.resultats_attendus)
    for year, report in item.fiche.bilans.items():
        if report.calendrier is None or report.calendrier.lignes is None:
            continue
        for index, row in enumerate(report.calendrier.lignes):
            if row.resultat > count:
                yield _at(
                    item.doc,
                    ("bilans", year, "calendrier", "lignes", index, "resultat"),
                    "R008",
                    f"la ligne porte sur le résultat attendu n° {row.resultat}, mais la fiche "
                    + (f"n'en compte que {count}" if count else "n'a aucun résultat attendu"),
                    "numérotez les lignes d'après « resultats_attendus » (1 pour le premier)",
                )


def commune_counts_are_possible(item: LoadedFiche, context: RuleContext) -> Iterator[Diagnostic]:
    if context.communes is None:
        return
    total = len(context.communes.communes)
    for year, report in item.fiche.bilans.items():
        for index, indicator in enumerate(report.indicateurs):
            if indicator.categorie == "communes" and (indicator.valeur or 0) > total:
                yield _at(
                    item.doc,
                    ("bilans", year, "indicateurs", index, "valeur"),
                    "R006",
                    f"{indicator.valeur:g} communes concernées, alors que la métropole "
                    f"en compte {total}",
                    "vérifiez le nombre, ou retirez « categorie: communes » s'il compte autre chose",
                )


_DIGIT_GROUPS = re.compile(r"(?<=\d)[\s\u00a0\u202f.](?=\d{3}\b)")


def _numbers_in(text: str) -> set[str]:
    joined = _DIGIT_GROUPS.sub("", text)
    return set(re.findall(r"\d+(?:,\d+)?", joined))


def indicator_value_in_text(item: LoadedFiche, _context: RuleContext) -> Iterator[Diagnostic]:
    for year, report in item.fiche.bilans.items():
        for index, indicator in enumerate(report.indicateurs):
            if indicator.valeur is None or indicator.texte is None:
                continue
            value = indicator.valeur
            written = str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
            if written not in _numbers_in(indicator.texte):
                yield _at(
                    item.doc,
                    ("bilans", year, "indicateurs", index, "valeur"),
                    "R007",
                    f"la valeur {written} n'apparaît pas dans le texte de l'indicateur",
                    "mettez à jour la valeur et le texte ensemble, pour que le rapport "
                    "ne dise pas deux choses différentes",
                )


def not_started_means_early(item: LoadedFiche, _context: RuleContext) -> Iterator[Diagnostic]:
    for year, report in item.fiche.bilans.items():
        if report.etat != "non-demarree" or report.calendrier is None:
            continue
        end = quarter_index(f"{year}-T4")
        start = quarter_index(report.calendrier.debut)
        for _y, path, _r, cells, _s in _calendar_rows(item):
            if _y != year:
                continue
            position = end - start
            cell = cells[position] if 0 <= position < len(cells) else None
            level = cell_level(cell)
            if level is not None and level >= 3:
                yield _at(
                    item.doc,
                    (*path, position),
                    "R011",
                    f"action « non démarrée » mais en phase {level} au T4 {year}",
                    "corrigez l'état ou le calendrier",
                    warning=True,
                )


def action_titles_unique(dataset: DataSet) -> Iterator[Diagnostic]:
    seen: dict[str, str] = {}
    for item in dataset.fiches:
        for index, action in enumerate(item.actions):
            title = action.titre.casefold()
            if title in seen:
                yield _at(
                    item.doc,
                    ("actions", index, "titre"),
                    "R013",
                    f"le titre « {action.titre} » est déjà celui de {seen[title]}",
                    "deux actions du schéma ont chacune leur intitulé",
                    warning=True,
                )
            seen.setdefault(title, f"l'action {action.type} {action.numero}")


@dataclass(frozen=True)
class ReportWindow:
    """A report year and the quarters its calendars span (from rapport.yaml)."""

    year: int
    first: Quarter
    last: Quarter


@dataclass(frozen=True)
class RuleContext:
    """What a fiche rule knows besides its fiche: the communes and the report years."""

    communes: CommunesFile | None
    windows: tuple[ReportWindow, ...] = ()

    @cached_property
    def known_communes(self) -> frozenset[str]:
        return frozenset(c.id for c in self.communes.communes) if self.communes else frozenset()

    @cached_property
    def suggestions(self) -> _Suggestions:
        """Shared by the fiches of one run, so that its bound holds for the whole data set."""
        return _Suggestions(sorted(self.known_communes))


def year_rules(item: LoadedFiche, context: RuleContext) -> Iterator[Diagnostic]:
    """Checks that depend on a report year: the fiche has that year, its calendar fits."""
    for window in context.windows:
        report = item.fiche.bilans.get(window.year)
        if report is None:
            yield _at(
                item.doc,
                ("bilans",),
                "R009",
                f"pas de bilan {window.year} pour cette fiche : le rapport dira « fiche non fournie »",
                f"ajoutez une entrée « {window.year}: » sous « bilans »",
                warning=True,
            )
            continue
        if report.calendrier is None:
            continue
        first, last = quarter_index(window.first), quarter_index(window.last)
        for year, path, _r, cells, start in _calendar_rows(item):
            if year != window.year:
                continue
            begin = quarter_index(start)
            filled = [i for i, cell in enumerate(cells) if cell is not None]
            if begin < first or (filled and begin + filled[-1] > last):
                yield _at(
                    item.doc,
                    path,
                    "R010",
                    f"le calendrier déborde de la période du rapport ({window.first} à {window.last})",
                    "les trimestres hors période ne sont pas affichés",
                    warning=True,
                )


FICHE_RULES: tuple[Callable[[LoadedFiche, RuleContext], Iterator[Diagnostic]], ...] = (
    id_matches_file_name,
    communes_exist,
    phases_do_not_go_back,
    calendar_rows_match_results,
    commune_counts_are_possible,
    indicator_value_in_text,
    not_started_means_early,
    year_rules,
)

DATASET_RULES: tuple[Callable[[DataSet], Iterator[Diagnostic]], ...] = (
    action_in_one_fiche,
    numbering_without_gaps,
    communes_file_unique,
    action_titles_unique,
)


def fiche_findings(item: LoadedFiche, context: RuleContext) -> list[Diagnostic]:
    """Every fiche rule, on one fiche."""
    return [diagnostic for rule in FICHE_RULES for diagnostic in rule(item, context)]


def dataset_findings(dataset: DataSet) -> list[Diagnostic]:
    """Every data set rule."""
    return [diagnostic for rule in DATASET_RULES for diagnostic in rule(dataset)]
