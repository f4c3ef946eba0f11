"""`bilan validate` as a library function: every check of the data folder, one result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from bilan import rules
from bilan.dataset import DataSet, FicheParser, FicheSource, load_dataset
from bilan.diagnostics import Diagnostic, Severity, errors
from bilan.figures import ActionLine, consolidate, fiche_actions
from bilan.narrative import Narrative, check_references, load_narrative, report_years
from bilan.workers import gc_paused


@dataclass(frozen=True)
class FicheFindings:
    """What one fiche gives a run: what its fiche rules found, and the lines of its actions
    in the figures of each report year (see :func:`bilan.figures.fiche_actions`)."""

    diagnostics: list[Diagnostic]
    lines: dict[int, list[ActionLine]]


FicheChecker = Callable[[FicheSource, rules.RuleContext], FicheFindings]
"""One fiche and what its rules see besides it → its findings (a pure function)."""


def check_fiche(item: FicheSource, context: rules.RuleContext) -> FicheFindings:
    """Every fiche rule on one fiche, and its lines in the figures of the report years."""
    lines = {window.year: fiche_actions(item.fiche, window.year) for window in context.windows}
    return FicheFindings(rules.fiche_findings(item, context), lines)


@dataclass(frozen=True)
class Validation:
    """What a validation run found: the data that loaded, and every diagnostic, sorted."""

    dataset: DataSet
    narratives: dict[int, Narrative]
    diagnostics: list[Diagnostic]
    files: int
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The consolidated figures of each report year, computed to check its references."""

    @property
    def ok(self) -> bool:
        return not errors(self.diagnostics)


def validate_data(
    data_dir: Path,
    years: list[int] | None = None,
    jobs: int | None = None,
    parse: FicheParser | None = None,
    check: FicheChecker = check_fiche,
    severities: rules.Severities | None = None,
) -> Validation:
    """Load everything, run every rule; never raises on bad data (only on a missing folder).
    ``jobs`` and ``parse``: see :func:`bilan.dataset.load_dataset`; ``check``: how each
    fiche is checked (:func:`check_fiche`, or a function giving the same findings);
    ``severities``: a project's severity per rule code (see
    :func:`bilan.rules.severity_overrides`)."""
    with gc_paused():
        return _validate(data_dir, years, jobs, parse, check, severities or {})


def _validate(
    data_dir: Path,
    years: list[int] | None,
    jobs: int | None,
    parse: FicheParser | None,
    check: FicheChecker,
    severities: rules.Severities,
) -> Validation:
    dataset, diagnostics = load_dataset(data_dir, jobs, parse)
    diagnostics += rules.dataset_findings(dataset, severities)
    narratives: dict[int, Narrative] = {}
    files = dataset.files
    for year in report_years(data_dir) if years is None else years:
        narrative, found = load_narrative(data_dir, year)
        diagnostics += found
        files += 1
        if narrative is not None:
            files += len(narrative.parts)
            narratives[year] = narrative
    context = rules.RuleContext(
        dataset.communes,
        tuple(
            rules.ReportWindow(year, n.meta.calendrier.debut, n.meta.calendrier.fin)
            for year, n in narratives.items()
        ),
        severities,
    )
    found_in = [check(item, context) for item in dataset.fiches]
    diagnostics += [diagnostic for found in found_in for diagnostic in found.diagnostics]
    computed: dict[int, dict[str, Any]] = {}
    if dataset.communes is not None:
        for year, narrative in narratives.items():
            lines = [line for found in found_in for line in found.lines[year]]
            figures = consolidate(lines, dataset.communes, year)
            diagnostics += check_references(narrative, {"chiffres": figures})
            computed[year] = figures
    found = capped(sorted(set(diagnostics), key=_ORDER))
    return Validation(dataset, narratives, found, files, computed)


_ORDER = attrgetter("path", "line", "column", "code", "severity", "message", "hint")
"""The order of Diagnostic's fields (its dataclass order), several times faster to sort by."""

MAX_PER_FILE = 100
"""Problems shown per file; a file with more is broken as a whole (or is an attack on the
CI log), and its first problems are the ones to fix."""


def capped(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted diagnostics, at most MAX_PER_FILE per file, then one F006 telling how many
    more there are (an error if any of them is one)."""
    kept: list[Diagnostic] = []
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        found = list(group)
        kept += found[:MAX_PER_FILE]
        hidden = found[MAX_PER_FILE:]
        if hidden:
            kept.append(
                Diagnostic(
                    path,
                    0,
                    0,
                    "F006",
                    Severity.ERROR if errors(hidden) else Severity.WARNING,
                    f"{len(hidden)} autres problèmes dans ce fichier ne sont pas affichés",
                    f"corrigez d'abord les {MAX_PER_FILE} premiers, puis relancez bilan validate",
                )
            )
    return kept
