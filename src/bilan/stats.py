"""`bilan stats`: the consolidated figures of a report year, as the build computes them.

The figures are those the validation computes (:func:`bilan.figures.consolidate`), as for
``bilan build``, so the numbers printed here are the numbers of the report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bilan.diagnostics import Diagnostic
from bilan.errors import InvalidData
from bilan.french import number
from bilan.validate import validate_data
from bilan.vocabulary import Vocabulary, default_vocabulary


@dataclass(frozen=True)
class YearFigures:
    """The figures of a year, and what their validation found (warnings only)."""

    figures: dict[str, Any]
    diagnostics: list[Diagnostic]
    files: int
    """How many files the validation read (the count of its summary)."""
    vocabulary: Vocabulary


def year_figures(data_dir: Path, year: int) -> YearFigures:
    """Validate as ``bilan build`` does, then compute the figures of ``year``; raise
    InvalidData (with what the validation found) if the data has errors."""
    validation = validate_data(data_dir, years=[year])
    if not validation.ok or year not in validation.figures:
        raise InvalidData(validation.diagnostics, validation.files, "chiffres non calculés")
    project = validation.dataset.project
    vocabulary = project.vocabulaire if project else default_vocabulary()
    return YearFigures(
        validation.figures[year], validation.diagnostics, validation.files, vocabulary
    )


def to_json(figures: dict[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)


def _aligned(rows: Sequence[tuple[str, ...]], indent: str = "  ") -> list[str]:
    """First column to the left, the others to the right, each as wide as its longest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _action(item: dict[str, Any]) -> str:
    return f"- action {item['type']} {item['numero']} : {item['titre']} ({item['fiche']})"


def to_table(figures: dict[str, Any], vocabulary: Vocabulary) -> str:
    """The figures as a text table, in French, in the order of the report."""
    year = figures["annee"]
    actions = figures["actions"]
    types = vocabulary.types
    meetings = figures["reunions"]
    lines = [f"Bilan {year} : chiffres consolidés", "", "Actions du schéma"]
    lines += _aligned(
        [(kind.cle, number(actions[kind.cle])) for kind in types]
        + [("total", number(actions["total"]))]
    )
    lines += ["", f"Actions par {vocabulary.regroupement.libelle.lower()}"]
    lines += _aligned(
        [(vocabulary.regroupement.libelle.lower(), *(kind.cle for kind in types), "total")]
        + [
            (
                theme["libelle"],
                *(number(theme[kind.cle]) for kind in types),
                number(theme["total"]),
            )
            for theme in actions["par_theme"].values()
        ]
    )
    for kind in types:
        if kind.nouvelles is None:
            continue
        started = figures[kind.cle]
        lines += ["", kind.pluriel]
        lines += _aligned(
            [
                ("démarrées", number(started["demarrees"])),
                ("non démarrées", number(started["non_demarrees"])),
            ]
        )
        lines += [f"    {_action(item)}" for item in figures[f"{kind.cle}_non_demarrees"]]
    lines += ["", "États des actions"]
    lines += _aligned(
        [(etat.libelle.lower(), number(figures["etats"][etat.id])) for etat in vocabulary.etats]
    )
    lines += ["", f"Phase des actions au T4 {year}"]
    phases = figures["phases_fin_annee"]
    lines += _aligned(
        [
            (f"{phase.numero} {phase.libelle}", number(phases[str(phase.numero)]))
            for phase in vocabulary.phases
        ]
        + [("aucune phase", number(phases["aucune"]))]
    )
    lines += ["", "Réunions"]
    lines += _aligned(
        [
            ("indiquées par les fiches", number(meetings["total"])),
            ("fiches qui les comptent", number(meetings["actions_renseignees"])),
        ]
    )
    return "\n".join(lines)
