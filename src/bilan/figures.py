"""Consolidated figures of one report year, computed from the fiches, never typed.

The result is plain data (dicts, lists, numbers, strings): the narrative refers to it
as ``{{ chiffres.actions.total }}``, templates display it, ``bilan stats`` prints it as
JSON. Pure functions, no I/O.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict  # pydantic reads it on Python 3.11 (the cache)

from bilan.models import Cell, CommunesFile, Fiche, Report
from bilan.quarters import quarter_index
from bilan.vocabulary import Vocabulary


class ActionLine(TypedDict):
    """One action in the figures of a year: its line of ``par_action`` (and of the open
    data), which is all that the consolidated figures read of its fiche."""

    type: str
    numero: int
    titre: str
    fiche: str
    themes: list[str]
    etat: str | None
    sans_fiche: bool
    bilan_fourni: bool
    phase_fin_annee: Cell
    communes_concernees: int | float | None
    communes_citees: list[str]
    acteurs_associes: int | float | None
    population_couverte: int | float | None
    budget_eur: int | float | None
    reunions: int | float | None


CATEGORY_COLUMNS = {
    "communes": "communes_concernees",
    "acteurs": "acteurs_associes",
    "population": "population_couverte",
    "budget": "budget_eur",
    "reunions": "reunions",
}
"""Each well-known indicator category → its column in an :class:`ActionLine`."""


def cell_level(cell: Cell) -> int | None:
    """The phase a cell shows, the higher one for a double phase such as 3/4."""
    if cell is None:
        return None
    return max(cell) if isinstance(cell, list) else cell


def row_phase_at(cells: list[Cell], start: str, quarter: int) -> Cell:
    """The last phase shown at or before ``quarter`` in one calendar row."""
    offset = quarter - quarter_index(start)
    for index in range(min(offset, len(cells) - 1), -1, -1):
        if cells[index] is not None:
            return cells[index]
    return None


def phase_at_year_end(report: Report | None, year: int) -> Cell:
    """Phase of an action at T4 of ``year``: for a per-result calendar, the least advanced
    result (the action is only as far as all its results)."""
    if report is None or report.calendrier is None:
        return None
    quarter = quarter_index(f"{year}-T4")
    cells = [
        row_phase_at(row, report.calendrier.debut, quarter)
        for _result, row in report.calendrier.rows()
    ]
    known = [cell for cell in cells if cell is not None]
    if not known:
        return None
    # A double phase (3/4) is less advanced than the single higher phase (4).
    return min(known, key=lambda cell: (cell_level(cell) or 0, isinstance(cell, int)))


def indicator_value(report: Report | None, categorie: str) -> float | None:
    """The value of a well-known indicator, if the fiche gives one (summed if several)."""
    if report is None:
        return None
    values = [
        i.valeur for i in report.indicateurs if i.categorie == categorie and i.valeur is not None
    ]
    if categorie == "budget":
        values = [
            i.valeur
            for i in report.indicateurs
            if i.categorie == "budget" and i.valeur is not None and i.unite == "EUR"
        ]
    return sum(values) if values else None


def _brief(entry: ActionLine) -> dict[str, Any]:
    return {
        "type": entry["type"],
        "numero": entry["numero"],
        "titre": entry["titre"],
        "fiche": entry["fiche"],
    }


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def fiche_actions(fiche: Fiche, report: Report | None, year: int) -> list[ActionLine]:
    """The line of each action of ``fiche`` in the figures of ``year``, given its bilan of
    that year (None: not provided): everything the consolidated figures need from the
    fiche, as plain data (the build cache keeps it, so that an unchanged fiche is not read
    again)."""
    meetings = indicator_value(report, "reunions")
    return [
        {
            "type": action.type,
            "numero": action.numero,
            "titre": action.titre,
            "fiche": fiche.id,
            "themes": list(action.themes),
            "etat": report.etat if report else None,
            "sans_fiche": bool(report and report.sans_fiche),
            "bilan_fourni": report is not None,
            "phase_fin_annee": phase_at_year_end(report, year),
            "communes_concernees": _number(indicator_value(report, "communes")),
            "communes_citees": list(report.communes) if report else [],
            "acteurs_associes": _number(indicator_value(report, "acteurs")),
            "population_couverte": _number(indicator_value(report, "population")),
            "budget_eur": _number(indicator_value(report, "budget")),
            "reunions": _number(meetings),
        }
        for action in fiche.actions
    ]


def consolidate(
    lines: list[ActionLine], communes: CommunesFile, year: int, vocabulary: Vocabulary
) -> dict[str, Any]:
    """Every figure of the report of ``year``, from the lines of every fiche's actions
    (:func:`fiche_actions`): in the order of the types, each by number."""
    order = {kind.id: index for index, kind in enumerate(vocabulary.types)}
    entries = sorted(lines, key=lambda e: (order.get(e["type"], len(order)), e["numero"]))
    of_type = {kind.id: [e for e in entries if e["type"] == kind.id] for kind in vocabulary.types}
    meanings = vocabulary.meanings

    by_theme: dict[str, dict[str, Any]] = {}
    for theme in vocabulary.themes:
        counts = {
            kind.cle: sum(1 for e in of_type[kind.id] if theme.id in e["themes"])
            for kind in vocabulary.types
        }
        by_theme[theme.id] = {"libelle": theme.libelle, **counts, "total": sum(counts.values())}

    phases: dict[str, int] = {str(phase.numero): 0 for phase in vocabulary.phases}
    phases["aucune"] = 0
    meetings = 0.0
    meetings_known = 0
    counted: set[str] = set()  # a fiche covering several actions counts once
    for entry in entries:
        level = cell_level(entry["phase_fin_annee"])
        phases[str(level) if level is not None else "aucune"] += 1
        count = entry["reunions"]
        if count is not None and entry["fiche"] not in counted:
            counted.add(entry["fiche"])
            meetings += count
            meetings_known += 1

    progress: dict[str, Any] = {}
    for kind in vocabulary.types:
        started = [e for e in of_type[kind.id] if meanings.get(e["etat"] or "") in STARTED]
        waiting = [e for e in of_type[kind.id] if meanings.get(e["etat"] or "") == "non-demarree"]
        progress[kind.cle] = {"demarrees": len(started), "non_demarrees": len(waiting)}
        progress[f"{kind.cle}_demarrees"] = [_brief(e) for e in started]
        progress[f"{kind.cle}_non_demarrees"] = [_brief(e) for e in waiting]

    sheets = {e["fiche"] for e in entries if e["bilan_fourni"] and not e["sans_fiche"]}
    return {
        "annee": year,
        "actions": {
            "total": len(entries),
            **{kind.cle: len(of_type[kind.id]) for kind in vocabulary.types},
            "par_theme": by_theme,
        },
        **progress,
        "etats": {
            etat.id: sum(1 for e in entries if e["etat"] == etat.id) for etat in vocabulary.etats
        },
        "phases_fin_annee": phases,
        "reunions": {"total": _number(meetings), "actions_renseignees": meetings_known},
        "communes": {"total": len(communes.communes)},
        "couverture": coverage(entries, communes),
        "fiches": {
            "total": len(sheets),
            "sans_fiche": [_brief(e) for e in entries if e["bilan_fourni"] and e["sans_fiche"]],
            "non_fournies": [_brief(e) for e in entries if not e["bilan_fourni"]],
        },
        "par_action": entries,
    }


def coverage(entries: list[ActionLine], communes: CommunesFile) -> dict[str, Any]:
    """The commune × action matrix of a year: for each member commune (in the order of
    data/communes.yaml), whether each action (in report order) names it in its bilan; the
    communes that no action names; the actions whose fiche says they concern every
    commune (indicator « communes » equal to the number of members)."""
    total = len(communes.communes)
    rows: list[dict[str, Any]] = []
    matrix: list[list[bool]] = []
    for commune in communes.communes:
        cells = [commune.id in entry["communes_citees"] for entry in entries]
        matrix.append(cells)
        rows.append(
            {
                "id": commune.id,
                "nom": commune.nom,
                "insee": commune.insee,
                "cases": cells,
                "actions": [_brief(e) for e, named in zip(entries, cells, strict=True) if named],
                "nombre": sum(cells),
            }
        )
    return {
        "communes": rows,
        "par_action": [sum(1 for cells in matrix if cells[index]) for index in range(len(entries))],
        "non_nommees": [
            {"id": row["id"], "nom": row["nom"], "insee": row["insee"]}
            for row in rows
            if row["nombre"] == 0
        ],
        "toutes_communes": [
            _brief(e)
            for e in entries
            if e["communes_concernees"] is not None and e["communes_concernees"] >= total
        ],
    }


STARTED = frozenset({"en-cours", "terminee"})
"""The meanings of an état (:attr:`bilan.vocabulary.EtatTerm.sens`) of an action that has
started: an abandoned one is not counted among them, nor among those still to start."""
