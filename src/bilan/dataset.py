"""Load the data folder: every fiche, the communes, with their positions.

Files are read here and nowhere else (besides the narrative, see :mod:`bilan.narrative`).
A file that cannot be loaded becomes diagnostics; the others load all the same, so a
single run reports every problem.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError
from bilan.models import CommunesFile, Fiche
from bilan.validation import check_model
from bilan.yamlio import MAX_BYTES, Document, load_bytes, too_large

ACTIONS_DIR = "actions"
COMMUNES_FILE = "communes.yaml"
REPORTS_DIR = "rapports"


@dataclass(frozen=True)
class LoadedFiche:
    """A valid fiche and the document it was read from (for positions)."""

    doc: Document
    fiche: Fiche
    stem: str


@dataclass
class DataSet:
    """Everything under the data folder that loaded and validated."""

    root: Path
    communes: CommunesFile | None = None
    communes_doc: Document | None = None
    fiches: list[LoadedFiche] = field(default_factory=list)
    files: int = 0

    def fiche_by_id(self) -> dict[str, LoadedFiche]:
        return {item.fiche.id: item for item in self.fiches}


def display_path(path: Path) -> str:
    """Path as the user should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path.as_posix()
    if relative.startswith(".."):
        return path.as_posix()
    return Path(relative).as_posix()


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` (symlinks resolved) stays inside ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def read_file(path: Path, root: Path) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one YAML file of the data folder, refusing what must not be read."""
    shown = display_path(path)
    if not inside(path, root):
        return None, [
            Diagnostic(
                shown,
                0,
                0,
                "F003",
                Severity.ERROR,
                "lien symbolique qui pointe hors du dossier de données : fichier non lu",
                "remplacez le lien par le fichier lui-même",
            )
        ]
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [too_large(shown, size)]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [unreadable(shown, exc)]
    return load_bytes(raw, shown)


def unreadable(shown: str, exc: OSError) -> Diagnostic:
    """F005, with the reason in French for the usual causes."""
    reasons = {
        errno.ENOENT: "fichier absent, ou lien symbolique cassé",
        errno.EACCES: "droits de lecture insuffisants",
        errno.EISDIR: "c'est un dossier",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or "erreur d'entrée-sortie")
    return Diagnostic(
        shown,
        0,
        0,
        "F005",
        Severity.ERROR,
        f"fichier illisible : {reason}",
        "vérifiez que le fichier existe, qu'il s'agit d'un fichier ordinaire et qu'il est lisible",
    )


def load_dataset(data_dir: Path) -> tuple[DataSet, list[Diagnostic]]:
    """Load and validate, file by file, everything the data folder holds."""
    if not data_dir.is_dir():
        raise UsageError(
            f"dossier de données introuvable : {display_path(data_dir)}",
            "indiquez-le avec --data, ou lancez la commande depuis le dossier du projet",
        )
    communes_path = data_dir / COMMUNES_FILE
    if not communes_path.is_file():
        raise UsageError(
            f"fichier des communes introuvable : {display_path(communes_path)}",
            "chaque dossier de données contient communes.yaml (voir docs/format-fiche.md)",
        )
    dataset = DataSet(root=data_dir)
    diagnostics: list[Diagnostic] = []

    doc, found = read_file(communes_path, data_dir)
    dataset.files += 1
    diagnostics += found
    if doc is not None:
        dataset.communes, found = check_model(doc, CommunesFile)
        dataset.communes_doc = doc
        diagnostics += found

    actions_dir = data_dir / ACTIONS_DIR
    entries = sorted(actions_dir.iterdir()) if actions_dir.is_dir() else []
    for path in entries:
        if path.name.startswith("."):
            continue
        if path.suffix != ".yaml" or not (path.is_file() or path.is_symlink()):
            diagnostics.append(
                Diagnostic(
                    display_path(path),
                    0,
                    0,
                    "F002",
                    Severity.ERROR,
                    "fichier ignoré : le dossier des fiches ne contient que des fichiers « .yaml »",
                    "renommez-le en « .yaml » s'il s'agit d'une fiche, sinon déplacez-le",
                )
            )
            continue
        dataset.files += 1
        doc, found = read_file(path, data_dir)
        diagnostics += found
        if doc is None:
            continue
        fiche, found = check_model(doc, Fiche)
        diagnostics += found
        if fiche is not None:
            dataset.fiches.append(LoadedFiche(doc, fiche, path.stem))
    return dataset, diagnostics
