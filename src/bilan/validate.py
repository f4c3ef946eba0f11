"""`bilan validate` as a library function: every check of the data folder, one result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from bilan import rules
from bilan.dataset import DataSet, FicheSource, Parser, load_dataset, report_years
from bilan.diagnostics import Diagnostic, Severity, errors
from bilan.figures import ActionLine, consolidate, fiche_actions
from bilan.models import CommunesFile
from bilan.narrative import Narrative, check_references, load_narrative
from bilan.progress import evolution, slips
from bilan.publication import Erratum, Publication, check_seal, read_errata, read_publication
from bilan.vocabulary import Vocabulary, default_vocabulary
from bilan.workers import gc_paused


@dataclass(frozen=True)
class BilanFindings:
    """What one year's bilan of a fiche gives a run: what its rules found, and the lines
    of the fiche's actions in the figures of that year (see :func:`bilan.figures.fiche_actions`)."""

    diagnostics: list[Diagnostic]
    lines: list[ActionLine]


BilanChecker = Callable[[rules.BilanEntry, rules.RuleContext], BilanFindings]
"""One bilan and what its rules see besides it → its findings (a pure function)."""


def check_bilan(entry: rules.BilanEntry, context: rules.RuleContext) -> BilanFindings:
    """Every bilan rule on one bilan, and its fiche's lines in the figures of its year."""
    lines = fiche_actions(entry.fiche.fiche, entry.report, entry.year)
    return BilanFindings(rules.bilan_findings(entry, context), lines)


@dataclass(frozen=True)
class YearInputs:
    """What the edition of a year is made of: the fiches of its schéma, the communes and
    the vocabulary — the published copies once the edition is published
    (:mod:`bilan.publication`), the data folder's before."""

    fiches: list[FicheSource]
    communes: CommunesFile
    vocabulary: Vocabulary
    publication: Publication | None = None
    errata: tuple[Erratum, ...] = ()


@dataclass(frozen=True)
class Validation:
    """What a validation run found: the data that loaded, and every diagnostic, sorted."""

    dataset: DataSet
    narratives: dict[int, Narrative]
    diagnostics: list[Diagnostic]
    files: int
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The consolidated figures of each report year, computed to check its references."""
    inputs: dict[int, YearInputs] = field(default_factory=dict)
    """What each report year's edition is made of (the years whose communes loaded)."""

    @property
    def ok(self) -> bool:
        return not errors(self.diagnostics)


def validate_data(
    data_dir: Path,
    years: Sequence[int] | None = None,
    jobs: int | None = None,
    parse: Parser | None = None,
    check: BilanChecker = check_bilan,
    severities: rules.Severities | None = None,
) -> Validation:
    """Load everything, run every rule; never raises on bad data (only on a missing folder).
    ``years``: the report years to check (default: every one; the year before each is read
    too, for comparison); ``jobs`` and ``parse``: see :func:`bilan.dataset.load_dataset`;
    ``check``: how each bilan is checked (:func:`check_bilan`, or a function giving the same
    findings); ``severities``: a project's severity per rule code (see
    :func:`bilan.rules.severity_overrides`)."""
    with gc_paused():
        return _validate(data_dir, years, jobs, parse, check, severities or {})


def _validate(
    data_dir: Path,
    years: Sequence[int] | None,
    jobs: int | None,
    parse: Parser | None,
    check: BilanChecker,
    severities: rules.Severities,
) -> Validation:
    available = report_years(data_dir)
    wanted = available if years is None else list(years)
    loaded = sorted({*wanted, *(y - 1 for y in wanted if y - 1 in available)})
    dataset, diagnostics = load_dataset(data_dir, loaded, jobs, parse)
    diagnostics += rules.dataset_findings(dataset, severities)
    vocabulary = dataset.project.vocabulaire if dataset.project else default_vocabulary()
    context = rules.RuleContext(dataset.communes, vocabulary, severities)
    for item in dataset.fiches:
        diagnostics += rules.fiche_findings(item, context)
    narratives: dict[int, Narrative] = {}
    files = dataset.files
    for year in wanted:
        narrative, found = load_narrative(data_dir, year)
        diagnostics += found
        files += 1
        if narrative is not None:
            files += len(narrative.parts)
            narratives[year] = narrative
    computed: dict[int, dict[str, Any]] = {}
    inputs: dict[int, YearInputs] = {}
    for year in loaded:
        own, found = _year_inputs(data_dir, dataset, year, vocabulary, check=year in wanted)
        diagnostics += found
        if own is not None:
            inputs[year] = own
    for year, narrative in narratives.items():
        if year not in inputs:
            continue
        own = inputs[year]
        window = rules.ReportWindow(
            year, narrative.meta.calendrier.debut, narrative.meta.calendrier.fin
        )
        year_context = rules.RuleContext(own.communes, own.vocabulary, severities)
        by_stem = {item.stem: item for item in own.fiches}
        lines: list[ActionLine] = []
        for bilan in dataset.bilans.get(year, []):
            fiche = by_stem.get(bilan.stem) or dataset.fiche_by_stem.get(bilan.stem)
            if fiche is None:
                continue
            previous = dataset.bilan_of(year - 1, bilan.stem)
            findings = check(rules.BilanEntry(window, fiche, bilan, previous), year_context)
            diagnostics += findings.diagnostics
            if bilan.stem in by_stem:
                lines += findings.lines
        for item in own.fiches:
            if dataset.bilan_of(year, item.stem) is None:
                lines += fiche_actions(item.fiche, None, year)
        figures = consolidate(lines, own.communes, year, own.vocabulary)
        before = inputs.get(year - 1)
        if before is not None:
            figures["evolution"] = _evolution(dataset, year, figures, before, own.vocabulary)
        diagnostics += check_references(narrative, {"chiffres": figures})
        computed[year] = figures
    found = capped(sorted(set(diagnostics), key=_ORDER))
    kept = {year: own for year, own in inputs.items() if year in wanted}
    return Validation(dataset, narratives, found, files, computed, kept)


def _year_inputs(
    data_dir: Path, dataset: DataSet, year: int, vocabulary: Vocabulary, check: bool
) -> tuple[YearInputs | None, list[Diagnostic]]:
    """What the edition of ``year`` is made of and, with ``check`` (a year being
    validated, not one only read for comparison), what is wrong with its publication."""
    publication, found = read_publication(data_dir, year)
    errata, more = read_errata(data_dir, year, publication)
    found += more
    if not check:
        found = []
    elif publication is not None:
        found += check_seal(publication, data_dir, {e.fichier for e in errata})
        fiches: list[FicheSource] = [f for f in publication.fiches if f.in_schema(year)]
        own = YearInputs(fiches, publication.communes, publication.vocabulary, publication, errata)
        return own, found
    if dataset.communes is None:
        return None, found
    fiches = [f for f in dataset.fiches if f.in_schema(year)]
    return YearInputs(fiches, dataset.communes, vocabulary), found


def _evolution(
    dataset: DataSet,
    year: int,
    figures: dict[str, Any],
    before: YearInputs,
    vocabulary: Vocabulary,
) -> dict[str, Any]:
    """The comparison of ``year``'s figures with the previous year's."""
    previous = year - 1
    lines: list[ActionLine] = []
    for item in before.fiches:
        bilan = dataset.bilan_of(previous, item.stem)
        lines += fiche_actions(item.fiche, bilan.report if bilan else None, previous)
    old = consolidate(lines, before.communes, previous, before.vocabulary)
    slipped = {}
    for bilan in dataset.bilans.get(year, []):
        earlier = dataset.bilan_of(previous, bilan.stem)
        if earlier is not None:
            slipped[bilan.stem] = slips(earlier.report, bilan.report)
    return evolution(figures, old, slipped, vocabulary)


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
