"""`bilan validate` as a library function: every check of the data folder, one result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bilan import rules
from bilan.dataset import DataSet, load_dataset
from bilan.diagnostics import Diagnostic, errors
from bilan.figures import compute
from bilan.narrative import Narrative, check_references, load_narrative, report_years


@dataclass(frozen=True)
class Validation:
    """What a validation run found: the data that loaded, and every diagnostic, sorted."""

    dataset: DataSet
    narratives: dict[int, Narrative]
    diagnostics: list[Diagnostic]
    files: int

    @property
    def ok(self) -> bool:
        return not errors(self.diagnostics)


def validate_data(data_dir: Path, years: list[int] | None = None) -> Validation:
    """Load everything, run every rule; never raises on bad data (only on a missing folder)."""
    dataset, diagnostics = load_dataset(data_dir)
    diagnostics += rules.check(dataset)
    narratives: dict[int, Narrative] = {}
    files = dataset.files
    for year in report_years(data_dir) if years is None else years:
        narrative, found = load_narrative(data_dir, year)
        diagnostics += found
        files += 1
        if narrative is None:
            continue
        files += len(narrative.parts)
        narratives[year] = narrative
        window = rules.ReportWindow(
            year, narrative.meta.calendrier.debut, narrative.meta.calendrier.fin
        )
        diagnostics += rules.year_rules(dataset, window)
        if dataset.communes is not None:
            figures = compute([item.fiche for item in dataset.fiches], dataset.communes, year)
            diagnostics += check_references(narrative, {"chiffres": figures})
    return Validation(dataset, narratives, sorted(set(diagnostics)), files)
