"""`bilan stats`: the consolidated figures of a report year, as the build computes them.

The figures come from :func:`bilan.figures.compute` after the same validation as
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
from bilan.figures import compute
from bilan.french import number
from bilan.models import PHASES
from bilan.validate import validate_data


@dataclass(frozen=True)
class YearFigures:
    """The figures of a year, and what their validation found (warnings only)."""

    figures: dict[str, Any]
    diagnostics: list[Diagnostic]
    files: int
    """How many files the validation read (the count of its summary)."""


def year_figures(data_dir: Path, year: int) -> YearFigures:
    """Validate as ``bilan build`` does, then compute the figures of ``year``; raise
    InvalidData (with what the validation found) if the data has errors."""
    validation = validate_data(data_dir, years=[year])
    communes = validation.dataset.communes
    if not validation.ok or communes is None:
        raise InvalidData(validation.diagnostics, validation.files, "chiffres non calculés")
    figures = compute([item.fiche for item in validation.dataset.fiches], communes, year)
    return YearFigures(figures, validation.diagnostics, validation.files)


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


def to_table(figures: dict[str, Any]) -> str:
    """The figures as a text table, in French, in the order of the report."""
    year = figures["annee"]
    actions = figures["actions"]
    prospectives = figures["prospectives"]
    meetings = figures["reunions"]
    lines = [f"Bilan {year} : chiffres consolidés", "", "Actions du schéma"]
    lines += _aligned(
        [
            ("existantes", number(actions["existantes"])),
            ("prospectives", number(actions["prospectives"])),
            ("total", number(actions["total"])),
        ]
    )
    lines += ["", "Actions par thème"]
    lines += _aligned(
        [("thème", "existantes", "prospectives", "total")]
        + [
            (
                theme["libelle"],
                number(theme["existantes"]),
                number(theme["prospectives"]),
                number(theme["total"]),
            )
            for theme in actions["par_theme"].values()
        ]
    )
    lines += ["", "Actions prospectives"]
    lines += _aligned(
        [
            ("démarrées", number(prospectives["demarrees"])),
            ("non démarrées", number(prospectives["non_demarrees"])),
        ]
    )
    lines += [f"    {_action(item)}" for item in figures["prospectives_non_demarrees"]]
    lines += ["", f"Phase des actions au T4 {year}"]
    phases = figures["phases_fin_annee"]
    lines += _aligned(
        [(f"{level} {label}", number(phases[str(level)])) for level, label in PHASES.items()]
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
