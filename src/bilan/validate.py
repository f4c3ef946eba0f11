"""`bilan validate` as a library function: every check of the data folder, one result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

from bilan import rules
from bilan.dataset import DataSet, FicheStore, LoadedFiche, load_dataset
from bilan.diagnostics import Diagnostic, Severity, errors
from bilan.figures import ActionLine, consolidate, fiche_actions
from bilan.keys import digest
from bilan.narrative import Narrative, check_references, load_narrative, report_years
from bilan.workers import gc_paused


@dataclass(frozen=True)
class FicheFindings:
    """What one fiche gives a run: what its fiche rules found, and the lines of its actions
    in the figures of each report year (see :func:`bilan.figures.fiche_actions`)."""

    diagnostics: list[Diagnostic]
    lines: dict[int, list[ActionLine]]
    lines_keys: dict[int, str] = field(default_factory=dict)
    """With a cache: a hash of each year's lines, so that the figures are keyed by their
    content without hashing all of them again."""


class ValidationCache(FicheStore, Protocol):
    """The build cache as validation uses it: the fiches, and what was found in each
    (by a key of the fiche and of what its rules see), kept from the previous build."""

    def findings(self, key: str) -> FicheFindings | None: ...

    def add_findings(self, key: str, found: FicheFindings) -> None: ...


@dataclass(frozen=True)
class Validation:
    """What a validation run found: the data that loaded, and every diagnostic, sorted."""

    dataset: DataSet
    narratives: dict[int, Narrative]
    diagnostics: list[Diagnostic]
    files: int
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The consolidated figures of each report year, computed to check its references."""
    figures_keys: dict[int, str] = field(default_factory=dict)
    """With a cache: a key of each year's figures, by their content (the year, the
    number of communes and every fiche's lines, in order: all they are made of)."""

    @property
    def ok(self) -> bool:
        return not errors(self.diagnostics)


def validate_data(
    data_dir: Path,
    years: list[int] | None = None,
    jobs: int | None = None,
    cache: ValidationCache | None = None,
    severities: rules.Severities | None = None,
) -> Validation:
    """Load everything, run every rule; never raises on bad data (only on a missing folder).
    ``jobs``: see :func:`bilan.dataset.load_dataset`; ``cache``: what the previous build
    found, reused for the fiches whose file did not change; ``severities``: a project's
    severity per rule code (see :func:`bilan.rules.severity_overrides`)."""
    with gc_paused():  # all of it lives until the end of the command: see bilan.workers
        return _validate(data_dir, years, jobs, cache, severities or {})


def _validate(
    data_dir: Path,
    years: list[int] | None,
    jobs: int | None,
    cache: ValidationCache | None,
    severities: rules.Severities,
) -> Validation:
    dataset, diagnostics = load_dataset(data_dir, jobs, cache)
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
    shared = _context_key(context) if cache is not None else ""
    keys = [digest(i.digest, i.shown, i.stem, shared) if shared else "" for i in dataset.fiches]
    found_in = [_findings(i, context, k, cache) for i, k in zip(dataset.fiches, keys, strict=True)]
    diagnostics += [diagnostic for found in found_in for diagnostic in found.diagnostics]
    computed: dict[int, dict[str, Any]] = {}
    figures_keys: dict[int, str] = {}
    if dataset.communes is not None:
        for year, narrative in narratives.items():
            lines = [line for found in found_in for line in found.lines[year]]
            figures = consolidate(lines, dataset.communes, year)
            diagnostics += check_references(narrative, {"chiffres": figures})
            computed[year] = figures
            if cache is not None:
                parts = (found.lines_keys[year] for found in found_in)
                figures_keys[year] = digest(str(year), str(len(dataset.communes.communes)), *parts)
    found = capped(sorted(set(diagnostics), key=_ORDER))
    return Validation(dataset, narratives, found, files, computed, figures_keys)


def _context_key(context: rules.RuleContext) -> str:
    communes = "" if context.communes is None else context.communes.model_dump_json()
    return digest(communes, repr(context.windows), repr(sorted(context.severities.items())))


def _findings(
    item: LoadedFiche, context: rules.RuleContext, key: str, cache: ValidationCache | None
) -> FicheFindings:
    """The findings of one fiche, from the cache when its ``key`` is known: the same fiche
    (bytes and name as shown), communes and report years (the cache adds its code hash)."""
    found = cache.findings(key) if cache is not None else None
    if found is None:
        lines = {w.year: fiche_actions(item.fiche, w.year) for w in context.windows}
        lines_keys = {}
        if cache is not None:
            lines_keys = {year: digest(json.dumps(of_year)) for year, of_year in lines.items()}
        found = FicheFindings(rules.fiche_findings(item, context), lines, lines_keys)
        if cache is not None:
            cache.add_findings(key, found)
    return found


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
