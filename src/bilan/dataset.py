"""Load the data folder: the project's configuration, the communes, every fiche and every
year's bilans, with their positions.

The layout (docs/format-fiche.md)::

    data/bilan.yaml                        the project's configuration (optional)
    data/communes.yaml                     the members
    data/actions/<id>.yaml                 a fiche: what does not change from year to year
    data/rapports/<année>/rapport.yaml     a year's report settings, and its narrative (*.md)
    data/rapports/<année>/bilans/<id>.yaml the bilan of fiche <id> for that year

A file that cannot be loaded becomes diagnostics; the others load all the same, so a
single run reports every problem.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from bilan.config import Project, load_project
from bilan.diagnostics import Diagnostic
from bilan.document import Document
from bilan.errors import UsageError, reason
from bilan.files import SourceFile, display_path, listing, read_file, read_folder
from bilan.modelerrors import COMMUNE_NAMES, check_model, commune_index
from bilan.models import VOCABULARY, Action, CommunesFile, Fiche, Report
from bilan.workers import choose_jobs, gc_paused, ordered_map
from bilan.yamlio import load_bytes

ACTIONS_DIR = "actions"
COMMUNES_FILE = "communes.yaml"
REPORTS_DIR = "rapports"
BILANS_DIR = "bilans"


class FicheSource(Protocol):
    """A valid fiche as the layers above see it: its names, the hash of its file's bytes
    (what determines it), its actions, the model and the document it was read from (for
    positions). Loaded eagerly by default (:class:`LoadedFiche`); a faster implementation
    may read the model only when asked."""

    @property
    def stem(self) -> str:
        """The file's name without ``.yaml``."""
        ...

    @property
    def shown(self) -> str:
        """The file's path as the user sees it."""
        ...

    @property
    def digest(self) -> str:
        """Hash of the file's bytes."""
        ...

    @property
    def id(self) -> str: ...

    @property
    def actions(self) -> Sequence[Action]: ...

    @property
    def fiche(self) -> Fiche: ...

    @property
    def doc(self) -> Document: ...

    def in_schema(self, year: int) -> bool:
        """Whether the schéma of ``year`` holds the fiche's actions (its summary says)."""
        ...


class ReportSource(Protocol):
    """A valid bilan of one year, as :class:`FicheSource` is a fiche."""

    @property
    def stem(self) -> str: ...

    @property
    def shown(self) -> str: ...

    @property
    def digest(self) -> str: ...

    @property
    def report(self) -> Report: ...

    @property
    def doc(self) -> Document: ...


class FicheModel:
    """What a :class:`FicheSource` that holds its model answers from it."""

    fiche: Fiche

    @property
    def id(self) -> str:
        return self.fiche.id

    @property
    def actions(self) -> Sequence[Action]:
        return self.fiche.actions

    def in_schema(self, year: int) -> bool:
        return self.fiche.in_schema(year)


@dataclass(frozen=True)
class LoadedFiche(FicheModel):
    """A fiche read and validated from its file."""

    stem: str
    shown: str
    digest: str
    fiche: Fiche
    doc: Document


@dataclass(frozen=True)
class LoadedReport:
    """A bilan read and validated from its file."""

    stem: str
    shown: str
    digest: str
    report: Report
    doc: Document


Kind = type[Fiche] | type[Report]
Parsed = tuple[Any, list[Diagnostic]]
"""A source (:class:`FicheSource` or :class:`ReportSource`, by the model parsed), or None,
and what was found."""
Parser = Callable[[Sequence[SourceFile], Kind, Mapping[str, Any], "int | None"], Iterable[Parsed]]
"""Files → valid sources (or why not), in the order of the files; the model to read them
with, the validation context (the vocabulary) and ``jobs``: see :func:`parse_files`."""


@dataclass
class DataSet:
    """Everything under the data folder that loaded and validated."""

    root: Path
    project: Project | None = None
    project_raw: bytes = b""
    """The configuration file's bytes (empty without one)."""
    communes: CommunesFile | None = None
    communes_doc: Document | None = None
    fiches: list[FicheSource] = field(default_factory=list)
    bilans: dict[int, list[ReportSource]] = field(default_factory=dict)
    """Each year's bilans (of the years loaded), in file-name order."""
    files: int = 0
    unloaded: int = 0
    """Fiche files that could not be read or validated (their actions are unknown)."""
    unloaded_bilans: dict[int, set[str]] = field(default_factory=dict)
    """Each year's bilan files (their names without .yaml) that could not be loaded."""

    @cached_property
    def action_places(self) -> dict[tuple[str, int], list[tuple[FicheSource, int]]]:
        """Where each action (type, number) is described: its fiches, and its index there."""
        places: dict[tuple[str, int], list[tuple[FicheSource, int]]] = {}
        for item in self.fiches:
            for index, action in enumerate(item.actions):
                places.setdefault((action.type, action.numero), []).append((item, index))
        return places

    @cached_property
    def fiche_by_stem(self) -> dict[str, FicheSource]:
        return {item.stem: item for item in self.fiches}

    def bilan_of(self, year: int, fiche_id: str) -> ReportSource | None:
        """The bilan of ``fiche_id`` for ``year``, if it loaded."""
        return self._bilans_by_stem.get(year, {}).get(fiche_id)

    @cached_property
    def _bilans_by_stem(self) -> dict[int, dict[str, ReportSource]]:
        return {year: {b.stem: b for b in items} for year, items in self.bilans.items()}

    @property
    def context(self) -> dict[str, Any]:
        """What the models validate with: the project's vocabulary, when it loaded, and
        the communes' names (for the messages of a commune written by its name)."""
        context: dict[str, Any] = {COMMUNE_NAMES: commune_index(self.communes)}
        if self.project is not None:
            context[VOCABULARY] = self.project.vocabulaire
        return context


def report_years(data_dir: Path) -> list[int]:
    """Years that have a folder in data/rapports/."""
    folder = data_dir / REPORTS_DIR
    if not folder.is_dir():
        return []
    names = listing(folder)  # ASCII digits only: « ² » is a digit that int() refuses
    return sorted(int(n) for n in names if n.isascii() and n.isdigit() and (folder / n).is_dir())


def latest_year(data_dir: Path) -> int:
    """The last report year of the data folder (what `build` and `stats` do by default)."""
    years = report_years(data_dir)
    if not data_dir.is_dir():
        raise UsageError(
            f"dossier des données introuvable : {display_path(data_dir)}",
            "lancez la commande depuis le dossier du projet, ou indiquez --data DOSSIER",
        )
    if not years:
        raise UsageError(
            f"aucun rapport dans {display_path(data_dir / REPORTS_DIR)} : pas d'année à traiter",
            "créez DATA/rapports/ANNÉE/rapport.yaml, ou vérifiez l'option --data",
        )
    return years[-1]


def load_dataset(
    data_dir: Path,
    years: Sequence[int] | None = None,
    jobs: int | None = None,
    parse: Parser | None = None,
) -> tuple[DataSet, list[Diagnostic]]:
    """Load and validate, file by file, everything the data folder holds: the fiches, and
    the bilans of ``years`` (default: every year of data/rapports/).

    The files are read here, in name order, then turned into fiches and bilans by
    ``parse`` (default :func:`parse_files`): the result is the same whatever the parser
    and the number of processes it uses.
    """
    with gc_paused():
        return _load(data_dir, report_years(data_dir) if years is None else years, jobs, parse)


def _load(
    data_dir: Path, years: Sequence[int], jobs: int | None, parse: Parser | None
) -> tuple[DataSet, list[Diagnostic]]:
    check_data_folder(data_dir)
    communes_path = data_dir / COMMUNES_FILE
    if not communes_path.is_file():
        raise UsageError(
            f"fichier des communes introuvable : {display_path(communes_path)}",
            "chaque dossier de données contient communes.yaml (voir docs/format-fiche.md)",
        )
    if not (data_dir / ACTIONS_DIR).is_dir():
        raise UsageError(
            f"dossier des fiches introuvable : {display_path(data_dir / ACTIONS_DIR)}",
            "chaque dossier de données contient un dossier actions/ avec une fiche par action",
        )
    parse = parse or parse_files
    dataset = DataSet(root=data_dir)
    project, raw, diagnostics = load_project(data_dir)
    dataset.project, dataset.project_raw = project, raw
    dataset.files += bool(raw)

    doc, found = read_file(communes_path, data_dir)
    dataset.files += 1
    diagnostics += found
    if doc is not None:
        dataset.communes, found = check_model(doc, CommunesFile)
        dataset.communes_doc = doc
        diagnostics += found

    context = dataset.context
    files, found, counted, unread = read_folder(data_dir / ACTIONS_DIR, data_dir, "fiches")
    dataset.files += counted
    dataset.unloaded += unread
    diagnostics += found
    for item, found in parse(files, Fiche, context, jobs):
        diagnostics += found
        if item is None:
            dataset.unloaded += 1
        else:
            dataset.fiches.append(item)

    for year in years:
        folder = data_dir / REPORTS_DIR / str(year) / BILANS_DIR
        dataset.bilans[year] = []
        if not folder.is_dir():
            continue
        files, found, counted, _unread = read_folder(folder, data_dir, "bilans")
        dataset.files += counted
        diagnostics += found
        failed = {Path(d.path).stem for d in found if Path(d.path).suffix == ".yaml"}
        for file, (item, found) in zip(files, parse(files, Report, context, jobs), strict=True):
            diagnostics += found
            if item is None:
                failed.add(file.stem)
            else:
                dataset.bilans[year].append(item)
        dataset.unloaded_bilans[year] = failed
    return dataset, diagnostics


def check_data_folder(data_dir: Path) -> None:
    """Refuse a data folder that is missing, a file, or that cannot be read."""
    shown = display_path(data_dir)
    hint = "indiquez-le avec --data, ou lancez la commande depuis le dossier du projet"
    try:
        info = data_dir.stat()
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise UsageError(f"dossier de données introuvable : {shown}", hint) from None
        raise UsageError(
            f"dossier de données illisible : {shown} ({reason(error)})", hint
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"« {shown} » est un fichier, pas un dossier de données", hint)
    listing(data_dir)


def parse_files(
    files: Sequence[SourceFile],
    model: Kind,
    context: Mapping[str, Any],
    jobs: int | None = None,
) -> Iterator[Parsed]:
    """Parse and validate each file: the YAML by ``jobs`` processes (default: the cores
    available, one for a small folder), the models here, in order."""
    documents = ordered_map(_document, files, choose_jobs(jobs, len(files)))
    for file, (doc, found) in zip(files, documents, strict=True):
        if doc is None:
            yield None, found
            continue
        valid, more = check_model(doc, model, dict(context))
        if valid is None:
            yield None, found + more
        elif isinstance(valid, Fiche):
            yield LoadedFiche(file.stem, file.shown, file.digest, valid, doc), found + more
        else:
            yield LoadedReport(file.stem, file.shown, file.digest, valid, doc), found + more


def _document(file: SourceFile) -> tuple[Document | None, list[Diagnostic]]:
    """Runs in the worker processes: parsing only, no validation."""
    return load_bytes(file.raw, file.shown)
