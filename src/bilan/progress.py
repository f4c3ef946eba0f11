"""Progress from one year to the next, computed from two bilans of a fiche, never typed.

A year-2 edition compares each bilan with the previous year's: indicators side by side,
the phase at the end of each year, the phases that now start later than the previous
calendar planned (slips), and what became of each « résultat à venir » announced. The
consolidated part sums it up (:func:`evolution`). The first edition of a series has no
previous bilan, and so no comparison. Pure functions, no I/O; plain data out, for the
templates, the narrative's references and ``bilan stats``.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict

from bilan.figures import CATEGORY_COLUMNS, phase_at_year_end
from bilan.models import Cell, Indicator, Report
from bilan.quarters import quarter_index, quarter_label
from bilan.vocabulary import Vocabulary


class IndicatorChange(TypedDict):
    libelle: str
    unite: str | None
    avant: int | float | None
    apres: int | float | None
    ecart: int | float | None
    pourcentage: float | None
    """The change in percent of the previous value (None without one, or from 0)."""


class Slip(TypedDict):
    resultat: int | None
    """The calendar row (its expected result), None for a one-row calendar."""
    phase: int
    prevu: str
    """The quarter the previous calendar planned the phase to start (« T2 2017 »)."""
    constate: str
    trimestres: int


class Assessed(TypedDict):
    numero: int
    resultat: str
    statut: str | None
    commentaire: str | None


def _change(before: int | float | None, after: int | float | None) -> dict[str, Any]:
    if before is None or after is None:
        return {"ecart": None, "pourcentage": None}
    gap = after - before
    return {"ecart": gap, "pourcentage": round(gap / before * 100, 1) if before else None}


def _same_indicator(a: Indicator, b: Indicator) -> bool:
    if a.categorie and b.categorie:
        return a.categorie == b.categorie and (a.unite or "") == (b.unite or "")
    return a.libelle.casefold() == b.libelle.casefold()


def indicator_changes(before: Report, now: Report) -> list[IndicatorChange]:
    """This year's indicators next to the previous year's same one (same category, or
    same label), with the change; then those the previous year had and this one drops."""
    changes: list[IndicatorChange] = []
    matched: set[int] = set()
    for indicator in now.indicateurs:
        index = next(
            (
                i
                for i, old in enumerate(before.indicateurs)
                if i not in matched and _same_indicator(old, indicator)
            ),
            None,
        )
        old_value = None
        if index is not None:
            matched.add(index)
            old_value = before.indicateurs[index].valeur
        gap = _change(old_value, indicator.valeur)
        changes.append(
            IndicatorChange(
                libelle=indicator.libelle,
                unite=indicator.unite,
                avant=old_value,
                apres=indicator.valeur,
                ecart=gap["ecart"],
                pourcentage=gap["pourcentage"],
            )
        )
    for index, old in enumerate(before.indicateurs):
        if index not in matched:
            changes.append(
                IndicatorChange(
                    libelle=old.libelle,
                    unite=old.unite,
                    avant=old.valeur,
                    apres=None,
                    ecart=None,
                    pourcentage=None,
                )
            )
    return changes


def _starts(cells: list[Cell], start: int) -> dict[int, int]:
    """Phase → the first quarter a calendar row shows it."""
    found: dict[int, int] = {}
    for offset, cell in enumerate(cells):
        for phase in cell if isinstance(cell, list) else [cell] if cell is not None else []:
            found.setdefault(phase, start + offset)
    return found


def slips(before: Report, now: Report) -> list[Slip]:
    """Each phase that the calendar now starts later than the previous one planned, by
    calendar row (matched by expected result), with the delay in quarters."""
    if before.calendrier is None or now.calendrier is None:
        return []
    old_rows = dict(before.calendrier.rows())
    old_start = quarter_index(before.calendrier.debut)
    new_start = quarter_index(now.calendrier.debut)
    found: list[Slip] = []
    for result, cells in now.calendrier.rows():
        old_cells = old_rows.get(result)
        if old_cells is None:
            continue
        planned, actual = _starts(old_cells, old_start), _starts(cells, new_start)
        for phase in sorted(planned):
            if phase in actual and actual[phase] > planned[phase]:
                found.append(
                    Slip(
                        resultat=result,
                        phase=phase,
                        prevu=quarter_label(planned[phase]),
                        constate=quarter_label(actual[phase]),
                        trimestres=actual[phase] - planned[phase],
                    )
                )
    return found


def assessments(before: Report, now: Report) -> list[Assessed]:
    """Each « résultat à venir » the previous bilan announced, with what this one says
    became of it (statut None: not assessed)."""
    announced = before.perspectives.resultats_a_venir if before.perspectives else []
    given = {a.resultat: a for a in now.evaluation}
    out: list[Assessed] = []
    for number, text in enumerate(announced, 1):
        assessment = given.get(number)
        out.append(
            Assessed(
                numero=number,
                resultat=text,
                statut=assessment.statut if assessment else None,
                commentaire=assessment.commentaire if assessment else None,
            )
        )
    return out


def phases_of_year(before: Report | None, now: Report | None, year: int) -> tuple[Cell, Cell]:
    """The phase at the end of the previous year (by its own bilan) and of this one."""
    return phase_at_year_end(before, year - 1), phase_at_year_end(now, year)


def _key(line: dict[str, Any]) -> tuple[str, int]:
    return line["type"], line["numero"]


def _brief(line: dict[str, Any]) -> dict[str, Any]:
    return {k: line[k] for k in ("type", "numero", "titre", "fiche")}


def evolution(
    now: dict[str, Any],
    before: dict[str, Any],
    slipped: dict[str, list[Slip]],
    vocabulary: Vocabulary,
) -> dict[str, Any]:
    """The consolidated comparison of two years' figures: états, entries and exits of the
    schéma, phases at year end, indicator totals, slips (``slipped``: fiche → its slips)."""
    year, previous = now["annee"], before["annee"]
    old_lines = {_key(line): line for line in before["par_action"]}
    new_lines = {_key(line): line for line in now["par_action"]}
    states = [
        {
            "id": etat.id,
            "libelle": etat.libelle,
            "avant": before["etats"].get(etat.id, 0),
            "apres": now["etats"].get(etat.id, 0),
            "ecart": now["etats"].get(etat.id, 0) - before["etats"].get(etat.id, 0),
        }
        for etat in vocabulary.etats
    ]
    phases = [
        {
            "phase": key,
            "libelle": vocabulary.phase_labels.get(int(key), "") if key.isdigit() else "",
            "avant": before["phases_fin_annee"].get(key, 0),
            "apres": count,
        }
        for key, count in now["phases_fin_annee"].items()
    ]
    totals = []
    for category in vocabulary.categories:
        column = CATEGORY_COLUMNS.get(category.id)
        if column is None:
            continue
        sums = [_total(lines, column) for lines in (before["par_action"], now["par_action"])]
        totals.append(
            {
                "categorie": category.id,
                "libelle": category.libelle,
                "avant": sums[0],
                "apres": sums[1],
                **_change(sums[0], sums[1]),
            }
        )
    first_lines = {line["fiche"]: line for line in reversed(now["par_action"])}
    slips_table = [
        {**_brief(first_lines[fiche]), **slip}
        for fiche in dict.fromkeys(line["fiche"] for line in now["par_action"])
        for slip in slipped.get(fiche, [])
    ]
    return {
        "annee_precedente": previous,
        "annee": year,
        "actions": {"avant": before["actions"]["total"], "apres": now["actions"]["total"]},
        "etats": states,
        "entrees": [_brief(new_lines[k]) for k in new_lines if k not in old_lines],
        "sorties": [_brief(old_lines[k]) for k in old_lines if k not in new_lines],
        "phases_fin_annee": phases,
        "indicateurs": totals,
        "glissements": slips_table,
    }


def _total(lines: list[dict[str, Any]], column: str) -> int | float | None:
    """The sum of a column over the actions, each fiche counted once."""
    seen: set[str] = set()
    values = []
    for line in lines:
        if line["fiche"] in seen or line[column] is None:
            continue
        seen.add(line["fiche"])
        values.append(line[column])
    return sum(values) if values else None
