"""Consolidated figures of one report year, computed from the fiches, never typed.

The result is plain data (dicts, lists, numbers, strings): the narrative refers to it
as ``{{ chiffres.actions.total }}``, templates display it, ``bilan stats`` prints it as
JSON. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bilan.models import PHASES, THEMES, Action, Cell, CommunesFile, Fiche, Report
from bilan.quarters import quarter_index


@dataclass(frozen=True)
class ActionEntry:
    """One action of the schéma, with the fiche that covers it and that fiche's year."""

    action: Action
    fiche: Fiche
    report: Report | None

    @property
    def key(self) -> tuple[int, int]:
        return (0 if self.action.type == "existante" else 1, self.action.numero)


def action_entries(fiches: list[Fiche], year: int) -> list[ActionEntry]:
    """Every action, existing ones first, in number order."""
    entries = [
        ActionEntry(action, fiche, fiche.bilans.get(year))
        for fiche in fiches
        for action in fiche.actions
    ]
    return sorted(entries, key=lambda entry: entry.key)


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


def _started(report: Report | None) -> bool | None:
    if report is None or report.etat is None:
        return None
    return report.etat != "non-demarree"


def _brief(entry: ActionEntry) -> dict[str, Any]:
    return {
        "type": entry.action.type,
        "numero": entry.action.numero,
        "titre": entry.action.titre,
        "fiche": entry.fiche.id,
    }


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def compute(fiches: list[Fiche], communes: CommunesFile, year: int) -> dict[str, Any]:
    """Every figure of the report of ``year``."""
    entries = action_entries(fiches, year)
    existing = [e for e in entries if e.action.type == "existante"]
    prospective = [e for e in entries if e.action.type == "prospective"]
    started = [e for e in prospective if _started(e.report) is True]
    not_started = [e for e in prospective if _started(e.report) is False]

    by_theme: dict[str, dict[str, Any]] = {}
    for theme, label in THEMES.items():
        n_existing = sum(1 for e in existing if theme in e.action.themes)
        n_prospective = sum(1 for e in prospective if theme in e.action.themes)
        by_theme[theme] = {
            "libelle": label,
            "existantes": n_existing,
            "prospectives": n_prospective,
            "total": n_existing + n_prospective,
        }

    phases: dict[str, int] = {str(level): 0 for level in PHASES}
    phases["aucune"] = 0
    per_action = []
    meetings = 0.0
    meetings_known = 0
    counted: set[str] = set()  # a fiche covering several actions counts once
    for entry in entries:
        cell = phase_at_year_end(entry.report, year)
        level = cell_level(cell)
        phases[str(level) if level is not None else "aucune"] += 1
        count = indicator_value(entry.report, "reunions")
        if count is not None and entry.fiche.id not in counted:
            counted.add(entry.fiche.id)
            meetings += count
            meetings_known += 1
        per_action.append(
            {
                **_brief(entry),
                "themes": list(entry.action.themes),
                "etat": entry.report.etat if entry.report else None,
                "sans_fiche": bool(entry.report and entry.report.sans_fiche),
                "bilan_fourni": entry.report is not None,
                "phase_fin_annee": cell,
                "communes_concernees": _number(indicator_value(entry.report, "communes")),
                "communes_citees": list(entry.report.communes) if entry.report else [],
                "acteurs_associes": _number(indicator_value(entry.report, "acteurs")),
                "population_couverte": _number(indicator_value(entry.report, "population")),
                "budget_eur": _number(indicator_value(entry.report, "budget")),
                "reunions": _number(count),
            }
        )

    sheets = {e.fiche.id for e in entries if e.report is not None and not e.report.sans_fiche}
    return {
        "annee": year,
        "actions": {
            "total": len(entries),
            "existantes": len(existing),
            "prospectives": len(prospective),
            "par_theme": by_theme,
        },
        "prospectives": {"demarrees": len(started), "non_demarrees": len(not_started)},
        "prospectives_demarrees": [_brief(e) for e in started],
        "prospectives_non_demarrees": [_brief(e) for e in not_started],
        "phases_fin_annee": phases,
        "reunions": {"total": _number(meetings), "actions_renseignees": meetings_known},
        "communes": {"total": len(communes.communes)},
        "fiches": {
            "total": len(sheets),
            "sans_fiche": [
                _brief(e) for e in entries if e.report is not None and e.report.sans_fiche
            ],
            "non_fournies": [_brief(e) for e in entries if e.report is None],
        },
        "par_action": per_action,
    }
